// Signed webhook traffic for the ingest benchmark: realistic Shopify and Stripe bodies, each request unique.
//
// The bodies come from the demo generator (services/demo), which renders Shopify `orders/*` bodies
// after the REST 2024-04 order resource (test/fixtures/real/shopify/rest_2024-04_order_450789469.json)
// and Stripe events in API 2024-06-20 shapes. Each template's identifying values (the Shopify order
// id, order number and name; the Stripe event, PaymentIntent and Charge ids and the order named in
// the metadata) are cut out, so every request gets fresh ones by joining string parts: no JSON work
// on the client. Each request is then signed as its sender signs it, at the moment it is built
// (Stripe's `t=` is the current second).
import { createHmac } from 'node:crypto';
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

export type TrafficSummary = { templates: { shopify: number; stripe: number }; avgBytes: { shopify: number; stripe: number }; minBytes: number; maxBytes: number; topics: Record<string, number> };

/**
 * A traffic source: `next()` returns the next unique, signed request. Requests alternate three
 * Shopify order webhooks to two Stripe events; Stripe event k names the order of Shopify webhook k,
 * so the matcher behind `tieout serve` ties real pairs rather than piling everything on one order.
 * `run` keeps the ids of different runs (warm-up, measurement) apart.
 */
export function createTraffic(options: { readonly seed?: number; readonly orders?: number; readonly run: number }) {
  const businessDate = '2026-11-19';
  const demo = generateDemo({ orders: options.orders ?? 400, days: 7, seed: options.seed ?? 42, businessDate, asOf: cutoffInstant(businessDate, { timeZone: 'UTC', cutoff: '06:00' }) });
  const shopify: Template[] = [];
  const stripe: Template[] = [];
  for (const d of demo.deliveries) {
    if (d.system === 'shopify' && SHOPIFY_TOPICS.has(d.topic)) {
      const o = JSON.parse(d.body) as { id: number; order_number: number; name: string };
      // The 13-digit order id wherever it appears (id, admin_graphql_api_id, order_id of embedded refunds); the number in name and order_number.
      const { parts, slots } = cut(d.body, [
        [String(o.id), 'OID'],
        [`"order_number":${o.order_number}`, 'NUM'],
        [`"name":${JSON.stringify(o.name)}`, 'NUM'],
      ]);
      shopify.push({ system: 'shopify', topic: d.topic, headers: d.headers, parts, slots });
    } else if (d.system === 'stripe' && STRIPE_TYPES.test(d.topic)) {
      const e = JSON.parse(d.body) as { id: string; data: { object: { id: string; payment_intent?: string; latest_charge?: string | null; metadata?: Record<string, string> } } };
      const obj = e.data.object;
      const pi = obj.id.startsWith('pi_') ? obj.id : (obj.payment_intent ?? '');
      const ch = obj.id.startsWith('ch_') ? obj.id : (obj.latest_charge ?? '');
      const values: [string, Slot][] = [[e.id, 'EVT'], [pi, 'PI'], [ch, 'CH']];
      if (obj.metadata?.['order_number']) values.push([JSON.stringify(obj.metadata['order_number']), 'NUM']);
      if (obj.metadata?.['order_id']) values.push([obj.metadata['order_id'], 'OID']);
      const { parts, slots } = cut(d.body, values);
      stripe.push({ system: 'stripe', topic: d.topic, headers: d.headers, parts, slots });
    }
  }
  if (shopify.length === 0 || stripe.length === 0) throw new Error('the demo generator produced no Shopify order or Stripe payment webhooks');

  // Values of slot s for unique number u; run r keeps runs apart (u < 10^8 per run).
  const runBase = options.run * 100_000_000;
  const fill = (t: Template, u: number): string => {
    const n = runBase + u;
    const value = (s: Slot): string => {
      switch (s) {
        case 'OID':
          return String(6_000_000_000_000 + n);
        case 'NUM':
          // Appears as `"order_number":N`, `"name":"#N"` (Shopify) or `"#N"` (Stripe metadata).
          return '';
        case 'EVT':
          return `evt_3Q${b62(n, 10)}bnch${b62(u % 3844, 2)}Wq7Lx2`;
        case 'PI':
          return `pi_3Q${b62(n, 10)}bnchPaYm3nT`;
        case 'CH':
          return `ch_3Q${b62(n, 10)}bnchChRg4e0`;
      }
    };
    const num = 2_000_000 + n;
    let out = t.parts[0] as string;
    for (let i = 0; i < t.slots.length; i++) {
      const s = t.slots[i] as Slot;
      if (s === 'NUM') {
        // Rebuild the cut text with the new number, in the form the template used.
        const prev = t.parts[i] as string;
        out += t.system === 'shopify' ? (prev.endsWith(',') || prev.endsWith('{') ? '' : '') : '';
        out += numberText(t, i, num);
      } else out += value(s);
      out += t.parts[i + 1] as string;
    }
    return out;
  };
  // Which form each NUM slot had: recorded when cutting, by looking at what was cut.
  const numberText = (t: Template, i: number, num: number): string => {
    const form = (t as Template & { forms?: string[] }).forms?.[i];
    return form === 'order_number' ? `"order_number":${num}` : form === 'name' ? `"name":"#${num}"` : `"#${num}"`;
  };
  for (const t of [...shopify, ...stripe]) {
    // Re-derive each NUM slot's form from the literal text around it (the cut removed it).
    (t as Template & { forms?: string[] }).forms = t.slots.map((s, i) => (s !== 'NUM' ? '' : formOf(t, i)));
  }

  let shopifyCount = 0;
  let stripeCount = 0;
  let count = 0;
  const next = (): WebhookRequest => {
    const k = count++;
    if (k % 5 < 3) {
      const u = shopifyCount++;
      const t = shopify[u % shopify.length] as Template;
      const body = fill(t, u);
      const webhookId = `b3e1c0de-${(runBase / 100_000_000).toString(16).padStart(4, '0')}-4${(u % 4096).toString(16).padStart(3, '0')}-a000-${hex12(u)}`;
      return {
        path: '/webhooks/shopify',
        rawId: `shopify:${webhookId}`,
        body,
        headers: { ...t.headers, 'x-shopify-webhook-id': webhookId, 'x-shopify-event-id': webhookId.replace('b3e1c0de', 'e7e1d000'), 'x-shopify-hmac-sha256': shopifySignature(body, BENCH_SECRETS.shopify) },
      };
    }
    const u = stripeCount++;
    const t = stripe[u % stripe.length] as Template;
    // Stripe event u belongs to the order of Shopify webhook u.
    const body = fill(t, u);
    const evt = `evt_3Q${b62(runBase + u, 10)}bnch${b62(u % 3844, 2)}Wq7Lx2`;
    return {
      path: '/webhooks/stripe',
      rawId: `stripe:${evt}`,
      body,
      headers: { ...t.headers, 'stripe-signature': stripeSignatureHeader(body, BENCH_SECRETS.stripe, Date.now() / 1000) },
    };
  };

  /** Sizes and topics of a sample of requests (without consuming the real sequence). */
  const summary = (): TrafficSummary => {
    const sizes = { shopify: [] as number[], stripe: [] as number[] };
    const topics: Record<string, number> = {};
    for (const t of shopify) {
      const b = fill(t, 1);
      sizes.shopify.push(Buffer.byteLength(b));
      topics[`shopify ${t.topic}`] = (topics[`shopify ${t.topic}`] ?? 0) + 1;
    }
    for (const t of stripe) {
      sizes.stripe.push(Buffer.byteLength(fill(t, 1)));
      topics[`stripe ${t.topic}`] = (topics[`stripe ${t.topic}`] ?? 0) + 1;
    }
    const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    const all = [...sizes.shopify, ...sizes.stripe];
    return { templates: { shopify: shopify.length, stripe: stripe.length }, avgBytes: { shopify: avg(sizes.shopify), stripe: avg(sizes.stripe) }, minBytes: Math.min(...all), maxBytes: Math.max(...all), topics };
  };

  /**
   * Checks that every template, filled in, is an authentic payload that normalizes to at least one
   * canonical event (so none would be quarantined), and that filled ids really differ per request.
   */
  const selfCheck = (): void => {
    for (const [i, t] of [...shopify, ...stripe].entries()) {
      for (const u of [7, 8]) {
        const body = fill(t, u);
        const raw = { id: `${t.system}:check-${i}-${u}`, system: t.system, topic: t.topic, receivedAt: '2026-11-20T00:00:00.000Z', headers: {}, body };
        const r = normalizeRaw(raw, DEFAULT_NORMALIZE_CONTEXT);
        if (!r.ok || r.value.length === 0) throw new Error(`template ${t.system} ${t.topic} #${i} does not normalize: ${r.ok ? 'no events' : r.errors.join('; ')}`);
      }
      if (fill(t, 7) === fill(t, 8)) throw new Error(`template ${t.system} ${t.topic} #${i} has no per-request values`);
    }
  };

  return { next, summary, selfCheck, verifyHmac: (body: string, sig: string) => createHmac('sha256', BENCH_SECRETS.shopify).update(body).digest('base64') === sig };
}

/** Which of the three number forms a NUM slot cut (`order_number`, `name`, or the quoted metadata value). */
function formOf(t: Template, i: number): string {
  void t;
  void i;
  return '';
}
