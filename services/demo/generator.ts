// The demo generator: a seeded, deterministic week of a shop's traffic in the real formats, with planted breaks and their ground truth.
//
// Every order is a story of explicit facts (shop.ts, stories.ts); the stories are rendered to the
// payloads Shopify, Stripe and ShipBob send and to the warehouse and Stripe report files, then
// delivered the way real senders deliver: a little late, some twice, some out of order. Every
// instant is relative to `asOf`, so ages at the cutoff (and therefore buckets) never depend on
// when the demo runs. The truth lists what was planted; it is written from the stories' intents,
// never by running the checks.
import { Temporal } from 'temporal-polyfill';
import { stringify } from 'yaml';
import { addDays, cutoffInstant, isValidTimeZone } from '#shared/domain/business-date.ts';
import type { Bucket } from '#shared/domain/classification.ts';
import type { CheckCode } from '#shared/domain/checks.ts';
import { canonicalInstant } from '#shared/domain/instant.ts';
import { normalizeOrderKey } from '#shared/domain/refs.ts';
import { shopifyDeliveries } from './render-shopify.ts';
import { entryId, ledgerFiles, shipbobDeliveries, shipOrderOf, type LedgerEntry, type ShipOrder } from './render-shipbob.ts';
import { paymentEvents, payoutEvents } from './render-stripe.ts';
import { balanceTxns, planPayouts, reconciliationCsv, usageFee, withResidual, type BalanceTxn, type PayoutPlan } from './settle.ts';
import { CARRIERS, DAY, HOUR, MIN, SEC, chargeable, createIds, createRng, currencyInfo, newPayment, whole, type Ms, type Plant, type Shop, type Story } from './shop.ts';
import { PLANTED_ORDERS, PLANTERS, ago, drawEveryday, everydayStory, near } from './stories.ts';
import { type Rendered } from './wire.ts';

/** What to generate: how many storefront orders over how many days, from which seed, for which night. */
export type DemoOptions = {
  /** Storefront orders (planted ones included; at least `MIN_DEMO_ORDERS`). Default 200. */
  orders: number;
  /** Days of traffic before the cutoff. Default 7. */
  days: number;
  seed: number;
  /** The cutoff instant the report is evaluated at (the cutoff of `businessDate`). */
  asOf: string;
  /** The report's business date. */
  businessDate: string;
  /** The IANA zone business dates are in (default UTC); `asOf` must be the cutoff of `businessDate` in it. */
  timeZone?: string;
};

/** One webhook to send, in order; the runner adds the signature headers at send time. */
export type DemoDelivery = {
  system: 'shopify' | 'stripe' | 'shipbob';
  topic: string;
  /** Every header except signatures (and ShipBob's `webhook-timestamp`, which is signed with them). */
  headers: Record<string, string>;
  body: string;
  /** Stripe: the event id; Shopify: X-Shopify-Webhook-Id; ShipBob: webhook-id. A retry repeats it. */
  deliveryId: string;
};

/** A feed file: the warehouse ledger CSV or Stripe's itemized payout reconciliation CSV. */
export type DemoFile = { system: 'warehouse' | 'stripe'; name: string; content: string };

/** One planted break, as the report must find it. */
export type PlantedBreak = { id: string; code: CheckCode; bucket: Bucket; amount: number; currency: string; note: string };

/** Everything the demo sends, the files it imports, its config and rules, and what it planted. */
export type DemoTraffic = {
  deliveries: DemoDelivery[];
  files: DemoFile[];
  rulesYaml: string;
  configYaml: string;
  truth: { businessDate: string; asOf: string; orders: number; breaks: PlantedBreak[] };
};

/** The fewest storefront orders a demo can have: every planted story plus a few everyday ones. */
export const MIN_DEMO_ORDERS = PLANTED_ORDERS + 8;

export const DEMO_DEFAULTS = { orders: 200, days: 7, seed: 42 } as const;

type Loose = { readonly key: string; readonly plant: Plant };

/**
 * Generates the demo traffic. Deterministic: the same options give byte-identical output.
 * Throws a RangeError for options it cannot honour (too few orders, an `asOf` that is not the
 * cutoff of `businessDate`).
 */
export function generateDemo(options: DemoOptions): DemoTraffic {
  const { orders, seed } = options;
  const days = options.days ?? DEMO_DEFAULTS.days;
  const timeZone = options.timeZone ?? 'UTC';
  if (!Number.isInteger(orders) || orders < MIN_DEMO_ORDERS) throw new RangeError(`the demo needs at least ${MIN_DEMO_ORDERS} orders (it plants ${PLANTED_ORDERS} of them), got ${orders}`);
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a whole number of at least 1, got ${days}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be a whole number, got ${seed}`);
  if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown time zone: ${timeZone}`);
  const asOfText = canonicalInstant(options.asOf);
  if (asOfText === undefined) throw new RangeError(`asOf is not an ISO 8601 instant: ${options.asOf}`);
  const cutoff = Temporal.Instant.from(asOfText).toZonedDateTimeISO(timeZone).toPlainTime().toString({ smallestUnit: 'minute' });
  if (cutoffInstant(options.businessDate, { timeZone, cutoff }) !== asOfText)
    throw new RangeError(`asOf ${asOfText} is not the cutoff of business date ${options.businessDate} in ${timeZone} (expected the local time on the next day)`);

  const asOf = Date.parse(asOfText);
  const rng = createRng(seed);
  const shop: Shop = { rng, ids: createIds(rng), asOf, seq: 0 };

  // Stories: the planted ones at their fixed ages, everyday ones spread over the days before the cutoff.
  const stories: Story[] = PLANTERS.map((planter) => planter(shop));
  const everyday = orders - stories.length;
  const end = asOf - 30 * HOUR;
  const start = Math.min(asOf - days * DAY, end - 24 * HOUR);
  const forced = ['EUR', 'GBP', 'JPY', 'KWD'];
  const forcedKinds = ['test', 'cancel_void', 'cancel_refund', 'partial_refund', 'item_removed', 'lost_refund'] as const;
  for (let i = 0; i < everyday; i++) {
    const currency = forced[i] ?? rng.pick(['USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'EUR', 'EUR', 'GBP', 'GBP', 'JPY', 'KWD']);
    const kind = i >= 4 && i - 4 < forcedKinds.length ? (forcedKinds[i - 4] as (typeof forcedKinds)[number]) : drawEveryday(shop);
    stories.push(everydayStory(shop, placeOrder(shop, start, end), currency, kind));
  }
  // Shopify numbers orders in creation order; ids grow with time.
  stories.sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
  let orderId = 5_812_340_000_000 + rng.int(0, 99_999);
  stories.forEach((s, i) => {
    s.number = 1001 + i;
    orderId += rng.int(40_000, 900_000);
    s.orderId = orderId;
  });

  const rendered: Rendered[] = [];
  const ledger: LedgerEntry[] = [];
  const txns: BalanceTxn[] = [];
  const shipOrders: ShipOrder[] = [];
  for (const s of stories) {
    rendered.push(...shopifyDeliveries(rng, s));
    s.payments.forEach((p, i) => {
      const refunds = i === 0 ? s.refunds : [];
      const orderName = p.metadata ? `#${s.number}` : null;
      rendered.push(...paymentEvents(rng, p, refunds, { orderName, orderId: s.orderId, customerName: `${s.customer.first} ${s.customer.last}`, group: `order:${s.number}` }));
      txns.push(...balanceTxns(p, refunds, orderName));
    });
    if (s.shipments.length > 0) shipOrders.push(shipOrderOf(s));
    const ref = s.bookingRef === 'id' ? String(s.orderId) : s.bookingRef === 'name' ? `#${s.number}` : String(s.number);
    for (const b of s.bookings) ledger.push({ at: b.at, orderId: ref, type: 'sale', amount: b.amount, currency: b.currency, tag: b.memo });
    for (const r of s.refunds) if (r.booksAt !== null) ledger.push({ at: r.booksAt, orderId: ref, type: 'refund', amount: r.amount, currency: s.pricing.currency, tag: r.note });
  }

  const orphans = plantOrphans(shop, orders);
  for (const o of orphans.payments) {
    rendered.push(...paymentEvents(rng, o.payment, [], { orderName: null, orderId: null, customerName: 'Payment link customer', group: `orphan:${o.payment.pi}` }));
    txns.push(...balanceTxns(o.payment, [], null));
  }
  shipOrders.push(...orphans.shipOrders);
  ledger.push(...orphans.entries.map((e) => e.entry));
  const { payouts, plants: payoutPlants } = plantPayouts(shop, txns);
  for (const p of payouts) rendered.push(...payoutEvents(rng, p));

  for (const o of shipOrders) rendered.push(...shipbobDeliveries(rng, o, asOf));

  // Books: entries numbered in booking order (a manual journal entry's provisional key is its entry id).
  ledger.sort((a, b) => a.at - b.at || (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : a.amount - b.amount));
  const booked = ledger.filter((e) => e.at <= asOf);
  const loose: Loose[] = [
    ...orphans.payments.map((o) => ({ key: `payment:${o.payment.pi}`, plant: o.plant })),
    ...orphans.shipments,
    ...orphans.entries.map((e) => ({ key: e.key ?? `booking:${entryId(booked.indexOf(e.entry))}`, plant: e.plant })),
  ];

  const deliveries = schedule(shop, rendered.filter((r) => r.at <= asOf));
  const reportStart = new Date(Math.min(...payouts.map((p) => p.createdAt)) - DAY).toISOString().slice(0, 10);
  const files: DemoFile[] = [
    ...ledgerFiles(booked).map((f) => ({ system: 'warehouse' as const, ...f })),
    { system: 'stripe', name: `payout_reconciliation.itemized.5_${reportStart}_${asOfText.slice(0, 10)}.csv`, content: reconciliationCsv(payouts) },
  ];

  const breaks: PlantedBreak[] = [...stories.flatMap((s) => s.plants.map((p) => ({ key: String(s.number), plant: p }))), ...loose, ...payoutPlants]
    .map(({ key, plant }) => ({ id: `${key}:${plant.code}`, code: plant.code, bucket: plant.bucket, amount: plant.amount, currency: plant.currency, note: plant.note }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const goodwill = breaks.find((b) => b.code === 'refund_missing_in_storefront' && b.bucket === 'known_accepted');

  return {
    deliveries,
    files,
    rulesYaml: rulesYaml(options.businessDate, goodwill?.id ?? ''),
    configYaml: configYaml(timeZone, cutoff),
    // Documents: one per storefront order, one per orphan record's key, one per payout.
    truth: { businessDate: options.businessDate, asOf: asOfText, orders: stories.length + new Set(loose.map((l) => l.key)).size + payouts.length, breaks },
  };
}

/** Records that name no storefront order, near (timing) and far (mapping) from their 24-hour window. */
function plantOrphans(shop: Shop, orders: number) {
  const { rng, ids } = shop;
  const payment = (at: Ms, currency: string, bucket: Bucket, note: string) => {
    const amount = chargeable(rng.int(2000, 20000) / currencyInfo(currency).usdCentsPerMinor, currency);
    const card = { brand: 'visa', last4: String(rng.int(1000, 9999)), country: currency === 'GBP' ? 'GB' : 'US' };
    return { payment: newPayment(shop, currency, amount, at + 40 * SEC, card, { metadata: false }), plant: { code: 'orphan_payment', bucket, amount, currency, note } satisfies Plant };
  };
  const shipment = (reference: string, at: Ms, bucket: Bucket, note: string, keyOf: (parcel: number) => string) => {
    const sku = rng.pick(['TEE-ORG-BLK-M', 'MUG-STN-12OZ', 'SOCK-MRN-3PK']);
    const carrier = rng.pick(CARRIERS);
    const parcel = { id: ids.seq('sbShipment', 2000), shippedAt: at, deliveredAt: null, carrier, tracking: ids.tracking(carrier.carrier), items: [{ sku, name: sku, qty: rng.int(1, 12) }] };
    const order: ShipOrder = {
      group: `orphan:${reference}`,
      sbOrderId: ids.seq('sbOrder', 3000),
      referenceId: reference,
      orderNumber: reference,
      createdAt: at - rng.int(2, 20) * HOUR,
      recipient: { name: 'Receiving Dept', city: 'Denver', country: 'US' },
      products: parcel.items.map((x) => ({ ...x, unitPrice: 0 })),
      parcels: [parcel],
    };
    return { order, loose: { key: keyOf(parcel.id), plant: { code: 'orphan_shipment', bucket, amount: 0, currency: 'XXX', note } satisfies Plant } };
  };
  const unknownShopifyId = String(5_990_000_000_000 + rng.int(0, 9_999_999));
  const wholesale = `WHSL-${rng.int(10000, 99999)}`;
  const shipments = [
    shipment(unknownShopifyId, near(shop, 24), 'timing', 'ShipBob shipped an order whose Shopify id the storefront never sent (under 24 h ago).', (id) => `shipment:shipbob:${id}`),
    shipment(wholesale, ago(shop, rng.int(50, 90)), 'mapping', 'A wholesale order keyed straight into ShipBob: no storefront order has this number.', () => normalizeOrderKey(wholesale) as string),
  ];
  const manual: LedgerEntry = { at: near(shop, 24), orderId: '', type: 'sale', amount: rng.int(5000, 40000), currency: 'USD', tag: 'orphan-manual' };
  const stray = String(1000 + orders + rng.int(100, 400));
  const strayEntry: LedgerEntry = { at: ago(shop, rng.int(40, 90)), orderId: `#${stray}`, type: 'sale', amount: rng.int(3000, 30000), currency: 'USD', tag: 'orphan-stray' };
  return {
    payments: [
      payment(near(shop, 24), 'USD', 'timing', 'A Stripe payment link paid under 24 h ago with no order reference; it may still be matched.'),
      payment(ago(shop, rng.int(50, 100)), 'GBP', 'mapping', 'A payment taken in the Stripe dashboard days ago that names no Shopify order.'),
    ],
    shipOrders: shipments.map((x) => x.order),
    shipments: shipments.map((x) => x.loose),
    entries: [
      { entry: manual, key: undefined, plant: { code: 'orphan_booking', bucket: 'timing', amount: manual.amount, currency: 'USD', note: 'A manual journal entry booked under 24 h ago without an order reference.' } satisfies Plant },
      { entry: strayEntry, key: stray, plant: { code: 'orphan_booking', bucket: 'mapping', amount: strayEntry.amount, currency: 'USD', note: `The ledger booked a sale against #${stray}, an order number the storefront never issued.` } satisfies Plant },
    ],
  };
}

/**
 * Daily payouts of every settled balance transaction (plus a Stripe usage fee), with residuals
 * planted on the last payout (paid an hour before the cutoff: inside the 1-day window) and on one
 * paid about three days earlier (past it).
 */
function plantPayouts(shop: Shop, txns: BalanceTxn[]): { payouts: PayoutPlan[]; plants: Loose[] } {
  const { rng, asOf } = shop;
  txns.push(usageFee(shop, ago(shop, 3 * 24 + rng.int(4, 20))));
  const planned = planPayouts(shop, txns);
  const last = planned.length - 1;
  const age = (p: PayoutPlan) => asOf - p.arrival;
  let far = -1;
  planned.forEach((p, i) => {
    const best = planned[far];
    if (age(p) > 36 * HOUR && (best === undefined || Math.abs(age(p) - 72 * HOUR) < Math.abs(age(best) - 72 * HOUR))) far = i;
  });
  if (last < 0 || far < 0) throw new RangeError('the demo needs payouts on at least two days; raise the number of orders');
  const residual = new Map([
    [last, { amount: -rng.int(120, 990), bucket: 'timing' as const, note: 'Paid an hour before the cutoff for less than its listed transactions (an adjustment not in the report yet).' }],
    [far, { amount: rng.int(1100, 4800), bucket: 'genuine_error' as const, note: 'Paid days ago for more than the net of its listed transactions; the difference is unexplained.' }],
  ]);
  const payouts = planned.map((p, i) => {
    const r = residual.get(i);
    return r ? withResidual(p, r.amount) : p;
  });
  const plants = [...residual].map(([i, r]) => ({ key: `payout:${(payouts[i] as PayoutPlan).id}`, plant: { code: 'payout_unexplained', bucket: r.bucket, amount: Math.abs(r.amount), currency: 'USD', note: r.note } satisfies Plant }));
  return { payouts, plants };
}

/** An order's creation instant: uniform over the span, busier in the US daytime (14:00–04:00 UTC). */
function placeOrder(shop: Shop, start: Ms, end: Ms): Ms {
  for (;;) {
    const t = whole(start + shop.rng.next() * (end - start));
    const hour = new Date(t).getUTCHours();
    if (hour >= 14 || hour < 4 || shop.rng.chance(0.35)) return t;
  }
}

/**
 * The order to send in, as senders deliver: each webhook a few seconds to a minute after its
 * fact; some Shopify updates late; Stripe events of some orders shuffled; retries (same delivery
 * id, same body) later, including stale Shopify retries that land after a newer snapshot.
 */
function schedule(shop: Shop, rendered: readonly Rendered[]): DemoDelivery[] {
  const { rng } = shop;
  const out: { sendAt: number; n: number; r: Rendered }[] = [];
  const shuffled = new Set<string>();
  let n = 0;
  const push = (sendAt: number, r: Rendered) => out.push({ sendAt, n: n++, r });
  const lastUpdated = new Map<string, number>();
  for (const r of rendered) {
    if (r.system === 'stripe' && !shuffled.has(r.group) && rng.chance(0.25)) shuffled.add(r.group);
    let delay = r.system === 'shopify' ? rng.int(1, 8) * SEC : r.system === 'stripe' ? rng.int(1, 20) * SEC : rng.int(5, 60) * SEC;
    if (r.system === 'stripe' && shuffled.has(r.group)) delay += rng.int(0, 180) * SEC;
    if (r.topic === 'orders/updated' && rng.chance(0.05)) delay += rng.int(5, 90) * MIN;
    push(r.at + delay, r);
    if (r.topic === 'orders/updated') lastUpdated.set(r.group, Math.max(lastUpdated.get(r.group) ?? 0, r.at + delay));
    if (rng.chance(0.04)) push(r.at + delay + rng.int(5, 4 * 3600) * SEC, r);
  }
  // Stale retries: the first orders/updated of some orders arrives again after the newest one.
  const firstUpdated = new Map<string, Rendered>();
  for (const r of rendered) if (r.topic === 'orders/updated' && !firstUpdated.has(r.group)) firstUpdated.set(r.group, r);
  for (const [group, r] of firstUpdated) {
    const latest = lastUpdated.get(group) ?? 0;
    if (latest > r.at && rng.chance(0.15)) push(latest + rng.int(1, 30) * MIN, r);
  }
  out.sort((a, b) => a.sendAt - b.sendAt || a.n - b.n);
  return out.map(({ r }) => ({ system: r.system, topic: r.topic, headers: { ...r.headers }, body: r.body, deliveryId: r.deliveryId }));
}

/** The demo's configuration: the calendar its night is evaluated in, and settlement on (it ships a payout report). */
function configYaml(timeZone: string, cutoff: string): string {
  return [
    `timeZone: ${JSON.stringify(timeZone)}`,
    `cutoff: ${JSON.stringify(cutoff)}`,
    'settlement:',
    '  # The demo imports Stripe\'s itemized payout reconciliation report: unsettled and payout_unexplained run.',
    '  enabled: true',
    '',
  ].join('\n');
}

/** The rules file: one rule by exact exception id, one by code and predicate, and one that has expired. */
function rulesYaml(businessDate: string, goodwillId: string): string {
  return stringify({
    rules: [
      {
        id: 'capture-rounding-cent',
        code: 'capture_mismatch',
        match: { maxAmount: 2 },
        reason: 'The checkout rounds tax per line and Stripe per order; differences of a cent or two are expected.',
        owner: 'payments',
        added: addDays(businessDate, -40),
        expires: addDays(businessDate, 140),
      },
      {
        id: `goodwill-refund-${goodwillId.split(':')[0]}`,
        exception: goodwillId,
        reason: 'Goodwill refund issued from the Stripe dashboard after a support call; no storefront refund is needed.',
        owner: 'support',
        added: addDays(businessDate, -1),
      },
      {
        id: 'jpy-ledger-export',
        code: 'booking_mismatch',
        match: { currency: 'JPY' },
        reason: 'The ledger export sent JPY in hundredths until the exporter fix; it has shipped, so this no longer applies.',
        owner: 'finance',
        added: addDays(businessDate, -30),
        expires: addDays(businessDate, -2),
      },
    ],
  });
}
