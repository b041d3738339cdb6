// The OrderStateStore contract: every adapter runs these cases.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyState, type OrderState } from '#shared/domain/order-state.ts';
import type { OrderStateStore, StoredOrder } from '#shared/ports/order-state-store.ts';

export type StoreHandle = { store: OrderStateStore; reopen?: () => Promise<OrderStateStore>; cleanup: () => Promise<void> };

const doc = (key: string, eventIds: string[] = [], open = false, updatedAt = '2026-11-20T10:00:00.000Z'): StoredOrder => ({
  state: { ...emptyState(key), eventIds, refs: [`order:${key}`] },
  open,
  updatedAt,
});

async function collect(it: AsyncIterable<StoredOrder>): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of it) keys.push(o.state.key);
  return keys;
}

/** Runs the contract against one adapter; `make` gives a fresh, empty store each time. */
export function orderStateStoreContract(name: string, make: () => Promise<StoreHandle>): void {
  describe(`OrderStateStore contract: ${name}`, () => {
    let h: StoreHandle;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.store.close();
      await h.cleanup();
    });

    it('given a committed put, get returns the document intact', async () => {
      const stored = doc('1001', ['e1', 'e2'], true);
      await h.store.transact(async (tx) => tx.put([stored]));
      expect(await h.store.get('1001')).toEqual(stored);
      expect(await h.store.get('nope')).toBeUndefined();
    });

    it('a transaction sees its own writes: puts, deletes and aliases', async () => {
      await h.store.transact(async (tx) => tx.put([doc('a')]));
      await h.store.transact(async (tx) => {
        tx.put([doc('b', ['x'])]);
        tx.delete(['a']);
        tx.setAliases([['payment:pi_1', 'b']]);
        expect([...(await tx.get(['a', 'b'])).keys()]).toEqual(['b']);
        expect((await tx.get(['b'])).get('b')?.state.eventIds).toEqual(['x']);
        expect(await tx.aliases(['payment:pi_1', 'payment:none'])).toEqual(new Map([['payment:pi_1', 'b']]));
      });
      expect(await h.store.get('a')).toBeUndefined();
      expect(await h.store.resolve('payment:pi_1')).toBe('b');
    });

    it('a transaction that throws writes nothing', async () => {
      await h.store.transact(async (tx) => tx.put([doc('keep')]));
      await expect(
        h.store.transact(async (tx) => {
          tx.put([doc('lost')]);
          tx.delete(['keep']);
          tx.setAliases([['payment:pi_lost', 'lost']]);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await h.store.get('lost')).toBeUndefined();
      expect(await h.store.get('keep')).toBeDefined();
      expect(await h.store.resolve('payment:pi_lost')).toBeUndefined();
    });

    it('concurrent read-modify-write transactions lose no update', async () => {
      await h.store.transact(async (tx) => tx.put([doc('hot')]));
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h.store.transact(async (tx) => {
            const cur = (await tx.get(['hot'])).get('hot') as StoredOrder;
            await new Promise((r) => setTimeout(r, i % 3));
            const state: OrderState = { ...cur.state, eventIds: [...cur.state.eventIds, `e${String(i).padStart(2, '0')}`].sort() };
            tx.put([{ ...cur, state }]);
          }),
        ),
      );
      expect((await h.store.get('hot'))?.state.eventIds).toHaveLength(50);
    });

    it('scans open documents, documents changed since an instant, and all, in key order', async () => {
      await h.store.transact(async (tx) =>
        tx.put([
          doc('3', [], true, '2026-11-21T00:00:00.000Z'),
          doc('1', [], false, '2026-11-19T00:00:00.000Z'),
          doc('2', [], true, '2026-11-20T00:00:00.000Z'),
          doc('payment:pi_9', [], false, '2026-11-22T00:00:00.000Z'),
        ]),
      );
      expect(await collect(h.store.scanOpen(1))).toEqual(['2', '3']);
      expect(await collect(h.store.scanChangedSince('2026-11-20T00:00:00.000Z', 2))).toEqual(['2', '3', 'payment:pi_9']);
      expect(await collect(h.store.scanAll(3))).toEqual(['1', '2', '3', 'payment:pi_9']);
      expect(await h.store.count()).toBe(4);
      await h.store.transact(async (tx) => tx.put([doc('3', [], false)]));
      expect(await collect(h.store.scanOpen())).toEqual(['2']);
    });

    it('handles transactions over many documents and aliases at once', async () => {
      const many = Array.from({ length: 2500 }, (_, i) => doc(String(10000 + i), [`e${i}`], i % 2 === 0));
      await h.store.transact(async (tx) => {
        tx.put(many);
        tx.setAliases(many.map((d) => [`shopify-order:45${d.state.key}`, d.state.key] as const));
      });
      await h.store.transact(async (tx) => {
        const keys = many.map((d) => d.state.key);
        expect((await tx.get(keys)).size).toBe(2500);
        expect((await tx.aliases(keys.map((k) => `shopify-order:45${k}`))).size).toBe(2500);
      });
      expect(await collect(h.store.scanOpen(100))).toHaveLength(1250);
    });

    it('survives a reopen (durable)', async (ctx) => {
      if (!h.reopen) return ctx.skip('this adapter keeps nothing across a reopen (in-memory, unit tests only)');
      await h.store.transact(async (tx) => {
        tx.put([doc('1001', ['e1'], true)]);
        tx.setAliases([['payment:pi_1', '1001']]);
      });
      await h.store.close();
      h.store = await h.reopen();
      expect((await h.store.get('1001'))?.state.eventIds).toEqual(['e1']);
      expect(await h.store.resolve('payment:pi_1')).toBe('1001');
    });
  });
}
