// Runs the EventBus contract against the SQLite bus in a temp dir, plus publishers in other processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { EventBus } from '#shared/ports/event-bus.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { eventBusContract } from './event-bus.contract.ts';

eventBusContract('sqlite', async (opts) => {
  const dir = mkdtempSync(join(tmpdir(), 'tieout-bus-'));
  const path = join(dir, 'bus.db');
  const opened: EventBus[] = [];
  const open = async () => opened[opened.push(createSqliteEventBus({ path, ...opts })) - 1] as EventBus;
  return {
    bus: await open(),
    reopen: open,
    cleanup: async () => {
      for (const bus of opened) await bus.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const WORKER = fileURLToPath(new URL('./fixtures/publish-worker.ts', import.meta.url));

/** Runs the publisher script in its own Node process; resolves with its exit code and stderr. */
function publishFrom(path: string, worker: string, count: number, batch: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, path, worker, String(count), String(batch)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('SQLite event bus file', () => {
  it('given messages acked in every subscription, then their rows are deleted, while dead letters keep theirs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tieout-bus-gc-'));
    const path = join(dir, 'bus.db');
    const bus = createSqliteEventBus({ path, subscriptions: ['matcher', 'archive'], maxAttempts: 1 });
    const rows = () => {
      const db = new DatabaseSync(path, { readOnly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM bus_messages').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    try {
      await bus.publish(['a', 'b', 'c'].map((id) => ({ id, orderingKey: id, attributes: {}, data: '{}' })));
      const lease = { max: 10, leaseMs: 60_000 };
      const [a, ...rest] = await bus.pull('matcher', lease);
      await bus.ack('matcher', rest.map((d) => d.ackId));
      await bus.nack('matcher', [a?.ackId as string], 'poison');
      expect(rows()).toBe(3);

      await bus.ack('archive', (await bus.pull('archive', lease)).map((d) => d.ackId));
      await bus.stats('matcher');

      expect(rows()).toBe(1);
      expect(await bus.deadLetters('matcher')).toMatchObject([{ id: 'a', error: 'poison' }]);
    } finally {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite event bus across processes', () => {
  it('given 3 processes publishing 2,000 messages each while this one pulls and acks, then each id arrives exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tieout-bus-procs-'));
    const path = join(dir, 'bus.db');
    const bus = createSqliteEventBus({ path, subscriptions: ['matcher'] });
    try {
      const received = new Map<string, number>();
      let done = false;
      const workers = Promise.all(['w0', 'w1', 'w2'].map((w) => publishFrom(path, w, 2_000, 100))).finally(() => (done = true));

      for (;;) {
        const finished = done; // read before pulling, so the last pull sees every publish
        const got = await bus.pull('matcher', { max: 250, leaseMs: 60_000 });
        for (const d of got) received.set(d.id, (received.get(d.id) ?? 0) + 1);
        await bus.ack('matcher', got.map((d) => d.ackId));
        if (got.length === 0) {
          if (finished) break;
          await sleep(5); // let the event loop see the workers' progress and exit
        }
      }

      const results = await workers;
      expect(results).toEqual([
        { code: 0, stderr: '' },
        { code: 0, stderr: '' },
        { code: 0, stderr: '' },
      ]);
      const expected = ['w0', 'w1', 'w2'].flatMap((w) => Array.from({ length: 2_000 }, (_, i) => `${w}-${i}`));
      expect(received.size).toBe(6_000);
      expect([...received.keys()].sort()).toEqual(expected.sort());
      expect([...received.values()].every((n) => n === 1)).toBe(true);
      expect(await bus.stats('matcher')).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
    } finally {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
