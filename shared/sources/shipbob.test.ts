// Unit tests for the ShipBob source: Standard Webhooks signatures, raw records, and every published fixture normalized.
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../domain/events.ts';
import { unwrap, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import { inferShipbobTopic, shipbobSource } from './shipbob.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type Delivery, type NormalizeContext } from './source.ts';

const FIXTURES = new URL('../../test/fixtures/real/shipbob/', import.meta.url);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const RECEIVED = '2026-03-01T12:00:00.000Z';
const ctx = DEFAULT_NORMALIZE_CONTEXT;
const errorsOf = <T>(r: Result<T>): string => (r.ok ? '' : r.errors.join('; '));

function raw(topic: string | null, body: unknown, id = 'shipbob:msg_1', headers: Record<string, string> = {}): RawRecord {
  return { id, system: 'shipbob', topic, receivedAt: RECEIVED, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

const normalize = (topic: string | null, body: unknown, c: NormalizeContext = ctx, id?: string): Result<CanonicalEvent[]> =>
  shipbobSource.normalize(raw(topic, body, id), c);

const shipments = (r: Result<CanonicalEvent[]>) =>
  unwrap(r).map((e) => {
    if (e.kind !== 'shipment') throw new Error(`expected a shipment event, got ${e.kind}`);
    return e;
  });

// ---- signatures ------------------------------------------------------------------------

describe('verify (Standard Webhooks)', () => {
  const key = Buffer.from('tieout-shipbob-signing-key-32-by', 'utf8');
  const secret = `whsec_${key.toString('base64')}`;
  const otherKey = Buffer.from('another-signing-key-for-rotation', 'utf8');
  const now = Date.parse('2026-03-01T12:00:00Z');
  const ts = String(now / 1000);
  const body = '{"id":1001,"status":"Completed"}';
  const sign = (k: Buffer, id: string, t: string, b: string) => `v1,${createHmac('sha256', k).update(`${id}.${t}.${b}`).digest('base64')}`;
  const delivery = (headers: Record<string, string>, b = body): Delivery => ({ headers, body: Buffer.from(b, 'utf8') });
  const good = { 'webhook-id': 'msg_2x', 'webhook-timestamp': ts, 'webhook-signature': sign(key, 'msg_2x', ts, body), 'x-webhook-topic': 'order.shipped' };
  const check = (d: Delivery, secrets = [secret], at = now) => shipbobSource.verify?.(d, secrets, at);

  it('matches the published Standard Webhooks test vector', () => {
    const d = delivery(
      {
        'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        'webhook-timestamp': '1614265330',
        'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
      '{"test": 2432232314}',
    );
    expect(check(d, ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], 1614265330_000)).toEqual({ ok: true });
  });

  it('accepts a delivery signed with the configured secret', () => {
    expect(check(delivery(good))).toEqual({ ok: true });
  });

  it('accepts a secret written without the whsec_ prefix', () => {
    expect(check(delivery(good), [key.toString('base64')])).toEqual({ ok: true });
  });

  it('accepts when any v1 entry matches and ignores other versions', () => {
    const signature = `v1a,${'A'.repeat(44)} v1,${Buffer.alloc(32).toString('base64')} ${good['webhook-signature']}`;
    expect(check(delivery({ ...good, 'webhook-signature': signature }))).toEqual({ ok: true });
  });

  it('accepts a delivery signed with any of several secrets (rotation)', () => {
    const rotated = { ...good, 'webhook-signature': sign(otherKey, 'msg_2x', ts, body) };
    expect(check(delivery(rotated), [secret, `whsec_${otherKey.toString('base64')}`])).toEqual({ ok: true });
    expect(check(delivery(rotated), [secret])?.ok).toBe(false);
  });

  it.each([
    ['a tampered body', delivery(good, body.replace('1001', '1002')), [secret], now, 'does not match'],
    ['a different message id', delivery({ ...good, 'webhook-id': 'msg_other' }), [secret], now, 'does not match'],
    ['a wrong secret', delivery(good), [`whsec_${otherKey.toString('base64')}`], now, 'does not match'],
    ['a timestamp 301 s old', delivery(good), [secret], now + 301_000, '301 s from now'],
    ['a timestamp 301 s in the future', delivery(good), [secret], now - 301_000, '301 s from now'],
    ['a non-numeric timestamp', delivery({ ...good, 'webhook-timestamp': 'yesterday' }), [secret], now, 'not a Unix time'],
    ['a missing webhook-id', delivery({ ...good, 'webhook-id': '' }), [secret], now, 'missing webhook-id'],
    ['a missing webhook-timestamp', delivery({ 'webhook-id': good['webhook-id'], 'webhook-signature': good['webhook-signature'] }), [secret], now, 'missing webhook-timestamp'],
    ['a missing webhook-signature', delivery({ 'webhook-id': good['webhook-id'], 'webhook-timestamp': ts }), [secret], now, 'missing webhook-signature'],
    ['a signature with no v1 entry', delivery({ ...good, 'webhook-signature': good['webhook-signature'].replace('v1,', 'v2,') }), [secret], now, 'no v1 signature'],
    ['no configured secret', delivery(good), [], now, 'no ShipBob signing secret'],
  ] as const)('refuses %s, without naming the secret', (_name, d, secrets, at, why) => {
    const result = check(d, [...secrets], at);
    expect(result?.ok).toBe(false);
    const reason = result && !result.ok ? result.reason : '';
    expect(reason).toContain(why);
    expect(reason).not.toContain(key.toString('base64'));
    expect(reason).not.toContain(otherKey.toString('base64'));
  });

  it('accepts a timestamp exactly at the tolerance', () => {
    expect(check(delivery(good), [secret], now + 300_000)).toEqual({ ok: true });
  });
});

// ---- raw records -----------------------------------------------------------------------

describe('fromDelivery', () => {
  const headers = { 'webhook-id': 'msg_2x', 'webhook-timestamp': '1772366400', 'webhook-signature': 'v1,abc', 'x-webhook-topic': 'order.shipped' };
  const of = (h: Record<string, string>) => shipbobSource.fromDelivery?.({ headers: h, body: Buffer.from('{"id":1}') }, RECEIVED);

  it('keys the record by webhook-id, takes the topic header and drops the signature', () => {
    expect(unwrap(of(headers) as Result<RawRecord>)).toEqual({
      id: 'shipbob:msg_2x',
      system: 'shipbob',
      topic: 'order.shipped',
      receivedAt: RECEIVED,
      headers: { 'webhook-id': 'msg_2x', 'webhook-timestamp': '1772366400', 'x-webhook-topic': 'order.shipped' },
      body: '{"id":1}',
    });
  });

  it('reads the legacy shipbob-topic header', () => {
    const { 'x-webhook-topic': _, ...legacy } = headers;
    expect(unwrap(of({ ...legacy, 'shipbob-topic': 'order_shipped' }) as Result<RawRecord>).topic).toBe('order_shipped');
  });

  it.each([
    ['webhook-id', { ...headers, 'webhook-id': '' }],
    ['topic', { 'webhook-id': 'msg_2x' }],
  ])('refuses a delivery without %s', (what, h) => {
    expect(errorsOf(of(h) as Result<RawRecord>)).toContain(what);
  });
});

describe('fromFeedItem', () => {
  const shipment = { id: 7, order_id: 9, status: 'Completed', tracking: { tracking_number: '1Z' }, products: [] };

  it('hashes the content: the same body in any key order has the same id', () => {
    const a = unwrap(shipbobSource.fromFeedItem?.(shipment, 'bodies', RECEIVED) as Result<RawRecord>);
    const reordered = { products: [], tracking: { tracking_number: '1Z' }, status: 'Completed', order_id: 9, id: 7 };
    const b = unwrap(shipbobSource.fromFeedItem?.(reordered, 'bodies', '2026-03-02T00:00:00.000Z') as Result<RawRecord>);
    expect(a.id).toMatch(/^shipbob-feed:[0-9a-f]{64}$/);
    expect(b.id).toBe(a.id);
    expect(a).toMatchObject({ system: 'shipbob', topic: 'order.shipped', headers: {}, body: JSON.stringify(shipment) });
  });

  it.each([
    ['Cancelled', {}, 'order.shipment.cancelled'],
    ['Exception', {}, 'order.shipment.exception'],
    ['OnHold', {}, 'order.shipment.on_hold'],
    ['Completed', { delivery_date: '2026-02-12T10:00:00Z' }, 'order.shipment.delivered'],
    ['Completed', { delivery_date: null }, 'order.shipped'],
    ['Processing', {}, 'order.shipped'],
  ])('infers the topic of a %s shipment %j', (status, extra, topic) => {
    expect(inferShipbobTopic({ ...shipment, status, ...extra })).toEqual({ ok: true, value: topic });
  });

  it('treats a shipment with picked products and no tracking yet as a shipment', () => {
    const picked = { id: 7, order_id: 9, status: 'Processing', tracking: null, products: [{ sku: 'A', inventory_items: [{ quantity: 1 }] }] };
    expect(inferShipbobTopic(picked)).toEqual({ ok: true, value: 'order.shipped' });
  });

  it.each([
    ['another feed name', shipment, 'ledger-csv', 'no feed'],
    ['a non-object', [shipment], 'bodies', 'JSON object'],
    ['an unknown shape', { hello: 'world' }, 'bodies', 'not a ShipBob'],
  ])('refuses %s', (_name, item, feed, message) => {
    expect(errorsOf(shipbobSource.fromFeedItem?.(item, feed, RECEIVED) as Result<RawRecord>)).toContain(message);
  });
});

// ---- every published fixture -----------------------------------------------------------

const FIXTURE_ORDER_REFS = ['shipment:shipbob:0', 'order:STRING', 'shipbob-order:0'];
const AT = '2019-08-24T14:15:22.000Z';
const fixtureShipment = (status: string, moved: boolean, rank: number) => ({
  shipmentId: '0',
  orderRef: 'string',
  status,
  shippedAt: moved ? AT : null,
  deliveredAt: moved ? AT : null,
  carrier: 'USPS',
  trackingNumber: '860C8CDC8F0B4FC7AB69AC86C20539EC',
  // ShipBob's example ships zero of TShirtBlueM: quantities come from inventory_items, not the product.
  lines: [{ sku: 'TShirtBlueM', quantity: 0 }],
  version: `${AT}#000${rank}`,
});

type FixtureCase = {
  readonly file: string;
  /** The webhook topics this body arrives under, and what each gives. */
  readonly topics: readonly (readonly [topic: string, data: readonly object[], refs: readonly (readonly string[])[]])[];
  /** The topic a feed file of such bodies infers, or why such a body is not a feed item. */
  readonly feed: { readonly topic: string } | { readonly skipped: string };
  /** The fixture is a list response: the body is its first item. */
  readonly item?: boolean;
};

const CASES: readonly FixtureCase[] = [
  {
    file: 'openapi_2026-01_example_get_order.json',
    topics: [
      ['order.shipped', [fixtureShipment('shipped', true, 4)], [FIXTURE_ORDER_REFS]],
      ['order_shipped', [fixtureShipment('shipped', true, 4)], [FIXTURE_ORDER_REFS]],
    ],
    feed: { topic: 'order.shipped' },
  },
  {
    file: 'openapi_2026-01_example_get_shipment.json',
    topics: [
      ['order.shipment.delivered', [fixtureShipment('delivered', true, 5)], [FIXTURE_ORDER_REFS]],
      ['shipment_delivered', [fixtureShipment('delivered', true, 5)], [FIXTURE_ORDER_REFS]],
      ['order.shipment.exception', [fixtureShipment('exception', true, 3)], [FIXTURE_ORDER_REFS]],
      ['shipment_exception', [fixtureShipment('exception', true, 3)], [FIXTURE_ORDER_REFS]],
      ['order.shipment.on_hold', [fixtureShipment('on_hold', false, 2)], [FIXTURE_ORDER_REFS]],
      ['shipment_onhold', [fixtureShipment('on_hold', false, 2)], [FIXTURE_ORDER_REFS]],
      ['order.shipment.cancelled', [fixtureShipment('cancelled', false, 6)], [FIXTURE_ORDER_REFS]],
      ['shipment_cancelled', [fixtureShipment('cancelled', false, 6)], [FIXTURE_ORDER_REFS]],
      // Docs disagree on order.shipped's granularity, so a lone Shipment under it is read too.
      ['order.shipped', [fixtureShipment('shipped', true, 4)], [FIXTURE_ORDER_REFS]],
    ],
    // The example has a delivery_date, so as a feed body it is a delivery.
    feed: { topic: 'order.shipment.delivered' },
  },
  {
    file: 'docs_logistics_webhook_tracking_received.json',
    topics: [
      [
        'order.shipment.tracking_received',
        [
          {
            shipmentId: 'tracking-9261290306529427911297',
            orderRef: 'TEST101',
            status: 'pending',
            shippedAt: null,
            deliveredAt: null,
            carrier: 'USPS',
            trackingNumber: '9261290306529427911297',
            lines: [],
            version: '2025-10-23T15:55:09.361Z#0001',
          },
        ],
        [['shipment:shipbob:tracking-9261290306529427911297', 'order:TEST101', 'shipbob-order:100000001']],
      ],
    ],
    feed: { topic: 'order.shipment.tracking_received' },
  },
  {
    file: 'openapi_2026-01_example_get_shipments_tracking.json',
    item: true,
    topics: [
      [
        'order.shipment.tracking.updated',
        [
          {
            shipmentId: 'tracking-1Z999AA10123456784',
            orderRef: null,
            status: 'shipped',
            shippedAt: null,
            deliveredAt: null,
            carrier: 'UPS',
            trackingNumber: '1Z999AA10123456784',
            lines: [],
            version: '2024-01-15T14:30:00.000Z#0004',
          },
        ],
        [['shipment:shipbob:tracking-1Z999AA10123456784', 'shipment:shipbob:98765432']],
      ],
    ],
    feed: { topic: 'order.shipment.tracking.updated' },
  },
  {
    file: 'openapi_2026-01_example_get_invoice_transactions.json',
    // Billing topics carry fulfilment costs, which no check reads: they normalize to nothing.
    topics: [
      ['billing.charge.created', [], []],
      ['billing.refund.created', [], []],
    ],
    feed: { skipped: 'an invoice transactions page is ShipBob billing (fulfilment cost), not an order or shipment body' },
  },
];

describe('published ShipBob fixtures', () => {
  it('has a case for every fixture file', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();
    expect(CASES.map((c) => c.file).sort()).toEqual(files);
  });

  for (const c of CASES) {
    const doc = fixture(c.file);
    const body = c.item ? (doc as unknown[])[0] : doc;
    describe(c.file, () => {
      it.each(c.topics.map(([topic, data, refs]) => ({ topic, data, refs })))('normalizes under $topic', ({ topic, data, refs }) => {
        const events = shipments(normalize(topic, body));
        expect(events.map((e) => e.data)).toEqual(data);
        expect(events.map((e) => e.refs)).toEqual(refs);
        for (const e of events) {
          expect(e).toMatchObject({ id: 'shipbob:msg_1', source: 'logistics', system: 'shipbob', receivedAt: RECEIVED });
          expect(e.occurredAt).toBe(e.data.version.slice(0, 24));
        }
      });

      if ('topic' in c.feed) {
        const { topic } = c.feed;
        it(`is read from a feed file as ${topic}, with the same events as the webhook`, () => {
          const record = unwrap(shipbobSource.fromFeedItem?.(body, 'bodies', RECEIVED) as Result<RawRecord>);
          expect(record.topic).toBe(topic);
          const viaFeed = shipments(shipbobSource.normalize(record, ctx));
          const viaWebhook = shipments(normalize(topic, body));
          expect(viaFeed.map(({ id: _, ...e }) => e)).toEqual(viaWebhook.map(({ id: _, ...e }) => e));
          expect(viaFeed.every((e) => e.id === record.id)).toBe(true);
        });
      } else {
        const { skipped } = c.feed;
        it(`is not a feed body: ${skipped}`, () => {
          expect(shipbobSource.fromFeedItem?.(body, 'bodies', RECEIVED).ok).toBe(false);
        });
      }
    });
  }
});

// ---- behaviour -------------------------------------------------------------------------

type Obj = Record<string, unknown>;

/** A realistic shipped ShipBob Shipment of Shopify order #1001 (id 5123456789012). */
function shipmentBody(over: Obj = {}): Obj {
  return {
    id: 90001,
    order_id: 5001,
    reference_id: '5123456789012',
    status: 'Completed',
    actual_fulfillment_date: '2026-02-10T15:00:00Z',
    delivery_date: null,
    last_update_at: '2026-02-10T15:05:00Z',
    tracking: { carrier: 'UPS', tracking_number: ' 1z999aa10123456784 ', shipping_date: '2026-02-10' },
    products: [{ id: 1, sku: 'TEE-BLK-M', reference_id: 'TEE-BLK-M', inventory_items: [{ id: 11, quantity: 2 }] }],
    ...over,
  };
}

function orderBody(shipmentList: Obj[], over: Obj = {}): Obj {
  return {
    id: 5001,
    reference_id: '5123456789012',
    order_number: '#1001',
    status: 'Fulfilled',
    products: [
      { id: 1, sku: 'TEE-BLK-M', quantity: 3 },
      { id: 2, sku: 'MUG-01', quantity: 1 },
    ],
    shipments: shipmentList,
    ...over,
  };
}

const ORDER_1001_REFS = ['shopify-order:5123456789012', 'order:1001', 'shipbob-order:5001'];

describe('normalize: an order shipped in several shipments', () => {
  const split = orderBody([
    shipmentBody(),
    shipmentBody({
      id: 90002,
      last_update_at: '2026-02-11T09:00:00Z',
      actual_fulfillment_date: '2026-02-11T08:30:00Z',
      tracking: { carrier: 'USPS', tracking_number: '9400111', shipping_date: '2026-02-11T08:00:00Z' },
      products: [
        { id: 1, sku: 'TEE-BLK-M', inventory_items: [{ id: 12, quantity: 1 }] },
        { id: 2, sku: 'MUG-01', inventory_items: [{ id: 21, quantity: 1 }] },
      ],
    }),
  ]);

  it('gives one shipment event per shipment, each with the order references', () => {
    const events = shipments(normalize('order.shipped', split));
    expect(events.map((e) => e.id)).toEqual(['shipbob:msg_1/shipment:90001', 'shipbob:msg_1/shipment:90002']);
    expect(events.map((e) => e.refs)).toEqual([
      ['shipment:shipbob:90001', ...ORDER_1001_REFS],
      ['shipment:shipbob:90002', ...ORDER_1001_REFS],
    ]);
    expect(events.map((e) => e.data.lines)).toEqual([
      [{ sku: 'TEE-BLK-M', quantity: 2 }],
      [
        { sku: 'TEE-BLK-M', quantity: 1 },
        { sku: 'MUG-01', quantity: 1 },
      ],
    ]);
    expect(events[0]?.data).toMatchObject({
      shipmentId: '90001',
      orderRef: '5123456789012',
      status: 'shipped',
      shippedAt: '2026-02-10T15:00:00.000Z',
      deliveredAt: null,
      carrier: 'UPS',
      trackingNumber: '1Z999AA10123456784',
      version: '2026-02-10T15:05:00.000Z#0004',
    });
    expect(events[0]?.occurredAt).toBe('2026-02-10T15:05:00.000Z');
    expect(events[1]?.data.shippedAt).toBe('2026-02-11T08:30:00.000Z');
  });

  it('keeps the own status of a shipment in the order that has not shipped', () => {
    const body = orderBody([
      shipmentBody(),
      shipmentBody({ id: 90002, status: 'Processing', actual_fulfillment_date: null, tracking: null }),
      shipmentBody({ id: 90003, status: 'Exception', actual_fulfillment_date: null, tracking: null }),
      shipmentBody({ id: 90004, status: 'Cancelled' }),
      shipmentBody({ id: 90005, status: 'OnHold', actual_fulfillment_date: null, tracking: null }),
      // Label printed: ShipBob fires order.shipped at label print, so this one counts as shipped.
      shipmentBody({ id: 90006, status: 'LabeledCreated', actual_fulfillment_date: null }),
    ]);
    const events = shipments(normalize('order.shipped', body));
    expect(events.map((e) => [e.data.shipmentId, e.data.status, e.data.shippedAt])).toEqual([
      ['90001', 'shipped', '2026-02-10T15:00:00.000Z'],
      ['90002', 'pending', null],
      ['90003', 'exception', null],
      ['90004', 'cancelled', null],
      ['90005', 'on_hold', null],
      ['90006', 'shipped', '2026-02-10T00:00:00.000Z'],
    ]);
  });

  it('gives nothing for an order with no shipments', () => {
    expect(normalize('order.shipped', orderBody([]))).toEqual({ ok: true, value: [] });
  });

  it('refuses an order listing one shipment twice', () => {
    expect(errorsOf(normalize('order.shipped', orderBody([shipmentBody(), shipmentBody()])))).toContain('shipment 90001 is listed twice');
  });
});

describe('normalize: order references', () => {
  const refsOf = (body: Obj, c: NormalizeContext = ctx) => shipments(normalize('order.shipment.delivered', body, c)).map((e) => e.refs)[0];
  const withPrefixes = (...prefixes: string[]): NormalizeContext => ({ ...ctx, logisticsReferencePrefixes: prefixes });

  it.each([
    ['a Shopify order id', '5123456789012', ctx, ['shopify-order:5123456789012']],
    ['the classic nine-digit Shopify id', '450789469', ctx, ['shopify-order:450789469']],
    ['an order number', '1001', ctx, ['order:1001']],
    ['an eight-digit order number', '12345678', ctx, ['order:12345678']],
    ['a decorated order number', '#1001', ctx, ['order:1001']],
    ['a configured prefix', 'SB-1001', withPrefixes('SB-'), ['order:1001']],
    ['a configured prefix, any case, before an id', 'sb-5123456789012', withPrefixes('SB', 'SB-'), ['shopify-order:5123456789012']],
    ['an unconfigured prefix', 'SB-1001', ctx, ['order:SB-1001']],
  ] as const)('reads reference_id holding %s', (_name, reference, c, expected) => {
    expect(refsOf(shipmentBody({ reference_id: reference }), c)).toEqual(['shipment:shipbob:90001', ...expected, 'shipbob-order:5001']);
  });

  it('reads order_number as an order number, or as an id when it holds one (ShipBob defaults it to reference_id)', () => {
    const a = shipments(normalize('order.shipped', orderBody([shipmentBody()], { reference_id: '5123456789012', order_number: '1001' })));
    expect(a[0]?.refs).toEqual(['shipment:shipbob:90001', ...ORDER_1001_REFS]);
    const b = shipments(normalize('order.shipped', orderBody([shipmentBody()], { reference_id: '5123456789012', order_number: '5123456789012' })));
    expect(b[0]?.refs).toEqual(['shipment:shipbob:90001', 'shopify-order:5123456789012', 'shipbob-order:5001']);
  });

  it('strips configured prefixes from order_number too', () => {
    const events = shipments(normalize('order.shipped', orderBody([shipmentBody()], { order_number: 'SB-1001' }), withPrefixes('SB-')));
    expect(events[0]?.refs).toContain('order:1001');
  });

  it('names only the shipment when the body carries no order reference', () => {
    const body = shipmentBody({ reference_id: null, order_id: null });
    const [event] = shipments(normalize('order.shipment.delivered', body));
    expect(event?.refs).toEqual(['shipment:shipbob:90001']);
    expect(event?.data.orderRef).toBeNull();
  });
});

describe('normalize: quantities, dates and statuses', () => {
  const one = (topic: string, body: Obj) => shipments(normalize(topic, body))[0]?.data;

  it('ships the picked quantities of a partial shipment, not the ordered ones', () => {
    const body = shipmentBody({
      products: [
        { id: 1, sku: 'TEE-BLK-M', quantity: 3, inventory_items: [{ id: 11, quantity: 1 }] },
        { id: 2, sku: 'MUG-01', quantity: 2, inventory_items: [] },
      ],
    });
    expect(one('order.shipped', body)?.lines).toEqual([
      { sku: 'TEE-BLK-M', quantity: 1 },
      { sku: 'MUG-01', quantity: 2 },
    ]);
  });

  it('sums lots of one product and merges a SKU listed twice; falls back to reference_id for a missing sku', () => {
    const body = shipmentBody({
      products: [
        { id: 1, sku: 'TEE-BLK-M', inventory_items: [{ id: 11, quantity: 2, lot: 'A' }, { id: 12, quantity: 3, lot: 'B' }] },
        { id: 3, sku: 'TEE-BLK-M', inventory_items: [{ id: 13, quantity: 1 }] },
        { id: 4, reference_id: 'SOCKS-2', quantity: 4 },
        { id: 5, sku: 'EMPTY', inventory_items: [] },
      ],
    });
    expect(one('order.shipped', body)?.lines).toEqual([
      { sku: 'TEE-BLK-M', quantity: 6 },
      { sku: 'SOCKS-2', quantity: 4 },
      { sku: 'EMPTY', quantity: 0 },
    ]);
  });

  it('dates the shipment from the tracking shipping date (a date alone is midnight UTC) when it has no fulfilment date', () => {
    expect(one('order.shipped', shipmentBody({ actual_fulfillment_date: null }))?.shippedAt).toBe('2026-02-10T00:00:00.000Z');
  });

  it('records the delivery date of a delivered shipment and ranks it above shipped at the same instant', () => {
    const delivered = one('order.shipment.delivered', shipmentBody({ delivery_date: '2026-02-12T18:20:00.5Z' }));
    const shipped = one('order.shipped', shipmentBody());
    expect(delivered).toMatchObject({ status: 'delivered', deliveredAt: '2026-02-12T18:20:00.500Z' });
    expect((delivered?.version ?? '') > (shipped?.version ?? '')).toBe(true);
  });

  it('dates a body without last_update_at from its topic, then the webhook timestamp, then receipt', () => {
    const noUpdate = shipmentBody({ last_update_at: null });
    expect(one('order.shipment.delivered', { ...noUpdate, delivery_date: '2026-02-12T18:00:00Z' })?.version).toBe('2026-02-12T18:00:00.000Z#0005');
    const bare = { id: 90001, status: 'Cancelled', reference_id: '1001' };
    const withHeader = shipbobSource.normalize(raw('order.shipment.cancelled', bare, 'shipbob:m', { 'webhook-timestamp': '1772366400' }), ctx);
    expect(shipments(withHeader)[0]?.occurredAt).toBe('2026-03-01T12:00:00.000Z');
    expect(one('order.shipment.cancelled', bare)?.version).toBe(`${RECEIVED}#0006`);
  });

  it('ignores topics no check reads', () => {
    for (const topic of ['return.created', 'return.completed', 'order.delivered', 'billing.charge.created']) {
      expect(normalize(topic, shipmentBody())).toEqual({ ok: true, value: [] });
    }
  });
});

describe('normalize: bad bodies are error results naming the field', () => {
  it.each([
    ['no topic', null, shipmentBody(), 'no topic'],
    ['a body that is not JSON', 'order.shipped', '{"id": 1', 'not JSON'],
    ['an array body', 'order.shipped', [shipmentBody()], 'JSON object'],
    ['a missing shipment id', 'order.shipment.delivered', shipmentBody({ id: undefined }), 'id: missing shipment id'],
    ['an unreadable date', 'order.shipped', shipmentBody({ last_update_at: '10/02/2026' }), 'last_update_at: not an ISO 8601 instant'],
    ['a date without a zone', 'order.shipped', shipmentBody({ actual_fulfillment_date: '2026-02-10T15:00:00' }), 'actual_fulfillment_date'],
    ['an impossible date', 'order.shipped', shipmentBody({ tracking: { shipping_date: '2026-02-30' } }), 'tracking.shipping_date'],
    [
      'a negative picked quantity',
      'order.shipped',
      shipmentBody({ products: [{ sku: 'A', inventory_items: [{ quantity: -1 }] }] }),
      'products[0].inventory_items[0].quantity',
    ],
    ['a fractional quantity', 'order.shipped', shipmentBody({ products: [{ sku: 'A', quantity: 1.5 }] }), 'products[0].quantity'],
    ['a product with no sku', 'order.shipped', shipmentBody({ products: [{ id: 1, quantity: 1 }] }), 'products[0].sku'],
    ['a product with no quantity', 'order.shipped', shipmentBody({ products: [{ sku: 'A' }] }), 'products[0]: has neither'],
    ['tracking that is not an object', 'order.shipped', shipmentBody({ tracking: 'UPS' }), 'tracking: expected an object'],
    ['an Order under a shipment topic', 'order.shipment.delivered', orderBody([shipmentBody()]), 'expected one Shipment'],
    ['a field deep in an Order', 'order.shipped', orderBody([shipmentBody(), shipmentBody({ id: 2, last_update_at: 'soon' })]), 'shipments[1].last_update_at'],
    ['an unknown tracking status', 'order.shipment.tracking_received', { event_time: '2026-02-10T00:00:00Z', status: 'Teleported', tracking: { tracking_id: 'X' } }, 'status'],
    ['tracking without a number', 'order.shipment.tracking_received', { event_time: '2026-02-10T00:00:00Z', status: 'InTransit', tracking: {} }, 'tracking number'],
  ] as const)('%s', (_name, topic, body, message) => {
    const result = normalize(topic, body);
    expect(result.ok).toBe(false);
    expect(errorsOf(result)).toContain(message);
  });

  it('never throws, whatever the body and topic', () => {
    const topics = fc.constantFrom(null, 'order.shipped', 'order.shipment.delivered', 'order.shipment.tracking_received', 'order.shipment.tracking.updated', 'x');
    const bodies = fc.oneof(
      fc.anything(),
      fc.record({ id: fc.anything(), shipments: fc.anything(), products: fc.anything(), tracking: fc.anything(), status: fc.anything() }, { requiredKeys: [] }),
      fc.record({ id: fc.integer(), products: fc.array(fc.record({ sku: fc.anything(), quantity: fc.anything(), inventory_items: fc.anything() }, { requiredKeys: [] })) }),
    );
    fc.assert(
      fc.property(topics, bodies, (topic, body) => {
        const text = JSON.stringify(body) ?? 'undefined';
        const result = shipbobSource.normalize(raw(topic, text), ctx);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
  });
});
