// Seeded, deterministic canonical events at benchmark scale: realistic order stories, interleaved in time.
//
// Each order n is one `OrderStory` (the property tests' story model, test/support/arbitraries.ts),
// its parameters drawn with the same distributions as `storyArb` but from a mulberry32 PRNG seeded
// by (seed, n) instead of fast-check, so order n is the same whatever the offset or count. The
// events mirror `storyEvents` and are built with the same test builders (so every event passes
// `CanonicalEventSchema`), with what a benchmark needs on top:
// - orders carry 2–4 lines from a SKU catalogue, and the first shipment ships every line;
// - ids have their real shapes and lengths (Shopify webhook UUIDs, Stripe `evt_`/`pi_` ids,
//   13-digit Shopify order ids) and are unique per (order, event), never per process;
// - orders start one every `orderIntervalMs` and their events are delivered in time order, so a
//   batch interleaves many orders the way a live stream does (an order's life spans ~60 hours);
// - a small share of events is delivered a second time later (at-least-once redelivery).
import type { CanonicalEvent } from '#shared/domain/events.ts';
import type { OrderStory } from '../test/support/arbitraries.ts';
import { at, booking, dispute, order, payment, payout, processorRefund, settlement, shipment, storefrontRefund, transaction } from '../test/support/builders.ts';

/** mulberry32: a tiny, fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed mixing the run seed and the order number (so each order's draws are independent). */
function orderSeed(seed: number, n: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 0x7f4a7c15, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 13)) >>> 0;
}

type Rand = () => number;
const int = (r: Rand, min: number, max: number): number => min + Math.floor(r() * (max - min + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const bool = (r: Rand): boolean => r() < 0.5;

/** A story with `storyArb`'s distributions (including its weights for foreign payments and test orders). */
export function drawStory(r: Rand, n: number): OrderStory {
  return {
    n,
    total: int(r, 0, 500_000),
    currency: pick(r, ['USD', 'EUR', 'JPY', 'KWD'] as const),
    updates: int(r, 0, 3),
    cancelled: bool(r),
    link: pick(r, ['metadata', 'transaction', 'both', 'none'] as const),
    chargeOnlyEvents: int(r, 0, 2),
    capture: pick(r, ['none', 'full', 'full', 'partial', 'double'] as const),
    storefrontRefund: int(r, 0, 3),
    processorRefund: int(r, 0, 3),
    shipments: Array.from({ length: int(r, 0, 2) }, () => ({ byNumber: bool(r), qty: int(r, 0, 3), snapshots: int(r, 1, 3) })),
    booked: pick(r, ['none', 'exact', 'off'] as const),
    disputed: pick(r, ['none', 'open', 'won'] as const),
    foreignPayment: r() < 1 / 7,
    settled: bool(r),
    test: r() < 1 / 10,
  };
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';
const chars = (r: Rand, alphabet: string, length: number): string => {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
};
/** `value` in base 62, left-padded to `width`: the unique part of a generated id. */
const b62 = (value: number, width: number): string => {
  let s = '';
  for (let v = value; v > 0; v = Math.floor(v / 62)) s = B62[v % 62] + s;
  return s.padStart(width, '0');
};

const PRODUCTS = ['TEE', 'HOOD', 'CAP', 'SOCK', 'MUG', 'TOTE', 'BEAN', 'JKT', 'SHRT', 'PANT', 'SCRF', 'GLOV'];
const COLOURS = ['BLK', 'WHT', 'NVY', 'GRN', 'RED', 'GRY', 'OLV', 'SND'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL', 'OS'];
const sku = (r: Rand): string => `${pick(r, PRODUCTS)}-${pick(r, COLOURS)}-${pick(r, SIZES)}-${int(r, 100, 999)}`;

/** Where the generated timeline starts; order n starts `n × orderIntervalMs` later. */
export const EPOCH = '2026-01-01T00:00:00.000Z';

/** One order's events with their delivery instants (ms), and the state keys the order produces. */
export type OrderEvents = { readonly events: { readonly at: number; readonly event: CanonicalEvent }[]; readonly keys: readonly string[] };

/**
 * The events of order `n` (mirroring `storyEvents`, with multi-line orders and real-shaped ids),
 * each with the instant it is delivered; redeliveries are extra entries with the same event.
 */
export function orderEvents(seed: number, n: number, options: { readonly orderIntervalMs: number; readonly duplicateRate: number }): OrderEvents {
  const r = mulberry32(orderSeed(seed, n));
  const s = drawStory(r, n);
  const start = new Date(Date.parse(EPOCH) + n * options.orderIntervalMs + Math.floor(r() * options.orderIntervalMs)).toISOString();
  const t = (hours: number) => at(hours, start);
  const number = String(1000 + n);
  const orderId = String(5_800_000_000_000 + n * 7);
  const pi = `pi_3${b62(n, 6)}${chars(r, B62, 17)}`;
  const c = s.currency;

  const lines = Array.from({ length: int(r, 2, 4) }, () => ({ sku: sku(r), quantity: int(r, 1, 3), price: Math.max(100, Math.floor((s.total / 3) * (0.2 + r()))) }));
  const total = lines.reduce((sum, l) => sum + l.quantity * l.price, 0);
  const base = { number, orderId, total, currency: c, lines, test: s.test, gateways: ['stripe'] };

  const out: CanonicalEvent[] = [order({ ...base, createdAt: start, financialStatus: 'pending' })];
  for (let u = 1; u <= s.updates; u++) out.push(order({ ...base, createdAt: start, updatedAt: t(u), financialStatus: 'paid' }));
  if (s.cancelled) out.push(order({ ...base, createdAt: start, updatedAt: t(s.updates + 1), financialStatus: 'refunded', cancelledAt: t(s.updates + 1) }));

  const withMeta = s.link === 'metadata' || s.link === 'both';
  if (s.link === 'transaction' || s.link === 'both') out.push(transaction({ order: number, orderId, pi, amount: total, currency: c, at: t(0.1) }));
  const captured = s.capture === 'none' ? 0 : s.capture === 'partial' ? Math.floor(total / 2) : total;
  out.push(payment({ pi, order: withMeta ? number : undefined, amount: total, currency: c, captured: 0, createdAt: t(0.05), at: t(0.05) }));
  if (captured > 0) out.push(payment({ pi, order: withMeta ? number : undefined, amount: total, currency: c, captured, createdAt: t(0.05), capturedAt: t(0.2), rank: 1 }));
  for (let k = 0; k < s.chargeOnlyEvents; k++)
    out.push(payment({ pi, amount: total, currency: c, captured, createdAt: t(0.05), capturedAt: captured ? t(0.2) : null, at: t(0.3 + k), withIntent: false, refunded: Math.min(captured, k * 100) }));
  if (s.capture === 'double') out.push(payment({ pi: `${pi}_dup`, order: number, amount: total, currency: c, createdAt: t(0.4), capturedAt: t(0.4) }));

  for (let k = 0; k < s.storefrontRefund; k++) out.push(storefrontRefund({ order: number, orderId, amount: 100 * (k + 1), currency: c, at: t(10 + k), refundId: String(9_100_000_000_000 + n * 4 + k) }));
  for (let k = 0; k < s.processorRefund; k++) out.push(processorRefund({ pi, amount: 100 * (k + 1), currency: c, at: t(10.5 + k), refundId: `re_3${b62(n, 6)}${k}${chars(r, B62, 16)}` }));

  s.shipments.forEach((sh, i) => {
    const shipmentId = String(310_000_000 + n * 3 + i);
    // The story's shipped quantity is for the first line; the first shipment also ships the other lines in full.
    const shipped = [{ sku: lines[0]!.sku, quantity: sh.qty }, ...(i === 0 ? lines.slice(1).map((l) => ({ sku: l.sku, quantity: l.quantity })) : [])];
    for (let v = 0; v < sh.snapshots; v++) {
      const status = v === 0 ? 'pending' : v === 1 ? 'shipped' : 'delivered';
      out.push(shipment({ order: number, orderId, byNumber: sh.byNumber, shipmentId, status, at: t(20 + v + i), lines: shipped, carrier: pick(r, ['USPS', 'UPS', 'FedEx', 'DHL']) }));
    }
  });
  if (s.booked !== 'none') out.push(booking({ order: number, amount: s.booked === 'exact' ? total : total * 10, currency: c, at: t(30), entryId: `le_${b62(n, 8)}` }));
  if (s.disputed !== 'none') out.push(dispute({ pi, amount: captured, currency: c, at: t(40), disputeId: `dp_1${b62(n, 6)}${chars(r, B62, 17)}` }));
  if (s.disputed === 'won') out.push(dispute({ pi, amount: captured, currency: c, at: t(45), disputeId: (out.at(-1)!.data as { disputeId: string }).disputeId, status: 'won' }));
  if (s.foreignPayment) out.push(payment({ pi: `${pi}_fx`, order: number, amount: 777, currency: c === 'EUR' ? 'GBP' : 'EUR', createdAt: t(0.6) }));
  if (s.settled && captured > 0) out.push(settlement({ pi, net: captured, currency: c, payoutId: `po_${b62(Math.floor(n / 8), 8)}`, at: t(48) }));

  // Stray records no order claims (as in historyArb), one order in twenty; a payout every eighth order.
  const keys = [number];
  if (s.link === 'none') keys.push(`payment:${pi}`);
  if (n % 20 === 19) {
    const stray = `pi_3${b62(n, 6)}stray${chars(r, B62, 12)}`;
    out.push(payment({ pi: stray, amount: 1234, createdAt: t(5), withIntent: r() < 0.5 }));
    out.push(shipment({ orderId: String(9_900_000_000_000 + n), shipmentId: `stray${n}`, at: t(6) }));
    out.push(booking({ order: String(9_000_000_000 + n), amount: 4321, at: t(7), entryId: `le_stray_${b62(n, 8)}` }));
    keys.push(`payment:${stray}`, `shipment:shipbob:stray${n}`, String(9_000_000_000 + n));
  }
  if (n % 8 === 7) {
    const payoutId = `po_${b62(Math.floor(n / 8), 8)}`;
    out.push(payout({ payoutId, amount: 9999, at: t(60) }), payout({ payoutId, snapshot: false, lines: [{ net: 9000 }], at: t(61) }));
    keys.push(`payout:${payoutId}`);
  }

  // Real-shaped event ids, unique by construction: the (order, index) pair is encoded in each.
  const events: { at: number; event: CanonicalEvent }[] = [];
  out.forEach((e, j) => {
    const u = n * 64 + j;
    const data = ownIds(e, u, r);
    const id =
      e.kind === 'settlement'
        ? `stripe-report:${(data as { balanceTransactionId: string }).balanceTransactionId}` // a feed row: its balance transaction
        : e.system === 'shopify'
          ? `shopify:${chars(r, HEX, 8)}-${chars(r, HEX, 4)}-4${chars(r, HEX, 3)}-a${chars(r, HEX, 3)}-${u.toString(16).padStart(12, '0')}`
          : e.system === 'shipbob'
            ? `shipbob:msg_${b62(u, 10)}${chars(r, B62, 16)}`
            : e.system === 'stripe'
              ? `stripe:evt_1${b62(u, 10)}${chars(r, B62, 13)}`
              : e.id; // warehouse: already `warehouse:<entry id>`
    const event = { ...e, id, data } as CanonicalEvent;
    const deliveredAt = Date.parse(e.receivedAt);
    events.push({ at: deliveredAt, event });
    // At-least-once delivery: the same event again, minutes to hours later.
    if (r() < options.duplicateRate) events.push({ at: deliveredAt + int(r, 60_000, 4 * 3_600_000), event });
  });
  return { events, keys };
}

/**
 * The event's data with the ids the builders number from a process-wide counter replaced by ids
 * derived from (order, index): order n's events must not depend on what was generated before it.
 */
function ownIds(e: CanonicalEvent, u: number, r: Rand): CanonicalEvent['data'] {
  const txn = (k: number) => `txn_1${b62(u * 4 + k, 10)}${chars(r, B62, 13)}`;
  switch (e.kind) {
    case 'transaction':
      return { ...e.data, transactionId: String(6_200_000_000_000 + u) };
    case 'refund':
      return { ...e.data, transactions: e.data.transactions.map((t, k) => ({ ...t, transactionId: String(6_300_000_000_000 + u * 4 + k) })) };
    case 'settlement': {
      const id = txn(0);
      return { ...e.data, balanceTransactionId: id };
    }
    case 'payout':
      return { ...e.data, lines: e.data.lines.map((l, k) => ({ ...l, balanceTransactionId: txn(k) })) };
    default:
      return e.data;
  }
}

export type GenerateOptions = {
  readonly seed?: number;
  /** The first order number's offset: order n = offset + i, so runs with disjoint offsets never share an id. */
  readonly offset?: number;
  /** Orders are started until at least this many events (redeliveries included) are generated. */
  readonly events: number;
  /** Time between two orders' starts (default 40 s: about 5,500 orders in flight over a 61-hour life). */
  readonly orderIntervalMs?: number;
  /** Share of events delivered twice (default 1%). */
  readonly duplicateRate?: number;
};

/** What a generation produced, known once the iterator is exhausted. */
export type GenerateSummary = { orders: number; events: number; redeliveries: number; bytes: number; keys: number };

/** A binary min-heap of deliveries by (instant, sequence), so equal instants keep generation order. */
class DeliveryHeap {
  private readonly items: { at: number; seq: number; event: CanonicalEvent }[] = [];
  get size(): number {
    return this.items.length;
  }
  peek() {
    return this.items[0];
  }
  push(item: { at: number; seq: number; event: CanonicalEvent }): void {
    const a = this.items;
    a.push(item);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!DeliveryHeap.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && DeliveryHeap.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && DeliveryHeap.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
  private static less(x: { at: number; seq: number }, y: { at: number; seq: number }): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

/**
 * Yields events in delivery order, in chunks of about `chunkSize`, and fills `summary` as it goes.
 * Memory stays bounded by the orders in flight (their lives overlap), not by the total.
 */
export function* generateEvents(options: GenerateOptions, summary: GenerateSummary, chunkSize = 5000): Generator<CanonicalEvent[]> {
  const seed = options.seed ?? 1;
  const offset = options.offset ?? 0;
  const orderIntervalMs = options.orderIntervalMs ?? 40_000;
  const duplicateRate = options.duplicateRate ?? 0.01;
  const heap = new DeliveryHeap();
  let seq = 0;
  let chunk: CanonicalEvent[] = [];
  const emit = function* (until: number): Generator<CanonicalEvent[]> {
    while (heap.size > 0 && (heap.peek() as { at: number }).at < until) {
      const { event } = heap.pop() as { event: CanonicalEvent };
      chunk.push(event);
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
  };
  let generated = 0;
  for (let i = 0; generated < options.events; i++) {
    const n = offset + i;
    const { events, keys } = orderEvents(seed, n, { orderIntervalMs, duplicateRate });
    const unique = new Set<CanonicalEvent>();
    for (const d of events) {
      heap.push({ at: d.at, seq: seq++, event: d.event });
      if (unique.has(d.event)) summary.redeliveries++;
      else {
        unique.add(d.event);
        summary.bytes += Buffer.byteLength(JSON.stringify(d.event));
      }
    }
    generated += events.length;
    summary.orders++;
    summary.keys += keys.length;
    summary.events += events.length;
    // Every later order starts at or after this instant, so everything before it is final.
    yield* emit(Date.parse(EPOCH) + (n + 1) * orderIntervalMs);
  }
  yield* emit(Number.POSITIVE_INFINITY);
  if (chunk.length > 0) yield chunk;
}
