// The warehouse ledger pull end to end: `tieout pull warehouse` and `tieout serve`'s nightly run, on the embedded backend, the ledger in BigQuery (the local fake).
//
// The embedded backend keeps its stores on disk and still reads the books from BigQuery: a realistic
// setup for a team whose finance ledger lives in a warehouse. The child processes reach the fake through
// TIEOUT_BIGQUERY_ENDPOINT (plain http: no Google credentials are sent) and run their jobs in its project.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Report } from '#shared/domain/report.ts';
import { startBigQueryFake, type BigQueryFake } from './support/bigquery-fake.ts';
import { eventually, freePort, startTieout, tieout } from './support/cli.ts';
import { SECRETS, shipbobDelivery, shipbobShipment, shopifyDelivery, shopifyOrder, stripeDelivery, stripePaymentIntent, type SignedDelivery } from './support/webhooks.ts';

const TABLE = 'acme-finance.ledger.entries';
const DDL = `CREATE TABLE \`${TABLE}\` (
  entry_id STRING NOT NULL, order_id STRING, entry_type STRING NOT NULL, amount NUMERIC NOT NULL, currency STRING NOT NULL, booked_at TIMESTAMP NOT NULL
) PARTITION BY DATE(booked_at)`;
const TOKEN = 'pull-e2e-token';

let fake: BigQueryFake;
let dir: string;
beforeAll(async () => {
  fake = await startBigQueryFake();
  fake.createTable(DDL);
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-pull-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (table = TABLE): Record<string, string> => ({
  TIEOUT_WAREHOUSE_LEDGER_TABLE: table,
  TIEOUT_BIGQUERY_ENDPOINT: fake.apiEndpoint,
  GOOGLE_CLOUD_PROJECT: fake.projectId,
  // Off Google Cloud there is no metadata server; the client libraries must not probe for one.
  METADATA_SERVER_DETECTION: 'none',
});
const entry = (entryId: string, orderId: string, entryType: string, amount: string, bookedAt: string) => ({ entry_id: entryId, order_id: orderId, entry_type: entryType, amount, currency: 'USD', booked_at: bookedAt });

describe('tieout pull warehouse', () => {
  it('dry run, first pull, incremental pull with the lookback, CSV of the same rows, then match: the books reach the order', async () => {
    fake.insertRows(TABLE, [
      entry('le_1', '#1001', 'sale', '598.94', '2026-11-21T10:00:00Z'),
      entry('le_2', '1002', 'accrual', '12.00', '2026-11-21T11:00:00Z'),
      entry('le_3', '1003', 'sale', '20.00', '2026-11-21T12:00:00Z'),
    ]);
    const dry = await tieout(['pull', 'warehouse', '--dry-run'], { cwd: dir, env: env() });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`${TABLE}: 3 rows booked after 1970-01-01T00:00:00.000Z (a first pull: warehouse.pull.since): 2 events would be archived and published, 0 already imported, 1 would be quarantined.`);
    expect(dry.stdout).toContain('Dry run: nothing archived, published or stored; the watermark stays unset (a pull would move it to 2026-11-21T12:00:00.000Z).');

    const first = await tieout(['pull', 'warehouse'], { cwd: dir, env: env() });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${TABLE}: 3 rows booked after 1970-01-01T00:00:00.000Z (a first pull: warehouse.pull.since): 2 events archived and published, 0 already imported, 1 quarantined.`);
    expect(first.stdout).toMatch(/^ {2}quarantined row 2: warehouse entry le_2: entry_type "accrual" is neither sale nor refund$/m);
    expect(first.stdout).toContain('Watermark: unset → 2026-11-21T12:00:00.000Z.');
    expect(first.stdout).toContain("Run 'tieout match' to apply them");

    fake.insertRows(TABLE, [entry('le_4', '1004', 'sale', '5.00', '2026-11-22T09:00:00Z')]);
    const second = await tieout(['pull', 'warehouse'], { cwd: dir, env: env() });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(
      `${TABLE}: 4 rows booked after 2026-11-20T12:00:00.000Z (the watermark 2026-11-21T12:00:00.000Z less the 1d lookback): 3 events archived and published, 2 already imported, 1 quarantined.`,
    );
    expect(second.stdout).toContain('Watermark: 2026-11-21T12:00:00.000Z → 2026-11-22T09:00:00.000Z.');

    // The same entry exported as CSV is the same record: already imported.
    writeFileSync(join(dir, 'ledger.csv'), 'entry_id,order_id,entry_type,amount,currency,booked_at\nle_1,#1001,sale,598.94,USD,2026-11-21T10:00:00Z\n');
    const csv = await tieout(['import', 'warehouse', 'ledger.csv'], { cwd: dir, env: env() });
    expect(csv.stdout).toContain('ledger.csv: 1 items, 1 events archived and published, 1 already imported, 0 quarantined.');

    expect((await tieout(['import', 'shopify', writeJson('orders.json', { orders: [shopifyOrder()] })], { cwd: dir })).code).toBe(0);
    expect((await tieout(['match'], { cwd: dir })).code).toBe(0);
    const order = JSON.parse((await tieout(['order', '1001', '--json'], { cwd: dir })).stdout) as { timeline: { system: string; eventId?: string; id?: string }[] };
    expect(order.timeline.filter((t) => t.system === 'warehouse')).toHaveLength(1);
  }, 60_000);

  it('a ledger BigQuery cannot find: exit 1 with its reason, and nothing stored', async () => {
    const r = await tieout(['pull', 'warehouse'], { cwd: dir, env: env('acme-finance.ledger.missing') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('tieout pull warehouse: acme-finance.ledger.missing: Not found: Table acme-finance:ledger.missing');
    expect(r.stderr).toContain('the watermark is unchanged');
  }, 30_000);
});

function writeJson(name: string, value: unknown): string {
  writeFileSync(join(dir, name), JSON.stringify(value));
  return name;
}

describe('tieout serve: the nightly run pulls the books first', () => {
  const reports = (): Report[] => {
    const reportDir = join(dir, '.tieout', 'reports');
    if (!existsSync(reportDir)) return [];
    return readdirSync(reportDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(reportDir, f), 'utf8')) as Report);
  };

  async function serve(extraEnv: Record<string, string>) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const srv = startTieout(['serve'], {
      cwd: dir,
      env: { PORT: String(port), TIEOUT_API_TOKEN: TOKEN, TIEOUT_SHOPIFY_SECRET: SECRETS.shopify, TIEOUT_STRIPE_SECRET: SECRETS.stripe, TIEOUT_SHIPBOB_SECRET: SECRETS.shipbob, TIEOUT_SERVICE: '', ...extraEnv },
    });
    await eventually(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 30_000, `serve to listen (${srv.output()})`);
    return {
      base,
      srv,
      async stop() {
        srv.child.kill('SIGTERM');
        await srv.exited;
      },
    };
  }

  it('pulls before each posted night, waits for the matcher, and the report says what it pulled', async () => {
    const ledger = 'acme-finance.ledger.serve_entries';
    fake.createTable(DDL.replace(TABLE, ledger));
    fake.insertRows(ledger, [entry('le_1', '#1001', 'sale', '598.94', '2008-01-11T12:00:00Z')]);
    const s = await serve(env(ledger));
    try {
      // The in-process scheduler runs the latest closed night at start: it pulls first.
      const [night] = await eventually(async () => (reports().length > 0 ? reports() : undefined), 30_000, `the first night's report (${s.srv.output()})`);
      expect(night?.feeds).toEqual([{ feed: `warehouse ledger ${ledger}`, status: 'pulled', rows: 1, events: 1, duplicates: 0, quarantined: 0, watermark: '2008-01-11T12:00:00.000Z', unapplied: 0, error: null }]);
      // The booking was applied before the night was computed: an orphan until the storefront's order arrives.
      expect(night?.exceptions.map((e) => e.id)).toContain('1001:orphan_booking');

      const post = (system: string, d: SignedDelivery) => fetch(`${s.base}/webhooks/${system}`, { method: 'POST', headers: d.headers, body: d.body });
      expect((await post('shopify', shopifyDelivery('orders/create', shopifyOrder()))).status).toBe(200);
      expect((await post('stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent()))).status).toBe(200);
      expect((await post('shipbob', shipbobDelivery('order.shipped', shipbobShipment()))).status).toBe(200);
      // A late entry for another order lands in the ledger before the next run.
      fake.insertRows(ledger, [entry('le_2', '1002', 'sale', '10.00', '2008-01-11T20:00:00Z')]);

      const res = await fetch(`${s.base}/run`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ date: night?.businessDate, force: true }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'posted', businessDate: night?.businessDate });
      const [again] = reports();
      expect(again?.runId).not.toBe(night?.runId);
      // le_1 read again through the lookback (a duplicate), le_2 new; both applied before the night was computed.
      expect(again?.feeds).toEqual([{ feed: `warehouse ledger ${ledger}`, status: 'pulled', rows: 2, events: 2, duplicates: 1, quarantined: 0, watermark: '2008-01-11T20:00:00.000Z', unapplied: 0, error: null }]);
      expect(again?.exceptions.map((e) => e.id)).toContain('1002:orphan_booking');
      expect(again?.exceptions.some((e) => e.orderKey === '1001')).toBe(false);
    } finally {
      await s.stop();
    }
  }, 90_000);

  it('a pull that fails does not stop the night: it is logged, and the posted report says the books were not pulled', async () => {
    const s = await serve(env('acme-finance.ledger.missing'));
    try {
      const [night] = await eventually(async () => (reports().length > 0 ? reports() : undefined), 30_000, `the night's report (${s.srv.output()})`);
      expect(night?.feeds?.[0]).toMatchObject({ feed: 'warehouse ledger acme-finance.ledger.missing', status: 'failed', watermark: null });
      expect(night?.feeds?.[0]?.error).toContain('Not found: Table acme-finance:ledger.missing');
      expect(s.srv.output()).toContain('could not be pulled tonight');
      expect(s.srv.output()).toMatch(/^\{"severity":"ERROR".*"error":"Not found: Table acme-finance:ledger\.missing","message":"warehouse ledger pull failed; the night goes on with the entries pulled before"\}$/m);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
