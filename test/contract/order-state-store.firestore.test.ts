// The OrderStateStore contract against the Firestore adapter, on gcloud's Firestore emulator (skipped, with the reason, when absent).
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createFirestoreOrderStateStore, docId, FirestoreWriteLimitError } from '#shared/adapters/gcp/firestore-order-state-store.ts';
import { emptyState } from '#shared/domain/order-state.ts';
import type { StoredOrder } from '#shared/ports/order-state-store.ts';
import { startEmulator } from '../support/gcloud-emulator.ts';
import { orderStateStoreContract } from './order-state-store.contract.ts';

const PROJECT = 'tieout-test';
// Off Google Cloud there is no metadata server; do not let Google's auth library probe for one.
process.env.METADATA_SERVER_DETECTION ??= 'none';
// Started while the file is collected, not in beforeAll: whether the suite runs or is skipped (with the
// reason) must be known before vitest registers its cases.
const emulator = await startEmulator('firestore');
const host = 'host' in emulator ? emulator.host : undefined;
afterAll(async () => {
  if ('stop' in emulator) await emulator.stop();
});

/** A store on the emulator under a fresh collection prefix, so cases never see each other's documents. */
const open = (prefix: string) => createFirestoreOrderStateStore({ projectId: PROJECT, collectionPrefix: prefix, host: host as string });
const freshPrefix = () => `t${randomUUID().replaceAll('-', '')}`;

describe.skipIf(host === undefined)('OrderStateStore firestore', () => {
  orderStateStoreContract('firestore (emulator)', async () => {
    const prefix = freshPrefix();
    return { store: open(prefix), reopen: async () => open(prefix), cleanup: async () => {} };
  });

  it('document ids are hash-prefixed and hold any key, including / and the reserved dot names', async () => {
    expect(docId('1001')).toMatch(/^[0-9a-f]{4}_1001$/);
    expect(docId('payment:pi_1/x')).not.toContain('/');
    expect(docId('1001').slice(0, 4)).not.toBe(docId('1002').slice(0, 4));
    expect(docId('k'.repeat(2_000))).toMatch(/^[0-9a-f]{4}~[0-9a-f]{64}$/);
    const store = open(freshPrefix());
    const keys = ['payment:pi_3N/x', '..', '__x__', 'k'.repeat(2_000), 'ünï 😀'];
    const docs: StoredOrder[] = keys.map((k) => ({ state: emptyState(k), open: true, updatedAt: '2026-11-20T00:00:00.000Z' }));
    await store.transact(async (tx) => {
      tx.put(docs);
      tx.setAliases(keys.map((k) => [`ref:${k}`, k] as const));
    });
    for (const k of keys) {
      expect((await store.get(k))?.state.key).toBe(k);
      expect(await store.resolve(`ref:${k}`)).toBe(k);
    }
    // Key order is UTF-8 byte order, as in SQLite.
    expect(await collectKeys(store.scanOpen(2))).toEqual(['..', '__x__', 'k'.repeat(2_000), 'payment:pi_3N/x', 'ünï 😀']);
    await store.close();
  });

  // The contract's concurrency case runs inside one store, whose transactions are queued; this one races
  // three clients (as three matcher instances would), so Firestore's own locking and retries are what hold.
  it('three clients on the same collections read-modify-write one document without losing an update', async () => {
    const prefix = freshPrefix();
    const [a, b, c] = [open(prefix), open(prefix), open(prefix)];
    const clients = [a, b, c];
    await a.transact(async (tx) => tx.put([{ state: emptyState('hot'), open: false, updatedAt: '2026-11-20T00:00:00.000Z' }]));
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (clients[i % 3] as typeof a).transact(async (tx) => {
          const cur = (await tx.get(['hot'])).get('hot') as StoredOrder;
          tx.put([{ ...cur, state: { ...cur.state, eventIds: [...cur.state.eventIds, `e${String(i).padStart(2, '0')}`].sort() } }]);
        }),
      ),
    );
    expect((await b.get('hot'))?.state.eventIds).toHaveLength(12);
    await Promise.all(clients.map((client) => client.close()));
  }, 60_000);

  it('scans changed documents across day boundaries and pages, in key order', async () => {
    const store = open(freshPrefix());
    const at: Record<string, string> = {
      a: '2026-11-19T23:59:59.999Z',
      b: '2026-11-20T11:59:59.999Z',
      c: '2026-11-20T12:00:00.000Z',
      d: '2026-11-20T23:00:00.000Z',
      e: '2026-11-21T00:00:00.000Z',
      'payment:pi_1': '2026-12-01T00:00:00.000Z',
      f: '2027-01-01T00:00:00.000Z',
    };
    await store.transact(async (tx) => tx.put(Object.entries(at).map(([k, updatedAt]) => ({ state: emptyState(k), open: false, updatedAt }))));
    for (const size of [1, 2, 500]) expect(await collectKeys(store.scanChangedSince('2026-11-20T12:00:00.000Z', size))).toEqual(['c', 'd', 'e', 'f', 'payment:pi_1']);
    expect(await collectKeys(store.scanChangedSince('2028-01-01T00:00:00.000Z'))).toEqual([]);
    expect(await store.count()).toBe(7);
    await store.close();
  });

  it('refuses a document over 1 MiB before sending it, and writes nothing of that transaction', async () => {
    const store = open(freshPrefix());
    const big: StoredOrder = { state: { ...emptyState('big'), eventIds: Array.from({ length: 80_000 }, (_, i) => `evt_${String(i).padStart(10, '0')}`) }, open: false, updatedAt: '2026-11-20T00:00:00.000Z' };
    await expect(store.transact(async (tx) => tx.put([{ ...big, state: emptyState('small') }, big]))).rejects.toThrow(/order big .*\(1 MiB\)/);
    expect(await store.get('small')).toBeUndefined();
    await store.close();
  });

  it('refuses a commit over 10 MiB with the advice to use smaller batches', async () => {
    const store = open(freshPrefix());
    const eventIds = Array.from({ length: 30_000 }, (_, i) => `evt_${String(i).padStart(10, '0')}`);
    const docs: StoredOrder[] = Array.from({ length: 24 }, (_, i) => ({ state: { ...emptyState(`o${i}`), eventIds }, open: false, updatedAt: '2026-11-20T00:00:00.000Z' }));
    const attempt = store.transact(async (tx) => tx.put(docs));
    await expect(attempt).rejects.toBeInstanceOf(FirestoreWriteLimitError);
    await expect(attempt).rejects.toThrow(/10 MiB\): use smaller batches/);
    expect(await store.count()).toBe(0);
    await store.close();
  });
});

if (host === undefined) {
  describe('OrderStateStore firestore', () => {
    it.skip(`firestore emulator unavailable: ${'skipped' in emulator ? emulator.skipped : ''}`, () => {});
  });
}

async function collectKeys(it: AsyncIterable<StoredOrder>): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of it) keys.push(o.state.key);
  return keys;
}
