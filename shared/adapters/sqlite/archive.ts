// The embedded archive: raw payloads, canonical events, quarantine and report runs in one SQLite file.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { checkBatchSize, checkEvent, checkRaw, checkRun, instantOf, normalizeFilter } from '../archive-checks.ts';
import type { CanonicalEvent } from '../../domain/events.ts';
import type {
  Archive,
  ArchivedEvent,
  ArchiveEntry,
  QuarantineRecord,
  RawRecord,
  RunException,
  RunRecord,
  ScanFilter,
} from '../../ports/archive.ts';
import { immediate, openDatabase } from './database.ts';

/** The archive's schema, migration by migration (`openDatabase`); exported so upgrades from each version can be tested. */
export const ARCHIVE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE raw (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    system TEXT NOT NULL,
    topic TEXT,
    received_at TEXT NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX raw_received_at ON raw (received_at);

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    raw_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX events_received_at ON events (received_at);
  CREATE INDEX events_raw_id ON events (raw_id);

  CREATE TABLE quarantine (
    id TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    topic TEXT,
    received_at TEXT NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    error TEXT NOT NULL,
    resolved_at TEXT
  );
  CREATE INDEX quarantine_newest ON quarantine (received_at, id);

  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    business_date TEXT NOT NULL,
    as_of TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('started', 'finished', 'failed')),
    error TEXT,
    posted_to TEXT,
    report TEXT NOT NULL
  );
  CREATE INDEX runs_business_date ON runs (business_date, started_at, run_id);

  CREATE TABLE run_exceptions (
    run_id TEXT NOT NULL,
    exception_id TEXT NOT NULL,
    business_date TEXT NOT NULL,
    order_key TEXT NOT NULL,
    code TEXT NOT NULL,
    bucket TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer'),
    currency TEXT NOT NULL,
    narrative TEXT NOT NULL,
    facts TEXT NOT NULL,
    PRIMARY KEY (run_id, exception_id)
  ) WITHOUT ROWID;
  CREATE INDEX run_exceptions_order_key ON run_exceptions (order_key, business_date);
  `,
  // Events name their payload by its seq too, and are found by it: raw seqs only grow, so each insert
  // adds to the index's last page, where an index of raw ids (random keys) put a whole page of its
  // own into the WAL, and again into the file at the checkpoint, for every event. Events archived
  // before keep no seq (filling it in would rewrite every row of a large archive in one
  // transaction) and stay found by raw id through an index of just those rows.
  `
  ALTER TABLE events ADD COLUMN raw_seq INTEGER;
  CREATE INDEX events_raw_seq ON events (raw_seq) WHERE raw_seq IS NOT NULL;
  CREATE INDEX events_raw_id_before_seq ON events (raw_id) WHERE raw_seq IS NULL;
  DROP INDEX events_raw_id;
  `,
];

/** Id lists are bound in chunks of this size: well under SQLite's parameter limit on any build (999 on old ones). */
const MAX_IDS_PER_QUERY = 500;

/** Where the SQLite archive lives. */
export type SqliteArchiveOptions = {
  /** The database file (created with its directory when missing). */
  readonly path: string;
  /** False when another connection checkpoints the WAL for this one (`OpenOptions.autoCheckpoint`). */
  readonly autoCheckpoint?: boolean;
  /** This connection's page cache in MB (`OpenOptions.cacheMb`). */
  readonly cacheMb?: number;
};

type Table = 'raw' | 'events';
type RawRow = { seq: number; id: string; system: string; topic: string | null; received_at: string; headers: string; body: string };
type EventRow = { seq: number; raw_id: string; json: string };
type QuarantineRow = Omit<RawRow, 'seq'> & { error: string; resolved_at: string | null };
type RunRow = {
  run_id: string;
  business_date: string;
  as_of: string;
  started_at: string;
  finished_at: string | null;
  status: RunRecord['status'];
  error: string | null;
  posted_to: string | null;
  report: string;
};
type ExceptionRow = {
  run_id: string;
  exception_id: string;
  business_date: string;
  order_key: string;
  code: string;
  bucket: string;
  amount: number;
  currency: string;
  narrative: string;
  facts: string;
};

/** A canonical event as the archive stores it: its indexed fields and its JSON, rendered once. */
export type RenderedEvent = { readonly id: string; readonly kind: string; readonly receivedAt: string; readonly occurredAt: string; readonly json: string };
/** An archive entry with its events rendered (`renderEntries`). */
export type RenderedEntry = { readonly raw: RawRecord; readonly events: readonly RenderedEvent[] };

/**
 * Checks entries and renders their events' JSON, as `append` would (pure). A writer that also
 * publishes the events renders them here once, on its own thread, and hands the same text to the
 * archive (`appendRendered`) and to the bus.
 */
export function renderEntries(entries: readonly ArchiveEntry[]): RenderedEntry[] {
  return entries.map(({ raw, events }) => {
    checkRaw(raw);
    return {
      raw,
      events: events.map((e) => {
        checkEvent(e);
        return { id: e.id, kind: e.kind, receivedAt: e.receivedAt, occurredAt: e.occurredAt, json: JSON.stringify(e) };
      }),
    };
  });
}

/** The SQLite archive: the port, and an append of entries already checked and rendered. */
export type SqliteArchive = Archive & {
  /** `append` of what `renderEntries` gave: one IMMEDIATE transaction, the payloads and events written as rendered. */
  appendRendered(entries: readonly RenderedEntry[]): Promise<void>;
};

/**
 * Opens the archive in a SQLite file (WAL, `synchronous = FULL`), safe to share between processes:
 * each `append` is one IMMEDIATE transaction, and scans page by `seq` in short read transactions.
 */
export function createSqliteArchive(options: SqliteArchiveOptions): SqliteArchive {
  let db: DatabaseSync | undefined = openDatabase(options.path, {
    migrations: ARCHIVE_MIGRATIONS,
    synchronous: 'FULL',
    ...(options.autoCheckpoint === false ? { autoCheckpoint: false } : {}),
    ...(options.cacheMb !== undefined ? { cacheMb: options.cacheMb } : {}),
  });
  const statements = new Map<string, StatementSync>();

  const live = (): DatabaseSync => {
    if (db === undefined) throw new Error(`archive ${options.path} is closed`);
    return db;
  };
  /** Prepared once per SQL text and connection; id-list queries vary only by chunk length. */
  const sql = (text: string): StatementSync => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = live().prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };

  const insertRaw = () =>
    sql(`INSERT INTO raw (id, system, topic, received_at, headers, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
  const insertEvent = () =>
    sql(`INSERT INTO events (id, raw_id, raw_seq, kind, received_at, occurred_at, json) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`);
  /** The seq of a payload archived before (its insert was a duplicate). */
  const rawSeqOf = () => sql(`SELECT seq FROM raw WHERE id = ?`);

  /** The highest `seq` committed now: a scan returns nothing appended after its first page. */
  const watermark = (table: Table): number =>
    (sql(`SELECT coalesce(max(seq), 0) AS m FROM ${table}`).get() as { m: number }).m;

  /** Sorted `seq`s of the rows an id filter selects (intersected with the time filter), up to `upTo`. */
  const seqsForIds = (table: Table, filter: ScanFilter, upTo: number): number[] => {
    const time = timeClause(filter, '+');
    const select = (ids: readonly string[], column: 'raw' | 'event'): Set<number> => {
      const out = new Set<number>();
      for (const chunk of chunks(unique(ids), MAX_IDS_PER_QUERY)) {
        // Numbered, so a statement can name the ids twice and bind them once (a plain ? after them takes the next number).
        const marks = chunk.map((_, i) => `?${i + 1}`).join(', ');
        const where =
          table === 'events'
            ? column === 'raw'
              ? `(raw_seq IN (SELECT seq FROM raw WHERE id IN (${marks})) OR (raw_seq IS NULL AND raw_id IN (${marks})))`
              : `id IN (${marks})`
            : column === 'raw'
              ? `id IN (${marks})`
              : `id IN (SELECT raw_id FROM events WHERE id IN (${marks}))`;
        const rows = sql(`SELECT seq FROM ${table} WHERE ${where}${time.sql} AND seq <= ?`).all(...chunk, ...time.params, upTo) as { seq: number }[];
        for (const row of rows) out.add(row.seq);
      }
      return out;
    };
    let seqs: Set<number> | undefined;
    if (filter.rawIds !== undefined) seqs = select(filter.rawIds, 'raw');
    if (filter.eventIds !== undefined) {
      const byEvent = select(filter.eventIds, 'event');
      seqs = seqs === undefined ? byEvent : new Set([...seqs].filter((s) => byEvent.has(s)));
    }
    return [...(seqs ?? [])].sort((a, b) => a - b);
  };

  /**
   * Pages through one table in `seq` order. Time-only filters first find the `seq` span of the
   * range through the received_at index, then walk that span by rowid (keyset, never OFFSET), so a
   * replay of one day does not read years of history and never sorts.
   */
  async function* scan<Row, Out>(table: Table, columns: string, filter: ScanFilter, batchSize: number, map: (row: Row) => Out): AsyncGenerator<Out> {
    const upTo = watermark(table);
    if (filter.rawIds !== undefined || filter.eventIds !== undefined) {
      const seqs = seqsForIds(table, filter, upTo);
      for (const page of chunks(seqs, Math.min(batchSize, MAX_IDS_PER_QUERY))) {
        const rows = sql(`SELECT seq, ${columns} FROM ${table} WHERE seq IN (${page.map(() => '?').join(', ')}) ORDER BY seq`).all(...page) as Row[];
        for (const row of rows) yield map(row);
        await yieldToEventLoop();
      }
      return;
    }
    let after = 0;
    let last = upTo;
    const time = timeClause(filter, '+');
    if (time.params.length > 0) {
      const span = sql(`SELECT min(seq) AS lo, max(seq) AS hi FROM ${table} WHERE 1${timeClause(filter, '').sql}`).get(...time.params) as {
        lo: number | null;
        hi: number | null;
      };
      if (span.lo === null || span.hi === null) return;
      after = span.lo - 1;
      last = Math.min(span.hi, upTo);
    }
    // Unary `+` keeps the planner on the rowid range instead of the received_at index plus a sort.
    const page = sql(`SELECT seq, ${columns} FROM ${table} WHERE seq > ? AND seq <= ?${time.sql} ORDER BY seq LIMIT ?`);
    while (after < last) {
      const rows = page.all(after, last, ...time.params, batchSize) as (Row & { seq: number })[];
      if (rows.length === 0) return;
      for (const row of rows) yield map(row);
      after = (rows[rows.length - 1] as { seq: number }).seq;
      if (rows.length < batchSize) return;
      await yieldToEventLoop();
    }
  }

  const appendRendered = async (entries: readonly RenderedEntry[]): Promise<void> => {
    if (entries.length === 0) return;
    const raw = insertRaw();
    const event = insertEvent();
    immediate(live(), () => {
      for (const { raw: r, events } of entries) {
        const inserted = raw.run(r.id, r.system, r.topic ?? null, r.receivedAt, JSON.stringify(r.headers), r.body);
        const rawSeq = inserted.changes === 1 ? inserted.lastInsertRowid : (rawSeqOf().get(r.id) as { seq: number }).seq;
        for (const e of events) event.run(e.id, r.id, rawSeq, e.kind, e.receivedAt, e.occurredAt, e.json);
      }
    });
  };

  return {
    appendRendered,
    async append(entries: readonly ArchiveEntry[]): Promise<void> {
      await appendRendered(renderEntries(entries));
    },

    scanRaw(filter: ScanFilter, batchSize = 1000): AsyncIterable<RawRecord> {
      const f = normalizeFilter(filter);
      checkBatchSize(batchSize);
      return scan('raw', 'id, system, topic, received_at, headers, body', f, batchSize, rawFromRow);
    },

    scanEvents(filter: ScanFilter, batchSize = 1000): AsyncIterable<ArchivedEvent> {
      const f = normalizeFilter(filter);
      checkBatchSize(batchSize);
      // The JSON was produced from a CanonicalEventSchema-validated event at ingest; re-validating
      // every row on replay would cost more than the read, so it is trusted as stored.
      return scan('events', 'raw_id, json', f, batchSize, (row: EventRow): ArchivedEvent => ({
        seq: row.seq,
        rawId: row.raw_id,
        event: JSON.parse(row.json) as CanonicalEvent,
      }));
    },

    async countEvents(filter: ScanFilter = {}): Promise<number> {
      const f = normalizeFilter(filter);
      if (f.rawIds !== undefined || f.eventIds !== undefined) return seqsForIds('events', f, Number.MAX_SAFE_INTEGER).length;
      const time = timeClause(f, '');
      return (sql(`SELECT count(*) AS n FROM events WHERE 1${time.sql}`).get(...time.params) as { n: number }).n;
    },

    async quarantine(records): Promise<void> {
      if (records.length === 0) return;
      const upsert = sql(
        `INSERT INTO quarantine (id, system, topic, received_at, headers, body, error, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (id) DO UPDATE SET system = excluded.system, topic = excluded.topic, received_at = excluded.received_at,
           headers = excluded.headers, body = excluded.body, error = excluded.error, resolved_at = NULL`,
      );
      immediate(live(), () => {
        for (const r of records) {
          checkRaw(r);
          upsert.run(r.id, r.system, r.topic ?? null, r.receivedAt, JSON.stringify(r.headers), r.body, String(r.error));
        }
      });
    },

    async listQuarantine(options = {}): Promise<QuarantineRecord[]> {
      const rows = sql(
        `SELECT id, system, topic, received_at, headers, body, error, resolved_at FROM quarantine
         WHERE (? = 0 OR resolved_at IS NULL) ORDER BY received_at DESC, id DESC LIMIT ?`,
      ).all(options.unresolvedOnly ? 1 : 0, limitOf(options.limit)) as QuarantineRow[];
      return rows.map((row) => ({ ...rawFromRow(row), error: row.error, resolvedAt: row.resolved_at }));
    },

    async resolveQuarantine(ids: readonly string[], at: string): Promise<number> {
      const when = instantOf(at, 'at');
      let resolved = 0;
      immediate(live(), () => {
        for (const chunk of chunks(unique(ids), MAX_IDS_PER_QUERY)) {
          const result = sql(
            `UPDATE quarantine SET resolved_at = ? WHERE resolved_at IS NULL AND id IN (${chunk.map(() => '?').join(', ')})`,
          ).run(when, ...chunk);
          resolved += Number(result.changes);
        }
      });
      return resolved;
    },

    async recordRun(run: RunRecord, exceptions?: readonly RunException[]): Promise<void> {
      checkRun(run, exceptions);
      const upsert = sql(
        `INSERT INTO runs (run_id, business_date, as_of, started_at, finished_at, status, error, posted_to, report)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET business_date = excluded.business_date, as_of = excluded.as_of,
           started_at = excluded.started_at, finished_at = excluded.finished_at, status = excluded.status,
           error = excluded.error, posted_to = excluded.posted_to, report = excluded.report`,
      );
      const report = toJson(run.report);
      const rows = exceptions?.map((x) => [x.runId, x.exceptionId, x.businessDate, x.orderKey, x.code, x.bucket, x.amount, x.currency, x.narrative, toJson(x.facts)] as const);
      immediate(live(), () => {
        upsert.run(run.runId, run.businessDate, run.asOf, run.startedAt, run.finishedAt ?? null, run.status, run.error ?? null, run.postedTo ?? null, report);
        if (rows === undefined) return;
        sql(`DELETE FROM run_exceptions WHERE run_id = ?`).run(run.runId);
        const insert = sql(
          `INSERT INTO run_exceptions (run_id, exception_id, business_date, order_key, code, bucket, amount, currency, narrative, facts)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const row of rows) insert.run(...row);
      });
    },

    async getRun(runId: string): Promise<RunRecord | undefined> {
      const row = sql(`SELECT * FROM runs WHERE run_id = ?`).get(runId) as RunRow | undefined;
      return row === undefined ? undefined : runFromRow(row);
    },

    async listRuns(options = {}): Promise<RunRecord[]> {
      const rows = sql(
        `SELECT * FROM runs WHERE (?1 IS NULL OR business_date = ?1) AND (?2 IS NULL OR business_date < ?2)
         ORDER BY business_date DESC, started_at DESC, run_id DESC LIMIT ?3`,
      ).all(options.businessDate ?? null, options.before ?? null, limitOf(options.limit)) as RunRow[];
      return rows.map(runFromRow);
    },

    async runExceptions(runId: string): Promise<RunException[]> {
      const rows = sql(`SELECT * FROM run_exceptions WHERE run_id = ? ORDER BY exception_id`).all(runId) as ExceptionRow[];
      return rows.map(exceptionFromRow);
    },

    async exceptionsForOrder(orderKey: string, limit?: number): Promise<RunException[]> {
      const rows = sql(
        `SELECT x.* FROM run_exceptions x JOIN runs r ON r.run_id = x.run_id WHERE x.order_key = ?
         ORDER BY x.business_date DESC, r.started_at DESC, x.run_id DESC, x.exception_id LIMIT ?`,
      ).all(orderKey, limitOf(limit)) as ExceptionRow[];
      return rows.map(exceptionFromRow);
    },

    async close(): Promise<void> {
      if (db === undefined) return;
      const open = db;
      db = undefined;
      statements.clear();
      open.close();
    },
  };
}

/** The received_at conditions of a filter; `+` disables index use on them. */
function timeClause(filter: ScanFilter, prefix: '' | '+'): { sql: string; params: string[] } {
  let sql = '';
  const params: string[] = [];
  if (filter.from !== undefined) {
    sql += ` AND ${prefix}received_at >= ?`;
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    sql += ` AND ${prefix}received_at < ?`;
    params.push(filter.to);
  }
  return { sql, params };
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return -1;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function rawFromRow(row: Omit<RawRow, 'seq'>): RawRecord {
  return {
    id: row.id,
    system: row.system,
    topic: row.topic,
    receivedAt: row.received_at,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
  };
}

function runFromRow(row: RunRow): RunRecord {
  return {
    runId: row.run_id,
    businessDate: row.business_date,
    asOf: row.as_of,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    error: row.error,
    postedTo: row.posted_to,
    report: JSON.parse(row.report) as unknown,
  };
}

function exceptionFromRow(row: ExceptionRow): RunException {
  return {
    runId: row.run_id,
    businessDate: row.business_date,
    exceptionId: row.exception_id,
    orderKey: row.order_key,
    code: row.code,
    bucket: row.bucket,
    amount: row.amount,
    currency: row.currency,
    narrative: row.narrative,
    facts: JSON.parse(row.facts) as unknown,
  };
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
