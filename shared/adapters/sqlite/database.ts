// SQLite on node:sqlite, set up the way every embedded adapter needs it: WAL, busy timeout, migrations.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export type OpenOptions = {
  /** Ordered schema migrations; migration i brings `user_version` from i to i + 1. */
  readonly migrations: readonly string[];
  /**
   * `FULL` survives power loss (bus, archive); `NORMAL` survives a process crash (derived state);
   * `OFF` survives nothing (scratch files that are thrown away, like a replay's shadow).
   */
  readonly synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** How long a writer waits for another process's lock before failing. */
  readonly busyTimeoutMs?: number;
};

/**
 * Opens (creating if needed) a database file shared safely by several processes: WAL journal,
 * a busy timeout, foreign keys on, and pending migrations applied in one transaction each.
 */
export function openDatabase(path: string, options: OpenOptions): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 10_000 });
  db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  if (path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${options.synchronous ?? 'FULL'}`);
  db.exec('PRAGMA foreign_keys = ON');
  migrate(db, options.migrations);
  return db;
}

function migrate(db: DatabaseSync, migrations: readonly string[]): void {
  for (;;) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
      const version = row.user_version;
      if (version >= migrations.length) {
        db.exec('COMMIT');
        return;
      }
      db.exec(migrations[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec('COMMIT');
    } catch (e) {
      db.exec('ROLLBACK');
      throw e;
    }
  }
}

/** Runs `fn` inside `BEGIN IMMEDIATE … COMMIT` (a write lock from the start), rolling back on error. */
export function immediate<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
}
