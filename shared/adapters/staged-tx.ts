// Staged writes over a store's reads: what every OrderStateStore adapter's transaction shares.
import type { OrderStateTx, StoredOrder } from '../ports/order-state-store.ts';

type Reads = {
  readonly readDocs: (keys: readonly string[]) => Promise<Map<string, StoredOrder>>;
  readonly readAliases: (refs: readonly string[]) => Promise<Map<string, string>>;
};

/**
 * A transaction handle whose writes are staged in memory and visible to its own later reads;
 * `writes()` hands the adapter what to commit.
 */
export function createStagedTx(reads: Reads) {
  const puts = new Map<string, StoredOrder>();
  const deletes = new Set<string>();
  const aliases = new Map<string, string>();
  const tx: OrderStateTx = {
    async get(keys) {
      const unknown = keys.filter((k) => !puts.has(k) && !deletes.has(k));
      const found = unknown.length > 0 ? await reads.readDocs(unknown) : new Map<string, StoredOrder>();
      const out = new Map<string, StoredOrder>();
      for (const k of keys) {
        const doc = puts.get(k) ?? (deletes.has(k) ? undefined : found.get(k));
        if (doc) out.set(k, doc);
      }
      return out;
    },
    async aliases(refs) {
      const unknown = refs.filter((r) => !aliases.has(r));
      const found = unknown.length > 0 ? await reads.readAliases(unknown) : new Map<string, string>();
      const out = new Map<string, string>();
      for (const r of refs) {
        const key = aliases.get(r) ?? found.get(r);
        if (key !== undefined) out.set(r, key);
      }
      return out;
    },
    put(orders) {
      for (const o of orders) {
        puts.set(o.state.key, o);
        deletes.delete(o.state.key);
      }
    },
    delete(keys) {
      for (const k of keys) {
        puts.delete(k);
        deletes.add(k);
      }
    },
    setAliases(entries) {
      for (const [ref, key] of entries) aliases.set(ref, key);
    },
  };
  return { tx, writes: () => ({ puts: [...puts.values()], deletes: [...deletes], aliases: [...aliases.entries()] }) };
}

/** Runs async jobs one at a time, in call order (a process-local write queue). */
export function createSerializer() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(job: () => Promise<T>): Promise<T> => {
    const run = tail.then(job, job);
    tail = run.catch(() => undefined);
    return run;
  };
}
