import { DatabaseSync } from 'node:sqlite';
import { rmSync, statSync } from 'node:fs';
const src = new DatabaseSync('/tmp/tb1m/state.sqlite', { readOnly: true });
const rows = src.prepare('SELECT key, state, open, updated_at FROM orders ORDER BY updated_at').all() as { key: string; state: string; open: number; updated_at: string }[];
console.log('docs', rows.length);
const variants: Record<string, { schema: string; pragmas: string[] }> = {
  current: { schema: `CREATE TABLE orders (key TEXT PRIMARY KEY, state TEXT NOT NULL, open INTEGER NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;`, pragmas: [] },
  rowid: { schema: `CREATE TABLE orders (key TEXT PRIMARY KEY, state TEXT NOT NULL, open INTEGER NOT NULL, updated_at TEXT NOT NULL);`, pragmas: [] },
  current16k: { schema: `CREATE TABLE orders (key TEXT PRIMARY KEY, state TEXT NOT NULL, open INTEGER NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;`, pragmas: ['PRAGMA page_size = 16384'] },
  rowid_cache64m: { schema: `CREATE TABLE orders (key TEXT PRIMARY KEY, state TEXT NOT NULL, open INTEGER NOT NULL, updated_at TEXT NOT NULL);`, pragmas: ['PRAGMA cache_size = -65536'] },
  current_cache64m: { schema: `CREATE TABLE orders (key TEXT PRIMARY KEY, state TEXT NOT NULL, open INTEGER NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;`, pragmas: ['PRAGMA cache_size = -65536'] },
};
const which = process.argv.slice(2);
for (const [name, v] of Object.entries(variants)) {
  if (which.length && !which.includes(name)) continue;
  const path = `/tmp/sqlbench/${name}.sqlite`;
  rmSync(path, { force: true }); rmSync(path + '-wal', { force: true }); rmSync(path + '-shm', { force: true });
  const db = new DatabaseSync(path);
  for (const p of v.pragmas) db.exec(p);
  db.exec('PRAGMA journal_mode = WAL'); db.exec('PRAGMA synchronous = NORMAL');
  db.exec(v.schema + ` CREATE INDEX orders_open ON orders (key) WHERE open = 1; CREATE INDEX orders_updated ON orders (updated_at, key);`);
  const put = db.prepare('INSERT INTO orders (key, state, open, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET state = excluded.state, open = excluded.open, updated_at = excluded.updated_at');
  db.exec('BEGIN'); for (const r of rows) put.run(r.key, r.state, r.open, r.updated_at); db.exec('COMMIT');
  // Batches of 1400 keys drawn from a sliding window of recent docs (as in-flight orders are).
  let read = 0, parse = 0, str = 0, write = 0, commit = 0;
  const B = 1400, W = 5500, N = 60;
  let seed = 7; const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const stmts = new Map<number, any>();
  const t0 = performance.now();
  for (let b = 0; b < N; b++) {
    const base = Math.floor((rows.length - W) * (b / N));
    const keys = [...new Set(Array.from({ length: B }, () => rows[base + Math.floor(rnd() * W)]!.key))];
    db.exec('BEGIN IMMEDIATE');
    let t = performance.now();
    const got: any[] = [];
    for (let i = 0; i < keys.length; i += 400) {
      const part = keys.slice(i, i + 400);
      let s = stmts.get(part.length); if (!s) stmts.set(part.length, (s = db.prepare(`SELECT key, state, open, updated_at FROM orders WHERE key IN (${part.map(() => '?').join(',')})`)));
      got.push(...s.all(...part));
    }
    read += performance.now() - t; t = performance.now();
    const parsed = got.map((r) => JSON.parse(r.state));
    parse += performance.now() - t; t = performance.now();
    const strs = parsed.map((p) => JSON.stringify(p));
    str += performance.now() - t; t = performance.now();
    const now = new Date(Date.UTC(2027, 0, 1, 0, 0, b)).toISOString();
    strs.forEach((s, i) => put.run(got[i].key, s, got[i].open, now));
    write += performance.now() - t; t = performance.now();
    db.exec('COMMIT');
    commit += performance.now() - t;
  }
  const total = performance.now() - t0;
  const per = (x: number) => (x * 1000 / (N * B)).toFixed(1);
  db.close();
  console.log(name.padEnd(18), 'us/doc: read', per(read), 'parse', per(parse), 'stringify', per(str), 'upsert', per(write), 'commit', per(commit), 'total', per(total), 'file MB', Math.round(statSync(path).size / 1e6));
}
