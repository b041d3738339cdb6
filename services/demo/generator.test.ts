// The demo generator against the real pipeline: every payload through the real source modules, folded, checked and classified.
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigFileSchema } from '#shared/config.ts';
import { cutoffInstant } from '#shared/domain/business-date.ts';
import { BUCKETS, classify } from '#shared/domain/classification.ts';
import { CHECKS, CHECK_CODES, DEFAULT_CHECK_CONFIG, runChecks } from '#shared/domain/checks.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { canonicalJson } from '#shared/domain/order-state.ts';
import { applyAll } from '#shared/domain/routing.ts';
import { RulesFileSchema } from '#shared/domain/rules.ts';
import type { RawRecord } from '#shared/ports/archive.ts';
import { SOURCES } from '#shared/sources/registry.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from '#shared/sources/source.ts';
import { createRng } from './shop.ts';
import { MIN_DEMO_ORDERS, generateDemo, type DemoDelivery, type DemoTraffic } from './generator.ts';

const BUSINESS_DATE = '2026-11-25';
const AS_OF = cutoffInstant(BUSINESS_DATE, { timeZone: 'UTC', cutoff: '06:00' });

const demo = (seed: number, orders: number, days = 7) => generateDemo({ orders, days, seed, asOf: AS_OF, businessDate: BUSINESS_DATE });

type Found = { id: string; code: string; bucket: string; amount: number; currency: string };
type Aged = { id: string; ageHours: number; windowHours: number | null };

function normalizeAll(raws: RawRecord[]): CanonicalEvent[] {
  return raws.flatMap((raw) => {
    const source = SOURCES.get(raw.system);
    const events = source?.normalize(raw, DEFAULT_NORMALIZE_CONTEXT);
    if (!events?.ok) throw new Error(`${raw.id} (${raw.topic}) did not normalize: ${events?.ok === false ? events.errors.join('; ') : 'no source'}`);
    return events.value;
  });
}

/** Every delivery and file through the real source modules, as ingest would receive them. */
function rawRecords(traffic: DemoTraffic, deliveries: readonly DemoDelivery[] = traffic.deliveries): RawRecord[] {
  const receivedAt = AS_OF;
  const raws: RawRecord[] = [];
  for (const d of deliveries) {
    const headers = Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const raw = SOURCES.get(d.system)?.fromDelivery?.({ headers, body: Buffer.from(d.body, 'utf8') }, receivedAt);
    if (!raw?.ok) throw new Error(`${d.system} ${d.topic} delivery refused: ${raw?.ok === false ? raw.errors.join('; ') : 'no source'}`);
    expect(raw.value.id.endsWith(d.deliveryId)).toBe(true);
    raws.push(raw.value);
  }
  for (const f of traffic.files) {
    const rows = parseCsv(f.content, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
    const feed = f.system === 'warehouse' ? 'ledger-csv' : 'payout-reconciliation-csv';
    for (const row of rows) {
      const raw = SOURCES.get(f.system)?.fromFeedItem?.(row, feed, receivedAt);
      if (!raw?.ok) throw new Error(`${f.name} row refused: ${raw?.ok === false ? raw.errors.join('; ') : 'no source'}`);
      raws.push(raw.value);
    }
  }
  return raws;
}

/** The night the report would see: folded docs, checks at the cutoff, classification with the demo's rules. */
function reconcile(traffic: DemoTraffic, deliveries?: readonly DemoDelivery[]) {
  const events = normalizeAll(rawRecords(traffic, deliveries));
  const ledger = applyAll(events);
  const rules = RulesFileSchema.parse(parseYaml(traffic.rulesYaml)).rules;
  const found: Found[] = [];
  const ages: Aged[] = [];
  for (const doc of ledger.docs.values())
    for (const b of runChecks(doc, { ...DEFAULT_CHECK_CONFIG, settlementEnabled: true })) {
      if (b.since > traffic.truth.asOf) continue;
      const c = classify(b, { asOf: traffic.truth.asOf, businessDate: traffic.truth.businessDate, rules });
      found.push({ id: c.id, code: c.code, bucket: c.bucket, amount: c.amount, currency: c.currency });
      ages.push({ id: c.id, ageHours: c.ageHours, windowHours: c.windowHours });
    }
  found.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { ledger, events, found, ages };
}

const expected = (t: DemoTraffic): Found[] => t.truth.breaks.map(({ id, code, bucket, amount, currency }) => ({ id, code, bucket, amount, currency }));

describe.each([
  [1, 60],
  [42, 200],
  [2026, 60],
  [2026, 200],
  [7, MIN_DEMO_ORDERS],
])('seed %i, %i orders', (seed, orders) => {
  const traffic = demo(seed, orders);
  const night = reconcile(traffic);

  it('the report recovers exactly the planted breaks: each in its bucket with its amount, and no false alarm', () => {
    expect(night.found).toEqual(expected(traffic));
  });

  it('plants every check code and every bucket', () => {
    expect(new Set(traffic.truth.breaks.map((b) => b.code))).toEqual(new Set(CHECK_CODES));
    expect(new Set(traffic.truth.breaks.map((b) => b.bucket))).toEqual(new Set(BUCKETS));
    // Every check with a window is planted inside it (timing) and past it (its real bucket).
    for (const unit of CHECKS.filter((c) => c.windowHours !== null)) {
      const buckets = traffic.truth.breaks.filter((b) => b.code === unit.code).map((b) => b.bucket);
      expect(buckets, unit.code).toContain('timing');
      expect(buckets.some((b) => b !== 'timing'), unit.code).toBe(true);
    }
  });

  it('plants timing breaks just inside their window (within the last hour of it) and the others past it', () => {
    for (const b of traffic.truth.breaks) {
      const aged = night.ages.find((a) => a.id === b.id);
      if (!aged || aged.windowHours === null) continue;
      if (b.bucket === 'timing') {
        expect(aged.ageHours, b.id).toBeLessThanOrEqual(aged.windowHours);
        // The last payout is paid an hour before the cutoff: inside its 1-day window, not near its edge.
        if (b.code !== 'payout_unexplained') expect(aged.ageHours, b.id).toBeGreaterThanOrEqual(aged.windowHours - 1);
      } else expect(aged.ageHours, b.id).toBeGreaterThan(aged.windowHours);
    }
  });

  it('the store holds as many documents as the truth says', () => {
    expect(night.ledger.docs.size).toBe(traffic.truth.orders);
    const storefront = [...night.ledger.docs.values()].filter((d) => Object.keys(d.storefront.orders).length > 0);
    expect(storefront).toHaveLength(orders);
  });

  it('reports nothing the sources said after the cutoff', () => {
    const late = night.events.filter((e) => e.occurredAt > traffic.truth.asOf);
    expect(late.map((e) => `${e.id} ${e.occurredAt}`)).toEqual([]);
  });

  it('any delivery order converges to the same night (merge laws)', () => {
    const rng = createRng(seed + 1);
    const shuffled = rng.shuffle(traffic.deliveries);
    const again = reconcile(traffic, shuffled);
    expect(again.found).toEqual(night.found);
    const docs = (l: typeof night.ledger) => [...l.docs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, d]) => `${k}=${canonicalJson({ ...d, eventIds: [] })}`);
    expect(docs(again.ledger)).toEqual(docs(night.ledger));
  });
});

describe('other spans and calendars', () => {
  it.each([
    [11, 45, 1, 'UTC', '2026-03-08'],
    [12, 90, 3, 'America/New_York', '2026-03-08'],
    [13, 120, 14, 'Asia/Tokyo', '2026-06-30'],
    [14, 70, 10, 'Europe/Berlin', '2026-10-25'],
  ])('seed %i, %i orders over %i days in %s on %s: exactly the planted breaks', (seed, orders, days, timeZone, businessDate) => {
    const asOf = cutoffInstant(businessDate, { timeZone, cutoff: '06:00' });
    const t = generateDemo({ orders, days, seed, asOf, businessDate, timeZone });
    const night = reconcile(t);
    expect(night.found).toEqual(expected(t));
    expect(night.ledger.docs.size).toBe(t.truth.orders);
    expect(ConfigFileSchema.parse(parseYaml(t.configYaml))).toMatchObject({ timeZone, cutoff: '06:00' });
  });
});

describe('generateDemo', () => {
  it('is deterministic: the same options give byte-identical output', () => {
    expect(JSON.stringify(demo(42, 80))).toBe(JSON.stringify(demo(42, 80)));
    expect(JSON.stringify(demo(43, 80))).not.toBe(JSON.stringify(demo(42, 80)));
  });

  it('writes a config the loader accepts (settlement on) and a rules file that validates', () => {
    const t = demo(42, 60);
    const config = ConfigFileSchema.parse(parseYaml(t.configYaml));
    expect(config).toMatchObject({ timeZone: 'UTC', cutoff: '06:00', settlement: { enabled: true } });
    const rules = RulesFileSchema.parse(parseYaml(t.rulesYaml)).rules;
    expect(rules.some((r) => r.exception !== undefined)).toBe(true);
    expect(rules.some((r) => r.code !== undefined && r.match?.maxAmount !== undefined)).toBe(true);
    for (const r of rules) expect(r.added < BUSINESS_DATE).toBe(true);
  });

  it('speaks the real formats: order numbers from #1001, long Shopify ids, several currencies, both link paths, retries', () => {
    const t = demo(42, 200);
    const shopify = t.deliveries.filter((d) => d.system === 'shopify' && d.topic.startsWith('orders/')).map((d) => JSON.parse(d.body) as Record<string, unknown>);
    const numbers = new Set(shopify.map((o) => o['order_number']));
    expect(numbers.has(1001)).toBe(true);
    expect(numbers.size).toBe(200);
    expect(shopify.every((o) => String(o['id']).length >= 10)).toBe(true);
    expect(new Set(shopify.map((o) => o['presentment_currency']))).toEqual(new Set(['USD', 'EUR', 'GBP', 'JPY', 'KWD']));
    expect(shopify.some((o) => o['test'] === true)).toBe(true);
    const topics = new Set(t.deliveries.map((d) => d.topic));
    for (const topic of ['orders/create', 'orders/updated', 'orders/paid', 'orders/cancelled', 'refunds/create', 'order_transactions/create', 'payment_intent.succeeded', 'charge.succeeded', 'charge.captured', 'charge.refunded', 'refund.created', 'charge.dispute.created', 'payout.paid', 'order.shipped', 'order.shipment.delivered'])
      expect(topics.has(topic), topic).toBe(true);
    const txns = t.deliveries.filter((d) => d.topic === 'order_transactions/create').map((d) => JSON.parse(d.body) as { authorization: string | null });
    expect(txns.some((x) => x.authorization?.startsWith('pi_'))).toBe(true);
    const intents = t.deliveries.filter((d) => d.topic === 'payment_intent.succeeded').map((d) => JSON.parse(d.body) as { data: { object: { metadata: Record<string, string> } } });
    expect(intents.some((e) => e.data.object.metadata['order_number'] !== undefined)).toBe(true);
    expect(intents.some((e) => e.data.object.metadata['order_number'] === undefined)).toBe(true);
    const ids = t.deliveries.map((d) => `${d.system}:${d.deliveryId}`);
    expect(new Set(ids).size).toBeLessThan(ids.length);
    expect(t.files.map((f) => f.name).some((n) => n.startsWith('payout_reconciliation.itemized.5'))).toBe(true);
    expect(t.files.find((f) => f.system === 'warehouse')?.content.split('\n')[0]).toBe('entry_id,order_id,entry_type,amount,currency,booked_at');
  });

  it('refuses options it cannot honour', () => {
    expect(() => demo(1, MIN_DEMO_ORDERS - 1)).toThrow(RangeError);
    expect(() => generateDemo({ orders: 60, days: 7, seed: 1, asOf: '2026-11-26T07:00:00Z', businessDate: BUSINESS_DATE })).not.toThrow();
    expect(() => generateDemo({ orders: 60, days: 7, seed: 1, asOf: '2026-11-28T06:00:00Z', businessDate: BUSINESS_DATE })).toThrow(RangeError);
  });
});
