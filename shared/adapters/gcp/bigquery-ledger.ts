// The warehouse ledger in BigQuery: sql/feeds/warehouse.sql run against the configured table, @watermark bound, read page by page.
//
// The query text is the repository's file (DESIGN §3), so what runs is what is reviewed. BigQuery cannot
// bind a table name, so `${ledger_table}` is the one thing spliced into it, and only a name that passed
// `parseLedgerTable` (project.dataset.table of letters, digits, `_` and `-`); every value — the
// watermark — is a query parameter. The rows are the warehouse CSV columns, every cell text (the query
// casts amounts to exact decimal strings and formats booked_at as an ISO instant), NULL as null.
import { readFileSync } from 'node:fs';
import { BigQuery } from '@google-cloud/bigquery';
import { canonicalInstant } from '../../domain/instant.ts';
import { parseLedgerTable } from '../../domain/ledger-table.ts';
import { err, ok, type Result } from '../../domain/result.ts';
import type { LedgerRow, WarehouseLedger } from '../../ports/warehouse-ledger.ts';
import { openBigQueryClient, queryPages, type BigQueryConnection } from './bigquery-client.ts';

/** The feed query shipped with tieout (the image carries sql/feeds/). */
export const WAREHOUSE_FEED_SQL = new URL('../../../sql/feeds/warehouse.sql', import.meta.url);

const PLACEHOLDER = /\$\{(\w*)\}/g;

/** Options for the BigQuery ledger; `projectId` is where the query jobs run, which may differ from the ledger's project. */
export type BigQueryLedgerOptions = BigQueryConnection & {
  /** The ledger, `project.dataset.table`. */
  readonly table: string;
  /** The query text (default: sql/feeds/warehouse.sql). */
  readonly query?: string;
  /** A client to use as it is (its own endpoint and credentials). */
  readonly bigquery?: BigQuery;
};

/**
 * The feed query for one ledger: `template` with `${ledger_table}` replaced by the checked table name.
 * Refuses a name that is not project.dataset.table, and a template that has no such placeholder, has
 * another one tieout would not fill, or does not use @watermark.
 */
export function ledgerQuery(template: string, table: string): Result<string> {
  const parsed = parseLedgerTable(table);
  if (!parsed.ok) return parsed;
  const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
  if (!names.includes('ledger_table')) return err('the warehouse feed query has no ${ledger_table} placeholder for the table');
  const unknown = [...new Set(names.filter((n) => n !== 'ledger_table'))];
  if (unknown.length > 0) return err(`the warehouse feed query has placeholders tieout does not fill: ${unknown.map((n) => `\${${n}}`).join(', ')}`);
  if (!/@watermark\b/.test(template)) return err('the warehouse feed query does not use the @watermark parameter');
  return ok(template.replaceAll('${ledger_table}', parsed.value.name));
}

/** A result cell as text: strings as sent, numbers as written, a wrapped value (a TIMESTAMP column) by its text. */
function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && typeof (value as { value?: unknown }).value === 'string') return (value as { value: string }).value;
  return JSON.stringify(value);
}

/**
 * Opens the ledger `options.table` in BigQuery. Throws a RangeError for a table name or query that
 * `ledgerQuery` refuses, before anything is sent.
 */
export function createBigQueryLedger(options: BigQueryLedgerOptions): WarehouseLedger {
  const sql = ledgerQuery(options.query ?? readFileSync(WAREHOUSE_FEED_SQL, 'utf8'), options.table);
  if (!sql.ok) throw new RangeError(`warehouse ledger: ${sql.errors.join('; ')}`);
  const bq = options.bigquery ?? openBigQueryClient(options);
  let closed = false;
  return {
    name: options.table,
    entriesAfter(watermark: string, pageSize = 1000): AsyncIterable<readonly LedgerRow[]> {
      const from = canonicalInstant(watermark);
      if (from === undefined) throw new RangeError(`watermark must be an ISO 8601 instant with a zone, got ${JSON.stringify(watermark)}`);
      if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
      return (async function* () {
        if (closed) throw new Error(`warehouse ledger ${options.table} is closed`);
        const params = { watermark: { type: 'TIMESTAMP', value: BigQuery.timestamp(from) } };
        for await (const page of queryPages(bq, sql.value, params, pageSize, options.location)) {
          yield page.map((row): LedgerRow => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cellText(v)])));
        }
      })();
    },
    async close() {
      closed = true;
    },
  };
}
