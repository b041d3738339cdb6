import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import { createScratchOrderStateStore, createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { createWriteBackStore } from '#shared/adapters/write-back-store.ts';
import { emptyState } from '#shared/domain/order-state.ts';
import { orderStateStoreContract } from './order-state-store.contract.ts';

// A cache of two documents: nearly every case makes it flush and drop, so reads must come back from the file.
orderStateStoreContract('write-back cache (2 documents) over sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tieout-write-back-'));
  const open = () => createWriteBackStore(createSqliteOrderStateStore({ path: join(dir, 'state.sqlite') }), { maxDocs: 2 });
  return { store: open(), reopen: async () => open(), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

orderStateStoreContract('scratch sqlite store', async () => ({ store: createScratchOrderStateStore(), cleanup: async () => {} }));

it('write-back holds writes in memory until it is full, a scan or a close, then writes them in one go', async () => {
  const inner = createMemoryOrderStateStore();
  let commits = 0;
  const counted = { ...inner, transact: <T>(fn: Parameters<typeof inner.transact<T>>[0]) => (commits++, inner.transact(fn)) };
  const store = createWriteBackStore(counted, { maxDocs: 100 });
  const doc = (key: string) => ({ state: emptyState(key), open: false, updatedAt: '2026-11-20T10:00:00.000Z' });
  for (let i = 0; i < 50; i++) await store.transact(async (tx) => tx.put([doc(`k${i}`)]));
  expect(await inner.count()).toBe(0);
  expect((await store.get('k7'))?.state.key).toBe('k7');
  expect(await store.count()).toBe(50);
  expect(await inner.count()).toBe(50);
  const before = commits;
  for (let i = 50; i < 160; i++) await store.transact(async (tx) => tx.put([doc(`k${i}`)]));
  expect(commits - before).toBeLessThanOrEqual(3); // reads of absent keys and one flush when it passed 100
  await store.close();
  expect(await inner.count()).toBe(160);
});
