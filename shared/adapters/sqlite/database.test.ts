import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { checkpointPassive, openDatabase } from './database.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-db-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MIGRATIONS = ['CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'];
const walBytes = (path: string) => statSync(`${path}-wal`).size;

it('a writer without auto-checkpoints leaves its WAL to another connection, which checkpoints it while the writer goes on', () => {
  const path = join(dir, 'hot.sqlite');
  const writer = openDatabase(path, { migrations: MIGRATIONS, autoCheckpoint: false, cacheMb: 16 });
  expect(writer.prepare('PRAGMA wal_autocheckpoint').get()).toEqual({ wal_autocheckpoint: 0 });
  expect(writer.prepare('PRAGMA cache_size').get()).toEqual({ cache_size: -16 * 1024 });
  const insert = writer.prepare('INSERT INTO t (body) VALUES (?)');
  const commitMany = (n: number) => {
    writer.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < n; i++) insert.run('x'.repeat(4000));
    writer.exec('COMMIT');
  };
  // Far past SQLite's 1,000-page default: nothing checkpoints it.
  commitMany(3000);
  const grown = walBytes(path);
  expect(grown).toBeGreaterThan(10 * 1024 * 1024);

  const checkpointer = checkpointPassive(path);
  checkpointer.checkpoint();
  // Everything was copied, so the next write starts the WAL over instead of growing it.
  commitMany(10);
  commitMany(10);
  expect(walBytes(path)).toBe(grown);
  checkpointer.checkpoint();
  commitMany(3000);
  expect(walBytes(path)).toBe(grown);
  expect(writer.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 6020 });
  checkpointer.close();
  writer.close();
});

it('a checkpointer on a file that does not exist yet does nothing until it does', () => {
  const path = join(dir, 'later.sqlite');
  const checkpointer = checkpointPassive(path);
  expect(() => checkpointer.checkpoint()).not.toThrow();
  const db = openDatabase(path, { migrations: MIGRATIONS });
  checkpointer.checkpoint();
  checkpointer.close();
  db.close();
});

it('a checkpointer says whether another connection committed since its last checkpoint, so it can pace itself', () => {
  const path = join(dir, 'paced.sqlite');
  const writer = openDatabase(path, { migrations: MIGRATIONS, autoCheckpoint: false });
  const checkpointer = checkpointPassive(path);
  const insert = writer.prepare('INSERT INTO t (body) VALUES (?)');

  expect(checkpointer.checkpoint()).toBe(true); // the first look knows nothing of before
  expect(checkpointer.checkpoint()).toBe(false);
  insert.run('a');
  expect(checkpointer.checkpoint()).toBe(true);
  expect(checkpointer.checkpoint()).toBe(false);
  writer.prepare('SELECT count(*) AS n FROM t').get(); // reading is not writing
  expect(checkpointer.checkpoint()).toBe(false);
  insert.run('b');
  insert.run('c');
  expect(checkpointer.checkpoint()).toBe(true);
  expect(checkpointer.checkpoint()).toBe(false);

  checkpointer.close();
  expect(writer.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 3 });
  writer.close();
});
