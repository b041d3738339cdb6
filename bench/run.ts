// `npm run bench -- [matcher] [replay] [ingest] [nightly] [options]`: the embedded backend at scale.
//
// Each phase runs in its own child process, so its peak RSS is its own (the kernel's high-water
// mark, `resourceUsage().maxRSS`, cross-checked by sampling every 100 ms). Setup archives and
// publishes the generated events through `archiveAndPublish`; the matcher case drains the bus into
// the state store; the replay case re-normalizes the whole archive and compares it with live state.
// The ingest case drives `tieout serve` with signed webhooks (bench/ingest.ts); the nightly case
// times `computeReport` over a store of N orders (bench/nightly.ts). Results are printed and
// written to bench/results.json.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { embeddedPaths, MAX_ATTEMPTS } from '#shared/backend.ts';
import { silentLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { loadConfig } from '#shared/config.ts';
import { archiveAndPublish, canonicalEntry } from '../services/ingest/publish.ts';
import { drainInThread } from '../services/matcher/thread.ts';
import { replayInThread } from '../services/matcher/replay-thread.ts';
import { generateEvents, type GenerateSummary } from './generate.ts';
import { INGEST_PROFILE_DIR, ingestPhase, wrkPath, type IngestResult } from './ingest.ts';
import { fileSize, measure, round, type Measured } from './measure.ts';
import { nightlyReportPhase, nightlySetupPhase, type NightlyReportResult, type NightlySetupResult } from './nightly.ts';

const CASES = ['matcher', 'replay', 'ingest', 'nightly'] as const;
type Case = (typeof CASES)[number];
type Phase = 'setup' | 'matcher' | 'replay' | 'ingest' | 'nightly-setup' | 'nightly-report';
type NightlyResult = { orders: number; open: number; setup: NightlySetupResult; setupReused: boolean; report: NightlyReportResult };

type SetupResult = Measured & { summary: GenerateSummary; avgEventBytes: number; archivePublishSeconds: number; generateSeconds: number; files: Record<string, number> };
type MatcherResult = Measured & {
  batchSize: number | 'default';
  eventsPerSecond: number;
  received: number;
  applied: number;
  duplicates: number;
  merged: number;
  rejected: number;
  batches: number;
  ordersWritten: number;
  docs: number;
  expectedDocs: number;
  docsMatch: boolean;
  busAfter: { pending: number; leased: number; deadLettered: number };
  stateFileBytes: number;
};
type ReplayResult = Measured & { eventsPerSecond: number; payloads: number; events: number; unreadable: number; orders: number; differences: number };
/** The data directory's record of what it holds, so later runs can reuse it. */
type Meta = { seed: number; events: number; setup: SetupResult; matched: boolean };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** Overrides the matcher's default batch size (to measure its effect; the reported figures use the default). In the ingest case: the batch size of the matcher inside `tieout serve`. */
    'batch-size': { type: 'string' },
    /** ingest: seconds measured, seconds of warm-up before, concurrent connections. */
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '128' },
    /** ingest: the load generator, wrk (default when installed) or autocannon. */
    client: { type: 'string' },
    /** ingest: the services `tieout serve` runs, all (default) or ingest alone (TIEOUT_SERVICE=ingest). */
    service: { type: 'string', default: 'all' },
    /** nightly: store sizes (comma-separated), and open orders per size (one value or one per size; default 2%). */
    orders: { type: 'string', default: '1000000' },
    open: { type: 'string' },
    /** nightly: evict the state file from the OS page cache before each computeReport run. */
    cold: { type: 'boolean', default: false },
    phase: { type: 'string' },
  },
});

const USAGE =
  'usage: npm run bench -- [matcher] [replay] [ingest] [nightly] [--events N] [--seed S] [--dir DIR] [--keep] [--profile] [--batch-size N]\n' +
  '                        [--duration S] [--warmup S] [--connections C] [--client wrk|autocannon] [--service all|ingest] [--orders N[,N…]] [--open K[,K…]] [--cold]\n';

/** A bad command line: said in one line, exit code 2 (as the CLI does). */
function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

const positiveInt = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) usage(`--${name} must be a positive integer, got ${text}`);
  return n;
};
const intList = (name: string, text: string): number[] => text.split(',').map((t) => positiveInt(name, t.trim()));

async function setupPhase(dir: string, events: number, seed: number): Promise<SetupResult> {
  const paths = embeddedPaths(dir);
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS });
  const archive = createSqliteArchive({ path: paths.archive });
  const summary: GenerateSummary = { orders: 0, events: 0, redeliveries: 0, bytes: 0, keys: 0 };
  let writing = 0;
  const m = await measure(async () => {
    for (const chunk of generateEvents({ events, seed }, summary)) {
      const t = performance.now();
      await archiveAndPublish({ archive, bus }, chunk.map(canonicalEntry));
      writing += performance.now() - t;
    }
  });
  await Promise.all([bus.close(), archive.close()]);
  const { value: _, ...measured } = m;
  return {
    ...measured,
    summary,
    avgEventBytes: Math.round(summary.bytes / (summary.events - summary.redeliveries)),
    archivePublishSeconds: round(writing / 1000, 2),
    generateSeconds: round(m.seconds - writing / 1000, 2),
    files: { bus: fileSize(paths.bus), archive: fileSize(paths.archive) },
  };
}

async function matcherPhase(dir: string, expectedDocs: number): Promise<MatcherResult> {
  const paths = embeddedPaths(dir);
  // The path `tieout match` takes: a drain in a thread with a capped heap, with the configured batch size.
  const loaded = loadConfig({ env: {}, cwd: dir, dataDir: dir });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const batch = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  const config = batch === undefined ? loaded.value : { ...loaded.value, matcher: { ...loaded.value.matcher, batchSize: batch } };
  const m = await measure(() => drainInThread({ config, log: silentLogger() }));
  const stats = m.value;
  const bus = createSqliteEventBus({ path: paths.bus, subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: MAX_ATTEMPTS });
  const store = createSqliteOrderStateStore({ path: paths.state });
  const docs = await store.count();
  const busAfter = await bus.stats(MATCHER_SUBSCRIPTION);
  await Promise.all([bus.close(), store.close()]);
  const { value: _, ...measured } = m;
  return {
    ...measured,
    batchSize: config.matcher.batchSize,
    eventsPerSecond: Math.round(stats.received / m.seconds),
    received: stats.received,
    applied: stats.applied,
    duplicates: stats.duplicates,
    merged: stats.merged,
    rejected: stats.rejected,
    batches: stats.batches,
    ordersWritten: stats.orders.size,
    docs,
    expectedDocs,
    docsMatch: docs === expectedDocs,
    busAfter,
    stateFileBytes: fileSize(paths.state),
  };
}

async function replayPhase(dir: string): Promise<ReplayResult> {
  // The path `tieout replay` takes: a thread with a capped heap (REPLAY_HEAP_MB), its own connections, a scratch shadow.
  const loaded = loadConfig({ env: {}, cwd: dir, dataDir: dir });
  if (!loaded.ok) throw new Error(loaded.errors.join('; '));
  const m = await measure(() => replayInThread({ config: loaded.value, selection: {}, into: 'shadow', now: new Date().toISOString() }));
  const r = m.value;
  const { value: _, ...measured } = m;
  return {
    ...measured,
    eventsPerSecond: Math.round(r.events / m.seconds),
    payloads: r.payloads,
    events: r.events,
    unreadable: r.unreadable.length,
    orders: r.orders,
    differences: r.differences.length,
  };
}

/** Runs one phase in a child process (a clean heap and its own peak RSS) and returns its result. */
function inChild<T>(phase: Phase, args: string[]): Promise<T> {
  const profileDir = join(dirname(fileURLToPath(import.meta.url)), 'profiles');
  const execArgv = values.profile && phase !== 'ingest' ? [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${phase}-${Date.now()}.cpuprofile`] : process.execArgv;
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--phase', phase, ...args], { execArgv, stdio: 'inherit' });
    let result: T | undefined;
    child.on('message', (m) => (result = m as T));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && result !== undefined ? resolve(result) : reject(new Error(`bench phase ${phase} exited with ${code}`))));
  });
}

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  const events = Number(values.events);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(events) || events < 1) usage(`--events must be a positive integer, got ${values.events}`);
  if (!Number.isSafeInteger(seed)) usage(`--seed must be an integer, got ${values.seed}`);
  const batch = values['batch-size'];
  if (batch !== undefined && !(Number.isSafeInteger(Number(batch)) && Number(batch) > 0)) usage(`--batch-size must be a positive integer, got ${batch}`);

  if (values.phase !== undefined) {
    const dir = values.dir as string;
    const nightly = () => [positiveInt('orders', values.orders), positiveInt('open', values.open)] as const;
    const result =
      values.phase === 'setup'
        ? await setupPhase(dir, events, seed)
        : values.phase === 'matcher'
          ? await matcherPhase(dir, Number(positionals[0]))
          : values.phase === 'ingest'
            ? await ingestPhase({
                client: values.client === 'autocannon' ? 'autocannon' : 'wrk',
                service: values.service === 'ingest' ? 'ingest' : 'all',
                durationSeconds: positiveInt('duration', values.duration),
                warmupSeconds: positiveInt('warmup', values.warmup),
                connections: positiveInt('connections', values.connections),
                keep: values.keep,
                ...(values.profile ? { profileDir: INGEST_PROFILE_DIR } : {}),
                ...(values['batch-size'] !== undefined ? { matcherBatchSize: positiveInt('batch-size', values['batch-size']) } : {}),
              })
            : values.phase === 'nightly-setup'
              ? await nightlySetupPhase(dir, ...nightly())
              : values.phase === 'nightly-report'
                ? await nightlyReportPhase(dir, ...nightly(), 3, values.cold)
                : await replayPhase(dir);
    // Run by hand (`node bench/run.ts --phase matcher --dir D KEYS`), a phase prints its result.
    if (process.send) process.send(result);
    else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }

  const unknown = positionals.filter((p) => !(CASES as readonly string[]).includes(p));
  if (unknown.length > 0) usage(`unknown case ${unknown.join(', ')} (cases: ${CASES.join(', ')})`);
  const cases: Case[] = positionals.length === 0 ? [...CASES] : CASES.filter((c) => positionals.includes(c));
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'tieout-bench-'));
  mkdirSync(dir, { recursive: true });
  const metaPath = join(dir, 'bench-meta.json');
  const machine = {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    loadAtStart: loadavg().map((x) => round(x, 2)),
  };
  const scale = [
    ...(cases.includes('matcher') || cases.includes('replay') ? [`${events.toLocaleString('en-US')} events, seed ${seed}`] : []),
    ...(cases.includes('nightly') ? [`nightly orders ${values.orders}${values.open ? `, open ${values.open}` : ' (2% open)'}`] : []),
  ];
  log(`data dir ${dir}; ${scale.join('; ')}; cases: ${cases.join(', ')}; load ${machine.loadAtStart.join(' ')}`);

  const args = ['--dir', dir, '--events', String(events), '--seed', String(seed), ...(values['batch-size'] ? ['--batch-size', values['batch-size']] : [])];
  const meta: Meta | undefined = existsSync(metaPath) ? (JSON.parse(readFileSync(metaPath, 'utf8')) as Meta) : undefined;
  if (meta && (meta.events !== events || meta.seed !== seed)) usage(`${dir} holds a run of ${meta.events} events (seed ${meta.seed}); use another --dir`);

  const results: Results & { machine: typeof machine; dir: string } = { machine, dir };
  try {
    if (cases.includes('matcher') || cases.includes('replay')) await runCases(cases, args, metaPath, meta, results);
    if (cases.includes('ingest')) {
      const client = values.client ?? (wrkPath() !== undefined ? 'wrk' : 'autocannon');
      if (client !== 'wrk' && client !== 'autocannon') usage(`--client must be wrk or autocannon, got ${client}`);
      if (values.service !== 'all' && values.service !== 'ingest') usage(`--service must be all or ingest, got ${values.service}`);
      if (values.client === undefined && client === 'autocannon') log('ingest: wrk is not installed (Debian: apt-get install wrk); autocannon, which shares the cores at about 5x the CPU per request, drives the server instead');
      log(`ingest: tieout serve (${values.service === 'ingest' ? 'the ingest service alone' : 'all services'}) driven by ${client} for ${values.duration} s (after ${values.warmup} s of warm-up), ${values.connections} connections`);
      results.ingest = await inChild<IngestResult>('ingest', ['--client', client, '--service', values.service, '--duration', values.duration, '--warmup', values.warmup, '--connections', values.connections, ...(values.keep ? ['--keep'] : []), ...(values.profile ? ['--profile'] : []), ...(values['batch-size'] ? ['--batch-size', values['batch-size']] : [])]);
    }
    if (cases.includes('nightly')) results.nightly = await runNightly(dir);
  } finally {
    // A temporary data dir is gigabytes at full scale: remove it unless asked to keep it.
    if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });
    else log(`data kept in ${dir}`);
  }
  printTable(results);
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${JSON.stringify(results)}\n`);
  log(`results written to ${out}`);
  // Missed targets are findings; wrong answers are failures.
  if (
    results.matcher?.docsMatch === false ||
    (results.replay !== undefined && (results.replay.differences > 0 || results.replay.unreadable > 0)) ||
    results.ingest?.archive.verified === false ||
    (results.nightly ?? []).some((n) => n.setup.docs !== n.orders || n.setup.checkedEqual !== n.setup.checked || n.report.openDocsScanned !== n.open || n.report.exceptions < n.open)
  ) {
    log('sanity check failed: see the table');
    process.exitCode = 1;
  }
}

type Results = { setup?: SetupResult; matcher?: MatcherResult; matcherAsSetup?: boolean; replay?: ReplayResult; ingest?: IngestResult; nightly?: NightlyResult[] };

/**
 * The nightly case at each requested size: setup (timed, in its own child) builds the store unless
 * the data dir already holds that size, then `computeReport` runs in a fresh child. Each size's
 * store is removed afterwards unless --keep or --dir was given.
 */
async function runNightly(root: string): Promise<NightlyResult[]> {
  const sizes = intList('orders', values.orders);
  const opens = values.open === undefined ? sizes.map((n) => Math.round(n * 0.02)) : intList('open', values.open);
  if (opens.length !== 1 && opens.length !== sizes.length) usage(`--open needs one value or one per --orders size (${sizes.length})`);
  const out: NightlyResult[] = [];
  for (const [i, orders] of sizes.entries()) {
    const open = (opens.length === 1 ? opens[0] : opens[i]) as number;
    if (open > orders) usage(`--open ${open} is more than --orders ${orders}`);
    const dir = join(root, `nightly-${orders}-${open}`);
    const metaPath = join(dir, 'nightly-meta.json');
    const args = ['--dir', dir, '--orders', String(orders), '--open', String(open)];
    let setup: NightlySetupResult;
    const setupReused = existsSync(metaPath);
    if (setupReused) {
      setup = JSON.parse(readFileSync(metaPath, 'utf8')) as NightlySetupResult;
      log(`nightly ${orders} orders, ${open} open: reusing the store in ${dir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      log(`nightly ${orders} orders, ${open} open: building the state store`);
      setup = await inChild<NightlySetupResult>('nightly-setup', args);
      writeFileSync(metaPath, JSON.stringify(setup, null, 2));
      log(`nightly: ${setup.docs} documents in ${setup.seconds} s (${setup.ordersPerSecond}/s), ${round(setup.stateFileBytes / 1e9, 2)} GB; foldEvents cross-check ${setup.checkedEqual}/${setup.checked} equal`);
    }
    log(`nightly ${orders} orders, ${open} open: computeReport${values.cold ? ' (state file evicted from the page cache before each run)' : ''}`);
    const report = await inChild<NightlyReportResult>('nightly-report', [...args, ...(values.cold ? ['--cold'] : [])]);
    log(`nightly: computeReport ${report.runsSeconds.join(' s, ')} s (read from disk ${report.runsStorageReadMb.join(', ')} MB); median ${report.reportSeconds} s (open scan + checks ${report.scanOpenSeconds} s, count ${report.countSeconds} s, narration ${report.narrationSeconds} s), peak RSS ${report.peakRssMb} MB, ${report.exceptions} exceptions`);
    out.push({ orders, open, setup, setupReused, report });
    if (!values.keep && values.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function runCases(cases: readonly Case[], args: string[], metaPath: string, existing: Meta | undefined, results: Results): Promise<void> {
  const dir = dirname(metaPath);
  const save = (m: Meta) => writeFileSync(metaPath, JSON.stringify(m, null, 2));
  let meta = existing;
  if (meta === undefined) {
    log('setup: generating, archiving and publishing');
    const setup = await inChild<SetupResult>('setup', args);
    meta = { seed: Number(values.seed), events: Number(values.events), setup, matched: false };
    save(meta);
    log(`setup: ${setup.summary.events} events (${setup.summary.orders} orders, ${setup.avgEventBytes} B/event) in ${setup.seconds} s`);
  } else log('setup: reusing the archive and bus already in the data dir');
  results.setup = meta.setup;

  if (cases.includes('matcher') || !meta.matched) {
    if (meta.matched) usage(`${dir}: the bus was already drained by an earlier matcher run; use a fresh --dir for the matcher case`);
    log(cases.includes('matcher') ? 'matcher: draining the bus' : 'replay needs live state: draining the bus first (reported as setup)');
    const matcher = await inChild<MatcherResult>('matcher', [...args, String(meta.setup.summary.keys)]);
    meta = { ...meta, matched: true };
    save(meta);
    results.matcher = matcher;
    results.matcherAsSetup = !cases.includes('matcher');
    log(`matcher: ${matcher.received} events in ${matcher.seconds} s = ${matcher.eventsPerSecond}/s, peak RSS ${matcher.peakRssMb} MB`);
  }
  if (cases.includes('replay')) {
    log('replay: whole archive into a scratch shadow store, compared with live');
    results.replay = await inChild<ReplayResult>('replay', args);
    log(`replay: ${results.replay.events} events in ${results.replay.seconds} s = ${results.replay.eventsPerSecond}/s, peak RSS ${results.replay.peakRssMb} MB`);
  }
}

const TARGETS = { matcher: 30_000, replay: 50_000, rssMb: 500, ingest: 10_000, ingestP99Ms: 50, nightlySeconds: 10, nightlyRssMb: 1024 };

function printTable(r: Results): void {
  const rows: string[][] = [['case', 'events', 'seconds', 'CPU s', 'events/s', 'target', 'peak RSS MB', 'load (mean)', 'notes']];
  const s = r.setup;
  if (s)
    rows.push(['setup (archive+publish)', String(s.summary.events), String(s.seconds), String(s.cpuSeconds), String(Math.round(s.summary.events / s.seconds)), '—', String(s.peakRssMb), String(s.load.mean),
      `${s.summary.orders} orders, ${s.avgEventBytes} B/event, generate ${s.generateSeconds} s + write ${s.archivePublishSeconds} s`]);
  const m = r.matcher;
  if (m)
    rows.push([r.matcherAsSetup ? 'matcher (as replay setup)' : 'matcher', String(m.received), String(m.seconds), String(m.cpuSeconds), String(m.eventsPerSecond),
      r.matcherAsSetup ? '—' : `${TARGETS.matcher} ${m.eventsPerSecond >= TARGETS.matcher ? 'met' : 'MISSED'}`,
      r.matcherAsSetup ? String(m.peakRssMb) : `${m.peakRssMb} ${m.peakRssMb < TARGETS.rssMb ? 'ok' : 'OVER'}`, String(m.load.mean), `${m.docs}/${m.expectedDocs} docs ${m.docsMatch ? 'ok' : 'MISMATCH'}, ${m.duplicates} dups, ${m.rejected} rejected`]);
  const p = r.replay;
  if (p)
    rows.push(['replay', String(p.events), String(p.seconds), String(p.cpuSeconds), String(p.eventsPerSecond), `${TARGETS.replay} ${p.eventsPerSecond >= TARGETS.replay ? 'met' : 'MISSED'}`,
      `${p.peakRssMb} ${p.peakRssMb < TARGETS.rssMb ? 'ok' : 'OVER'}`, String(p.load.mean), `${p.orders} orders, ${p.differences} differences, ${p.unreadable} unreadable`]);
  const g = r.ingest;
  if (g) {
    const met = g.run.requestsPerSecond >= TARGETS.ingest && g.run.latencyMs.p99 < TARGETS.ingestP99Ms;
    rows.push([`ingest (serve ${g.service}, ${g.client}, ${g.connections} conn)`, String(g.run.ok), String(g.run.seconds), `${g.run.serverCpuSeconds} srv + ${g.run.clientCpuSeconds} cli`, String(g.run.requestsPerSecond),
      `${TARGETS.ingest}, p99<${TARGETS.ingestP99Ms}ms ${met ? 'met' : 'MISSED'}`, `${g.server.peakRssMb} (server)`, String(g.run.load.mean),
      `p50 ${g.run.latencyMs.p50} ms, p99 ${g.run.latencyMs.p99} ms, max ${g.run.latencyMs.max} ms; non-2xx ${g.run.non2xx}; archive ${g.archive.verified ? 'verified' : 'MISMATCH'} (${g.archive.okIdsArchived}/${g.archive.okIds} answered ids, +${g.archive.archivedWithoutResponse} in flight at stop)`]);
  }
  for (const n of r.nightly ?? []) {
    const p = n.report;
    const met = p.reportSecondsExcludingNarration < TARGETS.nightlySeconds && p.peakRssMb < TARGETS.nightlyRssMb;
    rows.push([`nightly${p.cold ? ' cold' : ''} (${n.open} open)`, `${n.orders} orders`, String(p.reportSecondsExcludingNarration), p.runsCpuSeconds.join('/'), '—', `<${TARGETS.nightlySeconds}s, <1GB ${met ? 'met' : 'MISSED'}`, `${p.peakRssMb} (${p.rssBeforeMb} before)`, String(p.load.mean),
      `runs ${p.runsSeconds.join('/')} s (median shown), read from disk ${p.runsStorageReadMb.join('/')} MB, scan+checks ${p.runsScanOpenSeconds.join('/')} s, count ${p.runsCountSeconds.join('/')} s; median: scan+checks ${p.scanOpenSeconds} s, count ${p.countSeconds} s, narration ${p.narrationSeconds} s; ${p.exceptions} exceptions; setup ${n.setup.seconds} s${n.setupReused ? ' (reused)' : ''}, fold check ${n.setup.checkedEqual}/${n.setup.checked}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  for (const [i, row] of rows.entries()) {
    process.stdout.write(`${row.map((c, j) => c.padEnd(widths[j]!)).join('  ')}\n`);
    if (i === 0) process.stdout.write(`${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
