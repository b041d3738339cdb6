// Runs the Archive contract against the SQLite archive in a temp dir, plus an appender in another process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import type { Archive, ArchivedEvent, ArchiveEntry } from '#shared/ports/archive.ts';
import { at, payment } from '../support/builders.ts';
import { archiveContract } from './archive.contract.ts';

archiveContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tieout-archive-'));
  const path = join(dir, 'archive.db');
  const opened: Archive[] = [];
  const open = async () => opened[opened.push(createSqliteArchive({ path })) - 1] as Archive;
  return {
    archive: await open(),
    reopen: open,
    cleanup: async () => {
      for (const archive of opened) await archive.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const WORKER = fileURLToPath(new URL('./fixtures/archive-append-worker.ts', import.meta.url));

const drain = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe('SQLite archive across processes', () => {
  it('given another process appending 5,000 entries, when this one scans and appends meanwhile, then every entry is there exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tieout-archive-procs-'));
    const path = join(dir, 'archive.db');
    const archive = createSqliteArchive({ path });
    try {
      const child = spawn(process.execPath, [WORKER, path, 'worker', '5000', '100', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let started!: () => void;
      const firstBatch = new Promise<void>((resolve) => (started = resolve));
      child.stdout.on('data', () => started());
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      let running = true;
      const exited = new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code) => {
          running = false;
          started();
          resolve(code);
        });
      });

      await firstBatch;
      const partialScans: number[] = [];
      let mine = 0;
      while (running) {
        const scanned: ArchivedEvent[] = await drain(archive.scanEvents({}, 250));
        const seqs = scanned.map((x) => x.seq);
        expect(new Set(scanned.map((x) => x.event.id)).size).toBe(scanned.length);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        const fromWorker = scanned.filter((x) => x.rawId.startsWith('worker:')).length;
        if (fromWorker > 0 && fromWorker < 5_000) partialScans.push(fromWorker);
        // a second writer on the same file, contending for the write lock
        const entries: ArchiveEntry[] = Array.from({ length: 10 }, (_, i) => {
          const n = mine + i;
          const receivedAt = at(n / 3600, '2026-11-21T00:00:00.000Z');
          return {
            raw: { id: `parent:raw:${n}`, system: 'stripe', topic: 'payment_intent.succeeded', receivedAt, headers: {}, body: '{}' },
            events: [{ ...payment({ pi: `pi_parent_${n}`, eventId: `parent:evt:${n}` }), receivedAt }],
          };
        });
        await archive.append(entries);
        mine += entries.length;
      }

      expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: '' });
      expect(partialScans.length).toBeGreaterThan(0);
      const events = await drain(archive.scanEvents({}));
      const worker = events.filter((x) => x.rawId.startsWith('worker:')).map((x) => x.event.id);
      expect(worker).toEqual(Array.from({ length: 5_000 }, (_, i) => `worker:evt:${i}`));
      expect(events.filter((x) => x.rawId.startsWith('parent:'))).toHaveLength(mine);
      expect(new Set(events.map((x) => x.event.id)).size).toBe(events.length);
      expect(await archive.countEvents()).toBe(5_000 + mine);
      const raws = await drain(archive.scanRaw({ rawIds: Array.from({ length: 5_000 }, (_, i) => `worker:raw:${i}`) }));
      expect(raws.map((r) => r.id)).toEqual(Array.from({ length: 5_000 }, (_, i) => `worker:raw:${i}`));
    } finally {
      await archive.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
