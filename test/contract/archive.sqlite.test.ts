// Runs the Archive contract against the SQLite archive in a temp dir, plus an appender in another process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_MIGRATIONS, createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { openDatabase } from '#shared/adapters/sqlite/database.ts';
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

describe('SQLite archive upgrades', () => {
  it('given an archive written before events named their payload by seq, when opened, then old and new events are found by raw id, each through an index, and no old row was rewritten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tieout-archive-upgrade-'));
    const path = join(dir, 'archive.db');
    try {
      const old = openDatabase(path, { migrations: ARCHIVE_MIGRATIONS.slice(0, 1) });
      const insertRaw = old.prepare(`INSERT INTO raw (id, system, topic, received_at, headers, body) VALUES (?, 'stripe', 'charge.succeeded', ?, '{}', '{}')`);
      const insertEvent = old.prepare(`INSERT INTO events (id, raw_id, kind, received_at, occurred_at, json) VALUES (?, ?, 'payment', ?, ?, ?)`);
      for (let i = 0; i < 30; i += 1) {
        const receivedAt = at(i / 60, '2026-11-21T00:00:00.000Z');
        insertRaw.run(`old:raw:${i}`, receivedAt);
        const event = { ...payment({ pi: `pi_old_${i}`, eventId: `old:evt:${i}` }), receivedAt };
        insertEvent.run(event.id, `old:raw:${i}`, receivedAt, event.occurredAt, JSON.stringify(event));
      }
      old.close();

      const archive = createSqliteArchive({ path });
      try {
        const wanted = ['old:raw:3', 'old:raw:17', 'old:raw:29'];
        expect((await drain(archive.scanEvents({ rawIds: wanted }))).map((x) => [x.rawId, x.event.id])).toEqual([
          ['old:raw:3', 'old:evt:3'],
          ['old:raw:17', 'old:evt:17'],
          ['old:raw:29', 'old:evt:29'],
        ]);
        await archive.append([
          {
            raw: { id: 'new:raw:0', system: 'stripe', topic: 'charge.succeeded', receivedAt: at(1, '2026-11-21T00:00:00.000Z'), headers: {}, body: '{}' },
            events: [{ ...payment({ pi: 'pi_new_0', eventId: 'new:evt:0' }), receivedAt: at(1, '2026-11-21T00:00:00.000Z') }],
          },
        ]);
        expect(await archive.countEvents({ rawIds: ['old:raw:0', 'new:raw:0'] })).toBe(2);
      } finally {
        await archive.close();
      }

      const upgraded = openDatabase(path, { migrations: ARCHIVE_MIGRATIONS });
      try {
        const seqs = upgraded.prepare('SELECT raw_id, raw_seq, (SELECT seq FROM raw WHERE raw.id = events.raw_id) AS expected FROM events ORDER BY seq').all() as { raw_id: string; raw_seq: number | null; expected: number }[];
        expect(seqs.filter((r) => r.raw_id.startsWith('old:')).every((r) => r.raw_seq === null)).toBe(true);
        expect(seqs.filter((r) => r.raw_id.startsWith('new:')).map((r) => r.raw_seq === r.expected)).toEqual([true]);
        const indexes = (upgraded.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
        expect(indexes).toEqual(['events_raw_id_before_seq', 'events_raw_seq', 'events_received_at']);
        const plan = (
          upgraded
            .prepare(`EXPLAIN QUERY PLAN SELECT seq FROM events WHERE (raw_seq IN (SELECT seq FROM raw WHERE id IN (?1, ?2)) OR (raw_seq IS NULL AND raw_id IN (?1, ?2))) AND seq <= ?`)
            .all('a', 'b', 9) as { detail: string }[]
        )
          .map((r) => r.detail)
          .join('; ');
        expect(plan).toMatch(/INDEX events_raw_seq/);
        expect(plan).toMatch(/INDEX events_raw_id_before_seq/);
        expect(plan).not.toMatch(/SCAN events/);
      } finally {
        upgraded.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
