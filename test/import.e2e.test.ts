// `tieout import` through the real entry point, for every file shape of DESIGN §9.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tieout } from './support/cli.ts';
import { SECRETS, fixture, shipbobDelivery, shipbobShipment, shopifyDelivery, shopifyOrder, stripeDelivery, stripePaymentIntent } from './support/webhooks.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-import-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return name;
};
const event = (type: string, object: object, id: string) => ({ id, object: 'event', created: 1732100000, livemode: true, type, data: { object } });

describe('tieout import', () => {
  it('imports every file shape, then match and order show the reconciled order', async () => {
    const files: [string, string][] = [
      ['shopify', write('orders.json', JSON.stringify({ orders: [shopifyOrder(), shopifyOrder({ id: 450789470, order_number: 1002, name: '#1002' })] }))],
      ['stripe', write('events.json', JSON.stringify({ object: 'list', data: [event('payment_intent.succeeded', stripePaymentIntent(), 'evt_1')] }))],
      ['stripe', write('events.ndjson', `${JSON.stringify(event('payment_intent.succeeded', stripePaymentIntent({ id: 'pi_1002', metadata: { order_number: '#1002' } }), 'evt_2'))}\n`)],
      ['shipbob', write('bodies.json', JSON.stringify([shipbobShipment()]))],
      ['warehouse', write('ledger.csv', 'entry_id,order_id,entry_type,amount,currency,booked_at\nle_1,#1001,sale,598.94,USD,2026-11-21\n')],
      [
        'stripe',
        write(
          'payouts.csv',
          'automatic_payout_id,automatic_payout_effective_at_utc,balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,charge_id,payment_intent_id\n' +
            'po_1,2026-11-24 00:00:00,txn_1,2026-11-20 10:00:00,usd,598.94,17.67,581.27,charge,ch_1,ch_1,pi_1PgafyB7WZ01zgkWSjxsAJo3\n',
        ),
      ],
    ];
    for (const [system, file] of files) {
      const r = await tieout(['import', system, file], { cwd: dir });
      expect(r.stderr, file).toBe('');
      expect(r.code, file).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${file.replace('.', '\\.')}: \\d+ items, \\d+ events archived and published, 0 already imported, 0 quarantined\\.$`, 'm'));
    }
    const again = await tieout(['import', 'warehouse', 'ledger.csv'], { cwd: dir });
    expect(again.stdout).toContain('ledger.csv: 1 items, 1 events archived and published, 1 already imported, 0 quarantined.');

    expect((await tieout(['match'], { cwd: dir })).code).toBe(0);
    const order = JSON.parse((await tieout(['order', '1001', '--json'], { cwd: dir })).stdout);
    expect(order.timeline.map((t: { system: string }) => t.system).sort()).toEqual(['shipbob', 'shopify', 'stripe', 'stripe', 'warehouse']);
    expect(order.breaks).toEqual([]);
    const other = JSON.parse((await tieout(['order', '1002', '--json'], { cwd: dir })).stdout);
    expect(other.processor.payments[0].paymentId).toBe('pi_1002');
  }, 60_000);

  it('imports recorded deliveries of any sender, checking signatures with --verify', async () => {
    const at = new Date().toISOString();
    const good = [shopifyDelivery('orders/create', shopifyOrder()), stripeDelivery('payment_intent.succeeded', stripePaymentIntent()), shipbobDelivery('order.shipped', shipbobShipment())];
    const forged = shopifyDelivery('orders/create', shopifyOrder({ id: 450789471, order_number: 1003 }), 'not-the-secret');
    write('deliveries.ndjson', [...good, forged].map((d) => JSON.stringify({ receivedAt: at, ...d })).join('\n'));
    const env = { TIEOUT_SHOPIFY_SECRET: SECRETS.shopify, TIEOUT_STRIPE_SECRET: SECRETS.stripe, TIEOUT_SHIPBOB_SECRET: SECRETS.shipbob };
    const r = await tieout(['import', 'deliveries', 'deliveries.ndjson', '--verify'], { cwd: dir, env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deliveries.ndjson: 4 items, 3 events archived and published, 0 already imported, 0 quarantined, 1 refused (bad signature).');
    const trusted = await tieout(['import', 'deliveries', 'deliveries.ndjson'], { cwd: dir });
    expect(trusted.stdout).toContain('deliveries.ndjson: 4 items, 4 events archived and published, 3 already imported, 0 quarantined.');
  }, 60_000);

  it('quarantines rows it cannot read, naming their lines, and still imports the rest', async () => {
    write('ledger.csv', 'entry_id,order_id,entry_type,amount,currency,booked_at\nle_1,1001,sale,10.00,USD,2026-11-21\nle_2,1001,sale,10.005,USD,2026-11-21\nle_3,1001,gift,5,USD,2026-11-21\n');
    const r = await tieout(['import', 'warehouse', 'ledger.csv'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ledger.csv: 3 items, 1 events archived and published, 0 already imported, 2 quarantined.');
    expect(r.stdout).toMatch(/quarantined ledger\.csv:3: .*rounding/);
    expect(r.stdout).toMatch(/quarantined ledger\.csv:4: .*gift/);
  }, 30_000);

  it('exits 1 on an unreadable file, naming the file and line', async () => {
    write('bad.ndjson', `${JSON.stringify(event('charge.succeeded', fixture('stripe/openapi_fixture_charge.json'), 'evt_9'))}\n{"id": "evt_10", oops\n`);
    const r = await tieout(['import', 'stripe', 'bad.ndjson'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.ndjson:2: not valid JSON/);
    const missing = await tieout(['import', 'stripe', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.json: cannot read: no such file');
    const unknown = await tieout(['import', 'paypal', 'bad.ndjson'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown system "paypal"');
  }, 30_000);
});
