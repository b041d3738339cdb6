// The demo's order stories: everyday variants that tie out, and one planted story per check code and bucket.
//
// A planted story starts from a tied order and changes exactly the fact its check reads, so the
// break fires alone on its order (DESIGN §6 overlaps respected) with a known amount at risk. Clock
// facts are placed relative to the cutoff: "near" is just inside the check's window (timing), "far"
// is well past it (the break's real bucket). Orphans and payouts are planted in generator.ts.
import {
  CATALOGUE,
  HOUR,
  MIN,
  SEC,
  chargeable,
  currencyInfo,
  mirrorTxns,
  newPayment,
  newRefund,
  physicalLines,
  planShipments,
  tiedStory,
  whole,
  type LineSpec,
  type Ms,
  type Plant,
  type Shop,
  type Story,
} from './shop.ts';

/** An instant `hours` before the cutoff. */
export const ago = (shop: Shop, hours: number): Ms => whole(shop.asOf - hours * HOUR);

/** An instant just inside a window of `hours` (15–55 minutes younger than the window). */
export const near = (shop: Shop, hours: number): Ms => whole(shop.asOf - hours * HOUR + shop.rng.int(15, 55) * MIN);

/** An instant between `fromHours` and `toHours` before the cutoff. */
const within = (shop: Shop, fromHours: number, toHours: number): Ms => whole(shop.asOf - shop.rng.int(fromHours * 60, toHours * 60) * MIN);

/** A random instant in [a, b] (whole seconds); `a` when the range is empty. */
const between = (shop: Shop, a: Ms, b: Ms): Ms => whole(b <= a ? a : a + shop.rng.next() * (b - a));

const plant = (s: Story, p: Plant): Story => {
  s.plants.push(p);
  return s;
};

/** Two or more physical lines, for stories that split or short a shipment. */
const multiLine = (shop: Shop): LineSpec =>
  shop.rng
    .shuffle(CATALOGUE)
    .slice(0, shop.rng.int(2, 3))
    .map((product) => ({ product, qty: shop.rng.chance(0.7) ? 1 : 2 }));

/** One or two cheap physical lines (under the free-shipping threshold, so the order pays shipping). */
const smallOrder = (shop: Shop): LineSpec => [{ product: shop.rng.pick(CATALOGUE.filter((p) => p.price < 4000)), qty: 1 }];

const lastShipped = (s: Story): Ms => Math.max(s.createdAt, ...s.shipments.map((p) => p.shippedAt ?? 0));

// ---- everyday stories that tie out ------------------------------------------------------------

export type Everyday = 'plain' | 'partial_refund' | 'item_removed' | 'lost_refund' | 'cancel_void' | 'cancel_refund' | 'test';

/** Draws which kind of everyday order this is, with a real shop's proportions. */
export function drawEveryday(shop: Shop): Everyday {
  const x = shop.rng.next();
  return x < 0.72 ? 'plain' : x < 0.81 ? 'partial_refund' : x < 0.85 ? 'item_removed' : x < 0.88 ? 'lost_refund' : x < 0.92 ? 'cancel_void' : x < 0.95 ? 'cancel_refund' : 'test';
}

/**
 * An order that ties out completely at the cutoff, of the given kind. Every fact lies before the
 * cutoff (refunds at least four hours before it, so their ledger entries are in too); an order
 * placed too late for its kind falls back to a plain one.
 */
export function everydayStory(shop: Shop, t0: Ms, currency: string, kind: Everyday): Story {
  const { rng } = shop;
  const limit = shop.asOf - 4 * HOUR;
  if (kind === 'test') return tiedStory(shop, t0, { currency, test: true });
  if (kind === 'cancel_void') {
    const s = tiedStory(shop, t0, { currency, capture: 'manual' });
    const p = s.payments[0];
    if (p) Object.assign(p, { capturedAt: null, captured: 0, canceledAt: whole(t0 + rng.int(1 * HOUR, 6 * HOUR)), settle: false });
    s.cancel = { at: (p?.canceledAt ?? t0) + 2 * SEC, reason: rng.pick(['customer', 'inventory', 'declined'] as const) };
    s.shipments = [];
    s.bookings = [];
    s.shopTxns = mirrorTxns(shop, s);
    return s;
  }
  if (kind === 'cancel_refund') {
    const s = tiedStory(shop, t0, { currency, capture: 'auto' });
    const at = whole(t0 + rng.int(1 * HOUR, 8 * HOUR));
    s.cancel = { at, reason: 'customer' };
    s.refunds.push(newRefund(shop, at, s.pricing.total, 'Order cancelled by customer', { lines: physicalLines(s), restock: 'cancel' }));
    s.shipments = [];
    return s;
  }
  const s = tiedStory(shop, t0, { currency, capture: kind === 'item_removed' ? 'auto' : undefined });
  if (kind === 'partial_refund' && lastShipped(s) + 3 * HOUR < limit) {
    const at = between(shop, lastShipped(s) + 3 * HOUR, Math.min(limit, lastShipped(s) + 72 * HOUR));
    const amount = chargeable(s.pricing.total * (0.1 + 0.2 * rng.next()), currency);
    s.refunds.push(newRefund(shop, at, amount, rng.pick(['Price adjustment', 'Late delivery goodwill', 'Damaged item, customer keeps it']), { booksAt: between(shop, at + 30 * MIN, Math.min(at + 6 * HOUR, shop.asOf - 30 * MIN)) }));
  } else if (kind === 'lost_refund' && lastShipped(s) + 24 * HOUR < limit) {
    const at = between(shop, lastShipped(s) + 24 * HOUR, Math.min(limit, lastShipped(s) + 96 * HOUR));
    for (const p of s.shipments) p.deliveredAt = null;
    s.refunds.push(newRefund(shop, at, s.pricing.total, 'Parcel lost in transit', { booksAt: between(shop, at + 30 * MIN, Math.min(at + 6 * HOUR, shop.asOf - 30 * MIN)) }));
  } else if (kind === 'item_removed') {
    // Out of stock before picking: one unit refunded and restocked; ShipBob ships the rest.
    const first = s.shipments[0];
    const line = first?.lines[0];
    const l = line ? s.pricing.lines[line.index] : undefined;
    if (first && line && l && first.shippedAt !== null) {
      const at = whole(Math.min(first.shippedAt - 1 * HOUR, t0 + rng.int(20, 90) * MIN));
      const cur = currencyInfo(currency);
      const amount = l.unitPresent + (cur.taxIncluded ? 0 : Math.round(l.unitPresent * cur.taxRate));
      s.refunds.push(newRefund(shop, at, amount, 'Item out of stock', { lines: [{ index: line.index, qty: 1 }], restock: 'cancel', booksAt: between(shop, at + 30 * MIN, at + 5 * HOUR) }));
      first.lines = first.lines.map((x) => (x === line ? { ...x, qty: x.qty - 1 } : x)).filter((x) => x.qty > 0);
      s.shipments = s.shipments.filter((p) => p.lines.length > 0);
    }
  }
  return s;
}

// ---- planted stories ---------------------------------------------------------------------------

/** A story that differs from a tied order in one fact, and the break that fact plants. */
type Planter = (shop: Shop) => Story;

const amountNote = (s: Story, amount: number) => `${(amount / 10 ** currencyInfo(s.pricing.currency).exp).toFixed(currencyInfo(s.pricing.currency).exp)} ${s.pricing.currency}`;

/** Planted storefront stories, in the order they are listed in the report of what was planted. */
export const PLANTERS: readonly Planter[] = [
  // payment_missing: Shopify says paid through Stripe; Stripe captured nothing.
  (shop) => {
    const s = tiedStory(shop, near(shop, 6), { currency: 'USD', capture: 'auto', link: 'transaction' });
    s.payments = [];
    s.shipments = [];
    s.bookings = [];
    return plant(s, { code: 'payment_missing', bucket: 'timing', amount: s.pricing.total, currency: 'USD', note: "Placed under 6 h ago and marked paid by Shopify; Stripe's events for it have not arrived yet." });
  },
  (shop) => {
    const s = tiedStory(shop, within(shop, 50, 80), { currency: 'EUR', capture: 'auto', link: 'metadata' });
    s.payments = [];
    s.shipments = [];
    s.bookings = [];
    return plant(s, { code: 'payment_missing', bucket: 'genuine_error', amount: s.pricing.total, currency: 'EUR', note: 'Marked paid in Shopify two to three days ago, but Stripe never charged the card.' });
  },
  // capture_mismatch: partial capture (genuine), a 1-cent rounding (accepted by rule), a KWD decimal slip (mapping).
  (shop) => {
    const s = tiedStory(shop, within(shop, 70, 130), { currency: 'USD', capture: 'manual', spec: multiLine(shop) });
    const p = s.payments[0];
    const short = chargeable(s.pricing.total * (0.1 + 0.15 * shop.rng.next()), 'USD');
    if (p) p.captured = s.pricing.total - short;
    s.shopTxns = mirrorTxns(shop, s);
    return plant(s, { code: 'capture_mismatch', bucket: 'genuine_error', amount: short, currency: 'USD', note: `Authorized in full but captured ${amountNote(s, short)} short; everything shipped.` });
  },
  (shop) => {
    const s = tiedStory(shop, within(shop, 30, 100), { currency: 'USD', capture: 'auto' });
    const p = s.payments[0];
    if (p) Object.assign(p, { amount: s.pricing.total - 1, captured: s.pricing.total - 1 });
    return plant(s, { code: 'capture_mismatch', bucket: 'known_accepted', amount: 1, currency: 'USD', note: 'Stripe captured 1 cent less than the Shopify total (tax rounding); accepted by the rounding rule.' });
  },
  (shop) => {
    const s = tiedStory(shop, within(shop, 40, 120), { currency: 'KWD', capture: 'auto' });
    const p = s.payments[0];
    const sent = s.pricing.total / 10;
    if (p) Object.assign(p, { amount: sent, captured: sent });
    return plant(s, { code: 'capture_mismatch', bucket: 'mapping', amount: s.pricing.total - sent, currency: 'KWD', note: 'KWD has three decimals; the checkout sent the amount with two, so Stripe captured a tenth of the total.' });
  },
  // duplicate_capture: the customer's double submit charged the card twice.
  (shop) => {
    const s = tiedStory(shop, within(shop, 30, 140), { currency: 'USD', capture: 'auto', link: 'metadata' });
    s.payments.push(newPayment(shop, 'USD', s.pricing.total, s.createdAt + shop.rng.int(40, 110) * SEC, s.card));
    return plant(s, { code: 'duplicate_capture', bucket: 'genuine_error', amount: s.pricing.total, currency: 'USD', note: 'A double submit at checkout created and captured a second PaymentIntent for the same order.' });
  },
  // currency_mismatch: charged in CAD for a USD order.
  (shop) => {
    const s = tiedStory(shop, within(shop, 30, 140), { currency: 'USD', capture: 'auto' });
    const p = s.payments[0];
    const cad = chargeable(s.pricing.total / currencyInfo('CAD').usdCentsPerMinor, 'CAD');
    if (p) Object.assign(p, { currency: 'CAD', amount: cad, captured: cad, metadata: true });
    return plant(s, { code: 'currency_mismatch', bucket: 'mapping', amount: cad, currency: 'CAD', note: "The checkout charged the Canadian buyer's card in CAD for an order priced in USD." });
  },
  // refund_missing_in_processor: Shopify refunded, Stripe did not.
  (shop) => refundOnly(shop, 'shopify', near(shop, 24), within(shop, 60, 110), 'timing', 'Refunded in Shopify under 24 h ago; the Stripe refund has not shown up yet.'),
  (shop) => refundOnly(shop, 'shopify', within(shop, 50, 90), within(shop, 100, 150), 'genuine_error', 'Refunded in Shopify days ago, but no refund exists in Stripe: the customer was never paid back.'),
  // refund_missing_in_storefront: Stripe refunded (books followed Stripe), Shopify never recorded it.
  (shop) => refundOnly(shop, 'stripe', near(shop, 24), within(shop, 60, 110), 'timing', 'Refunded in Stripe under 24 h ago; Shopify has not recorded it yet.'),
  (shop) => refundOnly(shop, 'stripe', within(shop, 50, 90), within(shop, 100, 150), 'genuine_error', 'Refunded in the Stripe dashboard days ago; Shopify still shows the order fully paid.'),
  (shop) => refundOnly(shop, 'stripe', within(shop, 30, 80), within(shop, 90, 140), 'known_accepted', 'Goodwill refund issued from the Stripe dashboard; accepted by exception id.'),
  // captured_not_shipped
  (shop) => capturedAt(shop, near(shop, 48), (s) => plant({ ...s, shipments: [] }, { code: 'captured_not_shipped', bucket: 'timing', amount: s.pricing.total, currency: s.pricing.currency, note: 'Captured under 48 h ago; ShipBob has not shipped it yet.' })),
  (shop) => capturedAt(shop, within(shop, 60, 120), (s) => plant({ ...s, shipments: [] }, { code: 'captured_not_shipped', bucket: 'genuine_error', amount: s.pricing.total, currency: s.pricing.currency, note: 'Captured days ago and booked, but ShipBob never shipped it.' })),
  // shipped_not_captured: SEPA Direct Debit still processing (timing) or failed after shipping (genuine).
  (shop) => sepa(shop, within(shop, 30, 40), near(shop, 24), null, 'timing', 'SEPA Direct Debit still processing while ShipBob shipped the order under 24 h ago.'),
  (shop) => sepa(shop, within(shop, 100, 140), within(shop, 50, 90), 'failed', 'genuine_error', 'ShipBob shipped it days ago; the SEPA Direct Debit then failed and nothing was captured.'),
  // shipped_after_cancel: cancelled (authorization voided), ShipBob shipped it anyway.
  (shop) => {
    const s = tiedStory(shop, within(shop, 60, 130), { currency: 'USD', capture: 'manual', spec: multiLine(shop) });
    const p = s.payments[0];
    const cancelAt = whole(s.createdAt + shop.rng.int(2 * HOUR, 8 * HOUR));
    if (p) Object.assign(p, { capturedAt: null, captured: 0, canceledAt: cancelAt, settle: false });
    s.cancel = { at: cancelAt + 2 * SEC, reason: 'customer' };
    s.shipments = planShipments(shop, s, whole(cancelAt + shop.rng.int(1 * HOUR, 6 * HOUR)), false);
    s.bookings = [];
    s.shopTxns = mirrorTxns(shop, s);
    const value = physicalLines(s).reduce((n, l) => n + l.qty * (s.pricing.lines[l.index]?.unitShop ?? 0), 0);
    return plant(s, { code: 'shipped_after_cancel', bucket: 'genuine_error', amount: value, currency: 'USD', note: 'Cancelled in Shopify (authorization voided) but ShipBob shipped every unit afterwards.' });
  },
  // cancelled_not_refunded
  (shop) => cancelled(shop, within(shop, 30, 46), near(shop, 24), 'timing', 'Cancelled under 24 h ago; the captured payment has not been refunded yet.'),
  (shop) => cancelled(shop, within(shop, 80, 130), null, 'genuine_error', 'Cancelled days ago, but the captured payment was never refunded.'),
  // quantity_mismatch: the second parcel still processing (timing); a mis-pick (genuine).
  (shop) => {
    const s = tiedStory(shop, within(shop, 80, 90), { currency: 'USD', capture: 'auto', spec: multiLine(shop) });
    const lines = physicalLines(s);
    const held = lines[lines.length - 1] as { index: number; qty: number };
    s.shipments = planShipments(shop, s, near(shop, 72), true);
    const [first, second] = s.shipments;
    if (first && second) {
      first.lines = lines.slice(0, -1);
      Object.assign(second, { shippedAt: null, deliveredAt: null, lines: [held] });
    }
    const value = held.qty * (s.pricing.lines[held.index]?.unitShop ?? 0);
    return plant(s, { code: 'quantity_mismatch', bucket: 'timing', amount: value, currency: 'USD', note: 'Split shipment: the first parcel left under 72 h ago; the back-ordered line is still processing.' });
  },
  (shop) => {
    const s = tiedStory(shop, within(shop, 120, 150), { currency: 'USD', capture: 'auto', spec: multiLine(shop), split: false });
    const parcel = s.shipments[0];
    const line = parcel?.lines[0];
    if (parcel && line) parcel.lines = parcel.lines.map((l) => (l === line ? { ...l, qty: l.qty - 1 } : l)).filter((l) => l.qty > 0);
    const value = s.pricing.lines[line?.index ?? 0]?.unitShop ?? 0;
    return plant(s, { code: 'quantity_mismatch', bucket: 'genuine_error', amount: value, currency: 'USD', note: 'Mis-pick: ShipBob marked the order fulfilled with one unit missing.' });
  },
  // not_booked
  (shop) => capturedAt(shop, near(shop, 48), (s) => plant({ ...s, bookings: [] }, { code: 'not_booked', bucket: 'timing', amount: s.pricing.total, currency: s.pricing.currency, note: 'Captured under 48 h ago; the ledger sync has not booked the sale yet.' })),
  (shop) => capturedAt(shop, within(shop, 60, 130), (s) => plant({ ...s, bookings: [] }, { code: 'not_booked', bucket: 'genuine_error', amount: s.pricing.total, currency: s.pricing.currency, note: 'Captured and shipped days ago, but the books have no sale for it.' })),
  // refund_not_booked: refunded in Shopify and Stripe alike; the books missed the refund.
  (shop) => refundUnbooked(shop, near(shop, 48), within(shop, 80, 120), 'timing', 'Refunded under 48 h ago in Shopify and Stripe; the ledger has not booked the refund yet.'),
  (shop) => refundUnbooked(shop, within(shop, 60, 90), within(shop, 100, 150), 'genuine_error', 'Refunded days ago in Shopify and Stripe; the ledger never booked the refund.'),
  // booking_mismatch: shipping left out of the booking (genuine); JPY booked in hundredths (mapping).
  (shop) => {
    const s = tiedStory(shop, within(shop, 30, 140), { currency: 'USD', capture: 'auto', spec: smallOrder(shop), discount: false });
    const booked = s.pricing.total - s.pricing.shipping;
    s.bookings = [{ at: s.bookings[0]?.at ?? s.createdAt + HOUR, type: 'sale', amount: booked, currency: 'USD', memo: 'merchandise' }];
    return plant(s, { code: 'booking_mismatch', bucket: 'genuine_error', amount: s.pricing.shipping, currency: 'USD', note: 'The ledger booked the merchandise but not the shipping charged.' });
  },
  (shop) => {
    const s = tiedStory(shop, within(shop, 30, 140), { currency: 'JPY', capture: 'auto' });
    s.bookings = [{ at: s.bookings[0]?.at ?? s.createdAt + HOUR, type: 'sale', amount: s.pricing.total * 100, currency: 'JPY', memo: 'order' }];
    return plant(s, { code: 'booking_mismatch', bucket: 'mapping', amount: s.pricing.total * 99, currency: 'JPY', note: 'The ledger export treated JPY as a two-decimal currency: booked 100 times the total.' });
  },
  // unsettled: left out of every payout.
  (shop) => capturedAt(shop, near(shop, 120), (s) => unsettled(s, 'timing', 'Captured almost 5 days ago and not in a payout yet.')),
  (shop) => capturedAt(shop, within(shop, 135, 150), (s) => unsettled(s, 'genuine_error', 'Captured six days ago; no paid payout includes it.')),
  // dispute_open: a chargeback on a delivered order.
  (shop) => {
    const s = tiedStory(shop, within(shop, 60, 150), { capture: 'auto', currency: shop.rng.pick(['USD', 'USD', 'GBP']) });
    const p = s.payments[0];
    const at = between(shop, Math.max(lastShipped(s), shop.asOf - 50 * HOUR), shop.asOf - 20 * HOUR);
    if (p) p.dispute = { id: shop.ids.stripe('dp'), at, amount: p.captured, reason: shop.rng.pick(['fraudulent', 'product_not_received']), txn: shop.ids.stripe('txn') };
    return plant(s, { code: 'dispute_open', bucket: 'genuine_error', amount: p?.captured ?? 0, currency: s.pricing.currency, note: 'The cardholder disputed the charge; the dispute needs a response.' });
  },
  // auth_expiring: authorized, never captured, the 7-day authorization running out.
  (shop) => authorizedOnly(shop, near(shop, 120), 'timing', 'Authorized almost 5 days ago and not captured; ShipBob has not shipped it.'),
  (shop) => authorizedOnly(shop, within(shop, 130, 160), 'genuine_error', 'Authorized six days ago and still not captured: the authorization lapses at 7 days.'),
];

/** A tied order whose (automatic) capture happened at `captured`, then changed by `change`. */
function capturedAt(shop: Shop, captured: Ms, change: (s: Story) => Story): Story {
  return change(tiedStory(shop, captured + 35 * SEC, { capture: 'auto', currency: shop.rng.pick(['USD', 'USD', 'EUR', 'GBP']) }));
}

function unsettled(s: Story, bucket: 'timing' | 'genuine_error', note: string): Story {
  for (const p of s.payments) p.settle = false;
  return plant(s, { code: 'unsettled', bucket, amount: s.pricing.total, currency: s.pricing.currency, note });
}

/** A partial refund only one side recorded: the storefront (`shopify`) or the processor (`stripe`, with the books following it). */
function refundOnly(shop: Shop, side: 'shopify' | 'stripe', at: Ms, t0: Ms, bucket: Plant['bucket'], note: string): Story {
  const s = tiedStory(shop, t0, { capture: 'auto', currency: shop.rng.pick(['USD', 'USD', 'EUR', 'GBP']) });
  const amount = chargeable(s.pricing.total * (0.15 + 0.25 * shop.rng.next()), s.pricing.currency);
  const booksAt = side === 'stripe' ? between(shop, at + 30 * MIN, Math.min(at + 6 * HOUR, shop.asOf - 10 * MIN)) : null;
  s.refunds.push(newRefund(shop, at, amount, side === 'stripe' ? 'Refund from the Stripe dashboard' : 'Partial refund', { shopifyAt: side === 'shopify' ? at : null, stripeAt: side === 'stripe' ? at : null, booksAt }));
  return plant(s, { code: side === 'shopify' ? 'refund_missing_in_processor' : 'refund_missing_in_storefront', bucket, amount, currency: s.pricing.currency, note });
}

function refundUnbooked(shop: Shop, at: Ms, t0: Ms, bucket: Plant['bucket'], note: string): Story {
  const s = tiedStory(shop, t0, { capture: 'auto', currency: shop.rng.pick(['USD', 'EUR', 'GBP', 'JPY']) });
  const amount = chargeable(s.pricing.total * (0.1 + 0.3 * shop.rng.next()), s.pricing.currency);
  s.refunds.push(newRefund(shop, at + 3 * SEC, amount, 'Partial refund', { stripeAt: at, booksAt: null }));
  return plant(s, { code: 'refund_not_booked', bucket, amount, currency: s.pricing.currency, note });
}

/** A EUR order paid by SEPA Direct Debit (no capture yet) that ShipBob shipped at `shippedAt`. */
function sepa(shop: Shop, t0: Ms, shippedAt: Ms, outcome: 'failed' | null, bucket: Plant['bucket'], note: string): Story {
  const s = tiedStory(shop, t0, { currency: 'EUR', capture: 'auto', link: 'metadata' });
  const p = s.payments[0];
  if (p) {
    Object.assign(p, { mode: 'sepa', capturedAt: null, captured: 0, settle: false });
    if (outcome === 'failed') p.failedAt = between(shop, shippedAt + 20 * HOUR, Math.min(shippedAt + 40 * HOUR, shop.asOf - HOUR));
  }
  s.shipments = planShipments(shop, s, shippedAt, false);
  s.bookings = [];
  s.shopTxns = mirrorTxns(shop, s);
  return plant(s, { code: 'shipped_not_captured', bucket, amount: s.pricing.total, currency: 'EUR', note });
}

/** A captured order cancelled at `cancelAt` (or a few hours after it was placed) with nothing refunded. */
function cancelled(shop: Shop, t0: Ms, cancelAt: Ms | null, bucket: Plant['bucket'], note: string): Story {
  const s = tiedStory(shop, t0, { capture: 'auto', currency: shop.rng.pick(['USD', 'EUR', 'GBP']) });
  s.cancel = { at: cancelAt ?? whole(s.createdAt + shop.rng.int(2 * HOUR, 20 * HOUR)), reason: shop.rng.pick(['customer', 'inventory']) };
  s.shipments = [];
  return plant(s, { code: 'cancelled_not_refunded', bucket, amount: s.pricing.total, currency: s.pricing.currency, note });
}

/** A manual-capture order whose PaymentIntent was created at `authorized` and never captured. */
function authorizedOnly(shop: Shop, authorized: Ms, bucket: Plant['bucket'], note: string): Story {
  const s = tiedStory(shop, authorized + 40 * SEC, { capture: 'manual', currency: shop.rng.pick(['USD', 'USD', 'GBP']) });
  const p = s.payments[0];
  if (p) Object.assign(p, { capturedAt: null, captured: 0, settle: false });
  s.shipments = [];
  s.bookings = [];
  s.shopTxns = mirrorTxns(shop, s);
  return plant(s, { code: 'auth_expiring', bucket, amount: s.pricing.total, currency: s.pricing.currency, note });
}

/** How many storefront orders the planted stories use: the least `orders` a demo can have is a few more. */
export const PLANTED_ORDERS = PLANTERS.length;

