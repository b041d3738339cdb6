// The nightly case: an order state store with N orders (a share of them open), then `computeReport` over it (three times).
//
// Setup writes the documents through the real SQLite state store (`store.transact`: `tx.put` and
// `tx.setAliases`). The documents are what `foldEvents` makes of each order's events: a set of
// templates (tied orders of five totals, and one firing scenario per break kind from
// test/support/scenarios.ts) is folded once with `foldEvents`, and each order's document is that
// fold with the order's own number and ids put in (the same renaming applied to the events).
// For a sample of orders the renamed events are folded again with `foldEvents` and the result
// compared with the written document, so the shortcut is checked rather than assumed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { embeddedPaths, openBackend } from '#shared/backend.ts';
import { checkConfigOf, loadConfig } from '#shared/config.ts';
import { DEFAULT_CHECK_CONFIG, runChecks, type CheckCode } from '#shared/domain/checks.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import type { OrderState } from '#shared/domain/order-state.ts';
import type { Report } from '#shared/domain/report.ts';
import { silentLogger } from '#shared/log.ts';
import type { OrderStateStore, OrderStateTx, StoredOrder } from '#shared/ports/order-state-store.ts';
import { foldEvents } from '../services/matcher/fold.ts';
import { computeReport } from '../services/nightly-report/run.ts';
import { nightlyDeps } from '../services/nightly-report/service.ts';
import { createTemplateNarrator } from '../services/nightly-report/template-narrator.ts';
import { FIRING, tiedOrder } from '../test/support/scenarios.ts';
import { fileSize, measure, round, type Measured } from './measure.ts';

/** The night evaluated: well after every template's last event (the latest, a dispute, is at T0 + 50 h). */
export const NIGHT_AS_OF = '2026-11-25T06:00:00.000Z';
/** The instant documents are stamped with (the matcher stamps its own clock); spread over a year of history. */
const HISTORY_START = Date.parse('2025-11-25T00:00:00.000Z');

/** Break kinds planted in open orders: every FIRING scenario keyed on order 1001 under the default check config, plus orphan payments. */
const OPEN_KINDS: readonly CheckCode[] = (Object.keys(FIRING) as CheckCode[]).filter((code) => {
  const s = FIRING[code];
  return s.config === undefined && (s.key === '1001' || code === 'orphan_payment');
});
const TIED_TOTALS = [1999, 5000, 12_950, 34_900, 89_900];

type Template = { readonly name: string; readonly code: CheckCode | null; readonly eventsText: string; readonly stateText: string; readonly open: boolean; readonly aliasesText: string };

/**
 * Renames a template (events, document or aliases, as JSON text) to order number `n`: the order
 * number (and the storefront id `45<number>` the builders derive from it) wherever it stands alone,
 * the builders' counter ids (`wh_00001a`, `txn_…`, `sh_…`, …) made unique per order, and the
 * orphan payment's id.
 */
function rename(text: string, n: string): string {
  return text
    .replace(/(?<![0-9])(45)?1001(?![0-9])/g, `$1${n}`)
    .replace(/\b(wh|evt|txn|sh|le|rf|re|dp|msg)_([0-9a-z]{6})\b/g, `$1_${n}_$2`)
    .replace(/\bpi_lost\b/g, `pi_lost_${n}`);
}

/** A transaction over an empty store that records what `foldEvents` stages. */
function captureTx(): { tx: OrderStateTx; puts: StoredOrder[]; aliases: [string, string][]; deletes: string[] } {
  const puts: StoredOrder[] = [];
  const aliases: [string, string][] = [];
  const deletes: string[] = [];
  const tx: OrderStateTx = {
    get: async () => new Map(),
    aliases: async () => new Map(),
    put: (docs) => void puts.push(...docs),
    delete: (keys) => void deletes.push(...keys),
    setAliases: (entries) => void aliases.push(...entries.map(([r, k]) => [r, k] as [string, string])),
  };
  return { tx, puts, aliases, deletes };
}

async function fold(events: readonly CanonicalEvent[], now: string) {
  const c = captureTx();
  await foldEvents(c.tx, events, { checkConfig: DEFAULT_CHECK_CONFIG, now });
  if (c.puts.length !== 1 || c.deletes.length > 0) throw new Error(`a template folded into ${c.puts.length} documents (expected one)`);
  return { doc: c.puts[0] as StoredOrder, aliases: c.aliases };
}

async function buildTemplates(): Promise<{ tied: Template[]; open: Template[] }> {
  const make = async (name: string, code: CheckCode | null, events: CanonicalEvent[]): Promise<Template> => {
    const { doc, aliases } = await fold(events, NIGHT_AS_OF);
    const codes = runChecks(doc.state, DEFAULT_CHECK_CONFIG).map((b) => b.code);
    if (code === null && doc.open) throw new Error(`tied template ${name} is open: ${codes.join(', ')}`);
    if (code !== null && !codes.includes(code)) throw new Error(`template ${name} does not fire ${code} (fires ${codes.join(', ') || 'nothing'})`);
    return { name, code, eventsText: JSON.stringify(events), stateText: JSON.stringify(doc.state), open: doc.open, aliasesText: JSON.stringify(aliases) };
  };
  const tied = await Promise.all(TIED_TOTALS.map((total) => make(`tied ${total}`, null, tiedOrder('1001', 'pi_1001', total))));
  const open = await Promise.all(OPEN_KINDS.map((code) => make(code, code, FIRING[code].events())));
  return { tied, open };
}

/** Order i's number, whether it is open, and its template. `open` orders are spread evenly over the run. */
function plan(i: number, orders: number, openCount: number, t: { tied: Template[]; open: Template[] }): { n: string; template: Template } {
  const before = Math.floor((i * openCount) / orders);
  const isOpen = Math.floor(((i + 1) * openCount) / orders) > before;
  return { n: String(1_000_001 + i), template: isOpen ? (t.open[before % t.open.length] as Template) : (t.tied[i % t.tied.length] as Template) };
}

/** A document from a template: renamed, with `refs` and `eventIds` sorted again (the fold keeps them sorted). */
function cloneDoc(t: Template, n: string, updatedAt: string): { doc: StoredOrder; aliases: [string, string][] } {
  const state = JSON.parse(rename(t.stateText, n)) as OrderState & { refs: string[]; eventIds: string[] };
  state.refs.sort();
  state.eventIds.sort();
  return { doc: { state, open: t.open, updatedAt }, aliases: JSON.parse(rename(t.aliasesText, n)) as [string, string][] };
}

export type NightlySetupResult = Measured & {
  orders: number;
  open: number;
  openKinds: number;
  ordersPerSecond: number;
  docs: number;
  /** Orders whose document was also rebuilt from renamed events with foldEvents, and how many matched. */
  checked: number;
  checkedEqual: number;
  stateFileBytes: number;
  avgDocBytes: number;
};

export async function nightlySetupPhase(dir: string, orders: number, openCount: number): Promise<NightlySetupResult> {
  const store = createSqliteOrderStateStore({ path: embeddedPaths(dir).state });
  const templates = await buildTemplates();
  const BATCH = 5000;
  const checkEvery = Math.max(1, Math.floor(orders / 20));
  let checked = 0;
  let checkedEqual = 0;
  let docBytes = 0;
  const m = await measure(async () => {
    for (let start = 0; start < orders; start += BATCH) {
      const docs: StoredOrder[] = [];
      const aliases: [string, string][] = [];
      const end = Math.min(orders, start + BATCH);
      for (let i = start; i < end; i++) {
        const { n, template } = plan(i, orders, openCount, templates);
        const updatedAt = new Date(HISTORY_START + Math.floor((i / orders) * 365 * 86_400_000)).toISOString();
        const c = cloneDoc(template, n, updatedAt);
        docs.push(c.doc);
        aliases.push(...c.aliases);
        if (i % checkEvery === 0 || i < 200) {
          // The shortcut, checked: fold this order's renamed events and compare.
          const again = await fold(JSON.parse(rename(template.eventsText, n)) as CanonicalEvent[], updatedAt);
          checked++;
          if (isDeepStrictEqual(again.doc, c.doc) && isDeepStrictEqual(new Map(again.aliases), new Map(c.aliases))) checkedEqual++;
        }
      }
      if (start === 0) docBytes = docs.reduce((s, d) => s + JSON.stringify(d.state).length, 0) / docs.length;
      await store.transact(async (tx) => {
        tx.put(docs);
        tx.setAliases(aliases);
      });
    }
  });
  const docs = await store.count();
  await store.close();
  const { value: _, ...measured } = m;
  return {
    ...measured,
    orders,
    open: openCount,
    openKinds: templates.open.length,
    ordersPerSecond: Math.round(orders / m.seconds),
    docs,
    checked,
    checkedEqual,
    stateFileBytes: fileSize(embeddedPaths(dir).state),
    avgDocBytes: Math.round(docBytes),
  };
}

export type NightlyReportResult = Measured & {
  orders: number;
  open: number;
  /** RSS of this process before the first run: Node, the loaded modules and the opened backend. */
  rssBeforeMb: number;
  /** Every computeReport run in this process, in order (the first with a cold heap): wall and CPU seconds. */
  runsSeconds: number[];
  runsCpuSeconds: number[];
  /** MB this process read from storage during each run (/proc/self/io read_bytes): page-cache misses on the state file. */
  runsStorageReadMb: number[];
  /** Each run's open scan (with the checks) and store.count(), in seconds. */
  runsScanOpenSeconds: number[];
  runsCountSeconds: number[];
  /** Whether the state file was evicted from the page cache before every run. */
  cold: boolean;
  /** The figures below are of the median run: computeReport as a whole; then its parts: the open scan with checks, store.count(), narration. */
  reportSeconds: number;
  scanOpenSeconds: number;
  countSeconds: number;
  narrationSeconds: number;
  reportSecondsExcludingNarration: number;
  openDocsScanned: number;
  ordersChecked: number;
  exceptions: number;
  exceptionsByCode: Record<string, number>;
  clean: boolean;
};

/** Bytes this process has caused to be read from storage (not served by the page cache). */
function storageReadBytes(): number {
  const m = /^read_bytes: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Wraps a store so the report's use of it is timed (the scan's time includes the checks run per document). */
function timedStore(store: OrderStateStore, t: { scanMs: number; countMs: number; scanned: number }): OrderStateStore {
  return {
    ...store,
    scanOpen: (batchSize?: number) => ({
      async *[Symbol.asyncIterator]() {
        const t0 = performance.now();
        try {
          for await (const doc of store.scanOpen(batchSize)) {
            t.scanned++;
            yield doc;
          }
        } finally {
          t.scanMs += performance.now() - t0;
        }
      },
    }),
    async count() {
      const t0 = performance.now();
      try {
        return await store.count();
      } finally {
        t.countMs += performance.now() - t0;
      }
    },
  };
}

/**
 * Drops the state file's pages from the OS page cache (`dd iflag=nocache`, i.e. posix_fadvise
 * DONTNEED on this one file; nothing else on the machine is touched), so the next run reads what it
 * needs from disk, as a nightly run does when the day's traffic has pushed old orders out of memory.
 */
function evictFromPageCache(path: string): void {
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    if (r.status !== 0) throw new Error(`could not evict ${file} from the page cache: ${r.stderr.toString()}`);
  }
}

/**
 * Runs `computeReport` `repeat` times in this process; reports every run's time and the median
 * run's parts. With `cold`, the state file is evicted from the page cache before every run.
 */
export async function nightlyReportPhase(dir: string, orders: number, openCount: number, repeat = 3, cold = false): Promise<NightlyReportResult> {
  const loaded = loadConfig({ env: {}, cwd: dir, dataDir: dir });
  if (!loaded.ok) throw new Error(`config: ${loaded.errors.join('; ')}`);
  const config = loaded.value;
  if (!isDeepStrictEqual(checkConfigOf(config).settlementEnabled, DEFAULT_CHECK_CONFIG.settlementEnabled)) throw new Error('the default config changed its settlement setting');
  const backend = await openBackend(config);
  const rssBeforeMb = round(process.memoryUsage().rss / 1024 / 1024, 1);
  // Only a summary of each report is kept, so earlier runs' reports do not add to the peak RSS.
  type Run = { seconds: number; cpuSeconds: number; readMb: number; scanMs: number; countMs: number; scanned: number; narrationMs: number; ordersChecked: number; exceptions: number; exceptionsByCode: Record<string, number>; clean: boolean };
  const runs: Run[] = [];
  const m = await measure(async () => {
    for (let i = 0; i < repeat; i++) {
      if (cold) evictFromPageCache(embeddedPaths(dir).state);
      const times = { scanMs: 0, countMs: 0, scanned: 0 };
      let narrationMs = 0;
      const base = nightlyDeps(config, { ...backend, store: timedStore(backend.store, times) }, [], silentLogger(), () => NIGHT_AS_OF, createTemplateNarrator());
      const deps = {
        ...base,
        narrate: async (r: Report) => {
          const t0 = performance.now();
          try {
            return await base.narrate(r);
          } finally {
            narrationMs += performance.now() - t0;
          }
        },
      };
      const cpu0 = process.cpuUsage();
      const read0 = storageReadBytes();
      const t0 = performance.now();
      const report = await computeReport(deps, { asOf: NIGHT_AS_OF });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const readMb = round((storageReadBytes() - read0) / 1024 / 1024, 1);
      const exceptionsByCode: Record<string, number> = {};
      for (const e of report.exceptions) exceptionsByCode[e.code] = (exceptionsByCode[e.code] ?? 0) + 1;
      runs.push({ seconds, cpuSeconds: round((cpu.user + cpu.system) / 1e6, 2), readMb, ...times, narrationMs, ordersChecked: report.ordersChecked, exceptions: report.exceptions.length, exceptionsByCode, clean: report.clean });
    }
  });
  await backend.close();
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)] as Run;
  const { value: _, ...measured } = m;
  const times = median;
  const narrationMs = median.narrationMs;
  return {
    ...measured,
    orders,
    open: openCount,
    rssBeforeMb,
    runsSeconds: runs.map((r) => round(r.seconds, 3)),
    runsCpuSeconds: runs.map((r) => r.cpuSeconds),
    runsStorageReadMb: runs.map((r) => r.readMb),
    runsScanOpenSeconds: runs.map((r) => round(r.scanMs / 1000, 3)),
    runsCountSeconds: runs.map((r) => round(r.countMs / 1000, 3)),
    cold,
    reportSeconds: round(median.seconds, 3),
    scanOpenSeconds: round(times.scanMs / 1000, 3),
    countSeconds: round(times.countMs / 1000, 3),
    narrationSeconds: round(narrationMs / 1000, 4),
    reportSecondsExcludingNarration: round(median.seconds - narrationMs / 1000, 3),
    openDocsScanned: times.scanned,
    ordersChecked: median.ordersChecked,
    exceptions: median.exceptions,
    exceptionsByCode: median.exceptionsByCode,
    clean: median.clean,
  };
}
