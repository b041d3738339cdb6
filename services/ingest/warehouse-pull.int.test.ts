// The warehouse ledger pull against BigQuery's REST API (test/support/bigquery-fake.ts): the real feed query, the official client, real archives.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBigQueryArchive } from '#shared/adapters/gcp/bigquery-archive.ts';
import { createBigQueryLedger, ledgerQuery, WAREHOUSE_FEED_SQL } from '#shared/adapters/gcp/bigquery-ledger.ts';
import { createMemoryArchive } from '#shared/adapters/memory/archive.ts';
import { createMemoryEventBus } from '#shared/adapters/memory/event-bus.ts';
import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { silentLogger } from '#shared/log.ts';
import type { Archive, RawRecord } from '#shared/ports/archive.ts';
import { MATCHER_SUBSCRIPTION, type EventBus } from '#shared/ports/event-bus.ts';
import type { OrderStateStore } from '#shared/ports/order-state-store.ts';
import type { WarehouseLedger } from '#shared/ports/warehouse-ledger.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type NormalizeContext } from '#shared/sources/source.ts';
import { startBigQueryFake, type BigQueryFake } from '../../test/support/bigquery-fake.ts';
import { foldEvents } from '../matcher/fold.ts';
import { importText } from './files.ts';
import { latestWatermark } from './ledger-watermark.ts';
import { createNightlyLedgerPull } from './nightly-ledger-pull.ts';
import { pullWarehouseLedger, type PullOptions } from './warehouse-pull.ts';

// Off Google Cloud there is no metadata server; do not let Google's auth library probe for one.
process.env.METADATA_SERVER_DETECTION ??= 'none';

const TABLE = 'acme-finance.ledger.entries';
const LEDGER_DDL = `
  CREATE TABLE \`${TABLE}\` (
    entry_id STRING NOT NULL,
    order_id STRING,
    entry_type STRING NOT NULL,
    amount NUMERIC NOT NULL,
    currency STRING NOT NULL,
    booked_at TIMESTAMP NOT NULL
  )
  PARTITION BY DATE(booked_at)
  CLUSTER BY order_id`;
const EPOCH = '1970-01-01T00:00:00.000Z';
const checkConfig = { processorGateways: ['stripe'], settlementEnabled: false };

const entry = (entryId: string, orderId: string | null, entryType: string, amount: string, bookedAt: string, currency = 'USD') => ({
  entry_id: entryId,
  order_id: orderId,
  entry_type: entryType,
  amount,
  currency,
  booked_at: bookedAt,
});

const drain = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

let fake: BigQueryFake;
let ledger: WarehouseLedger;
let archive: Archive;
let bus: EventBus;
let store: OrderStateStore;
let clock: string;
const now = () => clock;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  fake = await startBigQueryFake();
  fake.createTable(LEDGER_DDL);
  ledger = createBigQueryLedger({ projectId: fake.projectId, table: TABLE, apiEndpoint: fake.apiEndpoint });
  archive = createMemoryArchive();
  bus = createMemoryEventBus({ subscriptions: [MATCHER_SUBSCRIPTION] });
  store = createMemoryOrderStateStore();
  clock = '2026-11-26T06:00:00.000Z';
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await ledger.close();
  await fake.stop();
});

const pull = (options: Partial<PullOptions> = {}, over: { archive?: Archive; bus?: EventBus; normalize?: NormalizeContext; ledger?: WarehouseLedger } = {}) =>
  pullWarehouseLedger(
    { archive: over.archive ?? archive, bus: over.bus ?? bus, normalize: over.normalize ?? DEFAULT_NORMALIZE_CONTEXT, ledger: over.ledger ?? ledger, now },
    { start: EPOCH, lookbackHours: 24, ...options },
  );

/** What the matcher would do: fold every pending event into order state, then ack. */
async function applyPending(): Promise<{ applied: number; duplicates: number }> {
  let applied = 0;
  let duplicates = 0;
  for (;;) {
    const batch = await bus.pull(MATCHER_SUBSCRIPTION, { max: 500, leaseMs: 30_000 });
    if (batch.length === 0) return { applied, duplicates };
    const events = batch.map((m) => JSON.parse(m.data) as CanonicalEvent);
    const r = await store.transact((tx) => foldEvents(tx, events, { checkConfig, now: clock }));
    applied += r.applied;
    duplicates += r.duplicates;
    await bus.ack(MATCHER_SUBSCRIPTION, batch.map((m) => m.ackId));
  }
}

const ledgerRaws = async (a: Archive = archive): Promise<RawRecord[]> => (await drain(a.scanRaw({}))).filter((r) => r.topic === 'ledger-entry');
const queries = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/queries'));

describe('the warehouse ledger pull', () => {
  it('first pull: runs sql/feeds/warehouse.sql with the table spliced in and @watermark bound, archives and publishes every entry, stores the watermark', async () => {
    fake.insertRows(TABLE, [
      entry('le_1', '#1001', 'sale', '598.94', '2026-11-24T10:00:00Z'),
      entry('le_2', '1002', 'sale', '25.50', '2026-11-25T09:30:00Z'),
      entry('le_3', null, 'refund', '10', '2026-11-25T10:00:00Z', 'usd'),
    ]);
    const s = await pull();
    expect(s).toEqual({
      table: TABLE,
      dryRun: false,
      readAfter: EPOCH,
      previousWatermark: null,
      watermark: '2026-11-25T10:00:00.000Z',
      rows: 3,
      events: 3,
      duplicates: 0,
      quarantined: 0,
      quarantine: [],
    });

    // What went to BigQuery: the file's text, the checked name in place of the placeholder, the watermark a TIMESTAMP parameter.
    const [sent] = queries();
    const body = sent?.body as { query: string; useLegacySql: boolean; queryParameters: unknown[] };
    expect(body.query).toBe(readFileSync(WAREHOUSE_FEED_SQL, 'utf8').replaceAll('${ledger_table}', TABLE));
    expect(body.query).toContain(`FROM \`${TABLE}\` AS ledger`);
    expect(body.useLegacySql).toBe(false);
    expect(body.queryParameters).toEqual([{ name: 'watermark', parameterType: { type: 'TIMESTAMP' }, parameterValue: { value: expect.stringMatching(/^1970-01-01[T ]00:00:00/) } }]);

    // Archived as ledger rows of the CSV columns, exact decimals as BigQuery prints them, and published.
    const raws = await ledgerRaws();
    expect(raws.map((r) => r.id)).toEqual(['warehouse:le_1', 'warehouse:le_2', 'warehouse:le_3']);
    expect(JSON.parse(raws[1]?.body ?? '')).toEqual({ entry_id: 'le_2', order_id: '1002', entry_type: 'sale', amount: '25.5', currency: 'USD', booked_at: '2026-11-25T09:30:00.000Z' });
    expect(JSON.parse(raws[2]?.body ?? '').order_id).toBe(''); // NULL is an empty cell, as in a CSV
    const messages = await bus.pull(MATCHER_SUBSCRIPTION, { max: 10, leaseMs: 1000 });
    const events = messages.map((m) => JSON.parse(m.data) as CanonicalEvent);
    expect(events.map((e) => [e.id, e.kind, e.refs])).toEqual([
      ['warehouse:le_1', 'booking', ['booking:le_1', 'order:1001']],
      ['warehouse:le_2', 'booking', ['booking:le_2', 'order:1002']],
      ['warehouse:le_3', 'booking', ['booking:le_3']],
    ]);
    expect(events[1]?.data).toMatchObject({ entryType: 'sale', amount: { amount: 2550, currency: 'USD' }, bookedAt: '2026-11-25T09:30:00.000Z' });
    expect(messages.every((m) => m.attributes['eventId'] === m.id && m.attributes['rawId'] === m.id)).toBe(true);

    const stored = await latestWatermark(archive, TABLE);
    expect(stored).toMatchObject({ n: 1, watermark: '2026-11-25T10:00:00.000Z', readAfter: EPOCH, rows: 3, pulledAt: clock });
  });

  it('incremental pull: reads again from the watermark less the lookback; rows read twice are counted as duplicates and not applied twice', async () => {
    fake.insertRows(TABLE, [
      entry('le_1', '1001', 'sale', '598.94', '2026-11-24T10:00:00Z'),
      entry('le_2', '1002', 'sale', '25.50', '2026-11-25T09:30:00Z'),
      entry('le_3', '1003', 'sale', '10.00', '2026-11-25T10:00:00Z'),
    ]);
    await pull();
    expect(await applyPending()).toEqual({ applied: 3, duplicates: 0 });

    clock = '2026-11-27T06:00:00.000Z';
    fake.insertRows(TABLE, [entry('le_4', '1004', 'sale', '42', '2026-11-26T01:00:00Z')]);
    const s = await pull();
    // Booked after 2026-11-25T10:00 less 24 h: le_2 and le_3 again (le_1 sits exactly on the bound), and le_4.
    expect(s).toMatchObject({ readAfter: '2026-11-24T10:00:00.000Z', previousWatermark: '2026-11-25T10:00:00.000Z', watermark: '2026-11-26T01:00:00.000Z', rows: 3, events: 3, duplicates: 2, quarantined: 0 });
    const lastQuery = queries().at(-1)?.body as { queryParameters: { parameterValue: { value: string } }[] };
    expect(lastQuery.queryParameters[0]?.parameterValue.value).toMatch(/^2026-11-24[T ]10:00:00/);

    // Every sink dedupes on the event id: the archive keeps one copy, the matcher applies each once.
    expect(await applyPending()).toEqual({ applied: 1, duplicates: 2 });
    expect((await ledgerRaws()).map((r) => r.id)).toEqual(['warehouse:le_1', 'warehouse:le_2', 'warehouse:le_3', 'warehouse:le_4']);
    expect(await archive.countEvents()).toBe(4);
    const doc = await store.get('1002');
    expect(doc?.state.eventIds.filter((id) => id === 'warehouse:le_2')).toHaveLength(1);
    expect(await latestWatermark(archive, TABLE)).toMatchObject({ n: 2, watermark: '2026-11-26T01:00:00.000Z' });
  });

  it('a row committed late with an earlier booked_at inside the lookback is picked up; the watermark never goes back', async () => {
    fake.insertRows(TABLE, [entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z'), entry('le_2', '1002', 'sale', '6', '2026-11-26T01:00:00Z')]);
    await pull();

    // Committed after the pull, booked before its watermark: within 24 h of it, and three days before it.
    fake.insertRows(TABLE, [entry('le_late', '1005', 'sale', '7', '2026-11-25T20:00:00Z'), entry('le_too_late', '1006', 'sale', '8', '2026-11-23T08:00:00Z')]);
    clock = '2026-11-27T06:00:00.000Z';
    const s = await pull();
    expect(s).toMatchObject({ readAfter: '2026-11-25T01:00:00.000Z', rows: 3, duplicates: 2, watermark: '2026-11-26T01:00:00.000Z' });
    expect((await ledgerRaws()).map((r) => r.id)).toContain('warehouse:le_late');
    // A commit later than the lookback is not read: that is what the lookback is sized against.
    expect((await ledgerRaws()).map((r) => r.id)).not.toContain('warehouse:le_too_late');
    // Nothing booked later than the watermark came back: no new watermark record.
    expect(await latestWatermark(archive, TABLE)).toMatchObject({ n: 1, watermark: '2026-11-26T01:00:00.000Z' });

    // A backfill with --since reads it, and still leaves the watermark where it was.
    const backfill = await pull({ since: '2026-11-23T00:00:00Z' });
    expect(backfill).toMatchObject({ readAfter: '2026-11-23T00:00:00.000Z', rows: 4, duplicates: 3, watermark: '2026-11-26T01:00:00.000Z' });
    expect((await ledgerRaws()).map((r) => r.id)).toContain('warehouse:le_too_late');
  });

  it('a bad row is quarantined whole with its error, the others go through, and the watermark passes it', async () => {
    fake.insertRows(TABLE, [
      entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z'),
      entry('le_accrual', '1002', 'accrual', '6', '2026-11-25T11:00:00Z'),
      entry('le_negative', '1003', 'refund', '-7', '2026-11-25T12:00:00Z'),
      entry('le_currency', '1004', 'sale', '8', '2026-11-25T13:00:00Z', 'XYZ'),
    ]);
    const s = await pull();
    expect(s).toMatchObject({ rows: 4, events: 1, quarantined: 3, watermark: '2026-11-25T13:00:00.000Z' });
    expect(s.quarantine.map((q) => q.row)).toEqual([2, 3, 4]);
    expect(s.quarantine[0]?.error).toContain('"accrual" is neither sale nor refund');
    expect(s.quarantine[1]?.error).toContain('must be positive');
    const held = await archive.listQuarantine({ unresolvedOnly: true });
    expect(held.map((q) => q.id).sort()).toEqual(['warehouse:le_accrual', 'warehouse:le_currency', 'warehouse:le_negative']);
    const accrual = held.find((q) => q.id === 'warehouse:le_accrual');
    expect(JSON.parse(accrual?.body ?? '')).toMatchObject({ entry_id: 'le_accrual', entry_type: 'accrual', amount: '6' });
    expect(accrual?.error).toContain('neither sale nor refund');
    expect(await latestWatermark(archive, TABLE)).toMatchObject({ watermark: '2026-11-25T13:00:00.000Z' });
  });

  it('pages through a result larger than a page', async () => {
    fake.insertRows(
      TABLE,
      Array.from({ length: 7 }, (_, i) => entry(`le_${i}`, `${2000 + i}`, 'sale', `${i + 1}.25`, `2026-11-25T0${i}:00:00Z`)),
    );
    const s = await pull({ pageSize: 2 });
    expect(s).toMatchObject({ rows: 7, events: 7, watermark: '2026-11-25T06:00:00.000Z' });
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path.includes('/queries/')).length).toBe(3);
  });

  it('a dry run reads and checks everything and stores nothing', async () => {
    fake.insertRows(TABLE, [entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z'), entry('le_bad', '1002', 'accrual', '6', '2026-11-25T11:00:00Z')]);
    const s = await pull({ dryRun: true });
    expect(s).toMatchObject({ dryRun: true, rows: 2, events: 1, quarantined: 1, previousWatermark: null, watermark: '2026-11-25T11:00:00.000Z' });
    expect(await drain(archive.scanRaw({}))).toEqual([]);
    expect(await archive.listQuarantine()).toEqual([]);
    expect((await bus.stats(MATCHER_SUBSCRIPTION)).pending).toBe(0);
    expect(await latestWatermark(archive, TABLE)).toBeUndefined();
  });

  describe('the watermark moves only once every row is archived and published', () => {
    it('a publish that fails: the pull fails, the watermark stays; the next pull reads the rows again and publishes them', async () => {
      fake.insertRows(TABLE, [entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z'), entry('le_2', '1002', 'sale', '6', '2026-11-25T11:00:00Z')]);
      const down: EventBus = { ...bus, publish: async () => Promise.reject(new Error('bus unavailable')) };
      await expect(pull({}, { bus: down })).rejects.toThrow('bus unavailable');
      expect(await latestWatermark(archive, TABLE)).toBeUndefined();
      expect((await bus.stats(MATCHER_SUBSCRIPTION)).pending).toBe(0);

      const again = await pull();
      // Archived before the publish failed, so counted as already imported; published this time.
      expect(again).toMatchObject({ readAfter: EPOCH, rows: 2, events: 2, duplicates: 2, watermark: '2026-11-25T11:00:00.000Z' });
      expect((await bus.stats(MATCHER_SUBSCRIPTION)).pending).toBe(2);
      expect(await latestWatermark(archive, TABLE)).toMatchObject({ n: 1, watermark: '2026-11-25T11:00:00.000Z' });
    });

    it('an archive append that fails (BigQuery archive, insertAll refused): the watermark stays, and the retry stores it in BigQuery', async () => {
      const bqArchive = createBigQueryArchive({ projectId: fake.projectId, dataset: fake.dataset, apiEndpoint: fake.apiEndpoint });
      closers.push(() => bqArchive.close());
      fake.insertRows(TABLE, [entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z')]);
      fake.failNextInsert('events', 400, 'quota exceeded (injected)');
      await expect(pull({}, { archive: bqArchive })).rejects.toThrow(/quota exceeded/);
      expect(await latestWatermark(bqArchive, TABLE)).toBeUndefined();
      expect((await bus.stats(MATCHER_SUBSCRIPTION)).pending).toBe(0);

      const again = await pull({}, { archive: bqArchive });
      expect(again).toMatchObject({ rows: 1, events: 1, duplicates: 0, watermark: '2026-11-25T10:00:00.000Z' });
      expect(await latestWatermark(bqArchive, TABLE)).toMatchObject({ n: 1, watermark: '2026-11-25T10:00:00.000Z' });
      expect(fake.rows('raw').filter((r) => r['topic'] === 'ledger-watermark').map((r) => r['id'])).toEqual([`warehouse-watermark:${TABLE}:1`]);
    });

    it('a ledger that cannot be read: the pull fails with BigQuery’s reason and nothing moves', async () => {
      const missing = createBigQueryLedger({ projectId: fake.projectId, table: 'acme-finance.ledger.no_such_table', apiEndpoint: fake.apiEndpoint });
      await expect(pull({}, { ledger: missing })).rejects.toThrow(/Not found: Table acme-finance:ledger\.no_such_table/);
      expect(await latestWatermark(archive, 'acme-finance.ledger.no_such_table')).toBeUndefined();
      expect(await drain(archive.scanRaw({}))).toEqual([]);
    });
  });

  it('refuses a table name with injection characters before anything is sent', () => {
    const before = fake.requests.length;
    for (const table of [
      `${TABLE}\` WHERE TRUE OR \`x`,
      `${TABLE}; DROP TABLE acme-finance.ledger.entries`,
      `${TABLE}'`,
      `${TABLE} --`,
      `${TABLE}\n`,
      'acme-finance.ledger.ent/*x*/ries',
      'acme-finance.ledger',
      'example.com:acme.ledger.entries',
    ]) {
      expect(() => createBigQueryLedger({ projectId: fake.projectId, table, apiEndpoint: fake.apiEndpoint }), JSON.stringify(table)).toThrow(/is not a BigQuery table named project\.dataset\.table/);
    }
    expect(fake.requests.length).toBe(before);
  });

  it('refuses a feed query it cannot fill safely', () => {
    expect(ledgerQuery('SELECT 1 FROM `t` WHERE booked_at > @watermark', TABLE)).toEqual({ ok: false, errors: ['the warehouse feed query has no ${ledger_table} placeholder for the table'] });
    expect(ledgerQuery('SELECT 1 FROM `${ledger_table}` WHERE x = ${other} AND booked_at > @watermark', TABLE).ok).toBe(false);
    expect(ledgerQuery('SELECT 1 FROM `${ledger_table}`', TABLE).ok).toBe(false);
    expect(ledgerQuery('SELECT 1 FROM `${ledger_table}` WHERE booked_at > @watermark', TABLE)).toEqual({ ok: true, value: `SELECT 1 FROM \`${TABLE}\` WHERE booked_at > @watermark` });
  });

  describe('a pulled row and the same row imported from CSV are one record and one event', () => {
    const ROWS = [entry('le_1', '#1001', 'sale', '598.94', '2026-11-24T10:00:00Z'), entry('le_2', '4500123456', 'refund', '25.50', '2026-11-25T09:30:00Z')];
    const CSV = 'entry_id,order_id,entry_type,amount,currency,booked_at\nle_1,#1001,sale,598.94,USD,2026-11-24T10:00:00Z\nle_2,4500123456,refund,25.50,USD,2026-11-25T09:30:00Z\n';
    const strip = (e: CanonicalEvent) => ({ ...e, receivedAt: undefined });

    it('CSV first, then the pull: the pulled rows are duplicates, their events identical to the CSV ones', async () => {
      const imported = await importText({ archive, bus, normalize: DEFAULT_NORMALIZE_CONTEXT, now }, 'warehouse', CSV, 'ledger.csv');
      expect(imported.ok && imported.value).toMatchObject({ events: 2, duplicates: 0 });
      const fromCsv = (await bus.pull(MATCHER_SUBSCRIPTION, { max: 10, leaseMs: 1000 })).map((m) => JSON.parse(m.data) as CanonicalEvent);

      fake.insertRows(TABLE, ROWS);
      clock = '2026-11-27T06:00:00.000Z';
      const s = await pull();
      expect(s).toMatchObject({ rows: 2, events: 2, duplicates: 2 });
      const fromPull = (await bus.pull(MATCHER_SUBSCRIPTION, { max: 10, leaseMs: 1000 })).filter((m) => m.attempt === 1).map((m) => JSON.parse(m.data) as CanonicalEvent);
      expect(fromPull.map(strip)).toEqual(fromCsv.map(strip));
      expect(fromPull.map((e) => e.id)).toEqual(['warehouse:le_1', 'warehouse:le_2']);
      expect(await archive.countEvents()).toBe(2);
    });

    it('the pull first, then the CSV: the import finds every row already archived', async () => {
      fake.insertRows(TABLE, ROWS);
      await pull();
      const imported = await importText({ archive, bus, normalize: DEFAULT_NORMALIZE_CONTEXT, now }, 'warehouse', CSV, 'ledger.csv');
      expect(imported.ok && imported.value).toMatchObject({ items: 2, events: 2, duplicates: 2, quarantined: 0 });
      expect(await archive.countEvents()).toBe(2);
      expect(await applyPending()).toEqual({ applied: 2, duplicates: 2 });
    });

    it('with renamed columns and no entry_id column, the content-hash id is the same for the identical CSV row', async () => {
      const normalize: NormalizeContext = { ...DEFAULT_NORMALIZE_CONTEXT, warehouseColumns: { ...DEFAULT_NORMALIZE_CONTEXT.warehouseColumns, entryId: 'ledger_id', bookedAt: 'posted_at' } };
      fake.insertRows(TABLE, [entry('le_9', '1009', 'sale', '25.50', '2026-11-25T09:30:00Z')]);
      const s = await pull({}, { normalize });
      expect(s).toMatchObject({ rows: 1, events: 1, quarantined: 0 });
      const [raw] = await ledgerRaws();
      expect(raw?.id).toMatch(/^warehouse:[0-9a-f]{64}$/);
      expect(Object.keys(JSON.parse(raw?.body ?? '{}')).sort()).toEqual(['amount', 'currency', 'entry_type', 'ledger_id', 'order_id', 'posted_at']);
      // The same entry as a CSV export with those column names, values as BigQuery prints them.
      const csv = 'ledger_id,order_id,entry_type,amount,currency,posted_at\nle_9,1009,sale,25.5,USD,2026-11-25T09:30:00.000Z\n';
      const imported = await importText({ archive, bus, normalize, now }, 'warehouse', csv, 'ledger.csv');
      expect(imported.ok && imported.value).toMatchObject({ events: 1, duplicates: 1, quarantined: 0 });
      expect((await ledgerRaws()).map((r) => r.id)).toEqual([raw?.id]);
    });
  });
});

describe('the nightly pull (NightlyDeps.pullFeeds)', () => {
  const settings = { table: TABLE, project: 'tieout-test', since: EPOCH, lookbackHours: 24, pageSize: 1000, location: undefined, bigqueryEndpoint: undefined, applyTimeoutSeconds: 5 };
  const nightly = (over: Partial<Parameters<typeof createNightlyLedgerPull>[0]> = {}) =>
    createNightlyLedgerPull({ archive, bus, store, normalize: DEFAULT_NORMALIZE_CONTEXT, settings, ledger: async () => ledger, log: silentLogger(), now, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))), ...over });

  it('pulls, waits until the matcher has applied what it published, and reports it', async () => {
    fake.insertRows(TABLE, [entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z'), entry('le_2', null, 'sale', '6', '2026-11-25T11:00:00Z')]);
    // The matcher, elsewhere, gets to the events a little later.
    const matcher = setTimeout(() => void applyPending(), 100);
    const [feed] = await nightly()();
    clearTimeout(matcher);
    expect(feed).toEqual({ feed: `warehouse ledger ${TABLE}`, status: 'pulled', rows: 2, events: 2, duplicates: 0, quarantined: 0, watermark: '2026-11-25T11:00:00.000Z', unapplied: 0, error: null });
    expect((await store.get('1001'))?.state.eventIds).toContain('warehouse:le_1');
  });

  it('says how many pulled entries were not yet applied when no matcher got to them in time', async () => {
    fake.insertRows(TABLE, [entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z')]);
    const [feed] = await nightly({ settings: { ...settings, applyTimeoutSeconds: 0 } })();
    expect(feed).toMatchObject({ status: 'pulled', events: 1, unapplied: 1 });
  });

  it('a failed pull is reported (with where the books stand), never thrown', async () => {
    fake.insertRows(TABLE, [entry('le_1', '1001', 'sale', '5', '2026-11-25T10:00:00Z')]);
    await nightly({ settings: { ...settings, applyTimeoutSeconds: 0 } })();
    // The ledger is gone (dropped, renamed, or our grant revoked): BigQuery answers 404.
    const gone = createBigQueryLedger({ projectId: fake.projectId, table: 'acme-finance.ledger.gone', apiEndpoint: fake.apiEndpoint });
    const [feed] = await nightly({ settings: { ...settings, table: 'acme-finance.ledger.gone' }, ledger: async () => gone })();
    expect(feed).toMatchObject({ feed: 'warehouse ledger acme-finance.ledger.gone', status: 'failed', rows: 0, watermark: null, unapplied: 0 });
    expect(feed?.error).toContain('Not found: Table acme-finance:ledger.gone');
    // A ledger that cannot even be opened is reported the same way; the watermark of the ledger is still said.
    const [unopened] = await nightly({ ledger: async () => Promise.reject(new Error('no credentials')) })();
    expect(unopened).toMatchObject({ status: 'failed', error: 'no credentials', watermark: '2026-11-25T10:00:00.000Z' });
  });
});
