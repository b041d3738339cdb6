// Replay: re-normalize archived raw payloads with today's code, rebuild state, and compare with live.
import { runChecks, type CheckConfig } from '#shared/domain/checks.ts';
import type { OrderState } from '#shared/domain/order-state.ts';
import { canonicalJson } from '#shared/domain/order-state.ts';
import { applyEvent, createLedger, type Ledger } from '#shared/domain/routing.ts';
import type { Archive, RawRecord, ScanFilter } from '#shared/ports/archive.ts';
import type { OrderStateStore, StoredOrder } from '#shared/ports/order-state-store.ts';
import { normalizeRaw } from '#shared/sources/registry.ts';
import type { NormalizeContext } from '#shared/sources/source.ts';

export type ReplaySelection = { readonly from?: string; readonly to?: string; readonly order?: string };

/** One key whose rebuilt state differs from live state. */
export type ReplayDifference = {
  readonly key: string;
  readonly change: 'added' | 'removed' | 'changed';
  /** Up to a handful of paths that differ (`storefront.orders.450789469.data.financialStatus`). */
  readonly paths: readonly string[];
};

export type ReplayResult = {
  readonly payloads: number;
  readonly events: number;
  /** Payloads today's code cannot read (they would be quarantined). */
  readonly unreadable: readonly { readonly id: string; readonly error: string }[];
  readonly orders: number;
  readonly differences: readonly ReplayDifference[];
  readonly wroteLive: boolean;
};

export type ReplayDeps = {
  readonly archive: Archive;
  readonly store: OrderStateStore;
  readonly checkConfig: CheckConfig;
  readonly normalize: NormalizeContext;
  readonly now: () => string;
  /** Called every few thousand payloads with (done, expected total). */
  readonly onProgress?: (done: number, total: number) => void;
};

const MAX_PATHS = 6;

/** Paths at which two JSON values differ, depth-first, at most `limit`. */
export function diffPaths(a: unknown, b: unknown, limit = MAX_PATHS, prefix = ''): string[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  if (!isObj(a) || !isObj(b)) return [prefix || '(root)'];
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (out.length >= limit) break;
    out.push(...diffPaths(a[k], b[k], limit - out.length, prefix ? `${prefix}.${k}` : k));
  }
  return out;
}

/**
 * Rebuilds the selected orders from their archived raw payloads with today's normalizers and
 * compares them with live state. With no selection the whole archive is replayed and every live
 * document is compared; with `--from/--to` or `--order`, every order the selection touches is
 * rebuilt from its full archived history, so the comparison is exact rather than a partial window.
 * With `into: 'live'` the rebuilt documents replace the live ones.
 */
export async function replay(deps: ReplayDeps, selection: ReplaySelection, into: 'shadow' | 'live'): Promise<ReplayResult> {
  const ledger = createLedger();
  const seenRaw = new Set<string>();
  const unreadable: { id: string; error: string }[] = [];
  let events = 0;
  const full = selection.from === undefined && selection.to === undefined && selection.order === undefined;

  const fold = async (filter: ScanFilter, total: number) => {
    let done = 0;
    for await (const raw of deps.archive.scanRaw(filter)) {
      done++;
      if (deps.onProgress && done % 5000 === 0) deps.onProgress(done, total);
      if (seenRaw.has(raw.id)) continue;
      seenRaw.add(raw.id);
      events += foldRaw(ledger, raw, deps.normalize, unreadable);
    }
    deps.onProgress?.(done, total);
  };

  if (selection.order !== undefined) {
    const live = await deps.store.get(selection.order);
    if (live) await fold({ rawIds: await rawIdsOf(deps.archive, live.state.eventIds) }, live.state.eventIds.length);
  } else {
    const filter: ScanFilter = { ...(selection.from ? { from: selection.from } : {}), ...(selection.to ? { to: selection.to } : {}) };
    await fold(filter, await deps.archive.countEvents(filter));
  }

  const differences: ReplayDifference[] = [];
  const compare = (key: string, live: OrderState | undefined) => {
    const rebuilt = ledger.docs.get(key);
    if (rebuilt && !live) differences.push({ key, change: 'added', paths: [] });
    else if (!rebuilt && live) differences.push({ key, change: 'removed', paths: [] });
    else if (rebuilt && live) {
      const paths = diffPaths(live, rebuilt);
      if (paths.length > 0) differences.push({ key, change: 'changed', paths });
    }
  };

  if (full) {
    // Stream live state in key order rather than holding it: memory is the rebuilt ledger only.
    const seen = new Set<string>();
    for await (const d of deps.store.scanAll()) {
      seen.add(d.state.key);
      compare(d.state.key, d.state);
    }
    for (const key of ledger.docs.keys()) if (!seen.has(key)) compare(key, undefined);
  } else {
    // Every live document the rebuilt orders touch: the same keys, and any key their references point to.
    const liveDocs = new Map<string, StoredOrder>();
    const addLive = async (keys: Iterable<string>) => {
      for (const k of keys) {
        if (liveDocs.has(k)) continue;
        const d = await deps.store.get(k);
        if (d) liveDocs.set(k, d);
      }
    };
    await addLive(ledger.docs.keys());
    const refTargets = new Set<string>();
    for (const doc of ledger.docs.values())
      for (const r of doc.refs) {
        const k = await deps.store.resolve(r);
        if (k !== undefined) refTargets.add(k);
      }
    await addLive(refTargets);
    // Complete their history: fold everything the live documents were built from.
    const eventIds = [...liveDocs.values()].flatMap((d) => d.state.eventIds);
    await fold({ rawIds: await rawIdsOf(deps.archive, eventIds) }, eventIds.length);
    for (const key of [...new Set([...ledger.docs.keys(), ...liveDocs.keys()])]) compare(key, liveDocs.get(key)?.state);
  }
  differences.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  if (into === 'live' && differences.length > 0) await writeLive(deps, ledger, differences);
  return { payloads: seenRaw.size, events, unreadable, orders: ledger.docs.size, differences, wroteLive: into === 'live' && differences.length > 0 };
}

function foldRaw(ledger: Ledger, raw: RawRecord, ctx: NormalizeContext, unreadable: { id: string; error: string }[]): number {
  const result = normalizeRaw(raw, ctx);
  if (!result.ok) {
    unreadable.push({ id: raw.id, error: result.errors.join('; ') });
    return 0;
  }
  for (const e of result.value) applyEvent(ledger, e);
  return result.value.length;
}

async function rawIdsOf(archive: Archive, eventIds: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  if (eventIds.length === 0) return [];
  for await (const a of archive.scanEvents({ eventIds })) ids.add(a.rawId);
  return [...ids];
}

async function writeLive(deps: ReplayDeps, ledger: Ledger, differences: readonly ReplayDifference[]): Promise<void> {
  const now = deps.now();
  const stored = (state: OrderState): StoredOrder => ({ state, open: runChecks(state, deps.checkConfig).length > 0, updatedAt: now });
  const changed = differences.filter((d) => d.change !== 'removed').map((d) => ledger.docs.get(d.key) as OrderState);
  const removed = differences.filter((d) => d.change === 'removed').map((d) => d.key);
  const BATCH = 500;
  for (let i = 0; i < Math.max(changed.length, removed.length); i += BATCH) {
    await deps.store.transact(async (tx) => {
      const part = changed.slice(i, i + BATCH);
      tx.put(part.map(stored));
      tx.delete(removed.slice(i, i + BATCH));
      tx.setAliases(part.flatMap((s) => s.refs.map((r) => [r, ledger.aliases.get(r) ?? s.key] as const)));
    });
  }
}
