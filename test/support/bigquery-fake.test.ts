// The BigQuery fake's source tables and the GoogleSQL it translates for the feed queries, through the official client.
import { BigQuery } from '@google-cloud/bigquery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBigQueryClient, queryPages, type QueryRow } from '#shared/adapters/gcp/bigquery-client.ts';
import { startBigQueryFake, type BigQueryFake } from './bigquery-fake.ts';

process.env.METADATA_SERVER_DETECTION ??= 'none';

let fake: BigQueryFake;
beforeAll(async () => {
  fake = await startBigQueryFake();
  fake.createTable('CREATE TABLE IF NOT EXISTS `acme-finance.ledger.entries` (entry_id STRING NOT NULL, amount NUMERIC NOT NULL, big BIGNUMERIC, booked_at TIMESTAMP NOT NULL) PARTITION BY DATE(booked_at)');
});
afterAll(() => fake.stop());

async function query(sql: string, params = {}): Promise<QueryRow[]> {
  const bq = openBigQueryClient({ projectId: fake.projectId, apiEndpoint: fake.apiEndpoint });
  const rows: QueryRow[] = [];
  for await (const page of queryPages(bq, sql, params, 100)) rows.push(...page);
  return rows;
}

describe('the BigQuery fake: source tables and feed-query SQL', () => {
  it('creates a table of another project from DDL and checks what is stored in it; exact decimals are kept as BigQuery prints them', async () => {
    expect(fake.tables.get('acme-finance.ledger.entries')?.columns.map((c) => `${c.name} ${c.type} ${c.mode}`)).toEqual([
      'entry_id STRING REQUIRED',
      'amount NUMERIC REQUIRED',
      'big BIGNUMERIC NULLABLE',
      'booked_at TIMESTAMP REQUIRED',
    ]);
    fake.insertRows('acme-finance.ledger.entries', [
      { entry_id: '007', amount: '0025.50', big: '-0.000', booked_at: '2026-11-25T09:30:00.123456Z' },
      { entry_id: 'x', amount: 12, booked_at: '2026-11-25T10:00:00+01:00' },
    ]);
    expect(() => fake.insertRows('acme-finance.ledger.entries', [{ entry_id: 'y', amount: '1.0000000001', booked_at: '2026-11-25T10:00:00Z' }])).toThrow(/Invalid NUMERIC value/);
    expect(() => fake.insertRows('acme-finance.ledger.entries', [{ entry_id: 'y', amount: '1e3', booked_at: '2026-11-25T10:00:00Z' }])).toThrow(/Invalid NUMERIC value/);
    expect(() => fake.createTable('CREATE TABLE `acme-finance.ledger.entries` (a STRING)')).toThrow(/Already Exists/);
    expect(fake.rows('acme-finance.ledger.entries').map((r) => [r['amount'], r['big']])).toEqual([
      ['25.5', '0'],
      ['12', null],
    ]);
  });

  it('CAST(... AS STRING) keeps text as text, FORMAT_TIMESTAMP formats the stored instant in UTC', async () => {
    const rows = await query(
      `SELECT CAST(e.entry_id AS STRING) AS id, CAST(e.amount AS STRING) AS amount,
         FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E3SZ', e.booked_at, 'UTC') AS iso,
         FORMAT_TIMESTAMP('%F %T%Ez', e.booked_at) AS plain, FORMAT_TIMESTAMP('%E6S|%E*S|%%', e.booked_at) AS seconds
       FROM \`acme-finance.ledger.entries\` AS e WHERE e.booked_at > @after ORDER BY e.booked_at`,
      { after: { type: 'TIMESTAMP', value: BigQuery.timestamp('2026-11-25T00:00:00Z') } },
    );
    expect(rows).toEqual([
      { id: 'x', amount: '12', iso: '2026-11-25T09:00:00.000Z', plain: '2026-11-25 09:00:00+00:00', seconds: '00.000000|00|%' },
      { id: '007', amount: '25.5', iso: '2026-11-25T09:30:00.123Z', plain: '2026-11-25 09:30:00+00:00', seconds: '00.123456|00.123456|%' },
    ]);
  });

  it('refuses what it cannot do faithfully: another time zone, an unknown format element, an unknown table', async () => {
    await expect(query("SELECT FORMAT_TIMESTAMP('%F', booked_at, 'America/New_York') AS d FROM `acme-finance.ledger.entries`")).rejects.toThrow(/UTC only/);
    await expect(query("SELECT FORMAT_TIMESTAMP('%A', booked_at) AS d FROM `acme-finance.ledger.entries`")).rejects.toThrow(/element %A is not supported/);
    await expect(query('SELECT 1 AS one FROM `acme-finance.ledger.missing`')).rejects.toThrow(/Not found: Table acme-finance:ledger\.missing/);
    await expect(query('SELECT 1 AS one FROM `acme-books.gl.entries`')).rejects.toThrow(/Not found: Dataset acme-books:gl/);
  });
});
