// An in-memory order state store for unit tests only: same semantics as the embedded one, no disk.
import type { OrderStateStore, StoredOrder } from '../../ports/order-state-store.ts';
import { createSerializer, createStagedTx } from '../staged-tx.ts';

/** Creates an empty in-memory store (lost when the process ends). */
export function createMemoryOrderStateStore(): OrderStateStore {
  const docs = new Map<string, string>();
  const aliases = new Map<string, string>();
  const serialize = createSerializer();
  // Documents are kept serialized so callers can never mutate stored state by reference.
  const load = (k: string) => {
    const s = docs.get(k);
    return s === undefined ? undefined : (JSON.parse(s) as StoredOrder);
  };
  async function* scan(pred: (o: StoredOrder) => boolean): AsyncIterable<StoredOrder> {
    for (const k of [...docs.keys()].sort()) {
      const o = load(k);
      if (o && pred(o)) yield o;
    }
  }
  return {
    transact(fn) {
      return serialize(async () => {
        const staged = createStagedTx({
          readDocs: async (keys) => new Map(keys.flatMap((k) => (docs.has(k) ? [[k, load(k) as StoredOrder] as const] : []))),
          readAliases: async (refs) => new Map(refs.flatMap((r) => (aliases.has(r) ? [[r, aliases.get(r) as string] as const] : []))),
        });
        const result = await fn(staged.tx);
        const w = staged.writes();
        for (const o of w.puts) docs.set(o.state.key, JSON.stringify(o));
        for (const k of w.deletes) docs.delete(k);
        for (const [r, k] of w.aliases) aliases.set(r, k);
        return result;
      });
    },
    async get(key) {
      return load(key);
    },
    async resolve(ref) {
      return aliases.get(ref);
    },
    scanOpen: () => scan((o) => o.open),
    scanChangedSince: (since) => scan((o) => o.updatedAt >= since),
    scanAll: () => scan(() => true),
    async count() {
      return docs.size;
    },
    async close() {},
  };
}
