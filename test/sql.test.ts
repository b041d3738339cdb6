// sql/ as written: every file is well-formed, the tables are partitioned and clustered as designed,
// the views and the warehouse feed say what the design needs, and the BigQuery tables declared in
// Terraform (infra/bigquery.tf, infra/schemas/*.json) have exactly the columns of sql/tables/*.sql.
//
// No BigQuery SQL parser is installed in this project (none is among its dependencies, and none
// is installed for this test), so the statements are not parsed as SQL: a small lexer strips
// comments and string literals, checks quotes, backticks and parentheses balance, and the column
// lists of the CREATE TABLE statements are read from the lexed text. The SQL itself is checked by
// BigQuery when Terraform creates the views and by a dry run (`bq query --dry_run`) by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCreateTable } from './support/bigquery-ddl.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SQL = join(ROOT, 'sql');
const INFRA = join(ROOT, 'infra');

const read = (path: string): string => readFileSync(path, 'utf8');
const sqlFiles = (dir: string): string[] =>
  readdirSync(join(SQL, dir))
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => join(SQL, dir, f));
const ALL_SQL = [...sqlFiles('tables'), ...sqlFiles('views'), ...sqlFiles('feeds')];
const nameOf = (path: string): string => path.replace(/^.*\//, '').replace(/\.sql$/, '');

type Lexed = { readonly code: string; readonly errors: string[] };

/**
 * Removes comments (`--`, `#`, `/* *\/`) and replaces the contents of string literals ('…', "…")
 * with `s`, keeping backtick identifiers whole; reports unterminated literals and unbalanced
 * parentheses. BigQuery escapes quotes inside literals with a backslash.
 */
function lex(text: string): Lexed {
  const errors: string[] = [];
  let code = '';
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '\n') line++;
    if ((c === '-' && next === '-') || c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      code += '\n';
      line++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) {
        errors.push(`line ${line}: unterminated /* comment`);
        break;
      }
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 1;
      code += ' ';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const start = line;
      let j = i + 1;
      let closed = false;
      for (; j < text.length; j++) {
        const d = text[j];
        if (d === '\\' && c !== '`') {
          j++;
          continue;
        }
        if (d === '\n') {
          if (c !== '`') break; // quoted strings do not span lines (triple quotes are not used here)
          line++;
        }
        if (d === c) {
          closed = true;
          break;
        }
      }
      if (!closed) {
        errors.push(`line ${start}: unterminated ${c}`);
        break;
      }
      code += c === '`' ? text.slice(i, j + 1) : `${c}s${c}`;
      i = j;
      continue;
    }
    if (c === '(') depth++;
    if (c === ')') {
      depth--;
      if (depth < 0) {
        errors.push(`line ${line}: ) without (`);
        depth = 0;
      }
    }
    code += c;
  }
  if (depth !== 0) errors.push(`${depth} unclosed (`);
  return { code, errors };
}

type Column = { readonly name: string; readonly type: string; readonly mode: 'REQUIRED' | 'NULLABLE' };
type Ddl = { readonly table: string; readonly columns: Column[]; readonly partitionBy: string; readonly clusterBy: string[] };

const TYPE_ALIASES: Record<string, string> = { INT64: 'INTEGER', BOOL: 'BOOLEAN', FLOAT64: 'FLOAT' };
const normalType = (t: string): string => TYPE_ALIASES[t.toUpperCase()] ?? t.toUpperCase();

/** The CREATE TABLE statement of a lexed file: table, columns, partitioning and clustering. */
function ddl(code: string): Ddl {
  const t = readCreateTable(code);
  if (!t.ifNotExists) throw new Error(`CREATE TABLE ${t.table} must say IF NOT EXISTS`);
  const columns = t.columns.map((c): Column => ({ name: c.name, type: normalType(c.type), mode: c.notNull ? 'REQUIRED' : 'NULLABLE' }));
  return { table: t.table, columns, partitionBy: t.partitionBy, clusterBy: [...t.clusterBy] };
}

/** How each archive table is laid out (DESIGN §11; sql/README.md). */
const LAYOUT: Record<string, { partitionBy: string; clusterBy: string[]; tf: { type: string; field: string } }> = {
  events: { partitionBy: 'DATE(received_at)', clusterBy: ['order_key', 'kind'], tf: { type: 'DAY', field: 'received_at' } },
  raw: { partitionBy: 'DATE(received_at)', clusterBy: ['system', 'id'], tf: { type: 'DAY', field: 'received_at' } },
  quarantine: { partitionBy: 'DATE(received_at)', clusterBy: ['system', 'id'], tf: { type: 'DAY', field: 'received_at' } },
  runs: { partitionBy: 'DATE_TRUNC(business_date, MONTH)', clusterBy: ['business_date', 'run_id'], tf: { type: 'MONTH', field: 'business_date' } },
  run_exceptions: { partitionBy: 'business_date', clusterBy: ['order_key'], tf: { type: 'DAY', field: 'business_date' } },
  dead_letters: { partitionBy: 'DATE(publish_time)', clusterBy: ['subscription_name'], tf: { type: 'DAY', field: 'publish_time' } },
};

describe('every .sql file', () => {
  it('there are the tables, views and feed the archive needs', () => {
    expect(sqlFiles('tables').map(nameOf)).toEqual(['dead_letters', 'events', 'quarantine', 'raw', 'run_exceptions', 'runs']);
    expect(sqlFiles('views').map(nameOf)).toEqual(['events_dedup', 'exception_aging', 'exceptions_by_night_and_owner', 'rule_hits', 'runs_latest']);
    expect(sqlFiles('feeds').map(nameOf)).toEqual(['warehouse']);
  });

  it.each(ALL_SQL.map((f) => [relative(ROOT, f), f]))('%s is non-empty, opens with a header comment and is balanced', (_name, file) => {
    const text = read(file);
    expect(text.startsWith('-- ')).toBe(true);
    const { code, errors } = lex(text);
    expect(errors).toEqual([]);
    expect(code.trim().length).toBeGreaterThan(20);
    expect(/\b(SELECT|CREATE TABLE)\b/.test(code)).toBe(true);
  });

  it.each(ALL_SQL.map((f) => [relative(ROOT, f), f]))('%s uses only its documented placeholders, and says how', (_name, file) => {
    const text = read(file);
    const feed = file.includes('/feeds/');
    const allowed = feed ? ['ledger_table'] : ['project', 'dataset'];
    const used = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] as string);
    expect(used.filter((u) => !allowed.includes(u))).toEqual([]);
    expect(text).not.toContain('%{'); // Terraform template directive syntax
    const header = text.split('\n').filter((l) => l.startsWith('--')).join('\n');
    expect(header).toContain(feed ? '`${ledger_table}`' : '`${project}.${dataset}.<table>`');
    // Table references: fully qualified through the placeholders, nothing else.
    const { code } = lex(text);
    for (const m of code.matchAll(/`([^`]+)`/g)) {
      expect(m[1]).toMatch(feed ? /^\$\{ledger_table\}$/ : /^\$\{project\}\.\$\{dataset\}\.\w+$/);
    }
  });

  it('every view renders with Terraform templatefile variables project and dataset alone', () => {
    for (const file of sqlFiles('views')) {
      const rendered = read(file).replaceAll('${project}', 'acme-prod').replaceAll('${dataset}', 'tieout');
      expect(rendered, file).not.toContain('${');
    }
  });
});

describe('tables', () => {
  it.each(Object.entries(LAYOUT))('%s: CREATE TABLE with the designed PARTITION BY and CLUSTER BY', (name, layout) => {
    const t = ddl(lex(read(join(SQL, 'tables', `${name}.sql`))).code);
    expect(t.table).toBe(`\${project}.\${dataset}.${name}`);
    expect(t.partitionBy).toBe(layout.partitionBy);
    expect(t.clusterBy).toEqual(layout.clusterBy);
  });

  it('events has the canonical event columns; order_key stays nullable for the matcher to fill', () => {
    const cols = new Map(ddl(lex(read(join(SQL, 'tables/events.sql'))).code).columns.map((c) => [c.name, c]));
    for (const [name, type, mode] of [
      ['event_id', 'STRING', 'REQUIRED'],
      ['raw_id', 'STRING', undefined],
      ['system', 'STRING', 'REQUIRED'],
      ['kind', 'STRING', 'REQUIRED'],
      ['order_key', 'STRING', 'NULLABLE'],
      ['occurred_at', 'TIMESTAMP', 'REQUIRED'],
      ['received_at', 'TIMESTAMP', 'REQUIRED'],
      ['publish_time', 'TIMESTAMP', 'NULLABLE'],
      ['data', 'JSON', 'REQUIRED'],
    ] as const) {
      expect(cols.get(name)?.type, name).toBe(type);
      if (mode !== undefined) expect(cols.get(name)?.mode, name).toBe(mode);
    }
  });

  it('every column of the embedded (SQLite) archive has its BigQuery counterpart', () => {
    const sqlite = read(join(ROOT, 'shared/adapters/sqlite/archive.ts'));
    const RENAMED: Record<string, Record<string, string>> = { events: { id: 'event_id', json: 'data' } };
    for (const m of sqlite.matchAll(/CREATE TABLE (\w+) \(([\s\S]*?)\n\s*\)/g)) {
      const table = m[1] as string;
      const bq = new Set(ddl(lex(read(join(SQL, 'tables', `${table}.sql`))).code).columns.map((c) => c.name));
      const columns = (m[2] as string)
        .split('\n')
        .map((l) => /^\s*(\w+)\s+(TEXT|INTEGER)/.exec(l)?.[1])
        .filter((c): c is string => c !== undefined && c !== 'seq');
      for (const c of columns) expect(bq.has(RENAMED[table]?.[c] ?? c), `${table}.${c}`).toBe(true);
    }
  });
});

describe('views', () => {
  const view = (name: string): string => lex(read(join(SQL, 'views', `${name}.sql`))).code;
  const tablesAndViews = new Set([...sqlFiles('tables'), ...sqlFiles('views')].map(nameOf));

  it('read only tables and views declared here', () => {
    for (const file of sqlFiles('views')) {
      for (const m of lex(read(file)).code.matchAll(/`\$\{project\}\.\$\{dataset\}\.(\w+)`/g)) {
        expect(tablesAndViews.has(m[1] as string), `${nameOf(file)} reads ${m[1]}`).toBe(true);
      }
    }
  });

  it('events_dedup keeps one row per event_id, the first received', () => {
    const code = view('events_dedup');
    expect(code).toMatch(/FROM `\$\{project\}\.\$\{dataset\}\.events`/);
    expect(code).toMatch(/PARTITION BY event_id\s+ORDER BY received_at ASC/);
    expect(code).toMatch(/QUALIFY ROW_NUMBER\(\) OVER copies = 1/);
  });

  it('runs_latest keeps the newest recorded state of each run', () => {
    expect(view('runs_latest')).toMatch(/PARTITION BY run_id\s+ORDER BY recorded_at DESC/);
  });

  it('the audit views read the night from the latest finished run of each business date', () => {
    for (const name of ['exceptions_by_night_and_owner', 'exception_aging', 'rule_hits']) {
      const code = view(name);
      expect(code, name).toContain('`${project}.${dataset}.runs_latest`');
      expect(code, name).toMatch(/WHERE status = 's'/); // 'finished', with the literal blanked by the lexer
      expect(read(join(SQL, 'views', `${name}.sql`)), name).toContain("status = 'finished'");
      expect(code, name).toMatch(/PARTITION BY business_date ORDER BY started_at DESC/);
    }
    expect(read(join(SQL, 'views/exceptions_by_night_and_owner.sql'))).toContain("'$.owner'");
    expect(view('exceptions_by_night_and_owner')).toMatch(/SUM\(e\.amount\) AS amount_at_risk/);
    expect(view('exception_aging')).toMatch(/COUNT\(DISTINCT business_date\) AS nights_open/);
    expect(read(join(SQL, 'views/rule_hits.sql'))).toContain("'$.ruleHits'");
  });
});

describe('the warehouse feed', () => {
  const text = read(join(SQL, 'feeds/warehouse.sql'));
  const { code } = lex(text);

  it('selects the ledger columns newer than @watermark, in order', () => {
    for (const column of ['entry_id', 'order_id', 'entry_type', 'amount', 'currency', 'booked_at']) {
      expect(code).toMatch(new RegExp(`\\b${column}\\b(,|\\s*\\n)`));
    }
    expect(code).toMatch(/WHERE ledger\.booked_at > @watermark/);
    expect(code).toMatch(/ORDER BY ledger\.booked_at ASC, ledger\.entry_id ASC/);
    expect(code).toMatch(/CAST\(ledger\.amount AS STRING\) AS amount/); // exact decimals, never floats
  });

  it('binds @watermark as a TIMESTAMP parameter and says how the next watermark is taken', () => {
    expect(text).toMatch(/@watermark TIMESTAMP/);
    expect(text).toMatch(/The next watermark: the largest booked_at among the rows this query returned/);
  });
});

describe('Terraform table schemas match sql/tables', () => {
  type Table = { schema: string; time_partitioning: { type: string; field: string }[]; clustering: string[] };
  let tables: Map<string, Table>;

  beforeAll(async () => {
    const doc = (await parse('bigquery.tf', read(join(INFRA, 'bigquery.tf')))) as { resource: { google_bigquery_table: Record<string, (Table & { table_id: string; view?: unknown })[]> } };
    tables = new Map();
    for (const blocks of Object.values(doc.resource.google_bigquery_table)) {
      const t = blocks[0];
      if (t !== undefined && t.view === undefined) tables.set(t.table_id, t);
    }
  });

  it('declares a table for every sql/tables file and no other', () => {
    expect([...tables.keys()].sort()).toEqual(sqlFiles('tables').map(nameOf));
  });

  it.each(sqlFiles('tables').map((f) => [nameOf(f), f]))('%s: same columns, types and modes, same partitioning and clustering', (name, file) => {
    const sql = ddl(lex(read(file)).code);
    const t = tables.get(name);
    const schemaFile = /schemas\/([\w-]+\.json)/.exec(t?.schema ?? '')?.[1];
    expect(schemaFile).toBe(`${name}.json`);
    const schema = JSON.parse(read(join(INFRA, 'schemas', schemaFile as string))) as { name: string; type: string; mode?: string; description?: string }[];
    expect(schema.map((c) => ({ name: c.name, type: normalType(c.type), mode: c.mode ?? 'NULLABLE' }))).toEqual(sql.columns);
    for (const c of schema) expect(c.description, `${name}.${c.name}`).toBeTruthy();
    expect(t?.time_partitioning[0]).toEqual(LAYOUT[name]?.tf);
    expect(t?.clustering).toEqual(sql.clusterBy);
  });
});
