// Ingest over HTTP against the real embedded backend: authentic in, forged out, nothing authentic dropped.
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import type { Backend } from '#shared/backend.ts';
import { DEFAULT_CHECK_CONFIG } from '#shared/domain/checks.ts';
import { DEFAULT_KEY_RULES } from '#shared/domain/refs.ts';
import { silentLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from '#shared/sources/source.ts';
import { SECRETS, shipbobDelivery, shipbobShipment, shopifyDelivery, shopifyOrder, stripeDelivery, stripePaymentIntent, type SignedDelivery } from '../../test/support/webhooks.ts';
import { createMatcher } from '../matcher/matcher.ts';
import { orderApi } from '../matcher/http.ts';
import { importText } from './files.ts';
import { createIngest, retryQuarantine } from './ingest.ts';
import { createServerTrying, ingestApi, webhookFastPath } from './http.ts';

const TOKEN = 'feed-and-order-token';
let dir: string;
let backend: Backend;
let app: Hono;
let ingest: ReturnType<typeof createIngest>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-ingest-'));
  const bus = createSqliteEventBus({ path: join(dir, 'bus.sqlite'), subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts: 10 });
  const store = createSqliteOrderStateStore({ path: join(dir, 'state.sqlite') });
  const archive = createSqliteArchive({ path: join(dir, 'archive.sqlite') });
  backend = { bus, store, archive, close: async () => void (await Promise.all([bus.close(), store.close(), archive.close()])) };
  const now = () => new Date().toISOString();
  ingest = createIngest({ archive, bus, secrets: { shopify: [SECRETS.shopify], stripe: ['whsec_old', SECRETS.stripe], shipbob: [SECRETS.shipbob] }, normalize: DEFAULT_NORMALIZE_CONTEXT, log: silentLogger(), now });
  app = new Hono();
  ingestApi({ ingest, importFeed: (s, t, n) => importText({ archive, bus, normalize: DEFAULT_NORMALIZE_CONTEXT, now }, s, t, n), apiToken: TOKEN, maxBodyBytes: 64 * 1024, log: silentLogger() }, app);
  orderApi({ store, archive, rules: () => [], checkConfig: DEFAULT_CHECK_CONFIG, keyRules: DEFAULT_KEY_RULES, calendar: { timeZone: 'UTC', cutoff: '06:00' }, apiToken: TOKEN, now }, app);
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (system: string, d: SignedDelivery) => app.request(`/webhooks/${system}`, { method: 'POST', headers: d.headers, body: d.body });
const drain = () => createMatcher({ bus: backend.bus, store: backend.store, subscription: MATCHER_SUBSCRIPTION, checkConfig: DEFAULT_CHECK_CONFIG, log: silentLogger() }).drain();
const stored = async () => (await backend.archive.countEvents()) + (await backend.archive.listQuarantine()).length;

describe('POST /webhooks/:system', () => {
  it('signed deliveries from all three senders appear in GET /orders/:key after the matcher runs', async () => {
    expect((await post('shopify', shopifyDelivery('orders/create', shopifyOrder()))).status).toBe(200);
    expect((await post('stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent()))).status).toBe(200);
    expect((await post('shipbob', shipbobDelivery('order.shipped', shipbobShipment()))).status).toBe(200);
    await drain();
    const res = await app.request('/orders/1001', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const view = (await res.json()) as Record<string, any>;
    expect(view.timeline.map((t: { system: string }) => t.system).sort()).toEqual(['shipbob', 'shopify', 'stripe']);
    expect(view.processor.payments[0]).toMatchObject({ paymentId: 'pi_1PgafyB7WZ01zgkWSjxsAJo3', captured: 59894, currency: 'USD' });
    expect(view.logistics.shipments[0]).toMatchObject({ shipmentId: '9001', status: 'shipped' });
    expect(view.breaks.map((b: { code: string }) => b.code)).toContain('not_booked');
    expect(ingest.counters).toMatchObject({ accepted: 3, refused: 0, quarantined: 0 });
  });

  it('forged, unsigned, wrong-secret and stale deliveries get 401 and nothing is stored', async () => {
    const tampered = shopifyDelivery('orders/create', shopifyOrder());
    tampered.body = tampered.body.replace('598.94', '1.00');
    const unsigned = shopifyDelivery('orders/create', shopifyOrder());
    delete unsigned.headers['x-shopify-hmac-sha256'];
    const cases: [string, SignedDelivery][] = [
      ['shopify', tampered],
      ['shopify', unsigned],
      ['shopify', shopifyDelivery('orders/create', shopifyOrder(), 'wrong-secret')],
      ['stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent(), { secret: 'whsec_wrong' })],
      ['stripe', stripeDelivery('payment_intent.succeeded', stripePaymentIntent(), { timestamp: Math.floor(Date.now() / 1000) - 301 })],
      ['shipbob', shipbobDelivery('order.shipped', shipbobShipment(), { secret: `whsec_${Buffer.from('another-key').toString('base64')}` })],
      ['shipbob', shipbobDelivery('order.shipped', shipbobShipment(), { timestamp: Math.floor(Date.now() / 1000) - 3600 })],
    ];
    for (const [system, d] of cases) expect((await post(system, d)).status, `${system}`).toBe(401);
    expect(await stored()).toBe(0);
    expect(await backend.bus.stats(MATCHER_SUBSCRIPTION)).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
    expect(ingest.counters.refused).toBe(cases.length);
    expect(ingest.counters.refusedBySystem).toEqual({ shopify: 3, stripe: 2, shipbob: 2 });
  });

  it('accepts a Stripe delivery signed with the second of two active secrets (rotation)', async () => {
    expect((await post('stripe', stripeDelivery('charge.refunded', { id: 'ch_1', object: 'charge', amount: 500, amount_captured: 500, amount_refunded: 500, captured: true, refunded: true, status: 'succeeded', currency: 'usd', created: 1732000000, payment_intent: 'pi_1', metadata: {} }))).status).toBe(200);
  });

  it('a body over the limit gets 413', async () => {
    const big = shopifyDelivery('orders/create', { ...shopifyOrder(), note: 'x'.repeat(70 * 1024) });
    expect((await post('shopify', big)).status).toBe(413);
    expect(await stored()).toBe(0);
  });

  it('an authentic payload that does not validate is acknowledged, kept whole in quarantine, and replayable after a fix', async () => {
    const broken = shopifyDelivery('orders/create', { ...shopifyOrder(), total_price: 'twelve dollars' });
    const res = await post('shopify', broken);
    expect(res.status).toBe(200);
    const q = await backend.archive.listQuarantine();
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ system: 'shopify', topic: 'orders/create', body: broken.body });
    expect(q[0]?.error).toMatch(/total_price/);
    expect(JSON.stringify(q[0]?.headers)).not.toContain('hmac');
    expect(await backend.archive.countEvents()).toBe(0);
    // Nothing reads it yet: a retry keeps it in quarantine.
    expect(await retryQuarantine({ archive: backend.archive, bus: backend.bus, normalize: DEFAULT_NORMALIZE_CONTEXT, now: () => new Date().toISOString() })).toEqual({ retried: 1, resolved: 0, stillFailing: 1 });
  });

  it('a Shopify retry of the same delivery is archived once and counted as a duplicate by the matcher', async () => {
    const d = shopifyDelivery('orders/create', shopifyOrder(), SECRETS.shopify, 'fixed-webhook-id');
    await post('shopify', d);
    await post('shopify', d);
    expect(await backend.archive.countEvents()).toBe(1);
    const s = await drain();
    expect(s.duplicates).toBe(1);
  });

  it('an unknown sender is 404', async () => {
    expect((await post('paypal', shopifyDelivery('orders/create', {}))).status).toBe(404);
  });
});

describe.each([
  ['the app alone', false],
  ['webhookFastPath first, as tieout serve runs it', true],
])('POST /webhooks/:system over Node\'s HTTP server (the body and headers read straight from Node\'s request): %s', (_name, fastPath) => {
  let server: ServerType;
  let base: string;
  /** Requests the fast path answered itself. */
  let fast: number;
  beforeEach(async () => {
    fast = 0;
    const path = webhookFastPath({ ingest, maxBodyBytes: 64 * 1024, log: silentLogger() });
    const first = (req: IncomingMessage, res: ServerResponse) => path(req, res) && ++fast > 0;
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1', ...(fastPath ? { createServer: createServerTrying(first) } : {}) }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (system: string, d: SignedDelivery, body: BodyInit = d.body) =>
    fetch(`${base}/webhooks/${system}`, { method: 'POST', headers: d.headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
  /** The body as a stream of 16 KB chunks: sent chunked, with no Content-Length. */
  const streamed = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = Buffer.from(text);
        for (let i = 0; i < bytes.length; i += 16 * 1024) controller.enqueue(bytes.subarray(i, i + 16 * 1024));
        controller.close();
      },
    });

  it('accepts signed deliveries, with a declared length and streamed, and refuses forged ones', async () => {
    const d = shopifyDelivery('orders/create', shopifyOrder());
    const res = await send('shopify', d);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, accepted: `shopify:${d.headers['x-shopify-webhook-id']}` });
    const chunked = stripeDelivery('payment_intent.succeeded', stripePaymentIntent());
    expect((await send('stripe', chunked, streamed(chunked.body))).status).toBe(200);
    const forged = shopifyDelivery('orders/create', shopifyOrder(), 'wrong-secret');
    expect((await send('shopify', forged)).status).toBe(401);
    expect(await backend.archive.countEvents()).toBe(2);
    // The fast path takes the two with a declared length; the streamed one is the app's.
    expect(fast).toBe(fastPath ? 2 : 0);
  });

  it('a body over the limit gets 413, declared or streamed, and nothing is stored', async () => {
    const big = shopifyDelivery('orders/create', { ...shopifyOrder(), note: 'x'.repeat(70 * 1024) });
    const declared = await send('shopify', big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: `body larger than ${64 * 1024} bytes` });
    expect((await send('shopify', big, streamed(big.body))).status).toBe(413);
    expect(await stored()).toBe(0);
  });

  it('answers in JSON: 401 forged, 404 an unknown sender (percent-encoded too), a quarantined payload 200; other routes untouched', async () => {
    const forged = await send('shopify', shopifyDelivery('orders/create', shopifyOrder(), 'wrong-secret'));
    expect([forged.status, forged.headers.get('content-type'), await forged.json()]).toEqual([401, 'application/json', { error: 'signature check failed' }]);
    const unknown = await send('pay%70al', shopifyDelivery('orders/create', shopifyOrder()));
    expect([unknown.status, await unknown.json()]).toEqual([404, { error: 'unknown webhook source paypal' }]);
    const bad = shopifyDelivery('orders/create', { id: 1 });
    const quarantined = await send('shopify', bad);
    expect([quarantined.status, await quarantined.json()]).toEqual([200, { ok: true, quarantined: `shopify:${bad.headers['x-shopify-webhook-id']}` }]);
    expect((await fetch(`${base}/webhooks/shopify/extra`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${base}/ingest/stats`)).status).toBe(200);
  });

  it('a sender that hangs up halfway through its body leaves nothing stored, and the server goes on', async () => {
    const d = shopifyDelivery('orders/create', shopifyOrder());
    const { port } = server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const head = Object.entries({ ...d.headers, 'content-length': String(Buffer.byteLength(d.body)) }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(`POST /webhooks/shopify HTTP/1.1\r\nhost: 127.0.0.1\r\n${head}\r\n${d.body.slice(0, 20)}`);
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    expect((await send('shopify', shopifyDelivery('orders/create', shopifyOrder()))).status).toBe(200);
    expect(await stored()).toBe(1);
  });

  it('a delivery that cannot be stored gets 500, so the sender delivers it again', async () => {
    await backend.archive.close();
    const res = await send('shopify', shopifyDelivery('orders/create', shopifyOrder()));
    expect(res.status).toBe(500);
  });
});

describe('POST /feeds/:system', () => {
  it('needs the bearer token, then imports the file through the same path', async () => {
    const csv = 'entry_id,order_id,entry_type,amount,currency,booked_at\nle_1,1001,sale,598.94,USD,2026-11-21\nle_2,1001,bogus,1.00,USD,2026-11-21\n';
    expect((await app.request('/feeds/warehouse', { method: 'POST', body: csv })).status).toBe(401);
    const res = await app.request('/feeds/warehouse?name=ledger.csv', { method: 'POST', body: csv, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ items: 2, events: 1, quarantined: 1, quarantine: [{ line: 3 }] });
  });
});
