// A write-back cache in front of an order state store, for a single private writer (a replay's shadow).
import type { OrderStateStore, OrderStateTx, StoredOrder } from '../ports/order-state-store.ts';
import { createSerializer, createStagedTx } from './staged-tx.ts';

export type WriteBackOptions = {
  /** Documents held in memory; past this, every dirty document is written and the older half dropped. */
  readonly maxDocs: number;
};

/**
 * Keeps recently used documents and aliases in memory and writes them to `inner` in large batches:
 * only when the cache is full, and before any scan or count. A transaction commits to memory, so it
 * is atomic within this process but durable only after the next flush (or `close`).
 *
 * Only for a store nobody else writes to while this is open (a scratch shadow): it never checks
 * `inner` for other writers' changes.
 */
export function createWriteBackStore(inner: OrderStateStore, options: WriteBackOptions): OrderStateStore {
  const maxDocs = Math.max(1, options.maxDocs);
  const maxAliases = maxDocs * 10;
  // null: known absent (deleted here, or looked up and not found).
  const docs = new Map<string, StoredOrder | null>();
  const aliases = new Map<string, string | null>();
  const dirtyDocs = new Set<string>();
  const dirtyAliases = new Set<string>();
  const serialize = createSerializer();

  const touch = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
  };

  async function flush(): Promise<void> {
    if (dirtyDocs.size === 0 && dirtyAliases.size === 0) return;
    const puts: StoredOrder[] = [];
    const deletes: string[] = [];
    for (const k of dirtyDocs) {
      const d = docs.get(k);
      if (d) puts.push(d);
      else deletes.push(k);
    }
    const changed: [string, string][] = [];
    for (const r of dirtyAliases) {
      const k = aliases.get(r);
      if (k != null) changed.push([r, k]);
    }
    await inner.transact(async (tx) => {
      tx.put(puts);
      tx.delete(deletes);
      tx.setAliases(changed);
    });
    dirtyDocs.clear();
    dirtyAliases.clear();
  }

  /** Everything dirty is written first, so whatever is dropped is clean. */
  async function shrink(): Promise<void> {
    if (docs.size <= maxDocs && aliases.size <= maxAliases) return;
    await flush();
    for (const [map, max] of [[docs, maxDocs], [aliases, maxAliases]] as const) {
      let drop = map.size - Math.floor(max / 2);
      for (const k of map.keys()) {
        if (drop-- <= 0) break;
        map.delete(k);
      }
    }
  }

  const readThrough = async <V>(map: Map<string, V | null>, wanted: readonly string[], read: (missing: string[]) => Promise<Map<string, V>>) => {
    const out = new Map<string, V>();
    const missing: string[] = [];
    for (const k of wanted) {
      const hit = map.get(k);
      if (hit === undefined) missing.push(k);
      else if (hit !== null) out.set(k, hit);
    }
    if (missing.length > 0) {
      const found = await read([...new Set(missing)]);
      for (const k of missing) {
        const v = found.get(k);
        if (v !== undefined) out.set(k, v);
        if (!map.has(k)) map.set(k, v ?? null);
      }
    }
    return out;
  };
  const readDocs = (keys: readonly string[]) => readThrough(docs, keys, (missing) => inner.transact((tx) => tx.get(missing)));
  const readAliases = (refs: readonly string[]) => readThrough(aliases, refs, (missing) => inner.transact((tx) => tx.aliases(missing)));

  const flushed = <T>(job: () => Promise<T>) => serialize(async () => {
    await flush();
    return job();
  });
  async function* scanFlushed(scan: () => AsyncIterable<StoredOrder>): AsyncIterable<StoredOrder> {
    await serialize(flush);
    yield* scan();
  }

  return {
    transact<T>(fn: (tx: OrderStateTx) => Promise<T>): Promise<T> {
      return serialize(async () => {
        const staged = createStagedTx({ readDocs, readAliases });
        const result = await fn(staged.tx);
        const { puts, deletes, aliases: changed } = staged.writes();
        for (const o of puts) {
          touch(docs, o.state.key, o);
          dirtyDocs.add(o.state.key);
        }
        for (const k of deletes) {
          touch<StoredOrder | null>(docs, k, null);
          dirtyDocs.add(k);
        }
        for (const [r, k] of changed) {
          touch<string | null>(aliases, r, k);
          dirtyAliases.add(r);
        }
        await shrink();
        return result;
      });
    },
    get: (key) => serialize(async () => (await readDocs([key])).get(key)),
    resolve: (ref) => serialize(async () => (await readAliases([ref])).get(ref)),
    scanOpen: (batchSize) => scanFlushed(() => inner.scanOpen(batchSize)),
    scanChangedSince: (since, batchSize) => scanFlushed(() => inner.scanChangedSince(since, batchSize)),
    scanAll: (batchSize) => scanFlushed(() => inner.scanAll(batchSize)),
    count: () => flushed(() => inner.count()),
    async close() {
      await serialize(flush);
      await inner.close();
    },
  };
}
