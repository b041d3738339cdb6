// Replay: re-normalize archived raw payloads with today's code, rebuild state, and compare with live.
import { runChecks, type CheckConfig } from '#shared/domain/checks.ts';
import type { OrderState } from '#shared/domain/order-state.ts';
import { canonicalJson } from '#shared/domain/order-state.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import type { Archive, ScanFilter } from '#shared/ports/archive.ts';
import type { OrderStateStore, StoredOrder } from '#shared/ports/order-state-store.ts';
import { normalizeRaw } from '#shared/sources/registry.ts';
import type { NormalizeContext } from '#shared/sources/source.ts';
import { foldEvents } from './fold.ts';

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
  /**
   * An empty store to rebuild into (the shadow). Its size, not the process's memory, bounds how
   * much history can be replayed: give a scratch file for a whole archive.
   */
  readonly shadow: OrderStateStore;
  readonly checkConfig: CheckConfig;
  readonly normalize: NormalizeContext;
  readonly now: () => string;
  /** Called every few thousand payloads with (done, expected total). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Events folded into the shadow per transaction. */
  readonly batchEvents?: number;
};

const MAX_PATHS = 6;
const BATCH_EVENTS = 5_000;

const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Deep equality of two JSON values, whatever the order of object keys (cheap, allocation-free). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    if (ra[k] === undefined) continue;
    n++;
    if (!Object.hasOwn(rb, k) || !sameJson(ra[k], rb[k])) return false;
  }
  for (const k in rb) if (rb[k] !== undefined) n--;
  return n === 0;
}

/** Paths at which two JSON values differ, depth-first, at most `limit`. */
export function diffPaths(a: unknown, b: unknown, limit = MAX_PATHS, prefix = ''): string[] {
  if (sameJson(a, b) || canonicalJson(a) === canonicalJson(b)) return [];
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
 * compares them with live state. The rebuild folds events into the shadow store in batches with
 * the matcher's own fold, so replay and the live matcher cannot disagree on how events combine,
 * and memory stays bounded by the batch, not the archive. With no selection the whole archive is
 * replayed and compared with every live document, both streamed in key order; with `--from/--to`
 * or `--order`, every order the selection touches is rebuilt from its full archived history, so
 * the comparison is exact rather than a partial window. With `into: 'live'` the rebuilt documents
 * replace the live ones.
 */
export async function replay(deps: ReplayDeps, selection: ReplaySelection, into: 'shadow' | 'live'): Promise<ReplayResult> {
  const { shadow } = deps;
  const full = selection.from === undefined && selection.to === undefined && selection.order === undefined;
  // A partial replay folds twice (the selection, then the rest of each touched order's history):
  // remember what was folded so a payload counts once. The full scan sees each payload once.
  const seenRaw = full ? undefined : new Set<string>();
  const unreadable: { id: string; error: string }[] = [];
  let payloads = 0;
  let events = 0;
  const batchEvents = deps.batchEvents ?? BATCH_EVENTS;
  const now = deps.now();

  const fold = async (filter: ScanFilter, total: number) => {
    let done = 0;
    let pending: CanonicalEvent[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      await shadow.transact((tx) => foldEvents(tx, batch, { checkConfig: deps.checkConfig, now, openFlag: false }));
    };
    for await (const raw of deps.archive.scanRaw(filter)) {
      done++;
      if (deps.onProgress && done % 5000 === 0) deps.onProgress(done, total);
      if (seenRaw) {
        if (seenRaw.has(raw.id)) continue;
        seenRaw.add(raw.id);
      }
      payloads++;
      const result = normalizeRaw(raw, deps.normalize);
      if (!result.ok) {
        unreadable.push({ id: raw.id, error: result.errors.join('; ') });
        continue;
      }
      events += result.value.length;
      for (const e of result.value) pending.push(e);
      if (pending.length >= batchEvents) await flush();
    }
    await flush();
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
  const compare = (key: string, rebuilt: OrderState | undefined, live: OrderState | undefined) => {
    if (rebuilt && !live) differences.push({ key, change: 'added', paths: [] });
    else if (!rebuilt && live) differences.push({ key, change: 'removed', paths: [] });
    else if (rebuilt && live && !sameJson(live, rebuilt)) {
      const paths = diffPaths(live, rebuilt);
      if (paths.length > 0) differences.push({ key, change: 'changed', paths });
    }
  };

  if (full) {
    // Merge-join the two stores in key order: memory holds one page of each, whatever their size.
    const rebuiltIt = shadow.scanAll()[Symbol.asyncIterator]();
    const liveIt = deps.store.scanAll()[Symbol.asyncIterator]();
    let r = await rebuiltIt.next();
    let l = await liveIt.next();
    while (!r.done || !l.done) {
      const rk = r.done ? undefined : r.value.state.key;
      const lk = l.done ? undefined : l.value.state.key;
      if (rk !== undefined && (lk === undefined || rk < lk)) {
        compare(rk, (r.value as StoredOrder).state, undefined);
        r = await rebuiltIt.next();
      } else if (lk !== undefined && (rk === undefined || lk < rk)) {
        compare(lk, undefined, (l.value as StoredOrder).state);
        l = await liveIt.next();
      } else {
        compare(rk as string, (r.value as StoredOrder).state, (l.value as StoredOrder).state);
        r = await rebuiltIt.next();
        l = await liveIt.next();
      }
    }
  } else {
    // Every live document the rebuilt orders touch: the same keys, and any key their references point to.
    const rebuiltKeys: string[] = [];
    const refs = new Set<string>();
    for await (const d of shadow.scanAll()) {
      rebuiltKeys.push(d.state.key);
      for (const r of d.state.refs) refs.add(r);
    }
    const liveDocs = new Map<string, StoredOrder>();
    const addLive = async (keys: Iterable<string>) => {
      for (const k of keys) {
        if (liveDocs.has(k)) continue;
        const d = await deps.store.get(k);
        if (d) liveDocs.set(k, d);
      }
    };
    await addLive(rebuiltKeys);
    const refTargets = new Set<string>();
    for (const r of refs) {
      const k = await deps.store.resolve(r);
      if (k !== undefined) refTargets.add(k);
    }
    await addLive(refTargets);
    // Complete their history: fold everything the live documents were built from.
    const eventIds = [...liveDocs.values()].flatMap((d) => d.state.eventIds);
    await fold({ rawIds: await rawIdsOf(deps.archive, eventIds) }, eventIds.length);
    for await (const d of shadow.scanAll()) {
      compare(d.state.key, d.state, liveDocs.get(d.state.key)?.state);
    }
    for (const [key, d] of liveDocs) if ((await shadow.get(key)) === undefined) compare(key, undefined, d.state);
  }
  differences.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  if (into === 'live' && differences.length > 0) await writeLive(deps, differences);
  return { payloads, events, unreadable, orders: await shadow.count(), differences, wroteLive: into === 'live' && differences.length > 0 };
}

async function rawIdsOf(archive: Archive, eventIds: readonly string[]): Promise<string[]> {
  const ids = new Set<string>();
  if (eventIds.length === 0) return [];
  for await (const a of archive.scanEvents({ eventIds })) ids.add(a.rawId);
  return [...ids];
}

async function writeLive(deps: ReplayDeps, differences: readonly ReplayDifference[]): Promise<void> {
  const now = deps.now();
  const BATCH = 500;
  for (let i = 0; i < differences.length; i += BATCH) {
    const part = differences.slice(i, i + BATCH);
    const changed: OrderState[] = [];
    for (const d of part) {
      if (d.change === 'removed') continue;
      const doc = await deps.shadow.get(d.key);
      if (doc) changed.push(doc.state);
    }
    const aliases: (readonly [string, string])[] = [];
    for (const s of changed) for (const r of s.refs) aliases.push([r, (await deps.shadow.resolve(r)) ?? s.key]);
    await deps.store.transact(async (tx) => {
      tx.put(changed.map((state): StoredOrder => ({ state, open: runChecks(state, deps.checkConfig).length > 0, updatedAt: now })));
      tx.delete(part.filter((d) => d.change === 'removed').map((d) => d.key));
      tx.setAliases(aliases);
    });
  }
}
