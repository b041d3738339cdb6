// SQLite on node:sqlite, set up the way every embedded adapter needs it: WAL, busy timeout, migrations.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

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
  /**
   * Whether this connection's commits checkpoint the WAL into the database file once it passes
   * 1,000 pages (SQLite's default; true). A hot writer turns it off when another connection
   * checkpoints for it (`checkpointPassive`), so its commits never wait for a checkpoint's copy and fsync.
   */
  readonly autoCheckpoint?: boolean;
  /**
   * The connection's page cache in MB (SQLite's default is 2). A hot writer of a large file gives it
   * more, so its index inserts find their pages in memory rather than reading them back each time.
   */
  readonly cacheMb?: number;
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
  if (options.autoCheckpoint === false) db.exec('PRAGMA wal_autocheckpoint = 0');
  if (options.cacheMb !== undefined) db.exec(`PRAGMA cache_size = -${Math.round(options.cacheMb * 1024)}`);
  migrate(db, options.migrations);
  return db;
}

/**
 * Checkpoints the WAL of the database at `path` without blocking its writers or readers (PASSIVE):
 * copies what is committed into the database file and syncs it. Once a checkpoint has copied
 * everything, the next write starts the WAL over, so it stays small while writers keep writing.
 * Returns a function that does one checkpoint (opening the file on first use, once it exists) and
 * says whether another connection committed since its last call (so a caller can pace itself:
 * often while writers write, seldom while they are idle), and one that closes the connection.
 */
export function checkpointPassive(path: string): { checkpoint(): boolean; close(): void } {
  let db: DatabaseSync | undefined;
  let readVersion: StatementSync | undefined;
  let dataVersion: number | undefined;
  return {
    checkpoint() {
      if (db === undefined) {
        if (!existsSync(path)) return false;
        db = new DatabaseSync(path, { timeout: 10_000 });
        db.exec('PRAGMA synchronous = FULL');
        readVersion = db.prepare('PRAGMA data_version');
      }
      // Changes exactly when another connection has committed since this one last asked (first time: unknown, so yes).
      const version = (readVersion?.get() as { data_version: number }).data_version;
      const written = version !== dataVersion;
      dataVersion = version;
      db.exec('PRAGMA wal_checkpoint(PASSIVE)');
      return written;
    },
    close() {
      db?.close();
      db = undefined;
      readVersion = undefined;
      dataVersion = undefined;
    },
  };
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
