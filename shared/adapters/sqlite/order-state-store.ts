// The embedded order state store: one JSON document per order key in SQLite, plus the alias index.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { OrderState } from '../../domain/order-state.ts';
import type { OrderStateStore, OrderStateTx, StoredOrder } from '../../ports/order-state-store.ts';
import { openDatabase } from './database.ts';
import { createStagedTx, createSerializer } from '../staged-tx.ts';
import { createWriteBackStore } from '../write-back-store.ts';

const MIGRATIONS = [
  `CREATE TABLE orders (
     key TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     open INTEGER NOT NULL,
     updated_at TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX orders_open ON orders (key) WHERE open = 1;
   CREATE INDEX orders_updated ON orders (updated_at, key);
   CREATE TABLE aliases (ref TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID;`,
];

const CHUNK = 400;

type Row = { key: string; state: string; open: number; updated_at: string };
const fromRow = (r: Row): StoredOrder => ({ state: JSON.parse(r.state) as OrderState, open: r.open === 1, updatedAt: r.updated_at });

function chunks<T>(xs: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * Opens the store at `path`. Each `transact` holds SQLite's write lock (`BEGIN IMMEDIATE`) from its
 * first read to its commit, so concurrent writers in other processes wait rather than lose an
 * update; writers in this process are queued.
 */
export function createSqliteOrderStateStore(options: { path: string; synchronous?: 'NORMAL' | 'OFF' }): OrderStateStore {
  const db: DatabaseSync = openDatabase(options.path, { migrations: MIGRATIONS, synchronous: options.synchronous ?? 'NORMAL' });
  const stmt = new Map<string, StatementSync>();
  const prepare = (sql: string) => {
    let s = stmt.get(sql);
    if (!s) stmt.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const inList = (n: number) => Array.from({ length: n }, () => '?').join(',');
  const serialize = createSerializer();

  const readDocs = (keys: readonly string[]): Map<string, StoredOrder> => {
    const out = new Map<string, StoredOrder>();
    for (const part of chunks([...new Set(keys)])) {
      for (const r of prepare(`SELECT key, state, open, updated_at FROM orders WHERE key IN (${inList(part.length)})`).all(...part) as Row[])
        out.set(r.key, fromRow(r));
    }
    return out;
  };
  const readAliases = (refs: readonly string[]): Map<string, string> => {
    const out = new Map<string, string>();
    for (const part of chunks([...new Set(refs)])) {
      for (const r of prepare(`SELECT ref, key FROM aliases WHERE ref IN (${inList(part.length)})`).all(...part) as { ref: string; key: string }[])
        out.set(r.ref, r.key);
    }
    return out;
  };

  async function* scan(where: string, params: (string | number)[], batchSize: number): AsyncIterable<StoredOrder> {
    let after = '';
    for (;;) {
      const rows = prepare(`SELECT key, state, open, updated_at FROM orders WHERE ${where} AND key > ? ORDER BY key LIMIT ?`).all(...params, after, batchSize) as Row[];
      for (const r of rows) yield fromRow(r);
      if (rows.length < batchSize) return;
      after = (rows.at(-1) as Row).key;
    }
  }

  return {
    transact<T>(fn: (tx: OrderStateTx) => Promise<T>): Promise<T> {
      return serialize(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const staged = createStagedTx({ readDocs: async (k) => readDocs(k), readAliases: async (r) => readAliases(r) });
          const result = await fn(staged.tx);
          const { puts, deletes, aliases } = staged.writes();
          const put = prepare('INSERT INTO orders (key, state, open, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state, open = excluded.open, updated_at = excluded.updated_at');
          for (const o of puts) put.run(o.state.key, JSON.stringify(o.state), o.open ? 1 : 0, o.updatedAt);
          const del = prepare('DELETE FROM orders WHERE key = ?');
          for (const k of deletes) del.run(k);
          const alias = prepare('INSERT INTO aliases (ref, key) VALUES (?, ?) ON CONFLICT (ref) DO UPDATE SET key = excluded.key');
          for (const [ref, key] of aliases) alias.run(ref, key);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          if (db.isTransaction) db.exec('ROLLBACK');
          throw e;
        }
      });
    },
    async get(key) {
      return readDocs([key]).get(key);
    },
    async resolve(ref) {
      return readAliases([ref]).get(ref);
    },
    scanOpen: (batchSize = 500) => scan('open = 1', [], batchSize),
    scanChangedSince: (since, batchSize = 500) => scan('updated_at >= ?', [since], batchSize),
    scanAll: (batchSize = 500) => scan('1 = 1', [], batchSize),
    async count() {
      return (prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n;
    },
    async close() {
      await serialize(async () => {
        if (db.isOpen) db.close();
      });
    },
  };
}

/**
 * An empty store in a scratch file under `dir` (default: the system's temporary directory), for
 * private work that is thrown away, such as a replay's shadow: nothing is synced, recently used
 * documents stay in memory and are written back in large batches (`cacheDocs`), and `close()`
 * deletes the file. Only its creator may write to it.
 */
export function createScratchOrderStateStore(dir: string = tmpdir(), options: { cacheDocs?: number } = {}): OrderStateStore {
  const home = mkdtempSync(join(dir, 'tieout-shadow-'));
  const file = createSqliteOrderStateStore({ path: join(home, 'shadow.sqlite'), synchronous: 'OFF' });
  const store = createWriteBackStore(file, { maxDocs: options.cacheDocs ?? 10_000 });
  return {
    ...store,
    async close() {
      try {
        await store.close();
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}
