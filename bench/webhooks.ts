// Signed webhook traffic for the ingest benchmark: realistic Shopify and Stripe bodies, each request unique.
//
// The bodies come from the demo generator (services/demo), which renders Shopify `orders/*` bodies
// after the REST 2024-04 order resource (test/fixtures/real/shopify/rest_2024-04_order_450789469.json)
// and Stripe events in API 2024-06-20 shapes. Each template's identifying values (the Shopify order
// id, order number and name; the Stripe event, PaymentIntent and Charge ids and the order named in
// the metadata) are cut out, so every request gets fresh ones by joining string parts: no JSON work
// on the client. Each request is then signed as its sender signs it, at the moment it is built
// (Stripe's `t=` is the current second).
import { cutoffInstant } from '#shared/domain/business-date.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from '#shared/sources/source.ts';
import { normalizeRaw } from '#shared/sources/registry.ts';
import { shopifySignature } from '#shared/sources/shopify.ts';
import { stripeSignatureHeader } from '#shared/sources/stripe.ts';
import { generateDemo } from '../services/demo/generator.ts';

export const BENCH_SECRETS = { shopify: 'shpss_bench_secret', stripe: 'whsec_bench_secret' } as const;

/** The Shopify topics used (bodies are Order resources) and the Stripe event types (PaymentIntents and Charges). */
const SHOPIFY_TOPICS = new Set(['orders/create', 'orders/updated', 'orders/paid']);
const STRIPE_TYPES = /^(payment_intent\.(created|succeeded|amount_capturable_updated)|charge\.(succeeded|captured))$/;

/** Makes the text that replaces a cut value, for the request's unique number n. */
type Fill = (n: number) => string;
/** A body with its variable values cut out: parts[0], fills[0](n), parts[1], …, parts[last]. */
type Template = { readonly system: 'shopify' | 'stripe'; readonly topic: string; readonly headers: Readonly<Record<string, string>>; readonly parts: readonly string[]; readonly fills: readonly Fill[] };

/** Cuts every occurrence of each value's text out of `body` (longest texts first, so none cuts into another). */
function cut(body: string, values: readonly (readonly [string, Fill])[]): { parts: string[]; fills: Fill[] } {
  const sorted = values.filter(([text]) => text.length > 0).sort((a, b) => b[0].length - a[0].length);
  const re = new RegExp(sorted.map(([text]) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const byText = new Map(sorted);
  const parts: string[] = [];
  const fills: Fill[] = [];
  let last = 0;
  for (const m of body.matchAll(re)) {
    parts.push(body.slice(last, m.index));
    fills.push(byText.get(m[0]) as Fill);
    last = m.index + m[0].length;
  }
  parts.push(body.slice(last));
  return { parts, fills };
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const b62 = (value: number, width: number): string => {
  let s = '';
  for (let v = value; v > 0; v = Math.floor(v / 62)) s = B62[v % 62] + s;
  return s.padStart(width, '0');
};
const hex12 = (n: number) => n.toString(16).padStart(12, '0');

export type WebhookRequest = { readonly path: string; readonly headers: Record<string, string>; readonly body: string; readonly rawId: string };

export type TrafficSummary = {
  templates: { shopify: number; stripe: number };
  topics: Record<string, number>;
  bytes: { shopify: { avg: number; min: number; max: number }; stripe: { avg: number; min: number; max: number }; mix: number };
};

/** Per-request values for unique number n (n < 10^8 within a run; runs are 10^8 apart). */
const orderId = (n: number) => String(6_000_000_000_000 + n);
const orderNumber = (n: number) => 2_000_000 + n;
const eventId = (n: number) => `evt_3Q${b62(n, 10)}Bnch7Wq2Lx8Mk`;
const intentId = (n: number) => `pi_3Q${b62(n, 10)}BnchPaYm3nT0`;
const chargeId = (n: number) => `ch_3Q${b62(n, 10)}BnchChRg4e0`;

/**
 * A traffic source: `next()` returns the next unique, signed request. Requests go three Shopify
 * order webhooks to two Stripe events; Stripe event k names the order of Shopify webhook k, so the
 * matcher inside `tieout serve` links real pairs rather than piling everything onto one document
 * (their amounts are not made to agree).
 * `run` keeps the ids of different runs (warm-up, measurement) apart.
 */
export function createTraffic(options: { readonly run: number; readonly seed?: number; readonly orders?: number }) {
  const businessDate = '2026-11-19';
  const demo = generateDemo({ orders: options.orders ?? 400, days: 7, seed: options.seed ?? 42, businessDate, asOf: cutoffInstant(businessDate, { timeZone: 'UTC', cutoff: '06:00' }) });
  const shopify: Template[] = [];
  const stripe: Template[] = [];
  for (const d of demo.deliveries) {
    if (d.system === 'shopify' && SHOPIFY_TOPICS.has(d.topic)) {
      const o = JSON.parse(d.body) as { id: number; order_number: number; name: string };
      // The 13-digit order id wherever it appears (id, admin_graphql_api_id, order_id of embedded refunds), and the order number and name.
      const { parts, fills } = cut(d.body, [
        [String(o.id), orderId],
        [`"order_number":${o.order_number}`, (n) => `"order_number":${orderNumber(n)}`],
        [`"name":${JSON.stringify(o.name)}`, (n) => `"name":"#${orderNumber(n)}"`],
      ]);
      const { 'x-shopify-webhook-id': _w, 'x-shopify-event-id': _e, ...headers } = d.headers;
      shopify.push({ system: 'shopify', topic: d.topic, headers, parts, fills });
    } else if (d.system === 'stripe' && STRIPE_TYPES.test(d.topic)) {
      const e = JSON.parse(d.body) as { id: string; data: { object: { id: string; payment_intent?: string; latest_charge?: string | null; metadata?: Record<string, string> } } };
      const obj = e.data.object;
      const pi = obj.id.startsWith('pi_') ? obj.id : (obj.payment_intent ?? '');
      const ch = obj.id.startsWith('ch_') ? obj.id : (obj.latest_charge ?? '');
      const values: [string, Fill][] = [
        [e.id, eventId],
        [pi, intentId],
        [ch, chargeId],
      ];
      // The order's name (`#1042`) appears in the metadata and the description; its Shopify id in the metadata.
      const name = obj.metadata?.['order_number'];
      if (name) values.push([name, (n) => `#${orderNumber(n)}`]);
      const id = obj.metadata?.['order_id'];
      if (id) values.push([id, orderId]);
      const { parts, fills } = cut(d.body, values);
      stripe.push({ system: 'stripe', topic: d.topic, headers: d.headers, parts, fills });
    }
  }
  if (shopify.length === 0 || stripe.length === 0) throw new Error('the demo generator produced no Shopify order or Stripe payment webhooks');

  const runBase = options.run * 100_000_000;
  const fill = (t: Template, n: number): string => {
    let out = t.parts[0] as string;
    for (let i = 0; i < t.fills.length; i++) out += (t.fills[i] as Fill)(n) + (t.parts[i + 1] as string);
    return out;
  };

  let shopifyCount = 0;
  let stripeCount = 0;
  let count = 0;
  const next = (): WebhookRequest => {
    const k = count++;
    if (k % 5 < 3) {
      const u = shopifyCount++;
      const t = shopify[u % shopify.length] as Template;
      const body = fill(t, runBase + u);
      const webhookId = `b3e1c0de-${options.run.toString(16).padStart(4, '0')}-4${(u % 4096).toString(16).padStart(3, '0')}-a${(u % 4096).toString(16).padStart(3, '0')}-${hex12(u)}`;
      return {
        path: '/webhooks/shopify',
        rawId: `shopify:${webhookId}`,
        body,
        headers: { ...t.headers, 'x-shopify-webhook-id': webhookId, 'x-shopify-event-id': `e7e1d000-${webhookId.slice(9)}`, 'x-shopify-hmac-sha256': shopifySignature(body, BENCH_SECRETS.shopify) },
      };
    }
    const u = stripeCount++;
    const t = stripe[u % stripe.length] as Template;
    const body = fill(t, runBase + u);
    return {
      path: '/webhooks/stripe',
      rawId: `stripe:${eventId(runBase + u)}`,
      body,
      headers: { ...t.headers, 'stripe-signature': stripeSignatureHeader(body, BENCH_SECRETS.stripe, Date.now() / 1000) },
    };
  };

  /** Template count, topics and body sizes (filled in), without consuming the request sequence. */
  const summary = (): TrafficSummary => {
    const topics: Record<string, number> = {};
    const stats = (ts: Template[]) => {
      const sizes = ts.map((t) => {
        topics[`${t.system} ${t.topic}`] = (topics[`${t.system} ${t.topic}`] ?? 0) + 1;
        return Buffer.byteLength(fill(t, runBase));
      });
      return { avg: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length), min: Math.min(...sizes), max: Math.max(...sizes) };
    };
    const sh = stats(shopify);
    const st = stats(stripe);
    return { templates: { shopify: shopify.length, stripe: stripe.length }, topics, bytes: { shopify: sh, stripe: st, mix: Math.round((3 * sh.avg + 2 * st.avg) / 5) } };
  };

  /**
   * Checks that every template, filled in with two different numbers, normalizes to at least one
   * canonical event (so ingest accepts rather than quarantines it), and that the two bodies differ.
   */
  const selfCheck = (): void => {
    for (const [i, t] of [...shopify, ...stripe].entries()) {
      const bodies = [fill(t, runBase + 7), fill(t, runBase + 8)];
      if (bodies[0] === bodies[1]) throw new Error(`template ${t.system} ${t.topic} #${i} has no per-request values`);
      for (const body of bodies) {
        const r = normalizeRaw({ id: `${t.system}:check`, system: t.system, topic: t.topic, receivedAt: '2026-11-20T00:00:00.000Z', headers: {}, body }, DEFAULT_NORMALIZE_CONTEXT);
        if (!r.ok || r.value.length === 0) throw new Error(`template ${t.system} ${t.topic} #${i} does not normalize: ${r.ok ? 'no events' : r.errors.join('; ')}`);
      }
    }
  };

  return { next, summary, selfCheck };
}
