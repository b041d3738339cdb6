import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { emptyState } from '#shared/domain/order-state.ts';
import { orderStateStoreContract } from './order-state-store.contract.ts';

orderStateStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tieout-state-'));
  const path = join(dir, 'state.sqlite');
  return { store: createSqliteOrderStateStore({ path }), reopen: async () => createSqliteOrderStateStore({ path }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('OrderStateStore sqlite: several processes', () => {
  it('concurrent read-modify-write from three processes loses no update', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tieout-state-mp-'));
    const path = join(dir, 'state.sqlite');
    const store = createSqliteOrderStateStore({ path });
    await store.transact(async (tx) => tx.put([{ state: emptyState('hot'), open: false, updatedAt: '2026-11-20T00:00:00.000Z' }]));
    const worker = fileURLToPath(new URL('./fixtures/state-rmw-worker.ts', import.meta.url));
    const run = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [worker, path, name, '150'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${name} exited ${code}: ${err}`))));
      });
    await Promise.all([run('a'), run('b'), run('c')]);
    const hot = await store.get('hot');
    expect(hot?.state.eventIds).toHaveLength(450);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
