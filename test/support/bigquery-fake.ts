// A local stand-in for the BigQuery REST API (insertAll, jobs.query, getQueryResults) on node:sqlite, for the BigQuery adapters' tests.
//
// No BigQuery emulator exists here (DESIGN §13), so the BigQuery adapters (the archive, the warehouse
// ledger) are tested through the official client pointed at this server (`apiEndpoint`). It speaks
// exactly the calls the adapters make:
//   POST /bigquery/v2/projects/P/datasets/D/tables/T/insertAll   streaming insert
//   POST /bigquery/v2/projects/P/queries                         jobs.query (first page)
//   GET  /bigquery/v2/projects/P/queries/JOB                     getQueryResults (later pages, polls)
// Anything else answers 404 and stays in `requests`, so a test sees a call the fake does not know.
//
// What it holds to, as BigQuery does:
// - The tables are created from the repository's own DDL (sql/tables/*.sql, placeholders substituted):
//   the columns, types, modes, partitioning and clustering the adapter writes against are the ones
//   Terraform deploys. Views are not created (their BigQuery-only syntax is not translated). A test
//   creates a source table of any project and dataset (the warehouse ledger) with `createTable(ddl)`
//   and fills it with `insertRows`, checked like insertAll. NUMERIC / BIGNUMERIC hold exact decimals,
//   kept as BigQuery prints them (`25.50` is stored and cast to STRING as `25.5`).
// - insertAll checks every row against the schema (no unknown field, REQUIRED present, each value of
//   its type; a JSON column takes a JSON text) and, unless skipInvalidRows, stores nothing of a
//   request with an invalid row (the others are reported `stopped`). insertId dedupe is best effort
//   in BigQuery, so by default the fake does NOT drop repeated insertIds: every copy is stored and
//   the adapter's read-time dedupe is what the tests see (`honorInsertIds` turns dropping on).
// - JSON values are normalized on the way in (object keys sorted, whitespace dropped), so a reader
//   that depended on key order or formatting would fail here as it would on BigQuery.
// - A query job's result set is fixed when the job runs; pages are served from it (a snapshot).
// - Only SELECT / WITH queries run: DML and DDL are refused (the archive is append-only by design).
//
// How a query runs: its GoogleSQL text is translated token by token, never matched by name: backtick
// names `project.dataset.table` become the SQLite table (an unknown one is 404 Not found), "..." and
// '...' literals become SQLite literals, `IN UNNEST(@p)` of an ARRAY parameter becomes a json_each
// subquery, @name parameters are bound with values converted by their declared types (TIMESTAMP
// as microseconds, as stored). A parameter the text uses but the request does not carry is refused.
// `CAST(x AS STRING|INT64|FLOAT64|BOOL|NUMERIC|BIGNUMERIC)` casts to the matching SQLite type (SQLite
// alone would give `STRING` a numeric affinity), and FORMAT_TIMESTAMP is a SQLite function over the
// stored microseconds (UTC; an unsupported format element or zone is an error, not a guess).
// SQLite is more lenient than BigQuery about types and GROUP BY; that gap is not closed here.
// Result types come from the origin column (its DDL type); computed columns are typed by value.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { gunzipSync } from 'node:zlib';
import { readCreateTable } from './bigquery-ddl.ts';

export type BigQueryFakeOptions = {
  readonly projectId?: string;
  readonly dataset?: string;
  /** Drop rows whose insertId this table has seen (BigQuery's best-effort dedupe); default false. */
  readonly honorInsertIds?: boolean;
  /** Answer each new query job `jobComplete: false` this many times before its results. Default 0. */
  readonly pendingPolls?: number;
  /** Columns to leave out of the created tables, as in a dataset deployed from an older DDL. */
  readonly omitColumns?: Readonly<Record<string, readonly string[]>>;
};

/** One request as it reached the fake. */
export type FakeRequest = {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly authorization: string | undefined;
};

export type FakeColumn = { readonly name: string; readonly type: string; readonly mode: 'REQUIRED' | 'NULLABLE' };
export type FakeTable = { readonly name: string; readonly columns: readonly FakeColumn[]; readonly partitionBy: string; readonly clusterBy: readonly string[] };
/** A table a CREATE TABLE statement declares, with the project and dataset it names. */
type DeclaredTable = FakeTable & { readonly project: string; readonly dataset: string };

export type BigQueryFake = {
  /** For `new BigQuery({ apiEndpoint })` / `createBigQueryArchive({ apiEndpoint })`. */
  readonly apiEndpoint: string;
  readonly projectId: string;
  readonly dataset: string;
  /** Every request received, in order. */
  readonly requests: readonly FakeRequest[];
  /**
   * The tables, by name: those of sql/tables (and any `createTable` makes in the fake's own dataset)
   * by table name, a table of another project or dataset by its full name `project.dataset.table`.
   */
  readonly tables: ReadonlyMap<string, FakeTable>;
  /** Every stored row of a table in insert order (TIMESTAMP as ISO text, INT64 as number, JSON parsed). */
  rows(table: string): Record<string, unknown>[];
  /** The next insertAll into `table` fails with this HTTP status (400: not retried by the client). */
  failNextInsert(table: string, status?: number, message?: string): void;
  /**
   * Creates a table from GoogleSQL DDL (`CREATE TABLE [IF NOT EXISTS] \`project.dataset.table\` (...)`),
   * in any project and dataset: a source table a test reads from, such as the warehouse ledger.
   */
  createTable(ddl: string): FakeTable;
  /** Stores rows in a table as insertAll does (each value checked against its column); throws on an invalid row. */
  insertRows(table: string, rows: readonly Record<string, unknown>[]): void;
  stop(): Promise<void>;
};

const SQL_TABLES = new URL('../../sql/tables/', import.meta.url);

/** Starts the fake on 127.0.0.1 and a free port, with the tables of sql/tables created empty. */
export async function startBigQueryFake(options: BigQueryFakeOptions = {}): Promise<BigQueryFake> {
  const projectId = options.projectId ?? 'tieout-test';
  const dataset = options.dataset ?? 'tieout';
  const db = new DatabaseSync(':memory:');
  registerFunctions(db);
  const tables = new Map<string, FakeTable>();
  /** A table's key in `tables` and its SQLite name: the bare name in the fake's own dataset, else the full name. */
  const keyOf = (project: string, ds: string, name: string): string => (project === projectId && ds === dataset ? name : `${project}.${ds}.${name}`);
  const create = (declared: DeclaredTable): FakeTable => {
    const { project, dataset: ds, ...t } = declared;
    const key = keyOf(project, ds, t.name);
    if (tables.has(key)) throw new Error(`Already Exists: Table ${project}:${ds}.${t.name}`);
    tables.set(key, t);
    db.exec(`CREATE TABLE ${quoteName(key)} (${t.columns.map((c) => `${quoteName(c.name)} ${SQLITE_TYPES[c.type] ?? 'ANY'}${c.mode === 'REQUIRED' ? ' NOT NULL' : ''}`).join(', ')})`);
    return t;
  };
  for (const file of readdirSync(SQL_TABLES).filter((f) => f.endsWith('.sql')).sort()) {
    const text = readFileSync(new URL(file, SQL_TABLES), 'utf8').replaceAll('${project}', projectId).replaceAll('${dataset}', dataset);
    const parsed = parseDdl(text);
    if (parsed.project !== projectId || parsed.dataset !== dataset) throw new Error(`${file}: unexpected table name ${parsed.project}.${parsed.dataset}.${parsed.name}`);
    const omit = new Set(options.omitColumns?.[parsed.name] ?? []);
    create({ ...parsed, columns: parsed.columns.filter((c) => !omit.has(c.name)) });
  }

  const requests: FakeRequest[] = [];
  const jobs = new Map<string, Job>();
  const insertIds = new Map<string, Set<string>>();
  const failures = new Map<string, { status: number; message: string }>();
  const inserts = new Map<string, StatementSync>();

  const fail = (status: number, reason: string, message: string): Reply => ({
    status,
    body: { error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT' } },
  });

  /** The table a name resolves to, with its key; 404 for a table that was never created. */
  const tableOf = (project: string, ds: string, name: string): { key: string; table: FakeTable } | Reply => {
    const key = keyOf(project, ds, name);
    const table = tables.get(key);
    if (table !== undefined) return { key, table };
    if (![...tables.keys()].some((k) => (k.includes('.') ? k.startsWith(`${project}.${ds}.`) : project === projectId && ds === dataset))) return fail(404, 'notFound', `Not found: Dataset ${project}:${ds}`);
    return fail(404, 'notFound', `Not found: Table ${project}:${ds}.${name}`);
  };

  function insertAll(project: string, ds: string, name: string, body: unknown): Reply {
    const found = tableOf(project, ds, name);
    if ('status' in found) return found;
    const { key, table } = found;
    const failure = failures.get(key);
    if (failure) {
      failures.delete(key);
      return fail(failure.status, failure.status >= 500 ? 'backendError' : 'invalid', failure.message);
    }
    const request = body as { rows?: unknown; skipInvalidRows?: boolean; ignoreUnknownValues?: boolean };
    if (!Array.isArray(request.rows) || request.rows.length === 0) return fail(400, 'invalid', 'No rows present in the request.');
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    const good: { insertId: string | undefined; values: SQLInputValue[] }[] = [];
    const errors: { index: number; errors: { reason: string; location: string; message: string }[] }[] = [];
    request.rows.forEach((entry: unknown, index: number) => {
      const { insertId, json } = (entry ?? {}) as { insertId?: unknown; json?: unknown };
      const rowErrors: { reason: string; location: string; message: string }[] = [];
      if (json === null || typeof json !== 'object' || Array.isArray(json)) {
        errors.push({ index, errors: [{ reason: 'invalid', location: '', message: 'A row must be a JSON object.' }] });
        return;
      }
      for (const field of Object.keys(json)) {
        if (!byName.has(field) && !request.ignoreUnknownValues) rowErrors.push({ reason: 'invalid', location: field, message: `no such field: ${field}.` });
      }
      const values = table.columns.map((c) => {
        const stored = storeValue(c, (json as Record<string, unknown>)[c.name]);
        if ('error' in stored) {
          rowErrors.push({ reason: 'invalid', location: c.name, message: stored.error });
          return null;
        }
        return stored.value;
      });
      if (rowErrors.length > 0) errors.push({ index, errors: rowErrors });
      else good.push({ insertId: typeof insertId === 'string' && insertId !== '' ? insertId : undefined, values });
    });
    if (errors.length > 0 && !request.skipInvalidRows) {
      const bad = new Set(errors.map((e) => e.index));
      const stopped = request.rows.map((_: unknown, index: number) => index).filter((i: number) => !bad.has(i));
      return {
        status: 200,
        body: {
          kind: 'bigquery#tableDataInsertAllResponse',
          insertErrors: [...errors, ...stopped.map((index: number) => ({ index, errors: [{ reason: 'stopped', location: '', message: '' }] }))].sort((a, b) => a.index - b.index),
        },
      };
    }
    let insert = inserts.get(key);
    if (insert === undefined) {
      insert = db.prepare(`INSERT INTO ${quoteName(key)} VALUES (${table.columns.map(() => '?').join(', ')})`);
      inserts.set(key, insert);
    }
    const seen = insertIds.get(key) ?? new Set<string>();
    insertIds.set(key, seen);
    db.exec('BEGIN');
    try {
      for (const row of good) {
        if (options.honorInsertIds && row.insertId !== undefined && seen.has(row.insertId)) continue;
        if (row.insertId !== undefined) seen.add(row.insertId);
        insert.run(...row.values);
      }
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    return { status: 200, body: errors.length > 0 ? { kind: 'bigquery#tableDataInsertAllResponse', insertErrors: errors } : { kind: 'bigquery#tableDataInsertAllResponse' } };
  }

  function runQuery(project: string, body: unknown): Reply {
    if (project !== projectId) return fail(404, 'notFound', `Not found: Project ${project}`);
    const request = body as { query?: unknown; useLegacySql?: unknown; queryParameters?: unknown; maxResults?: unknown; formatOptions?: { useInt64Timestamp?: unknown } };
    if (typeof request.query !== 'string') return fail(400, 'invalid', 'Required parameter is missing: query');
    if (request.useLegacySql !== false) return fail(400, 'invalid', 'The fake runs GoogleSQL only: send useLegacySql: false');
    const translated = translate(request.query, (name) => {
      const parts = name.split('.');
      if (parts.length === 1) return { sql: quoteName(parts[0] as string) };
      const [p, d, t] = parts.length === 3 ? parts : [projectId, ...parts];
      const found = tableOf(p as string, d as string, t as string);
      return 'status' in found ? { error: found } : { sql: quoteName(found.key) };
    });
    if ('status' in translated) return translated;
    let params: Record<string, SQLInputValue>;
    try {
      params = bindParameters(request.queryParameters, translated.parameters);
    } catch (error) {
      return fail(400, 'invalidQuery', (error as Error).message);
    }
    let result: { columns: FakeColumn[]; values: unknown[][] };
    try {
      const statement = db.prepare(translated.sql);
      statement.setReadBigInts(true);
      const origin = statement.columns();
      const rows = statement.all(params) as Record<string, unknown>[];
      const values = rows.map((r) => origin.map((c) => r[c.name]));
      const columns = origin.map((c, i) => {
        const declared = c.table !== null && c.column !== null ? tables.get(c.table)?.columns.find((x) => x.name === c.column) : undefined;
        return { name: c.name, type: declared?.type ?? typeOfValues(values.map((v) => v[i])), mode: declared?.mode ?? ('NULLABLE' as const) };
      });
      result = { columns, values };
    } catch (error) {
      return fail(400, 'invalidQuery', `${(error as Error).message} (as SQLite: ${translated.sql.replace(/\s+/g, ' ').slice(0, 300)})`);
    }
    const id = `job_${randomUUID().replaceAll('-', '')}`;
    const job: Job = { id, ...result, pending: options.pendingPolls ?? 0 };
    jobs.set(id, job);
    if (job.pending > 0) {
      job.pending--;
      return { status: 200, body: { kind: 'bigquery#queryResponse', jobReference: reference(job), jobComplete: false } };
    }
    return { status: 200, body: { kind: 'bigquery#queryResponse', ...page(job, 0, numberOr(request.maxResults), request.formatOptions?.useInt64Timestamp === true) } };
  }

  function queryResults(project: string, jobId: string, query: URLSearchParams): Reply {
    const job = project === projectId ? jobs.get(jobId) : undefined;
    if (job === undefined) return fail(404, 'notFound', `Not found: Job ${project}:${jobId}`);
    if (job.pending > 0) {
      job.pending--;
      return { status: 200, body: { kind: 'bigquery#getQueryResultsResponse', jobReference: reference(job), jobComplete: false } };
    }
    const offset = Number(query.get('pageToken') ?? query.get('startIndex') ?? '0');
    if (!Number.isSafeInteger(offset) || offset < 0) return fail(400, 'invalid', 'Invalid page token');
    return { status: 200, body: { kind: 'bigquery#getQueryResultsResponse', ...page(job, offset, numberOr(query.get('maxResults')), query.get('formatOptions.useInt64Timestamp') === 'true') } };
  }

  const reference = (job: Job) => ({ projectId, jobId: job.id, location: 'US' });

  function page(job: Job, offset: number, maxResults: number | undefined, int64Timestamps: boolean) {
    const end = maxResults === undefined ? job.values.length : Math.min(job.values.length, offset + maxResults);
    const rows = job.values.slice(offset, end).map((values) => ({ f: values.map((v, i) => ({ v: cell((job.columns[i] as FakeColumn).type, v, int64Timestamps) })) }));
    return {
      jobReference: reference(job),
      jobComplete: true,
      schema: { fields: job.columns.map(({ name, type, mode }) => ({ name, type, mode })) },
      totalRows: String(job.values.length),
      rows,
      ...(end < job.values.length ? { pageToken: String(end) } : {}),
      totalBytesProcessed: '0',
      cacheHit: false,
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/bigquery\/v2(?=\/)/, '');
    let body: unknown;
    let reply: Reply;
    const record = () => requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), body, authorization: req.headers.authorization });
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      let bytes = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') bytes = gunzipSync(bytes);
      try {
        body = bytes.length > 0 ? (JSON.parse(bytes.toString('utf8')) as unknown) : undefined;
      } finally {
        record();
      }
      const segments = path.split('/').slice(1).map(decodeURIComponent);
      const [p0, project, p2, ds, p4, name, last] = segments;
      if (req.method === 'POST' && segments.length === 7 && p0 === 'projects' && p2 === 'datasets' && p4 === 'tables' && last === 'insertAll') {
        reply = insertAll(project as string, ds as string, name as string, body);
      } else if (req.method === 'POST' && segments.length === 3 && p0 === 'projects' && p2 === 'queries') {
        reply = runQuery(project as string, body);
      } else if (req.method === 'GET' && segments.length === 4 && p0 === 'projects' && p2 === 'queries') {
        reply = queryResults(project as string, ds as string, url.searchParams);
      } else {
        reply = fail(404, 'notFound', `the BigQuery fake does not implement ${req.method} ${url.pathname}`);
      }
    } catch (error) {
      reply = fail(400, 'invalid', `the fake could not handle the request: ${(error as Error).message}`);
    }
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(reply.body));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 500, message: String(error), errors: [{ reason: 'internalError', message: String(error) }] } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;

  return {
    apiEndpoint: `http://127.0.0.1:${port}`,
    projectId,
    dataset,
    requests,
    tables,
    rows(name: string) {
      const table = tables.get(name);
      if (table === undefined) throw new Error(`no table ${name}`);
      // `name` is the table's key, which is also its SQLite name.
      const statement = db.prepare(`SELECT * FROM ${quoteName(name)} ORDER BY rowid`);
      statement.setReadBigInts(true);
      return (statement.all() as Record<string, unknown>[]).map((row) =>
        Object.fromEntries(table.columns.map((c) => [c.name, decoded(c.type, row[c.name])])),
      );
    },
    failNextInsert(name: string, status = 400, message = `insert into ${name} failed (injected by the test)`) {
      failures.set(name, { status, message });
    },
    createTable(ddl: string) {
      return create(parseDdl(ddl));
    },
    insertRows(name: string, rows: readonly Record<string, unknown>[]) {
      const parts = name.split('.');
      const [p, d, t] = parts.length === 3 ? parts : [projectId, dataset, name];
      const reply = insertAll(p as string, d as string, t as string, { rows: rows.map((json) => ({ json })) });
      const errors = (reply.body as { insertErrors?: unknown; error?: { message?: string } }).insertErrors;
      if (reply.status !== 200) throw new Error((reply.body as { error?: { message?: string } }).error?.message ?? `insert into ${name} failed`);
      if (errors !== undefined) throw new Error(`insert into ${name} refused rows: ${JSON.stringify(errors)}`);
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => db.close());
      return stopping;
    },
  };
}

type Reply = { readonly status: number; readonly body: unknown };
type Job = { readonly id: string; readonly columns: FakeColumn[]; readonly values: unknown[][]; pending: number };

/** How each BigQuery type is stored in SQLite (TIMESTAMP as microseconds since the epoch). */
const SQLITE_TYPES: Record<string, string> = {
  STRING: 'TEXT',
  INTEGER: 'INTEGER',
  FLOAT: 'REAL',
  BOOLEAN: 'INTEGER',
  TIMESTAMP: 'INTEGER',
  DATE: 'TEXT',
  JSON: 'TEXT',
  BYTES: 'BLOB',
  // Exact decimals are kept as canonical decimal text (no trailing zeros), as CAST(... AS STRING) prints them.
  NUMERIC: 'TEXT',
  BIGNUMERIC: 'TEXT',
};
/** GoogleSQL type names as the REST API's schemas spell them. */
const API_TYPES: Record<string, string> = { INT64: 'INTEGER', FLOAT64: 'FLOAT', BOOL: 'BOOLEAN', DECIMAL: 'NUMERIC', BIGDECIMAL: 'BIGNUMERIC' };
/** The SQLite type a GoogleSQL CAST target becomes (SQLite would read `STRING` as a numeric affinity). */
const CAST_TYPES: Record<string, string> = { STRING: 'TEXT', INT64: 'INTEGER', FLOAT64: 'REAL', BOOL: 'INTEGER', NUMERIC: 'TEXT', BIGNUMERIC: 'TEXT', DECIMAL: 'TEXT', BIGDECIMAL: 'TEXT' };
/** Digits a NUMERIC / BIGNUMERIC holds before and after the point. */
const DECIMAL_DIGITS: Record<string, { readonly whole: number; readonly scale: number }> = { NUMERIC: { whole: 29, scale: 9 }, BIGNUMERIC: { whole: 38, scale: 38 } };
const apiType = (t: string): string => API_TYPES[t.toUpperCase()] ?? t.toUpperCase();

const quoteName = (name: string): string => `"${name.replaceAll('"', '""')}"`;

type Token = { readonly kind: 'code' | 'string' | 'name'; readonly text: string };

/** Splits GoogleSQL into code, string literals ('…', "…", with backslash escapes) and `names`; drops comments. */
function lex(sql: string): Token[] {
  const tokens: Token[] = [];
  let code = '';
  const flush = () => {
    if (code !== '') tokens.push({ kind: 'code', text: code });
    code = '';
  };
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if ((c === '-' && next === '-') || c === '#') {
      while (i < sql.length && sql[i] !== '\n') i++;
      code += '\n';
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SyntaxError('unterminated /* comment');
      i = end + 1;
      code += ' ';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let text = '';
      let j = i + 1;
      for (; j < sql.length && sql[j] !== c; j++) {
        if (sql[j] === '\\' && c !== '`') {
          const escaped = sql[++j] as string;
          text += ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '`': '`' } as Record<string, string>)[escaped] ?? escaped;
        } else text += sql[j];
      }
      if (j >= sql.length) throw new SyntaxError(`unterminated ${c}`);
      flush();
      tokens.push({ kind: c === '`' ? 'name' : 'string', text });
      i = j;
      continue;
    }
    code += c;
  }
  flush();
  return tokens;
}

/** Reads a CREATE TABLE statement (a sql/tables file, or a test's DDL): the table, its columns, partitioning, clustering. */
function parseDdl(text: string): DeclaredTable {
  const tokens = lex(text);
  const code = tokens.map((t) => (t.kind === 'code' ? t.text : t.kind === 'name' ? `\`${t.text}\`` : "''")).join('');
  const t = readCreateTable(code);
  const [p, d, name, extra] = t.table.split('.');
  if (p === undefined || d === undefined || name === undefined || extra !== undefined || !/^\w[\w-]*$/.test(name)) throw new Error(`table name ${t.table} is not project.dataset.table`);
  const columns = t.columns.map((c): FakeColumn => {
    const type = apiType(c.type);
    if (!(type in SQLITE_TYPES)) throw new Error(`column ${c.name}: type ${c.type} is not supported by the fake`);
    return { name: c.name, type, mode: c.notNull ? 'REQUIRED' : 'NULLABLE' };
  });
  const { partitionBy, clusterBy } = t;
  return { project: p, dataset: d, name, columns, partitionBy, clusterBy };
}

/**
 * GoogleSQL → SQLite for the subset the archive uses (see the header). `resolve` maps a backtick
 * name to SQL or to an error reply; the result lists the @parameters the text uses.
 */
function translate(sql: string, resolve: (name: string) => { sql: string } | { error: Reply }): { sql: string; parameters: Set<string> } | Reply {
  const invalid = (message: string): Reply => ({ status: 400, body: { error: { code: 400, message, errors: [{ message, domain: 'global', reason: 'invalidQuery' }], status: 'INVALID_ARGUMENT' } } });
  let tokens: Token[];
  try {
    tokens = lex(sql);
  } catch (error) {
    return invalid(`Syntax error: ${(error as Error).message}`);
  }
  const code = tokens.filter((t) => t.kind === 'code').map((t) => t.text).join(' ');
  const first = /^\s*(\w+)/.exec(code)?.[1]?.toUpperCase();
  if (first !== 'SELECT' && first !== 'WITH') return invalid(`the fake runs queries only (SELECT or WITH), not ${first ?? 'an empty statement'}: the archive never sends DML or DDL`);
  if (/;\s*\S/.test(code)) return invalid('one statement per query');
  const parameters = new Set<string>();
  let out = '';
  for (const token of tokens) {
    if (token.kind === 'string') out += `'${token.text.replaceAll("'", "''")}'`;
    else if (token.kind === 'name') {
      const resolved = resolve(token.text);
      if ('error' in resolved) return resolved.error;
      out += resolved.sql;
    } else {
      for (const m of token.text.matchAll(/(?<!@)@(\w+)/g)) parameters.add(m[1] as string);
      out += token.text
        .replace(/\bUNNEST\s*\(\s*@(\w+)\s*\)/gi, '(SELECT value FROM json_each(@$1))')
        .replace(/\bAS\s+(STRING|INT64|FLOAT64|BOOL|NUMERIC|BIGNUMERIC|DECIMAL|BIGDECIMAL)\s*\)/gi, (_m, type: string) => `AS ${CAST_TYPES[type.toUpperCase()] as string})`);
    }
  }
  return { sql: out, parameters };
}

type QueryParameter = {
  readonly name?: string;
  readonly parameterType?: { readonly type?: string; readonly arrayType?: { readonly type?: string } };
  readonly parameterValue?: { readonly value?: unknown; readonly arrayValues?: readonly { readonly value?: unknown }[] } | null;
};

/** The request's named parameters as SQLite values; every parameter the text uses must be there. */
function bindParameters(raw: unknown, used: ReadonlySet<string>): Record<string, SQLInputValue> {
  const out: Record<string, SQLInputValue> = {};
  for (const p of (raw ?? []) as QueryParameter[]) {
    if (typeof p.name !== 'string') throw new Error('positional parameters are not used by the archive');
    const type = apiType(p.parameterType?.type ?? '');
    if (type === 'ARRAY') {
      const elementType = apiType(p.parameterType?.arrayType?.type ?? '');
      const values = (p.parameterValue?.arrayValues ?? []).map((v) => jsonable(paramValue(elementType, v.value, p.name as string)));
      out[p.name] = JSON.stringify(values);
    } else out[p.name] = paramValue(type, p.parameterValue?.value, p.name);
  }
  for (const name of used) if (!(name in out)) throw new Error(`Query parameter '${name}' not found`);
  // SQLite refuses a binding the text does not use; BigQuery leaves it unused.
  return Object.fromEntries(Object.entries(out).filter(([name]) => used.has(name)));
}

function paramValue(type: string, value: unknown, name: string): SQLInputValue {
  if (value === undefined || value === null) return null;
  const text = String(value);
  switch (type) {
    case 'STRING':
    case 'JSON':
      return text;
    case 'INTEGER':
      if (!/^-?\d+$/.test(text)) throw new Error(`Invalid INT64 value for parameter ${name}: ${text}`);
      return BigInt(text);
    case 'FLOAT':
      return Number(text);
    case 'BOOLEAN':
      return text.toLowerCase() === 'true' ? 1 : 0;
    case 'DATE':
      if (!isDate(text)) throw new Error(`Invalid DATE value for parameter ${name}: ${text}`);
      return text;
    case 'NUMERIC':
    case 'BIGNUMERIC': {
      const decimal = canonicalDecimal(text, type);
      if (decimal === undefined) throw new Error(`Invalid ${type} value for parameter ${name}: ${text}`);
      return decimal;
    }
    case 'TIMESTAMP': {
      const micros = timestampMicros(text);
      if (micros === undefined) throw new Error(`Invalid TIMESTAMP value for parameter ${name}: ${text}`);
      return micros;
    }
    default:
      throw new Error(`parameter ${name}: type ${type} is not supported by the fake`);
  }
}

const jsonable = (v: SQLInputValue): unknown => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : String(v)) : v);

/** An insertAll value checked against its column and converted for storage. */
function storeValue(column: FakeColumn, value: unknown): { value: SQLInputValue } | { error: string } {
  if (value === undefined || value === null) return column.mode === 'REQUIRED' ? { error: `Missing required field: ${column.name}.` } : { value: null };
  const bad = { error: `Cannot convert value to ${column.type.toLowerCase()}: ${JSON.stringify(value)} (field ${column.name}).` };
  switch (column.type) {
    case 'STRING':
      return typeof value === 'string' ? { value } : bad;
    case 'INTEGER':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return { value: BigInt(value) };
      if (typeof value === 'string' && /^-?\d{1,19}$/.test(value) && BigInt(value) <= 2n ** 63n - 1n && BigInt(value) >= -(2n ** 63n)) return { value: BigInt(value) };
      return bad;
    case 'FLOAT':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) ? { value: Number(value) } : bad;
    case 'BOOLEAN':
      if (typeof value === 'boolean') return { value: value ? 1 : 0 };
      return value === 'true' || value === 'false' ? { value: value === 'true' ? 1 : 0 } : bad;
    case 'TIMESTAMP': {
      const micros = typeof value === 'string' ? timestampMicros(value) : typeof value === 'number' && Number.isFinite(value) ? BigInt(Math.round(value * 1e6)) : undefined;
      return micros === undefined ? bad : { value: micros };
    }
    case 'DATE':
      return typeof value === 'string' && isDate(value) ? { value } : bad;
    case 'NUMERIC':
    case 'BIGNUMERIC': {
      const decimal = typeof value === 'string' || typeof value === 'number' ? canonicalDecimal(String(value), column.type) : undefined;
      return decimal === undefined ? { error: `Invalid ${column.type} value: ${JSON.stringify(value)} (field ${column.name}).` } : { value: decimal };
    }
    case 'JSON': {
      if (typeof value !== 'string') return { error: `A JSON column takes JSON text, got ${typeof value} (field ${column.name}).` };
      try {
        return { value: JSON.stringify(sortKeys(JSON.parse(value) as unknown)) };
      } catch {
        return { error: `Invalid JSON text (field ${column.name}).` };
      }
    }
    default:
      return { error: `type ${column.type} is not supported by the fake` };
  }
}

/** BigQuery's JSON type keeps no key order or whitespace: the normalized form sorts object keys. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A TIMESTAMP literal as microseconds since the epoch (no zone means UTC, as in BigQuery). */
function timestampMicros(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (!isDate(`${m[1]}-${m[2]}-${m[3]}`) || h > 23 || mi > 59 || s > 59) return undefined;
  let offsetMinutes = 0;
  const zone = m[8]?.toUpperCase();
  if (zone !== undefined && zone !== 'Z' && zone !== 'UTC') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!z) return undefined;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  const seconds = Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - offsetMinutes * 60;
  return BigInt(seconds) * 1_000_000n + BigInt((m[7] ?? '').padEnd(6, '0'));
}

/** A decimal as BigQuery prints an exact number (`025.50` → `25.5`, `-0.0` → `0`); undefined when it does not fit the type. */
function canonicalDecimal(text: string, type: string): string | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const whole = (m[2] as string).replace(/^0+(?=\d)/, '') || '0';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const digits = DECIMAL_DIGITS[type] as { whole: number; scale: number };
  if (whole.replace(/^0$/, '').length > digits.whole || fraction.length > digits.scale) return undefined;
  const negative = m[1] === '-' && (whole !== '0' || fraction !== '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * GoogleSQL functions SQLite lacks, for the queries the fake runs: FORMAT_TIMESTAMP(format, timestamp
 * [, zone]) on the stored microseconds, in UTC only, with the format elements listed in `formatTimestamp`.
 */
function registerFunctions(db: DatabaseSync): void {
  db.function('FORMAT_TIMESTAMP', { deterministic: true, varargs: true }, (...args: unknown[]) => {
    if (args.length < 2 || args.length > 3) throw new Error('FORMAT_TIMESTAMP takes (format, timestamp [, time zone])');
    const [format, micros, zone] = args;
    if (format === null || micros === null) return null;
    if (zone !== undefined && zone !== null && !['UTC', 'Etc/UTC', 'Z', '+00', '+00:00'].includes(String(zone))) {
      throw new Error(`the fake formats timestamps in UTC only, not ${String(zone)}`);
    }
    return formatTimestamp(String(format), BigInt(micros as number | bigint));
  });
}

/** FORMAT_TIMESTAMP in UTC: %Y %m %d %H %M %S %E<n>S %E*S %F %T %Ez %z %Z %%; another element is an error, as an unknown one is worth knowing about. */
function formatTimestamp(format: string, micros: bigint): string {
  const ms = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
  const sub = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const parts: Record<string, string> = {
    Y: String(d.getUTCFullYear()).padStart(4, '0'),
    m: two(d.getUTCMonth() + 1),
    d: two(d.getUTCDate()),
    H: two(d.getUTCHours()),
    M: two(d.getUTCMinutes()),
    S: two(d.getUTCSeconds()),
    Z: 'UTC',
    z: '+0000',
    '%': '%',
  };
  parts['F'] = `${parts['Y']}-${parts['m']}-${parts['d']}`;
  parts['T'] = `${parts['H']}:${parts['M']}:${parts['S']}`;
  return format.replace(/%(E(\d|\*)S|Ez|.)/g, (element, spec: string, digits: string | undefined) => {
    if (spec === 'Ez') return '+00:00';
    if (digits !== undefined) {
      const fraction = String(sub).padStart(6, '0');
      const shown = digits === '*' ? fraction.replace(/0+$/, '') : fraction.slice(0, Number(digits)).padEnd(Number(digits), '0');
      return shown === '' ? (parts['S'] as string) : `${parts['S']}.${shown}`;
    }
    const value = parts[spec];
    if (value === undefined) throw new Error(`FORMAT_TIMESTAMP element ${element} is not supported by the fake`);
    return value;
  });
}

function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** A computed column's type, from its values (SQLite keeps no declared type for expressions). */
function typeOfValues(values: readonly unknown[]): string {
  const sample = values.find((v) => v !== null && v !== undefined);
  if (typeof sample === 'bigint' || typeof sample === 'number') return Number.isInteger(Number(sample)) ? 'INTEGER' : 'FLOAT';
  return 'STRING';
}

/** A stored value as the REST API writes a cell: text, TIMESTAMP in microseconds or float seconds. */
function cell(type: string, value: unknown, int64Timestamps: boolean): string | null {
  if (value === null || value === undefined) return null;
  if (type === 'TIMESTAMP') return int64Timestamps ? String(value) : String(Number(value) / 1e6);
  if (type === 'BOOLEAN') return Number(value) !== 0 ? 'true' : 'false';
  return String(value);
}

/** A stored value for a test to read. */
function decoded(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'TIMESTAMP') {
    const micros = BigInt(value as bigint);
    const iso = new Date(Number(micros / 1000n)).toISOString();
    return `${iso.slice(0, 23)}${String(micros % 1000n).padStart(3, '0')}Z`;
  }
  if (type === 'INTEGER') return Number(value);
  if (type === 'BOOLEAN') return Number(value) !== 0;
  if (type === 'JSON') return JSON.parse(value as string) as unknown;
  return value;
}

function numberOr(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
