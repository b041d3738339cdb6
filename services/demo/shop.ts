// The demo shop at the domain level: a seeded PRNG, ids, the catalogue and prices, and per-order stories of explicit facts.
//
// A story says what happened to one order in each system (what the storefront recorded, what the
// processor captured and refunded, what the 3PL shipped, what the books booked, whether Stripe
// paid it out) as plain data with instants. The renderers (render-*.ts) turn stories into the real
// payloads; the planted stories (plant.ts) differ from a tied one in exactly one fact.
import type { Bucket } from '#shared/domain/classification.ts';
import type { CheckCode } from '#shared/domain/checks.ts';

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Instants are whole seconds (Stripe speaks unix seconds), as epoch milliseconds. */
export type Ms = number;
export const whole = (ms: number): Ms => Math.floor(ms / SEC) * SEC;

// ---- PRNG --------------------------------------------------------------------------------

/** A seeded source of randomness (mulberry32): the same seed gives the same draws, everywhere. */
export type Rng = {
  readonly next: () => number;
  readonly int: (min: number, max: number) => number;
  readonly pick: <T>(xs: readonly T[]) => T;
  readonly chance: (p: number) => boolean;
  /** `n` random characters of [0-9A-Za-z]. */
  readonly b62: (n: number) => string;
  readonly shuffle: <T>(xs: readonly T[]) => T[];
};

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A mulberry32 PRNG wrapped with the draws the generator needs. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T,
    chance: (p: number) => next() < p,
    b62: (n: number) => Array.from({ length: n }, () => B62[Math.floor(next() * 62)]).join(''),
    shuffle: <T>(xs: readonly T[]) => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    },
  };
}

/** Id factories with the real shapes: Stripe `pi_3Q…`, Shopify 13-digit ids, ShipBob integers. */
export type Ids = {
  readonly stripe: (prefix: string) => string;
  /** The next of an increasing numeric sequence (Shopify and ShipBob ids grow over time). */
  readonly seq: (name: 'line' | 'shopTxn' | 'refund' | 'refundLine' | 'sbOrder' | 'sbShipment' | 'sbProduct' | 'sbItem', gap?: number) => number;
  readonly tracking: (carrier: string) => string;
};

const SEQ_START: Record<string, number> = {
  line: 14_872_301_000_000,
  shopTxn: 7_340_112_000_000,
  refund: 1_020_557_000_000,
  refundLine: 5_533_901_000_000,
  sbOrder: 318_400_000,
  sbShipment: 291_700_000,
  sbProduct: 41_020_000,
  sbItem: 88_300_000,
};

export function createIds(rng: Rng): Ids {
  const account = rng.b62(8);
  const counters = new Map<string, number>();
  return {
    stripe: (prefix) => `${prefix}_3Q${account}${rng.b62(14)}`,
    seq: (name, gap = 400) => {
      const next = (counters.get(name) ?? SEQ_START[name] ?? 1) + 1 + rng.int(0, gap);
      counters.set(name, next);
      return next;
    },
    tracking: (carrier) =>
      carrier === 'UPS' ? `1Z${rng.b62(6).toUpperCase()}03${String(rng.int(10_000_000, 99_999_999))}` : carrier === 'FedEx' ? String(rng.int(100_000_000_000, 999_999_999_999)) : `9400${String(rng.int(1e10, 9e10))}${String(rng.int(1e7, 9e7))}`,
  };
}

// ---- money and catalogue -----------------------------------------------------------------

/** A currency the shop presents prices in (or, for CAD, that a misconfigured integration charged in). */
export type CurrencyInfo = {
  readonly code: string;
  readonly exp: number;
  /** USD cents one minor unit is worth (the settlement conversion). */
  readonly usdCentsPerMinor: number;
  /** Flat shipping in minor units (free over $100). */
  readonly shipping: number;
  readonly taxRate: number;
  /** VAT-style prices include tax; US sales tax is added on top. */
  readonly taxIncluded: boolean;
  /** Presentment prices are rounded to this many minor units (JPY to ¥10; KWD to 10 fils, as Stripe requires). */
  readonly step: number;
};

export const CURRENCIES: Readonly<Record<string, CurrencyInfo>> = {
  USD: { code: 'USD', exp: 2, usdCentsPerMinor: 1, shipping: 695, taxRate: 0.08875, taxIncluded: false, step: 1 },
  EUR: { code: 'EUR', exp: 2, usdCentsPerMinor: 1.08, shipping: 590, taxRate: 0.2, taxIncluded: true, step: 5 },
  GBP: { code: 'GBP', exp: 2, usdCentsPerMinor: 1.27, shipping: 495, taxRate: 0.2, taxIncluded: true, step: 5 },
  JPY: { code: 'JPY', exp: 0, usdCentsPerMinor: 0.67, shipping: 800, taxRate: 0.1, taxIncluded: true, step: 10 },
  KWD: { code: 'KWD', exp: 3, usdCentsPerMinor: 0.325, shipping: 2500, taxRate: 0, taxIncluded: false, step: 10 },
  CAD: { code: 'CAD', exp: 2, usdCentsPerMinor: 0.72, shipping: 895, taxRate: 0.13, taxIncluded: false, step: 1 },
};

export const currencyInfo = (code: string): CurrencyInfo => CURRENCIES[code] as CurrencyInfo;

/** A minor-unit amount as the major-unit decimal string sources write (`19965 USD` → `199.65`). */
export function major(amount: number, currency: string): string {
  const exp = currencyInfo(currency).exp;
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(exp + 1, '0');
  return exp === 0 ? sign + digits : `${sign}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

/** The USD cents Stripe settles an amount for (the balance transaction's gross). */
export const usdCents = (amount: number, currency: string): number => Math.round(amount * currencyInfo(currency).usdCentsPerMinor);

const roundStep = (x: number, step: number) => Math.max(step, Math.round(x / step) * step);

export type Product = {
  readonly sku: string;
  readonly title: string;
  readonly variant: string;
  /** USD cents: the shop currency. */
  readonly price: number;
  readonly grams: number;
  readonly productId: number;
  readonly variantId: number;
  readonly giftCard?: boolean;
};

/** The shop's small catalogue (prices in the shop currency, USD). */
export const CATALOGUE: readonly Product[] = [
  { sku: 'TEE-ORG-BLK-M', title: 'Organic Cotton Tee', variant: 'Black / M', price: 2800, grams: 180, productId: 8104317002011, variantId: 44731260010011 },
  { sku: 'TEE-ORG-WHT-L', title: 'Organic Cotton Tee', variant: 'White / L', price: 2800, grams: 190, productId: 8104317002011, variantId: 44731260010044 },
  { sku: 'HOOD-FLC-GRY-M', title: 'Fleece Hoodie', variant: 'Heather Grey / M', price: 6400, grams: 620, productId: 8104317035779, variantId: 44731260338715 },
  { sku: 'CAP-WOOL-NVY', title: 'Wool Cap', variant: 'Navy', price: 3250, grams: 90, productId: 8104317068547, variantId: 44731260403227 },
  { sku: 'SOCK-MRN-3PK', title: 'Merino Socks 3-Pack', variant: 'Charcoal', price: 1895, grams: 150, productId: 8104317101315, variantId: 44731260469787 },
  { sku: 'MUG-STN-12OZ', title: 'Stoneware Mug 12 oz', variant: 'Sand', price: 2200, grams: 410, productId: 8104317134083, variantId: 44731260535323 },
  { sku: 'TOTE-CNVS-NAT', title: 'Canvas Tote', variant: 'Natural', price: 2450, grams: 230, productId: 8104317166851, variantId: 44731260600859 },
  { sku: 'BEAN-CHNKY-RST', title: 'Chunky Beanie', variant: 'Rust', price: 2900, grams: 110, productId: 8104317199619, variantId: 44731260666395 },
  { sku: 'JKT-RAIN-OLV-L', title: 'Packable Rain Jacket', variant: 'Olive / L', price: 12900, grams: 480, productId: 8104317232387, variantId: 44731260731931 },
  { sku: 'BTL-STEEL-750', title: 'Steel Bottle 750 ml', variant: 'Matte Black', price: 3400, grams: 340, productId: 8104317265155, variantId: 44731260797467 },
];

export const GIFT_CARD: Product = { sku: 'GC-DIGITAL-50', title: 'Digital Gift Card', variant: '$50', price: 5000, grams: 0, productId: 8104317297923, variantId: 44731260863003, giftCard: true };

/** One order line: the shop-currency unit price Shopify sends in `price`, and the price the buyer saw. */
export type Line = {
  readonly lineId: number;
  readonly product: Product;
  readonly qty: number;
  readonly unitShop: number;
  readonly unitPresent: number;
};

/** An order's money, in the presentment currency (minor units) unless named `…Shop`. */
export type Pricing = {
  readonly currency: string;
  readonly lines: readonly Line[];
  readonly subtotal: number;
  readonly discount: number;
  readonly discountCode: string | null;
  readonly shipping: number;
  readonly tax: number;
  readonly total: number;
  /** `total_price` in the shop currency (USD cents). */
  readonly totalShop: number;
};

/** What goes into an order: catalogue products and quantities. */
export type LineSpec = readonly { readonly product: Product; readonly qty: number }[];

/** Draws 1–4 distinct physical products (and, now and then, a gift card). */
export function drawLines(rng: Rng, opts: { min?: number; giftCard?: boolean } = {}): LineSpec {
  const n = rng.int(opts.min ?? 1, 4);
  const products = rng.shuffle(CATALOGUE).slice(0, Math.max(n, opts.min ?? 1));
  const lines = products.map((product) => ({ product, qty: rng.chance(0.75) ? 1 : rng.int(2, 3) }));
  return opts.giftCard ? [...lines, { product: GIFT_CARD, qty: 1 }] : lines;
}

/** Prices an order in a currency: converted unit prices, a discount now and then, shipping and tax. */
export function priceOrder(rng: Rng, ids: Ids, currency: string, spec: LineSpec, opts: { discount?: boolean } = {}): Pricing {
  const cur = currencyInfo(currency);
  const lines: Line[] = spec.map(({ product, qty }) => ({
    lineId: ids.seq('line'),
    product,
    qty,
    unitShop: product.price,
    unitPresent: currency === 'USD' ? product.price : roundStep(product.price / cur.usdCentsPerMinor, cur.step),
  }));
  const subtotal = lines.reduce((n, l) => n + l.qty * l.unitPresent, 0);
  const discounted = opts.discount ?? rng.chance(0.15);
  const discount = discounted ? roundStep(subtotal * 0.1, cur.step) : 0;
  const shipping = usdCents(subtotal, currency) >= 10_000 ? 0 : cur.shipping;
  const taxable = subtotal - discount;
  const tax = cur.taxRate === 0 ? 0 : cur.taxIncluded ? Math.round(((taxable + shipping) * cur.taxRate) / (1 + cur.taxRate)) : Math.round(taxable * cur.taxRate);
  const total = taxable + shipping + (cur.taxIncluded ? 0 : tax);
  return { currency, lines, subtotal, discount, discountCode: discounted ? 'WELCOME10' : null, shipping, tax, total, totalShop: usdCents(total, currency) };
}

// ---- stories -----------------------------------------------------------------------------

/** A break the generator planted, with the amount at risk the checks must find. */
export type Plant = { readonly code: CheckCode; readonly bucket: Bucket; readonly amount: number; readonly currency: string; readonly note: string };

export type Card = { readonly brand: string; readonly last4: string; readonly country: string };

/** One Stripe PaymentIntent and its single charge. */
export type Payment = {
  readonly pi: string;
  readonly ch: string;
  /** The charge's balance transaction. */
  readonly txn: string;
  readonly pm: string;
  currency: string;
  /** The amount the intent asked for (authorized). */
  amount: number;
  /** Instant the PaymentIntent was created. */
  createdAt: Ms;
  /** Instant the charge was created (the authorization, or for automatic capture, the capture). */
  chargeAt: Ms;
  mode: 'auto' | 'manual' | 'sepa';
  capturedAt: Ms | null;
  captured: number;
  canceledAt: Ms | null;
  /** SEPA Direct Debit: when the debit failed (null while processing). */
  failedAt: Ms | null;
  livemode: boolean;
  /** Whether the intent carries `metadata.order_number` (the order is filled in at render time). */
  metadata: boolean;
  /** Whether its balance transactions go into payouts. */
  settle: boolean;
  dispute: { readonly id: string; readonly at: Ms; readonly amount: number; readonly reason: string; readonly txn: string } | null;
  readonly card: Card;
};

/** A refund as each system saw it: the storefront's refund, the processor's, the books' entry. */
export type Refund = {
  readonly id: number;
  /** The storefront refund's instant, or null when the storefront never recorded it. */
  shopifyAt: Ms | null;
  /** The processor refund's instant, or null when the processor never refunded. */
  stripeAt: Ms | null;
  /** The ledger refund entry's instant, or null when the books never booked it. */
  booksAt: Ms | null;
  amount: number;
  /** Lines the refund took back (restocked before shipping): index into the order's lines, quantity. */
  lines: { readonly index: number; readonly qty: number }[];
  readonly note: string;
  readonly re: string;
  readonly txn: string;
  readonly shopTxnId: number;
  readonly restock: 'cancel' | 'no_restock';
};

export type Carrier = { readonly carrier: string; readonly service: string };
export const CARRIERS: readonly Carrier[] = [
  { carrier: 'USPS', service: 'Priority' },
  { carrier: 'UPS', service: 'Ground' },
  { carrier: 'FedEx', service: 'Home Delivery' },
  { carrier: 'DHL Express', service: 'Worldwide' },
];

/** One ShipBob shipment: still processing (`shippedAt` null) or shipped, maybe delivered. */
export type Shipment = {
  readonly id: number;
  shippedAt: Ms | null;
  deliveredAt: Ms | null;
  lines: { readonly index: number; readonly qty: number }[];
  readonly carrier: Carrier;
  readonly tracking: string;
};

export type Booking = { at: Ms; readonly type: 'sale' | 'refund'; amount: number; currency: string; readonly memo: string };

/** A storefront payment transaction (`order_transactions/create`). */
export type ShopTxn = {
  readonly id: number;
  readonly kind: 'authorization' | 'capture' | 'sale' | 'void';
  readonly status: 'success' | 'pending' | 'failure';
  readonly at: Ms;
  readonly amount: number;
  readonly currency: string;
  readonly parentId: number | null;
  /** The Stripe PaymentIntent it names (transaction-linked orders), if any. */
  readonly pi: string | null;
  readonly ch: string | null;
};

/** Everything that happened to one storefront order, in every system, as explicit facts. */
export type Story = {
  readonly seq: number;
  createdAt: Ms;
  readonly pricing: Pricing;
  readonly test: boolean;
  /** How Stripe payments reach the order: the Shopify transaction names them, PaymentIntent metadata does, or both. */
  readonly link: 'transaction' | 'metadata' | 'both';
  readonly customer: { readonly first: string; readonly last: string; readonly city: string; readonly country: string };
  readonly card: Card;
  payments: Payment[];
  shopTxns: ShopTxn[];
  refunds: Refund[];
  cancel: { at: Ms; readonly reason: 'customer' | 'inventory' | 'fraud' | 'declined' | 'other' } | null;
  /** ShipBob's `reference_id`: the Shopify order id (most) or the order number. */
  readonly shipbobRef: 'id' | 'number';
  readonly shipbobOrderId: number;
  shipments: Shipment[];
  bookings: Booking[];
  /** How the ledger's `order_id` names the order. */
  readonly bookingRef: 'number' | 'name' | 'id';
  plants: Plant[];
  /** Filled in once every order is placed: numbers follow creation time. */
  number: number;
  orderId: number;
};

/** The shop's shared generation state. */
export type Shop = { readonly rng: Rng; readonly ids: Ids; readonly asOf: Ms; seq: number };

const FIRST = ['Ava', 'Liam', 'Maya', 'Noah', 'Zoe', 'Ethan', 'Iris', 'Omar', 'Lena', 'Kai', 'Sofia', 'Hugo', 'Mina', 'Theo', 'Yara', 'Felix'];
const LAST = ['Patel', 'Nguyen', 'Garcia', 'Okafor', 'Schmidt', 'Rossi', 'Tanaka', 'Dubois', 'Kowalski', 'Haddad', 'Larsen', 'Murphy', 'Silva', 'Cohen'];
const CITY: Readonly<Record<string, readonly [string, string][]>> = {
  USD: [['Portland', 'US'], ['Austin', 'US'], ['Chicago', 'US'], ['Brooklyn', 'US'], ['Denver', 'US']],
  EUR: [['Berlin', 'DE'], ['Amsterdam', 'NL'], ['Lyon', 'FR'], ['Milan', 'IT']],
  GBP: [['Manchester', 'GB'], ['Bristol', 'GB'], ['Leeds', 'GB']],
  JPY: [['Osaka', 'JP'], ['Tokyo', 'JP']],
  KWD: [['Kuwait City', 'KW']],
  CAD: [['Toronto', 'CA']],
};

function drawCard(rng: Rng, country: string): Card {
  return { brand: rng.pick(['visa', 'visa', 'mastercard', 'amex']), last4: String(rng.int(1000, 9999)), country };
}

/** A PaymentIntent with its charge, captured automatically at `at` unless told otherwise. */
export function newPayment(shop: Shop, currency: string, amount: number, at: Ms, card: Card, o: Partial<Payment> = {}): Payment {
  const { ids } = shop;
  return {
    pi: ids.stripe('pi'),
    ch: ids.stripe('ch'),
    txn: ids.stripe('txn'),
    pm: ids.stripe('pm'),
    currency,
    amount,
    createdAt: at - 40 * SEC,
    chargeAt: at - 35 * SEC,
    mode: 'auto',
    capturedAt: at - 35 * SEC,
    captured: amount,
    canceledAt: null,
    failedAt: null,
    livemode: true,
    metadata: true,
    settle: true,
    dispute: null,
    card,
    ...o,
  };
}

export type TiedOptions = {
  readonly currency?: string;
  readonly spec?: LineSpec;
  readonly capture?: 'auto' | 'manual';
  readonly link?: Story['link'];
  readonly test?: boolean;
  readonly discount?: boolean;
  /** Force a split shipment (needs two or more physical lines). */
  readonly split?: boolean;
};

/**
 * An order that ties out completely: placed at `t0`, paid and captured through Stripe, shipped in
 * full by ShipBob within a day, booked for its total, and settled in a payout. Every fact falls
 * within about a day of `t0`, so an order placed 30 hours before the cutoff is complete by then.
 */
export function tiedStory(shop: Shop, t0: Ms, o: TiedOptions = {}): Story {
  const { rng, ids } = shop;
  t0 = whole(t0);
  const currency = o.currency ?? 'USD';
  const pricing = priceOrder(rng, ids, currency, o.spec ?? drawLines(rng, { giftCard: rng.chance(0.04) }), o.discount === undefined ? {} : { discount: o.discount });
  const [city, country] = rng.pick(CITY[currency] ?? CITY['USD'] ?? []) as [string, string];
  const card = drawCard(rng, country);
  const link = o.link ?? rng.pick(['transaction', 'metadata', 'metadata', 'transaction', 'both'] as const);
  const manual = (o.capture ?? (rng.chance(0.2) ? 'manual' : 'auto')) === 'manual';
  const captureAt = whole(manual ? t0 + rng.int(2 * HOUR, 10 * HOUR) : t0);
  const payment = newPayment(shop, currency, pricing.total, t0, card, {
    mode: manual ? 'manual' : 'auto',
    capturedAt: manual ? captureAt : t0 - 35 * SEC,
    livemode: !o.test,
    metadata: link !== 'transaction',
    settle: !o.test,
  });
  const story: Story = {
    seq: shop.seq++,
    createdAt: t0,
    pricing,
    test: o.test ?? false,
    link,
    customer: { first: rng.pick(FIRST), last: rng.pick(LAST), city, country },
    card,
    payments: [payment],
    shopTxns: [],
    refunds: [],
    cancel: null,
    shipbobRef: rng.chance(0.8) ? 'id' : 'number',
    shipbobOrderId: ids.seq('sbOrder', 3000),
    shipments: [],
    bookings: [],
    bookingRef: rng.pick(['number', 'number', 'number', 'name', 'id'] as const),
    plants: [],
    number: 0,
    orderId: 0,
  };
  if (o.test) {
    story.shopTxns = mirrorTxns(shop, story);
    return story;
  }
  const shipAt = whole(Math.max(captureAt, t0) + rng.int(3 * HOUR, 14 * HOUR));
  story.shipments = planShipments(shop, story, shipAt, o.split ?? rng.chance(0.3));
  story.bookings = saleBookings(shop, story, whole(Math.max(captureAt, t0) + rng.int(1 * HOUR, 16 * HOUR)));
  story.shopTxns = mirrorTxns(shop, story);
  return story;
}

/** Physical lines of an order (what ShipBob picks): index and quantity. */
export const physicalLines = (s: Story) =>
  s.pricing.lines.map((l, index) => ({ index, qty: l.qty, giftCard: l.product.giftCard === true })).filter((l) => !l.giftCard).map(({ index, qty }) => ({ index, qty }));

/** ShipBob shipments for every physical unit: one parcel, or two when split (the second a few hours later). */
export function planShipments(shop: Shop, s: Story, at: Ms, split: boolean): Shipment[] {
  const { rng, ids } = shop;
  const lines = physicalLines(s);
  if (lines.length === 0) return [];
  const carrier = rng.pick(CARRIERS);
  const parcel = (shippedAt: Ms, ls: Shipment['lines']): Shipment => ({
    id: ids.seq('sbShipment', 2000),
    shippedAt,
    deliveredAt: whole(shippedAt + rng.int(22 * HOUR, 90 * HOUR)),
    lines: ls,
    carrier,
    tracking: ids.tracking(carrier.carrier),
  });
  if (!split || lines.length < 2) return [parcel(at, lines)];
  const cut = rng.int(1, lines.length - 1);
  return [parcel(at, lines.slice(0, cut)), parcel(whole(at + rng.int(1 * HOUR, 4 * HOUR)), lines.slice(cut))];
}

/** The books' sale: one entry for the total, or merchandise and shipping booked separately. */
export function saleBookings(shop: Shop, s: Story, at: Ms): Booking[] {
  const { total, shipping, currency } = s.pricing;
  if (shipping > 0 && shop.rng.chance(0.25))
    return [
      { at, type: 'sale', amount: total - shipping, currency, memo: 'merchandise' },
      { at: at + 2 * SEC, type: 'sale', amount: shipping, currency, memo: 'shipping' },
    ];
  return [{ at, type: 'sale', amount: total, currency, memo: 'order' }];
}

/** What Shopify's own transactions say about the primary payment (the storefront's view of it). */
export function mirrorTxns(shop: Shop, s: Story): ShopTxn[] {
  const p = s.payments[0];
  if (!p) return [];
  const named = s.link !== 'metadata';
  const base = { currency: s.pricing.currency, pi: named ? p.pi : null, ch: named ? p.ch : null };
  const at = (t: Ms) => Math.max(t, s.createdAt);
  if (p.mode === 'sepa') return [{ id: shop.ids.seq('shopTxn'), kind: 'sale', status: 'pending', at: s.createdAt, amount: s.pricing.total, parentId: null, ...base }];
  if (p.mode === 'auto') return [{ id: shop.ids.seq('shopTxn'), kind: 'sale', status: 'success', at: s.createdAt, amount: s.pricing.total, parentId: null, ...base }];
  const auth: ShopTxn = { id: shop.ids.seq('shopTxn'), kind: 'authorization', status: 'success', at: at(p.chargeAt), amount: s.pricing.total, parentId: null, ...base };
  const out = [auth];
  if (p.capturedAt !== null) out.push({ ...base, id: shop.ids.seq('shopTxn'), kind: 'capture', status: 'success', at: at(p.capturedAt), amount: p.captured, parentId: auth.id });
  else if (p.canceledAt !== null) out.push({ ...base, id: shop.ids.seq('shopTxn'), kind: 'void', status: 'success', at: at(p.canceledAt), amount: s.pricing.total, parentId: auth.id });
  return out;
}

/** A refund seen by all three (storefront, processor, books) unless the caller says otherwise. */
export function newRefund(shop: Shop, at: Ms, amount: number, note: string, o: Partial<Refund> = {}): Refund {
  return {
    id: shop.ids.seq('refund'),
    shopifyAt: at,
    stripeAt: at - 3 * SEC,
    booksAt: whole(at + shop.rng.int(1 * HOUR, 6 * HOUR)),
    amount,
    lines: [],
    note,
    re: shop.ids.stripe('re'),
    txn: shop.ids.stripe('txn'),
    shopTxnId: shop.ids.seq('shopTxn'),
    restock: 'no_restock',
    ...o,
  };
}

/** An amount rounded to what the currency can charge (whole yen, 10 fils). */
export const chargeable = (x: number, currency: string): number => roundStep(x, currencyInfo(currency).step);
