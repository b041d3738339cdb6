// fast-check generators of realistic event histories: many orders, every source, real link shapes.
import fc from 'fast-check';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { at, booking, dispute, order, payment, payout, processorRefund, settlement, shipment, storefrontRefund, transaction } from './builders.ts';

/** The life of one order across the four systems, as parameters. */
export type OrderStory = {
  readonly n: number;
  readonly total: number;
  readonly currency: 'USD' | 'EUR' | 'JPY' | 'KWD';
  readonly updates: number;
  readonly cancelled: boolean;
  readonly link: 'metadata' | 'transaction' | 'both' | 'none';
  readonly chargeOnlyEvents: number;
  readonly capture: 'none' | 'full' | 'partial' | 'double';
  readonly storefrontRefund: number;
  readonly processorRefund: number;
  readonly shipments: readonly { readonly byNumber: boolean; readonly qty: number; readonly snapshots: number }[];
  readonly booked: 'none' | 'exact' | 'off';
  readonly disputed: 'none' | 'open' | 'won';
  readonly foreignPayment: boolean;
  readonly settled: boolean;
  readonly test: boolean;
};

const storyArb = (n: number): fc.Arbitrary<OrderStory> =>
  fc.record({
    n: fc.constant(n),
    total: fc.integer({ min: 0, max: 500_000 }),
    currency: fc.constantFrom('USD' as const, 'EUR' as const, 'JPY' as const, 'KWD' as const),
    updates: fc.integer({ min: 0, max: 3 }),
    cancelled: fc.boolean(),
    link: fc.constantFrom('metadata' as const, 'transaction' as const, 'both' as const, 'none' as const),
    chargeOnlyEvents: fc.integer({ min: 0, max: 2 }),
    capture: fc.constantFrom('none' as const, 'full' as const, 'full' as const, 'partial' as const, 'double' as const),
    storefrontRefund: fc.integer({ min: 0, max: 3 }),
    processorRefund: fc.integer({ min: 0, max: 3 }),
    shipments: fc.array(fc.record({ byNumber: fc.boolean(), qty: fc.integer({ min: 0, max: 3 }), snapshots: fc.integer({ min: 1, max: 3 }) }), { maxLength: 2 }),
    booked: fc.constantFrom('none' as const, 'exact' as const, 'off' as const),
    disputed: fc.constantFrom('none' as const, 'open' as const, 'won' as const),
    foreignPayment: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
    settled: fc.boolean(),
    test: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
  });

/** The canonical events an order's story produces, in the order the sources emitted them. */
export function storyEvents(s: OrderStory): CanonicalEvent[] {
  const number = String(1000 + s.n);
  const orderId = `45000${number}`;
  const pi = `pi_${number}`;
  const c = s.currency;
  const lines = [{ sku: `SKU-${s.n % 5}`, quantity: 2, price: Math.floor(s.total / 2) }];
  const total = lines[0]!.price * 2;
  const base = { number, orderId, total, currency: c, lines, test: s.test };
  const out: CanonicalEvent[] = [order({ ...base, financialStatus: 'pending' })];
  for (let u = 1; u <= s.updates; u++) out.push(order({ ...base, updatedAt: at(u), financialStatus: 'paid' }));
  if (s.cancelled) out.push(order({ ...base, updatedAt: at(s.updates + 1), financialStatus: 'refunded', cancelledAt: at(s.updates + 1) }));

  const withMeta = s.link === 'metadata' || s.link === 'both';
  if (s.link === 'transaction' || s.link === 'both') out.push(transaction({ order: number, orderId, pi, amount: total, currency: c, at: at(0.1) }));
  const captured = s.capture === 'none' ? 0 : s.capture === 'partial' ? Math.floor(total / 2) : total;
  out.push(payment({ pi, order: withMeta ? number : undefined, amount: total, currency: c, captured: 0, createdAt: at(0.05), at: at(0.05) }));
  if (captured > 0) out.push(payment({ pi, order: withMeta ? number : undefined, amount: total, currency: c, captured, createdAt: at(0.05), capturedAt: at(0.2), rank: 1 }));
  for (let k = 0; k < s.chargeOnlyEvents; k++)
    out.push(payment({ pi, amount: total, currency: c, captured, createdAt: at(0.05), capturedAt: captured ? at(0.2) : null, at: at(0.3 + k), withIntent: false, refunded: Math.min(captured, k * 100) }));
  if (s.capture === 'double') out.push(payment({ pi: `${pi}_dup`, order: number, amount: total, currency: c, createdAt: at(0.4), capturedAt: at(0.4) }));

  for (let r = 0; r < s.storefrontRefund; r++) out.push(storefrontRefund({ order: number, orderId, amount: 100 * (r + 1), currency: c, at: at(10 + r), refundId: `rf_${number}_${r}` }));
  for (let r = 0; r < s.processorRefund; r++) out.push(processorRefund({ pi, amount: 100 * (r + 1), currency: c, at: at(10.5 + r), refundId: `re_${number}_${r}` }));

  s.shipments.forEach((sh, i) => {
    for (let v = 0; v < sh.snapshots; v++) {
      const status = v === 0 ? 'pending' : v === 1 ? 'shipped' : 'delivered';
      out.push(shipment({ order: number, orderId, byNumber: sh.byNumber, shipmentId: `sh_${number}_${i}`, status, at: at(20 + v + i), lines: [{ sku: lines[0]!.sku, quantity: sh.qty }] }));
    }
  });
  if (s.booked !== 'none') out.push(booking({ order: number, amount: s.booked === 'exact' ? total : total * 10, currency: c, at: at(30), entryId: `le_${number}` }));
  if (s.disputed !== 'none') out.push(dispute({ pi, amount: captured, currency: c, at: at(40), disputeId: `dp_${number}` }));
  if (s.disputed === 'won') out.push(dispute({ pi, amount: captured, currency: c, at: at(45), disputeId: `dp_${number}`, status: 'won' }));
  if (s.foreignPayment) out.push(payment({ pi: `${pi}_fx`, order: number, amount: 777, currency: c === 'EUR' ? 'GBP' : 'EUR', createdAt: at(0.6) }));
  if (s.settled && captured > 0) out.push(settlement({ pi, net: captured, currency: c, payoutId: `po_${Math.floor(s.n / 8)}`, at: at(48) }));
  return out;
}

/** Event histories for `min..max` orders, plus a few stray records no order claims and a payout. */
/** `offset` shifts order numbers and stray ids, so histories drawn with different offsets are disjoint. */
export const historyArb = (min = 1, max = 6, offset = 0): fc.Arbitrary<CanonicalEvent[]> =>
  fc
    .integer({ min, max })
    .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => storyArb(offset + i))))
    .chain((stories) =>
      fc.record({ stories: fc.constant(stories), strays: fc.integer({ min: 0, max: 2 }), withPayout: fc.boolean() }),
    )
    .map(({ stories, strays, withPayout }) => {
      const events = stories.flatMap(storyEvents);
      for (let k = 0; k < strays; k++) {
        events.push(payment({ pi: `pi_stray_${offset}_${k}`, amount: 1234, createdAt: at(5 + k), withIntent: k % 2 === 0 }));
        events.push(shipment({ orderId: `99${offset}${k}`, shipmentId: `sh_stray_${offset}_${k}`, at: at(6 + k) }));
        events.push(booking({ order: `${900000 + offset * 10 + k}`, amount: 4321, at: at(7 + k), entryId: `le_stray_${offset}_${k}` }));
      }
      if (withPayout) events.push(payout({ payoutId: `po_${offset}`, amount: 9999, at: at(60) }), payout({ payoutId: `po_${offset}`, snapshot: false, lines: [{ net: 9000 }], at: at(61) }));
      return events;
    });

/** A delivery of the same events: shuffled, with some delivered more than once. */
export const deliveryArb = (events: readonly CanonicalEvent[]): fc.Arbitrary<CanonicalEvent[]> =>
  fc
    .tuple(fc.shuffledSubarray([...events], { minLength: events.length, maxLength: events.length }), fc.array(fc.nat({ max: Math.max(0, events.length - 1) }), { maxLength: events.length }))
    .chain(([shuffled, dupIdx]) => {
      const withDups = [...shuffled, ...dupIdx.map((i) => events[i] as CanonicalEvent)];
      return fc.shuffledSubarray(withDups, { minLength: withDups.length, maxLength: withDups.length });
    });
