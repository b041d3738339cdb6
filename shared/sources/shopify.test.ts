// Unit tests for the Shopify source: HMAC verification, archived records, and normalization of Shopify's published payloads and edge cases.
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CanonicalEventSchema, type CanonicalEvent, type EventKind, type EventOfKind } from '../domain/events.ts';
import { applyAll } from '../domain/routing.ts';
import { unwrap, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import { shopifySource } from './shopify.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type Delivery, type NormalizeContext } from './source.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/real/shopify/', import.meta.url));
const fixtureText = (name: string): string => readFileSync(FIXTURES + name, 'utf8');
const fixtureJson = (name: string): Record<string, unknown> => JSON.parse(fixtureText(name)) as Record<string, unknown>;

const ORDER_FIXTURE = 'rest_2024-04_order_450789469.json';
const REFUND_FIXTURE = 'rest_2024-04_refund_509562969.json';
const AUTH_FIXTURE = 'rest_2024-04_transaction_authorization_389404469.json';
const LIST_FIXTURE = 'rest_2024-04_transactions_list_order_450789469.json';
const FULFILLMENT_FIXTURE = 'rest_2024-04_fulfillment_255858046.json';

const RECEIVED_AT = '2026-11-20T10:00:00.000Z';
const SECRET = 'shpss_test_current';
const OLD_SECRET = 'shpss_test_previous';

const sign = (body: Buffer | string, secret: string): string => createHmac('sha256', secret).update(body).digest('base64');

function delivery(body: Buffer, secret: string, overrides: Record<string, string | undefined> = {}): Delivery {
  const headers: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'x-shopify-hmac-sha256': sign(body, secret),
    'x-shopify-topic': 'orders/updated',
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
    'x-shopify-triggered-at': '2026-11-20T09:59:58.123Z',
    'x-shopify-shop-domain': 'example.myshopify.com',
    'x-shopify-api-version': '2024-04',
    ...overrides,
  };
  const defined = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
  return { headers: defined, body };
}

const rawOf = (topic: string | null, body: unknown, id = 'shopify:wh-1'): RawRecord => ({
  id,
  system: 'shopify',
  topic,
  receivedAt: RECEIVED_AT,
  headers: {},
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const normalize = (topic: string | null, body: unknown, ctx: NormalizeContext = DEFAULT_NORMALIZE_CONTEXT, id?: string): Result<CanonicalEvent[]> =>
  shopifySource.normalize(rawOf(topic, body, id), ctx);

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const errorsOf = (r: Result<unknown>): string => (r.ok ? '' : r.errors.join('; '));

function only<K extends EventKind>(events: readonly CanonicalEvent[], kind: K): EventOfKind<K>[] {
  return events.filter((e): e is EventOfKind<K> => e.kind === kind);
}

/** The order fixture with some fields replaced (a fresh deep copy each time). */
function orderBody(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...fixtureJson(ORDER_FIXTURE), ...patch };
}

const orderEvent = (r: Result<CanonicalEvent[]>): EventOfKind<'order'> => {
  const [order] = only(unwrap(r), 'order');
  if (!order) throw new Error('no order event');
  return order;
};

/** What refund 509562969 of the published fixture normalizes to, however it arrives. */
const REFUND_509562969 = {
  refundId: '509562969',
  orderId: '450789469',
  createdAt: '2024-04-02T13:59:11.000Z',
  version: '2024-04-02T13:59:11.000Z',
  transactions: [{ transactionId: '179259969', status: 'success', gateway: 'bogus', amount: { amount: 20900, currency: 'USD' } }],
  lines: [
    { sku: 'IPOD2008BLACK', quantity: 1, restockType: 'legacy_restock' },
    { sku: 'IPOD2008GREEN', quantity: 1, restockType: 'legacy_restock' },
  ],
};

// ---- signature --------------------------------------------------------------------------------------

describe('shopifySource.verify', () => {
  const body = readFileSync(FIXTURES + ORDER_FIXTURE);
  const verify = shopifySource.verify!;
  const NOW = Date.parse(RECEIVED_AT);

  it('accepts the base64 HMAC-SHA256 of the exact body bytes', () => {
    expect(verify(delivery(body, SECRET), [SECRET], NOW)).toEqual({ ok: true });
  });

  it('accepts a delivery signed with the second of two configured secrets (rotation)', () => {
    expect(verify(delivery(body, OLD_SECRET), [SECRET, OLD_SECRET], NOW)).toEqual({ ok: true });
  });

  it('refuses a tampered body', () => {
    const d = delivery(body, SECRET);
    const tampered = Buffer.from(body);
    tampered[tampered.indexOf('598.94')] = '9'.charCodeAt(0);
    expect(verify({ ...d, body: tampered }, [SECRET], NOW).ok).toBe(false);
  });

  it('refuses a body signed with a secret that is not configured', () => {
    expect(verify(delivery(body, 'shpss_someone_else'), [SECRET, OLD_SECRET], NOW).ok).toBe(false);
  });

  it('refuses re-serialised JSON (the same object with different whitespace)', () => {
    const d = delivery(body, SECRET);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))));
    expect(JSON.parse(reserialised.toString('utf8'))).toEqual(JSON.parse(body.toString('utf8')));
    expect(verify({ ...d, body: reserialised }, [SECRET], NOW).ok).toBe(false);
  });

  it.each(['x-shopify-hmac-sha256', 'x-shopify-topic', 'x-shopify-webhook-id', 'x-shopify-shop-domain', 'x-shopify-api-version'])(
    'refuses a delivery without %s',
    (name) => {
      const result = verify(delivery(body, SECRET, { [name]: undefined }), [SECRET], NOW);
      expect(result).toEqual({ ok: false, reason: expect.stringContaining(name) });
    },
  );

  it('refuses when no secret is configured', () => {
    expect(verify(delivery(body, SECRET), [], NOW).ok).toBe(false);
    expect(verify(delivery(body, SECRET), [''], NOW).ok).toBe(false);
  });

  it('refuses a hex digest or other malformed header value', () => {
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    expect(verify(delivery(body, SECRET, { 'x-shopify-hmac-sha256': hex }), [SECRET], NOW).ok).toBe(false);
    expect(verify(delivery(body, SECRET, { 'x-shopify-hmac-sha256': 'not base64!' }), [SECRET], NOW).ok).toBe(false);
  });

  it('matches header names case-insensitively', () => {
    const d = delivery(body, SECRET);
    const upper = Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase()), v]));
    expect(verify({ headers: upper, body }, [SECRET], NOW)).toEqual({ ok: true });
  });

  it('never puts a secret or a digest in the reason', () => {
    const d = delivery(body, 'shpss_someone_else');
    const result = verify(d, [SECRET, OLD_SECRET], NOW);
    expect(result.ok).toBe(false);
    const reason = result.ok ? '' : result.reason;
    for (const leak of [SECRET, OLD_SECRET, sign(body, SECRET), sign(body, OLD_SECRET), d.headers['x-shopify-hmac-sha256'] ?? '']) {
      expect(reason).not.toContain(leak);
    }
  });
});

// ---- archived records ---------------------------------------------------------------------------------

describe('shopifySource.fromDelivery', () => {
  const body = readFileSync(FIXTURES + ORDER_FIXTURE);

  it('archives the body as text under the webhook id, with the useful headers and without the HMAC', () => {
    const raw = unwrap(shopifySource.fromDelivery!(delivery(body, SECRET), RECEIVED_AT));
    expect(raw).toEqual({
      id: 'shopify:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      system: 'shopify',
      topic: 'orders/updated',
      receivedAt: RECEIVED_AT,
      headers: {
        'x-shopify-topic': 'orders/updated',
        'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
        'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
        'x-shopify-triggered-at': '2026-11-20T09:59:58.123Z',
        'x-shopify-shop-domain': 'example.myshopify.com',
        'x-shopify-api-version': '2024-04',
      },
      body: body.toString('utf8'),
    });
  });

  it.each(['x-shopify-webhook-id', 'x-shopify-topic'])('is an error result without %s', (name) => {
    const r = shopifySource.fromDelivery!(delivery(body, SECRET, { [name]: undefined }), RECEIVED_AT);
    expect(r.ok).toBe(false);
    expect(errorsOf(r)).toContain(name);
  });

  it('is an error result for a body that is not UTF-8', () => {
    const r = shopifySource.fromDelivery!(delivery(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), SECRET), RECEIVED_AT);
    expect(errorsOf(r)).toMatch(/UTF-8/);
  });
});

describe('shopifySource.fromFeedItem', () => {
  const order = fixtureJson(ORDER_FIXTURE);

  it('reads one order of an Admin orders export as an orders/updated snapshot named by id and updated_at', () => {
    const raw = unwrap(shopifySource.fromFeedItem!(order, 'orders-export', RECEIVED_AT));
    expect(raw).toMatchObject({ id: 'shopify-export:450789469:2008-01-10T16:00:00.000Z', system: 'shopify', topic: 'orders/updated', receivedAt: RECEIVED_AT });
    expect(JSON.parse(raw.body)).toEqual(order);
    const [event] = unwrap(shopifySource.normalize(raw, DEFAULT_NORMALIZE_CONTEXT));
    expect(event).toMatchObject({ id: raw.id, kind: 'order', data: { orderNumber: '1001' } });
  });

  it('refuses other feeds, the whole export object and items without id or updated_at', () => {
    expect(shopifySource.fromFeedItem!(order, 'ledger-csv', RECEIVED_AT).ok).toBe(false);
    expect(errorsOf(shopifySource.fromFeedItem!({ orders: [order] }, 'orders-export', RECEIVED_AT))).toMatch(/each element/);
    expect(errorsOf(shopifySource.fromFeedItem!({ id: 1 }, 'orders-export', RECEIVED_AT))).toMatch(/order\.updated_at/);
    expect(shopifySource.fromFeedItem!('nope', 'orders-export', RECEIVED_AT).ok).toBe(false);
  });
});

// ---- every published fixture --------------------------------------------------------------------------

/** How each published fixture is delivered: its topic and the webhook bodies it stands for. */
function deliveriesOf(name: string): { topic: string; bodies: unknown[] } | undefined {
  const json = fixtureJson(name);
  if (/_transactions_list_order_\d+\.json$/.test(name)) return { topic: 'order_transactions/create', bodies: json['transactions'] as unknown[] };
  if (/^rest_[\d-]+_order_\d+\.json$/.test(name)) return { topic: 'orders/updated', bodies: [json] };
  if (/^rest_[\d-]+_refund_\d+\.json$/.test(name)) return { topic: 'refunds/create', bodies: [json] };
  if (/^rest_[\d-]+_transaction_authorization_\d+\.json$/.test(name)) return { topic: 'order_transactions/create', bodies: [json] };
  if (/^rest_[\d-]+_fulfillment_\d+\.json$/.test(name)) return { topic: 'fulfillments/create', bodies: [json] };
  return undefined;
}

const fixtureNames = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();

describe('published Shopify fixtures', () => {
  it('maps every fixture to a topic', () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(5);
    expect(fixtureNames.filter((n) => deliveriesOf(n) === undefined)).toEqual([]);
  });

  it.each(fixtureNames)('%s normalizes into valid canonical events with source instants', (name) => {
    const { topic, bodies } = deliveriesOf(name)!;
    for (const [i, body] of bodies.entries()) {
      const events = unwrap(normalize(topic, body, DEFAULT_NORMALIZE_CONTEXT, `shopify:${name}:${i}`));
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        expect(CanonicalEventSchema.parse(e)).toEqual(e);
        expect(e).toMatchObject({ system: 'shopify', source: 'storefront', receivedAt: RECEIVED_AT });
        expect(e.occurredAt).not.toBe(RECEIVED_AT);
        expect(e.refs).toContain('shopify-order:450789469');
      }
    }
  });

  it('order 450789469: the facts the checks read, with total_price at creation rather than current_total_price', () => {
    const events = unwrap(normalize('orders/updated', fixtureJson(ORDER_FIXTURE)));
    expect(events.map((e) => [e.kind, e.id])).toEqual([
      ['order', 'shopify:wh-1'],
      ['refund', 'shopify:wh-1/refund:509562969'],
    ]);
    const order = orderEvent(ok(events));
    expect(order.refs).toEqual(['order:1001', 'shopify-order:450789469']);
    expect(order.occurredAt).toBe('2008-01-10T16:00:00.000Z');
    expect(order.data).toEqual({
      orderId: '450789469',
      orderNumber: '1001',
      name: '#1001',
      version: '2008-01-10T16:00:00.000Z',
      createdAt: '2008-01-10T16:00:00.000Z',
      cancelledAt: null,
      test: false,
      financialStatus: 'partially_refunded',
      fulfillmentStatus: null,
      gateways: ['bogus'],
      total: { amount: 59894, currency: 'USD' },
      presentmentTotal: { amount: 59894, currency: 'USD' },
      lines: [
        { lineId: '466157049', sku: 'IPOD2008GREEN', quantity: 1, unitPrice: { amount: 19900, currency: 'USD' }, requiresShipping: true, giftCard: false },
        { lineId: '518995019', sku: 'IPOD2008RED', quantity: 1, unitPrice: { amount: 19900, currency: 'USD' }, requiresShipping: true, giftCard: false },
        { lineId: '703073504', sku: 'IPOD2008BLACK', quantity: 1, unitPrice: { amount: 19900, currency: 'USD' }, requiresShipping: true, giftCard: false },
      ],
    });
    const [refund] = only(events, 'refund');
    expect(refund?.refs).toEqual(['order:1001', 'shopify-order:450789469']);
    expect(refund?.occurredAt).toBe('2024-04-02T13:59:11.000Z');
    expect(refund?.data).toEqual(REFUND_509562969);
  });

  it('refund 509562969 (refunds/create): successful refund transaction and line quantities', () => {
    const [refund, ...rest] = unwrap(normalize('refunds/create', fixtureJson(REFUND_FIXTURE)));
    expect(rest).toEqual([]);
    expect(refund).toMatchObject({ id: 'shopify:wh-1', kind: 'refund', refs: ['shopify-order:450789469'], occurredAt: '2024-04-02T13:59:11.000Z' });
    expect(refund?.data).toEqual(REFUND_509562969);
  });

  it('transaction 389404469 (authorization): kind, status, gateway, amount', () => {
    const [t] = only(unwrap(normalize('order_transactions/create', fixtureJson(AUTH_FIXTURE))), 'transaction');
    expect(t).toMatchObject({ id: 'shopify:wh-1', refs: ['shopify-order:450789469'], occurredAt: '2005-08-01T15:57:11.000Z' });
    expect(t?.data).toEqual({
      transactionId: '389404469',
      orderId: '450789469',
      kind: 'authorization',
      status: 'success',
      gateway: 'bogus',
      amount: { amount: 59894, currency: 'USD' },
      parentId: null,
      processedAt: '2005-08-01T15:57:11.000Z',
      version: '2005-08-01T15:57:11.000Z#0001',
    });
  });

  it('transactions of order 450789469: amounts, kinds, statuses and parents', () => {
    const list = fixtureJson(LIST_FIXTURE)['transactions'] as unknown[];
    const seen = list.flatMap((body) => only(unwrap(normalize('order_transactions/create', body)), 'transaction')).map((t) => t.data);
    expect(seen.map((t) => [t.transactionId, t.kind, t.status, t.amount.amount, t.amount.currency, t.parentId])).toEqual([
      ['179259969', 'refund', 'success', 20900, 'USD', '801038806'],
      ['389404469', 'authorization', 'success', 59894, 'USD', null],
      ['801038806', 'capture', 'success', 25094, 'USD', '389404469'],
    ]);
  });

  it('fulfillment 255858046: status, tracking and lines', () => {
    const [f] = only(unwrap(normalize('fulfillments/create', fixtureJson(FULFILLMENT_FIXTURE))), 'fulfillment');
    expect(f).toMatchObject({ id: 'shopify:wh-1', refs: ['shopify-order:450789469'], occurredAt: '2024-04-02T13:59:11.000Z' });
    expect(f?.data).toEqual({
      fulfillmentId: '255858046',
      orderId: '450789469',
      status: 'failure',
      createdAt: '2024-04-02T13:59:11.000Z',
      version: '2024-04-02T13:59:11.000Z',
      trackingNumbers: ['1Z2345'],
      lines: [{ sku: 'IPOD2008GREEN', quantity: 1 }],
    });
  });
});


// ---- behaviour ----------------------------------------------------------------------------------------

describe('order numbers', () => {
  const withPrefix: NormalizeContext = { ...DEFAULT_NORMALIZE_CONTEXT, keyRules: { stripPrefixes: ['#', 'SHOP-'], stripSuffixes: [], caseSensitive: false } };

  it('reads `#1001` as 1001 when order_number is absent', () => {
    expect(orderEvent(normalize('orders/create', orderBody({ order_number: undefined, name: '#1001' }))).data.orderNumber).toBe('1001');
  });

  it('strips a configured prefix from the name', () => {
    const order = orderEvent(normalize('orders/create', orderBody({ order_number: undefined, name: 'SHOP-1001' }), withPrefix));
    expect(order.data).toMatchObject({ orderNumber: '1001', name: 'SHOP-1001' });
    expect(order.refs).toContain('order:1001');
  });

  it('prefers order_number when the name carries decoration the key rules do not know', () => {
    expect(orderEvent(normalize('orders/create', orderBody({ order_number: 1001, name: 'EU-1001-X' }))).data.orderNumber).toBe('1001');
  });

  it('is an error result when neither order_number nor name gives a key', () => {
    expect(errorsOf(normalize('orders/create', orderBody({ order_number: null, name: '#' })))).toMatch(/order_number/);
  });
});

describe('money and currencies', () => {
  it('keeps the shop total and reads the presentment total from total_price_set', () => {
    const body = orderBody({
      currency: 'USD',
      presentment_currency: 'EUR',
      total_price: '199.65',
      total_price_set: { shop_money: { amount: '199.65', currency_code: 'USD' }, presentment_money: { amount: '183.10', currency_code: 'EUR' } },
    });
    const order = orderEvent(normalize('orders/paid', body));
    expect(order.data.total).toEqual({ amount: 19965, currency: 'USD' });
    expect(order.data.presentmentTotal).toEqual({ amount: 18310, currency: 'EUR' });
    expect(order.data.lines[0]?.unitPrice).toEqual({ amount: 19900, currency: 'USD' });
    // Embedded refund transactions without a currency are in the presentment currency.
    const refunds = (body['refunds'] as Record<string, unknown>[]).map((r) => ({
      ...r,
      transactions: (r['transactions'] as Record<string, unknown>[]).map((t) => ({ ...t, currency: undefined })),
    }));
    const [refund] = only(unwrap(normalize('orders/paid', { ...body, refunds })), 'refund');
    expect(refund?.data.transactions[0]?.amount).toEqual({ amount: 20900, currency: 'EUR' });
  });

  it('falls back to the shop total when total_price_set is absent', () => {
    const order = orderEvent(normalize('orders/paid', orderBody({ total_price_set: undefined })));
    expect(order.data.presentmentTotal).toEqual({ amount: 59894, currency: 'USD' });
  });

  it('keeps JPY whole', () => {
    const body = orderBody({
      currency: 'JPY',
      total_price: '15800',
      total_price_set: { shop_money: { amount: '15800', currency_code: 'JPY' }, presentment_money: { amount: '15800', currency_code: 'JPY' } },
      line_items: [{ id: 1, sku: 'TEA-1', quantity: 2, price: '7900', requires_shipping: true, gift_card: false }],
      refunds: [],
    });
    const order = orderEvent(normalize('orders/create', body));
    expect(order.data.total).toEqual({ amount: 15800, currency: 'JPY' });
    expect(order.data.lines).toEqual([{ lineId: '1', sku: 'TEA-1', quantity: 2, unitPrice: { amount: 7900, currency: 'JPY' }, requiresShipping: true, giftCard: false }]);
  });

  it('names the field of an unreadable amount', () => {
    expect(errorsOf(normalize('orders/create', orderBody({ total_price: '1,234.00' })))).toMatch(/^order\.total_price: /);
    expect(errorsOf(normalize('orders/create', orderBody({ total_price: '12.345' })))).toMatch(/order\.total_price: .*rounding/);
  });
});

describe('order lines', () => {
  it('reads an empty SKU as none, and keeps gift cards and non-shipping lines flagged', () => {
    const body = orderBody({
      line_items: [
        { id: 1, sku: '', quantity: 1, price: '10.00', requires_shipping: true, gift_card: false },
        { id: 2, sku: null, quantity: 1, price: '25.00', requires_shipping: false, gift_card: true },
        { id: 3, sku: 'MUG-1', quantity: 3, price: '8.50', requires_shipping: true },
      ],
      refunds: [],
    });
    expect(orderEvent(normalize('orders/create', body)).data.lines).toEqual([
      { lineId: '1', sku: null, quantity: 1, unitPrice: { amount: 1000, currency: 'USD' }, requiresShipping: true, giftCard: false },
      { lineId: '2', sku: null, quantity: 1, unitPrice: { amount: 2500, currency: 'USD' }, requiresShipping: false, giftCard: true },
      { lineId: '3', sku: 'MUG-1', quantity: 3, unitPrice: { amount: 850, currency: 'USD' }, requiresShipping: true, giftCard: false },
    ]);
  });

  it('finds a refund line SKU through the order line when the refund omits the embedded line item', () => {
    const body = orderBody();
    const refunds = (body['refunds'] as Record<string, unknown>[]).map((r) => ({
      ...r,
      refund_line_items: (r['refund_line_items'] as Record<string, unknown>[]).map((l) => ({ ...l, line_item: undefined })),
    }));
    const [refund] = only(unwrap(normalize('orders/updated', { ...body, refunds })), 'refund');
    expect(refund?.data.lines).toEqual([
      { sku: 'IPOD2008BLACK', quantity: 1, restockType: 'legacy_restock' },
      { sku: 'IPOD2008GREEN', quantity: 1, restockType: 'legacy_restock' },
    ]);
  });
});

describe('cancelled, test and stale snapshots', () => {
  const updated = (at: string, patch: Record<string, unknown> = {}) => orderBody({ updated_at: at, ...patch });

  it('a cancelled order carries cancelledAt and outranks an update of the same second', () => {
    const cancelled = orderEvent(normalize('orders/cancelled', updated('2026-11-20T05:00:00-05:00', { cancelled_at: '2026-11-20T05:00:00-05:00', cancel_reason: 'customer' }), undefined, 'shopify:wh-cancel'));
    const update = orderEvent(normalize('orders/updated', updated('2026-11-20T05:00:00-05:00'), undefined, 'shopify:wh-update'));
    expect(cancelled.data.cancelledAt).toBe('2026-11-20T10:00:00.000Z');
    expect(cancelled.data.version).toBe('2026-11-20T10:00:00.000Z#0002');
    expect(update.data.version).toBe('2026-11-20T10:00:00.000Z');
    expect(cancelled.data.version > update.data.version).toBe(true);
  });

  it('a test order says so', () => {
    expect(orderEvent(normalize('orders/create', orderBody({ test: true }))).data.test).toBe(true);
  });

  it('a stale orders/updated retry has an older version and does not overwrite the newer snapshot', () => {
    const newer = orderEvent(normalize('orders/updated', updated('2026-11-20T06:30:00-04:00', { financial_status: 'refunded' }), undefined, 'shopify:wh-new'));
    const stale = orderEvent(normalize('orders/updated', updated('2026-11-20T06:00:00-04:00', { financial_status: 'paid' }), undefined, 'shopify:wh-old'));
    expect(stale.data.version < newer.data.version).toBe(true);
    expect(newer.occurredAt).toBe('2026-11-20T10:30:00.000Z');
    // Whatever the arrival order, the folded state keeps the newer snapshot.
    for (const events of [[newer, stale], [stale, newer]]) {
      const doc = applyAll(events).docs.get('1001');
      expect(doc?.storefront.orders['450789469']?.data.financialStatus).toBe('refunded');
    }
  });
});

describe('processor references', () => {
  const stripeTransaction = (patch: Record<string, unknown>) => ({ ...fixtureJson(AUTH_FIXTURE), gateway: 'stripe', ...patch });

  it('turns Stripe ids in a transaction receipt into payment and charge references', () => {
    const body = stripeTransaction({
      kind: 'sale',
      authorization: 'pi_3PqRsT2eZvKYlo2C1aBcDeFg',
      receipt: {
        id: 'pi_3PqRsT2eZvKYlo2C1aBcDeFg',
        object: 'payment_intent',
        latest_charge: 'ch_3PqRsT2eZvKYlo2C1xYzAbCd',
        balance_transaction: 'txn_1PqRsT2eZvKYlo2C',
        charges: { data: [{ id: 'py_3PqRsT2eZvKYlo2C0zzz', payment_method: 'pm_1abc' }] },
        note: 'see pi_3PqRsT2eZvKYlo2C1aBcDeFg for details',
      },
    });
    const [t] = unwrap(normalize('order_transactions/create', body));
    expect(t?.refs).toEqual([
      'shopify-order:450789469',
      'payment:pi_3PqRsT2eZvKYlo2C1aBcDeFg',
      'charge:ch_3PqRsT2eZvKYlo2C1xYzAbCd',
      'charge:py_3PqRsT2eZvKYlo2C0zzz',
    ]);
  });

  it('links a refund to its Stripe refund, charge and payment', () => {
    const body = fixtureJson(REFUND_FIXTURE);
    const transactions = (body['transactions'] as Record<string, unknown>[]).map((t) => ({
      ...t,
      gateway: 'stripe',
      authorization: 're_3PqRsT2eZvKYlo2C1r3f',
      receipt: { id: 're_3PqRsT2eZvKYlo2C1r3f', charge: 'ch_3PqRsT2eZvKYlo2C1xYz', payment_intent: 'pi_3PqRsT2eZvKYlo2C1aBc' },
    }));
    const [refund] = unwrap(normalize('refunds/create', { ...body, transactions }));
    expect(refund?.refs).toEqual([
      'shopify-order:450789469',
      'payment-refund:re_3PqRsT2eZvKYlo2C1r3f',
      'charge:ch_3PqRsT2eZvKYlo2C1xYz',
      'payment:pi_3PqRsT2eZvKYlo2C1aBc',
    ]);
  });

  it('reads no references from gateway codes that are not Stripe ids', () => {
    const [t] = unwrap(normalize('order_transactions/create', fixtureJson(AUTH_FIXTURE)));
    expect(t?.refs).toEqual(['shopify-order:450789469']);
  });
});

describe('refund transactions', () => {
  it('keeps only refund-kind transactions, whatever their status', () => {
    const body = fixtureJson(REFUND_FIXTURE);
    const [cash] = body['transactions'] as Record<string, unknown>[];
    const transactions = [
      { ...cash, id: 1, status: 'pending' },
      { ...cash, id: 2, kind: 'capture' },
      { ...cash, id: 3, status: 'failure', amount: '5.00' },
    ];
    const [refund] = only(unwrap(normalize('refunds/create', { ...body, transactions })), 'refund');
    expect(refund?.data.transactions.map((t) => [t.transactionId, t.status, t.amount.amount])).toEqual([
      ['1', 'pending', 20900],
      ['3', 'failure', 500],
    ]);
  });
});

describe('bad and ignored input', () => {
  it.each([
    ['not JSON', 'orders/updated', '{"id": 45078', /not JSON/],
    ['a JSON array', 'orders/updated', '[]', /not a JSON object/],
    ['an order without its fields', 'orders/updated', '{"id": 450789469}', /order\.currency/],
    ['an order id past 2^53', 'orders/updated', JSON.stringify(orderBody()).replace('"id":450789469', '"id":9007199254740993'), /order\.id: id is too large/],
    ['a refund without an order id', 'refunds/create', JSON.stringify({ ...fixtureJson(REFUND_FIXTURE), order_id: undefined }), /refund\.order_id/],
    ['a transaction with an unknown status', 'order_transactions/create', JSON.stringify({ ...fixtureJson(AUTH_FIXTURE), status: 'settled' }), /data\.status/],
    ['a fulfillment with a bad instant', 'fulfillments/create', JSON.stringify({ ...fixtureJson(FULFILLMENT_FIXTURE), created_at: 'yesterday' }), /fulfillment\.created_at/],
    ['a record without a topic', null, '{}', /no topic/],
  ])('%s is an error result naming the problem, never a throw', (_what, topic, body, message) => {
    let result: Result<CanonicalEvent[]> | undefined;
    expect(() => (result = normalize(topic, body))).not.toThrow();
    expect(result?.ok).toBe(false);
    expect(errorsOf(result!)).toMatch(message);
  });

  it('ignores topics it does not reconcile, without reading their bodies', () => {
    expect(normalize('app/uninstalled', 'garbage')).toEqual({ ok: true, value: [] });
    expect(normalize('orders/delete', { id: 450789469 })).toEqual({ ok: true, value: [] });
  });

  it('ignores an orders/edited order_edit body (the orders/updated that follows carries the snapshot)', () => {
    const edit = { order_edit: { id: 78912328, order_id: 450789469, created_at: '2026-11-20T05:00:00-05:00', line_items: { additions: [], removals: [] } } };
    expect(normalize('orders/edited', edit)).toEqual({ ok: true, value: [] });
  });

  it('ignores transaction kinds that move no processor money', () => {
    expect(normalize('order_transactions/create', { ...fixtureJson(AUTH_FIXTURE), kind: 'change' })).toEqual({ ok: true, value: [] });
  });
});
