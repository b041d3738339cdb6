// The Google Cloud archive: raw payloads, canonical events, quarantine and report runs in BigQuery (DESIGN §1, §11).
//
// Tables are the ones of sql/tables/*.sql (Terraform declares them from infra/schemas/*.json); this
// module never creates or alters them. Every write is a streaming insert (tabledata.insertAll) and no
// statement ever updates or deletes a row (DESIGN §11: no per-event DML). What that means, table by table:
//
// - raw, events: append-only. Each row carries `seq`, the archive clock at append (below), and the
//   insertId of its row is the raw id / event id, so BigQuery drops most retried copies itself. That
//   dedupe is best effort (about a minute, per table), so every read dedupes again: the copy kept is
//   the first archived one, the lowest `seq` of its id (as the embedded archive keeps the first insert).
//   The first copies are found on narrow columns (id, seq) across the whole table, and only then are
//   the wide rows of the requested window read, so a time filter still prunes day partitions for the
//   payloads and a redelivery archived on a later day never shows up in that day's window.
//   Rows the Pub/Sub BigQuery subscription writes into `events` have no `seq` and are not read here:
//   the adapter's own copy is the archive; the subscription's copy is the audit trail (events_dedup).
// - seq: BigQuery has no sequences. The archive clock is process-wide and strictly increasing: the
//   wall clock in microseconds, or the last value + 1 when that is not larger (a hybrid logical
//   clock), one value per row. Appends of one process are serialized, so inside a process seq order
//   is commit order and a later append always reads after an earlier one. Across processes (several
//   ingest instances) seq orders by wall-clock time, give or take the clocks' skew; equal values
//   from two processes are ordered by raw id. Values stay below 2^53 until the year 2255.
// - An append checks and serializes every row before sending any (an event's occurredAt must be an
//   instant: it is a TIMESTAMP column). Events are sent before raw payloads, so a raw id that reads
//   back has all its events stored (the feed importer skips raw ids it already has). Several
//   insertAll requests are not one transaction: when a request fails part-way through a call, what
//   was already sent stays, and the caller's retry of the same call completes it without duplicates
//   (read-time dedupe); until then a reader can see part of it. BigQuery documents a warm-up of up
//   to two minutes after a table's first streaming insert, during which a read can miss new rows.
//   The Storage Write API (pending streams, committed together) would make an append atomic and
//   visible at once; it is gRPC-only and not used here yet.
// - quarantine, runs: "latest wins". Quarantining, resolving and recording a run append a full row
//   stamped `recorded_at` (the archive clock again); readers take the newest row per id. A resolution
//   copies the quarantined row (body included) with resolved_at set; quarantine is small.
// - run_exceptions: each recordRun that carries exceptions appends them as one set stamped with that
//   call's recorded_at, and the runs row it appends last names that set (exceptions_recorded_at). The
//   current set of a run is the newest one its rows name, so a rewrite replaces the old set (an empty
//   set included) and the set is switched at once, by the single runs row, when that row lands.
// - Every value travels as a query parameter (named apart from reserved words: @from_time, @row_limit);
//   only table names (checked identifiers) are spliced in. Id lists are bound in chunks
//   (`maxIdsPerQuery`), and the chunks' results are merged by seq.
// - A scan is one query job whose result set BigQuery fixes when the job runs, paged through with
//   getQueryResults (`batchSize` rows a page): a scan yields what was stored when it began. A scan
//   split into id chunks is one such snapshot per chunk.
import { BigQuery, BigQueryDate, BigQueryTimestamp } from '@google-cloud/bigquery';
import { checkBatchSize, checkEvent, checkRaw, checkRun, instantOf, normalizeFilter } from '../archive-checks.ts';
import type { CanonicalEvent } from '../../domain/events.ts';
import { canonicalInstant } from '../../domain/instant.ts';
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
import { createSerializer } from '../staged-tx.ts';
import { openBigQueryClient, queryPages, type QueryParams, type QueryRow } from './bigquery-client.ts';

/** Options for the BigQuery archive; no Google type leaks into the port. */
export type BigQueryArchiveOptions = {
  /** The project that holds the dataset and runs the query jobs. */
  readonly projectId: string;
  /** The dataset with the tables of sql/tables (default name in Terraform: `tieout`). */
  readonly dataset: string;
  /**
   * Another endpoint than BigQuery's (`http://127.0.0.1:9050` for a local fake or emulator). Over
   * plain `http://` no Google credentials are sent (see `credentials`).
   */
  readonly apiEndpoint?: string;
  /** The dataset's location, for query jobs (`US`, `EU`, `europe-west1`...); BigQuery infers it when absent. */
  readonly location?: string;
  /**
   * `application-default`: Google's application default credentials (Cloud Run's service account).
   * `none`: no Authorization header, for a local fake or emulator. Default: `none` when apiEndpoint is
   * plain `http://` (a token is never sent in the clear), else `application-default`.
   */
  readonly credentials?: 'application-default' | 'none';
  /** A client to use as it is (its own endpoint and credentials); the options above then only name the dataset. */
  readonly bigquery?: BigQuery;
  /** Ids bound per query; longer id filters are split and merged by seq. Default 10,000. */
  readonly maxIdsPerQuery?: number;
  /** Rows per insertAll request (also capped at about 9 MB a request). Default 500, BigQuery's advice. */
  readonly maxRowsPerInsert?: number;
};

/** insertAll takes at most 10 MB a request; leave room for the envelope. */
const MAX_INSERT_BYTES = 9_000_000;
const DEFAULT_MAX_ROWS_PER_INSERT = 500;
const DEFAULT_MAX_IDS_PER_QUERY = 10_000;
const DEFAULT_PAGE = 1000;
/** Project ids, dataset ids: what may be spliced into a table name. */
const PROJECT_ID = /^[a-z][a-z0-9.:-]{1,127}[a-z0-9]$/i;
const DATASET_ID = /^\w{1,1024}$/;

type Params = QueryParams;
type Row = QueryRow;
type Table = 'raw' | 'events' | 'quarantine' | 'runs' | 'run_exceptions';

let clockLast = 0;
/**
 * The archive clock (see the header): microseconds since the epoch, strictly increasing in this
 * process across every archive instance, so a reopened archive continues after the closed one.
 */
function archiveClock(): number {
  clockLast = Math.max(Date.now() * 1000, clockLast + 1);
  return clockLast;
}

/** A microsecond stamp as a TIMESTAMP literal for insertAll (`2026-11-20T10:00:00.123456Z`). */
function stampText(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

/**
 * Opens the archive on a BigQuery dataset whose tables already exist (sql/tables, infra/bigquery.tf).
 * `append` is idempotent per raw id and event id (read-time dedupe on the first archived copy);
 * writes of one instance run one at a time, in call order.
 */
export function createBigQueryArchive(options: BigQueryArchiveOptions): Archive {
  const { projectId, dataset } = options;
  if (!PROJECT_ID.test(projectId)) throw new RangeError(`projectId ${JSON.stringify(projectId)} is not a Google Cloud project id`);
  if (!DATASET_ID.test(dataset)) throw new RangeError(`dataset ${JSON.stringify(dataset)} is not a BigQuery dataset id (letters, digits, _)`);
  const maxIds = positive(options.maxIdsPerQuery ?? DEFAULT_MAX_IDS_PER_QUERY, 'maxIdsPerQuery');
  const maxRows = positive(options.maxRowsPerInsert ?? DEFAULT_MAX_ROWS_PER_INSERT, 'maxRowsPerInsert');
  const bq = options.bigquery ?? openBigQueryClient(options);
  const location = options.location;
  const table = (name: Table) => `\`${projectId}.${dataset}.${name}\``;
  const serialize = createSerializer();
  let closed = false;

  const live = (): void => {
    if (closed) throw new Error(`archive ${projectId}.${dataset} is closed`);
  };
  /** A write: refused once closed, queued behind this instance's earlier writes. */
  const write = <T>(job: () => Promise<T>): Promise<T> =>
    serialize(async () => {
      live();
      return job();
    });

  /** Streams rows into a table in requests of at most `maxRows` rows and ~9 MB, in order. */
  async function insert(name: Table, rows: readonly { readonly insertId: string; readonly json: Row }[]): Promise<void> {
    let batch: typeof rows[number][] = [];
    let bytes = 0;
    const send = async () => {
      if (batch.length === 0) return;
      const sending = batch;
      batch = [];
      bytes = 0;
      try {
        // partialRetries 0: rows were checked before sending, so a refused row is a bug or a schema
        // mismatch, not something a retry fixes; transport errors are retried by the client with the
        // same insertIds.
        await bq.dataset(dataset).table(name).insert(sending, { raw: true, partialRetries: 0, skipInvalidRows: false, ignoreUnknownValues: false });
      } catch (error) {
        throw insertError(name, error);
      }
    };
    for (const row of rows) {
      const size = Buffer.byteLength(JSON.stringify(row.json)) + row.insertId.length + 32;
      if (batch.length >= maxRows || (batch.length > 0 && bytes + size > MAX_INSERT_BYTES)) await send();
      batch.push(row);
      bytes += size;
    }
    await send();
  }

  /** Runs one query and yields its result pages (a page is `pageSize` rows at most). */
  function pages(sql: string, params: Params, pageSize: number): AsyncGenerator<Row[]> {
    return queryPages(bq, sql, params, pageSize, location);
  }

  async function all(sql: string, params: Params): Promise<Row[]> {
    live();
    const out: Row[] = [];
    for await (const page of pages(sql, params, 10_000)) out.push(...page);
    return out;
  }

  /** Yields the rows of several seq-ordered queries as one seq-ordered stream (their rows are disjoint). */
  async function* merged(queries: readonly { readonly sql: string; readonly params: Params }[], pageSize: number): AsyncGenerator<Row> {
    const sources = queries.map((q) => rowsOf(pages(q.sql, q.params, pageSize)));
    const heads = await Promise.all(sources.map((s) => s.next()));
    for (;;) {
      let pick = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i] as IteratorResult<Row>;
        if (!head.done && (pick < 0 || bySeq(head.value, (heads[pick] as IteratorYieldResult<Row>).value) < 0)) pick = i;
      }
      if (pick < 0) return;
      yield (heads[pick] as IteratorYieldResult<Row>).value;
      heads[pick] = await (sources[pick] as AsyncGenerator<Row>).next();
    }
  }

  /** The id filters of a scan split into chunks; undefined when a list is empty (nothing can match). */
  function idChunks(filter: ScanFilter): { rawIds?: string[]; eventIds?: string[] }[] | undefined {
    if (filter.rawIds?.length === 0 || filter.eventIds?.length === 0) return undefined;
    const raws = filter.rawIds === undefined ? [undefined] : chunks(unique(filter.rawIds), maxIds);
    const evts = filter.eventIds === undefined ? [undefined] : chunks(unique(filter.eventIds), maxIds);
    return raws.flatMap((rawIds) => evts.map((eventIds) => ({ ...(rawIds ? { rawIds } : {}), ...(eventIds ? { eventIds } : {}) })));
  }

  /**
   * The first archived copy of every event the filter selects. `f` keeps, per event id, the lowest
   * seq over the whole table (narrow columns); the wide rows are then read only in the time window.
   */
  function eventsFrom(filter: ScanFilter, ids: { rawIds?: string[]; eventIds?: string[] }): { from: string; params: Params } {
    const params: Params = {};
    let firsts = 'seq IS NOT NULL';
    let where = 'TRUE';
    if (ids.eventIds) {
      params['event_ids'] = { type: ['STRING'], value: ids.eventIds };
      firsts += ' AND event_id IN UNNEST(@event_ids)';
      where += ' AND e.event_id IN UNNEST(@event_ids)';
    }
    if (ids.rawIds) {
      params['raw_ids'] = { type: ['STRING'], value: ids.rawIds };
      where += ' AND e.raw_id IN UNNEST(@raw_ids)';
    }
    where += timeWhere('e', filter, params);
    const from = `FROM ${table('events')} AS e
      JOIN (SELECT event_id, MIN(seq) AS first_seq FROM ${table('events')} WHERE ${firsts} GROUP BY event_id) AS f
        ON f.event_id = e.event_id AND f.first_seq = e.seq
      WHERE ${where}`;
    return { from, params };
  }

  function eventQueries(filter: ScanFilter): { sql: string; params: Params }[] {
    return (idChunks(filter) ?? []).map((ids) => {
      const { from, params } = eventsFrom(filter, ids);
      // Copies with the same seq are one insert retried past BigQuery's own dedupe: keep one.
      const sql = `SELECT seq, raw_id, data FROM (
          SELECT e.seq, e.raw_id, e.data, ROW_NUMBER() OVER (PARTITION BY e.event_id ORDER BY e.raw_id) AS copy
          ${from}
        ) AS d WHERE copy = 1 ORDER BY seq, raw_id`;
      return { sql, params };
    });
  }

  /** Raw ids of the first copies of these events, the payloads they came from (as the embedded archive answers). */
  async function rawIdsOfEvents(eventIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const chunk of chunks(unique(eventIds), maxIds)) {
      const rows = await all(
        `SELECT raw_id FROM (
          SELECT raw_id, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY seq, raw_id) AS copy
          FROM ${table('events')} WHERE seq IS NOT NULL AND event_id IN UNNEST(@event_ids)
        ) AS x WHERE copy = 1`,
        { event_ids: { type: ['STRING'], value: chunk } },
      );
      for (const row of rows) out.add(row['raw_id'] as string);
    }
    return out;
  }

  /** Queries for the first copy of every payload the filter selects (by raw ids and time; see scanRaw for event ids). */
  function rawQueries(filter: ScanFilter): { sql: string; params: Params }[] {
    return (idChunks(filter) ?? []).map((ids) => {
      const params: Params = {};
      let firsts = 'seq IS NOT NULL';
      let where = 'TRUE';
      if (ids.rawIds) {
        params['raw_ids'] = { type: ['STRING'], value: ids.rawIds };
        firsts += ' AND id IN UNNEST(@raw_ids)';
        where += ' AND r.id IN UNNEST(@raw_ids)';
      }
      where += timeWhere('r', filter, params);
      const sql = `SELECT seq, id, system, topic, received_at, headers, body FROM (
          SELECT r.seq, r.id, r.system, r.topic, r.received_at, r.headers, r.body,
            ROW_NUMBER() OVER (PARTITION BY r.id) AS copy
          FROM ${table('raw')} AS r
          JOIN (SELECT id, MIN(seq) AS first_seq FROM ${table('raw')} WHERE ${firsts} GROUP BY id) AS f
            ON f.id = r.id AND f.first_seq = r.seq
          WHERE ${where}
        ) AS d WHERE copy = 1 ORDER BY seq, id`;
      return { sql, params };
    });
  }

  /** The newest row of every quarantined id (a resolution or a re-quarantine), optionally of some ids only. */
  const latestQuarantine = (byIds: boolean) => `
    SELECT id, system, topic, received_at, headers, body, error, resolved_at FROM (
      SELECT id, system, topic, received_at, headers, body, error, resolved_at,
        ROW_NUMBER() OVER (PARTITION BY id ORDER BY recorded_at DESC, resolved_at IS NULL DESC) AS version
      FROM ${table('quarantine')}${byIds ? ' WHERE id IN UNNEST(@ids)' : ''}
    ) AS q WHERE version = 1`;

  /** The newest state of every run; on equal stamps a final state beats `started` (as runs_latest). */
  const latestRuns = `
    SELECT run_id, business_date, as_of, started_at, finished_at, status, error, posted_to, report,
      MAX(exceptions_recorded_at) OVER (PARTITION BY run_id) AS current_set,
      ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY recorded_at DESC, status = 'started') AS version
    FROM ${table('runs')}`;
  const RUN_COLUMNS = 'run_id, business_date, as_of, started_at, finished_at, status, error, posted_to, report';
  const EXCEPTION_COLUMNS = 'run_id, business_date, exception_id, order_key, code, bucket, amount, currency, narrative, facts';

  return {
    append(entries: readonly ArchiveEntry[]): Promise<void> {
      return write(async () => {
        if (entries.length === 0) return;
        // Everything is checked and serialized before the first request, so bad input stores nothing.
        const rawRows: { insertId: string; json: Row }[] = [];
        const eventRows: { insertId: string; json: Row }[] = [];
        const seenRaw = new Set<string>();
        const seenEvent = new Set<string>();
        for (const { raw, events } of entries) {
          checkRaw(raw);
          const rawSeq = archiveClock();
          if (!seenRaw.has(raw.id)) {
            seenRaw.add(raw.id);
            rawRows.push({
              insertId: raw.id,
              json: { id: raw.id, system: raw.system, topic: raw.topic ?? null, received_at: raw.receivedAt, headers: JSON.stringify(raw.headers ?? {}), body: raw.body, seq: String(rawSeq) },
            });
          }
          for (const event of events) {
            checkEvent(event);
            const row = eventRow(event, raw, archiveClock());
            // The first copy of an id in one call wins, as in the embedded archive; a later one is not sent.
            if (seenEvent.has(event.id)) continue;
            seenEvent.add(event.id);
            eventRows.push({ insertId: event.id, json: row });
          }
        }
        await insert('events', eventRows);
        await insert('raw', rawRows);
      });
    },

    scanRaw(filter: ScanFilter, batchSize = DEFAULT_PAGE): AsyncIterable<RawRecord> {
      const f = normalizeFilter(filter);
      checkBatchSize(batchSize);
      return (async function* () {
        live();
        let byRaw: ScanFilter = f;
        if (f.eventIds !== undefined) {
          // Event ids are turned into raw ids first: split into chunks, two events of one payload
          // could otherwise bring it back twice.
          const { eventIds, ...rest } = f;
          const ids = eventIds.length === 0 ? new Set<string>() : await rawIdsOfEvents(eventIds);
          byRaw = { ...rest, rawIds: f.rawIds === undefined ? [...ids] : unique(f.rawIds).filter((id) => ids.has(id)) };
        }
        for await (const row of merged(rawQueries(byRaw), batchSize)) yield rawFromRow(row);
      })();
    },

    scanEvents(filter: ScanFilter, batchSize = DEFAULT_PAGE): AsyncIterable<ArchivedEvent> {
      const f = normalizeFilter(filter);
      checkBatchSize(batchSize);
      return (async function* () {
        live();
        for await (const row of merged(eventQueries(f), batchSize)) {
          yield { seq: Number(row['seq']), rawId: row['raw_id'] as string, event: JSON.parse(row['data'] as string) as CanonicalEvent };
        }
      })();
    },

    async countEvents(filter: ScanFilter = {}): Promise<number> {
      const f = normalizeFilter(filter);
      live();
      let n = 0;
      for (const ids of idChunks(f) ?? []) {
        const { from, params } = eventsFrom(f, ids);
        const [row] = await all(`SELECT COUNT(DISTINCT e.event_id) AS n ${from}`, params);
        n += Number(row?.['n'] ?? 0);
      }
      return n;
    },

    quarantine(records): Promise<void> {
      return write(async () => {
        if (records.length === 0) return;
        const rows = records.map((r) => {
          checkRaw(r);
          const stamp = archiveClock();
          return { insertId: `${r.id}@${stamp}`, json: { ...rawColumns(r), error: String(r.error), resolved_at: null, recorded_at: stampText(stamp) } };
        });
        await insert('quarantine', rows);
      });
    },

    async listQuarantine(options = {}): Promise<QuarantineRecord[]> {
      const params: Params = {};
      let sql = `${latestQuarantine(false)}${options.unresolvedOnly ? ' AND resolved_at IS NULL' : ''} ORDER BY received_at DESC, id DESC`;
      if (options.limit !== undefined) {
        params['row_limit'] = { type: 'INT64', value: String(limitOf(options.limit)) };
        sql += ' LIMIT @row_limit';
      }
      return (await all(sql, params)).map(quarantineFromRow);
    },

    async resolveQuarantine(ids: readonly string[], at: string): Promise<number> {
      const when = instantOf(at, 'at');
      return write(async () => {
        let resolved = 0;
        for (const chunk of chunks(unique(ids), maxIds)) {
          const open = await all(`${latestQuarantine(true)} AND resolved_at IS NULL ORDER BY id`, { ids: { type: ['STRING'], value: chunk } });
          const rows = open.map((row) => {
            const q = quarantineFromRow(row);
            const stamp = archiveClock();
            // A full copy: the newest row of an id is its whole state.
            return { insertId: `${q.id}@${stamp}`, json: { ...rawColumns(q), error: q.error, resolved_at: when, recorded_at: stampText(stamp) } };
          });
          await insert('quarantine', rows);
          resolved += rows.length;
        }
        return resolved;
      });
    },

    recordRun(run: RunRecord, exceptions?: readonly RunException[]): Promise<void> {
      return write(async () => {
        checkRun(run, exceptions);
        const stamp = archiveClock();
        const recordedAt = stampText(stamp);
        const runRow: Row = {
          run_id: run.runId,
          business_date: dateOf(run.businessDate, `run ${run.runId} businessDate`),
          as_of: instantOf(run.asOf, `run ${run.runId} asOf`),
          started_at: instantOf(run.startedAt, `run ${run.runId} startedAt`),
          finished_at: run.finishedAt == null ? null : instantOf(run.finishedAt, `run ${run.runId} finishedAt`),
          status: run.status,
          error: run.error ?? null,
          posted_to: run.postedTo ?? null,
          report: run.report == null ? null : JSON.stringify(run.report),
          recorded_at: recordedAt,
          exceptions_recorded_at: exceptions === undefined ? null : recordedAt,
        };
        const rows = (exceptions ?? []).map((x) => ({
          insertId: `${x.runId}@${stamp}/${x.exceptionId}`,
          json: {
            run_id: x.runId,
            exception_id: x.exceptionId,
            business_date: runRow['business_date'],
            order_key: x.orderKey,
            code: x.code,
            bucket: x.bucket,
            amount: String(x.amount),
            currency: x.currency,
            narrative: x.narrative,
            facts: JSON.stringify(x.facts ?? null),
            recorded_at: recordedAt,
          },
        }));
        // The set first, then the run row that names it: readers switch to the new set only then.
        await insert('run_exceptions', rows);
        await insert('runs', [{ insertId: `${run.runId}@${stamp}`, json: runRow }]);
      });
    },

    async getRun(runId: string): Promise<RunRecord | undefined> {
      const rows = await all(`SELECT ${RUN_COLUMNS} FROM (${latestRuns} WHERE run_id = @run_id) AS r WHERE version = 1`, {
        run_id: { type: 'STRING', value: runId },
      });
      return rows[0] === undefined ? undefined : runFromRow(rows[0]);
    },

    async listRuns(options = {}): Promise<RunRecord[]> {
      const params: Params = {};
      let where = 'version = 1';
      if (options.businessDate !== undefined) {
        params['business_date'] = { type: 'DATE', value: BigQuery.date(dateArg(options.businessDate, 'businessDate')) };
        where += ' AND business_date = @business_date';
      }
      if (options.before !== undefined) {
        params['before'] = { type: 'DATE', value: BigQuery.date(dateArg(options.before, 'before')) };
        where += ' AND business_date < @before';
      }
      let sql = `SELECT ${RUN_COLUMNS} FROM (${latestRuns}) AS r WHERE ${where} ORDER BY business_date DESC, started_at DESC, run_id DESC`;
      if (options.limit !== undefined) {
        params['row_limit'] = { type: 'INT64', value: String(limitOf(options.limit)) };
        sql += ' LIMIT @row_limit';
      }
      return (await all(sql, params)).map(runFromRow);
    },

    async runExceptions(runId: string): Promise<RunException[]> {
      const sql = `SELECT ${EXCEPTION_COLUMNS} FROM (
          SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.exception_id) AS copy
          FROM ${table('run_exceptions')} AS x
          JOIN (SELECT run_id, MAX(exceptions_recorded_at) AS current_set FROM ${table('runs')} WHERE run_id = @run_id GROUP BY run_id) AS c
            ON c.run_id = x.run_id AND c.current_set = x.recorded_at
          WHERE x.run_id = @run_id
        ) AS d WHERE copy = 1 ORDER BY exception_id`;
      return (await all(sql, { run_id: { type: 'STRING', value: runId } })).map(exceptionFromRow);
    },

    async exceptionsForOrder(orderKey: string, limit?: number): Promise<RunException[]> {
      const params: Params = { order_key: { type: 'STRING', value: orderKey } };
      let sql = `SELECT ${EXCEPTION_COLUMNS} FROM (
          SELECT x.*, r.started_at AS run_started_at, ROW_NUMBER() OVER (PARTITION BY x.run_id, x.exception_id) AS copy
          FROM ${table('run_exceptions')} AS x
          JOIN (SELECT run_id, started_at, current_set FROM (${latestRuns}) AS s WHERE version = 1) AS r
            ON r.run_id = x.run_id AND r.current_set = x.recorded_at
          WHERE x.order_key = @order_key
        ) AS d WHERE copy = 1
        ORDER BY business_date DESC, run_started_at DESC, run_id DESC, exception_id`;
      if (limit !== undefined) {
        params['row_limit'] = { type: 'INT64', value: String(limitOf(limit)) };
        sql += ' LIMIT @row_limit';
      }
      return (await all(sql, params)).map(exceptionFromRow);
    },

    async close(): Promise<void> {
      if (closed) return;
      // Queued writes finish first (a SIGTERM flush must not cut an append short).
      await serialize(async () => {
        closed = true;
      });
    },
  };
}

/** The events row of a canonical event; throws before anything is sent when it cannot be stored. */
function eventRow(event: CanonicalEvent, raw: RawRecord, seq: number): Row {
  const occurredAt = canonicalInstant(event.occurredAt);
  if (occurredAt === undefined) throw new TypeError(`event ${event.id} has an occurredAt that is not an instant`);
  const system = typeof (event as { system?: unknown }).system === 'string' ? event.system : raw.system;
  return {
    event_id: event.id,
    raw_id: raw.id,
    system,
    kind: event.kind,
    order_key: orderKeyOf(event),
    occurred_at: occurredAt,
    received_at: event.receivedAt,
    // Throws for what JSON cannot hold (a BigInt), failing the whole call before the first request.
    data: JSON.stringify(event),
    seq: String(seq),
  };
}

/** The order an event names directly (`order:<key>`), as the Pub/Sub transform sets it; else null. */
function orderKeyOf(event: CanonicalEvent): string | null {
  const refs = (event as { refs?: unknown }).refs;
  if (!Array.isArray(refs)) return null;
  const direct = refs.find((r): r is string => typeof r === 'string' && r.startsWith('order:'));
  return direct === undefined ? null : direct.slice('order:'.length);
}

function rawColumns(r: RawRecord): Row {
  return { id: r.id, system: r.system, topic: r.topic ?? null, received_at: r.receivedAt, headers: JSON.stringify(r.headers ?? {}), body: r.body };
}

function timeWhere(alias: string, filter: ScanFilter, params: Params): string {
  let sql = '';
  if (filter.from !== undefined) {
    params['from_time'] = { type: 'TIMESTAMP', value: BigQuery.timestamp(filter.from) };
    sql += ` AND ${alias}.received_at >= @from_time`;
  }
  if (filter.to !== undefined) {
    params['to_time'] = { type: 'TIMESTAMP', value: BigQuery.timestamp(filter.to) };
    sql += ` AND ${alias}.received_at < @to_time`;
  }
  return sql;
}

/** Why an insertAll failed, with BigQuery's first row error when it refused rows. */
function insertError(name: Table, error: unknown): Error {
  // The client's PartialFailureError: insertErrors per row ({ errors, row }); an HTTP error is an ApiError.
  const rows = (error as { name?: unknown; errors?: { errors?: { message?: string; reason?: string }[] }[] }).errors;
  if ((error as { name?: unknown }).name === 'PartialFailureError' && Array.isArray(rows) && rows.length > 0) {
    const first = rows.flatMap((r) => r.errors ?? []).find((e) => e.reason !== 'stopped') ?? rows[0]?.errors?.[0];
    return new Error(`BigQuery refused ${rows.length} row(s) of ${name}: ${first?.reason ?? 'invalid'}: ${first?.message ?? 'no message'}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function instantCell(value: unknown): string {
  if (value instanceof BigQueryTimestamp) return canonicalInstant(value.value) ?? value.value;
  return String(value);
}

function nullableInstantCell(value: unknown): string | null {
  return value == null ? null : instantCell(value);
}

function dateCell(value: unknown): string {
  return value instanceof BigQueryDate ? value.value : String(value);
}

function json(value: unknown): unknown {
  return value == null ? null : (JSON.parse(value as string) as unknown);
}

function rawFromRow(row: Row): RawRecord {
  return {
    id: row['id'] as string,
    system: row['system'] as string,
    topic: (row['topic'] as string | null) ?? null,
    receivedAt: instantCell(row['received_at']),
    headers: (json(row['headers']) ?? {}) as Record<string, string>,
    body: row['body'] as string,
  };
}

function quarantineFromRow(row: Row): QuarantineRecord {
  return { ...rawFromRow(row), error: row['error'] as string, resolvedAt: nullableInstantCell(row['resolved_at']) };
}

function runFromRow(row: Row): RunRecord {
  return {
    runId: row['run_id'] as string,
    businessDate: dateCell(row['business_date']),
    asOf: instantCell(row['as_of']),
    startedAt: instantCell(row['started_at']),
    finishedAt: nullableInstantCell(row['finished_at']),
    status: row['status'] as RunRecord['status'],
    error: (row['error'] as string | null) ?? null,
    postedTo: (row['posted_to'] as string | null) ?? null,
    report: json(row['report']),
  };
}

function exceptionFromRow(row: Row): RunException {
  return {
    runId: row['run_id'] as string,
    businessDate: dateCell(row['business_date']),
    exceptionId: row['exception_id'] as string,
    orderKey: row['order_key'] as string,
    code: row['code'] as string,
    bucket: row['bucket'] as string,
    amount: Number(row['amount']),
    currency: row['currency'] as string,
    narrative: row['narrative'] as string,
    facts: json(row['facts']),
  };
}

async function* rowsOf(pages: AsyncIterable<Row[]>): AsyncGenerator<Row> {
  for await (const page of pages) yield* page;
}

const bySeq = (a: Row, b: Row): number => Number(a['seq']) - Number(b['seq']);

/** A calendar date `YYYY-MM-DD` that exists, for a DATE column. */
function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** A value to store in a DATE column, or a TypeError (the write fails before anything is sent). */
function dateOf(text: string, name: string): string {
  if (typeof text !== 'string' || !isDate(text)) throw new TypeError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(text)}`);
  return text;
}

/** A caller's date argument, or a RangeError naming it. */
function dateArg(text: string, name: string): string {
  if (typeof text !== 'string' || !isDate(text)) throw new RangeError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(text)}`);
  return text;
}

function limitOf(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
