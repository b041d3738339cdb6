// Derived facts of one order state: the totals, clocks and quantities that every check shares.
import type { Booking, Shipment, StorefrontOrder } from './events.ts';
import { OPEN_DISPUTE_STATUSES } from './events.ts';
import { maxInstant, minInstant } from './instant.ts';
import type { OrderState, PaymentRecord } from './order-state.ts';

/** An amount that entered a running total at an instant (a capture, a refund, a booking). */
export type Movement = { readonly at: string; readonly amount: number };

/** One processor payment reduced to what the checks compare. */
export type PaymentFacts = {
  readonly paymentId: string;
  readonly chargeIds: readonly string[];
  readonly currency: string;
  readonly createdAt: string;
  readonly captured: number;
  readonly refunded: number;
  readonly firstCaptureAt: string | undefined;
  readonly lastCaptureAt: string | undefined;
  /** Authorized and not yet captured (a manual-capture payment still holding funds). */
  readonly authorizedOnly: boolean;
  readonly capturable: number;
  readonly livemode: boolean;
  readonly status: string;
};

/** A shipment that left the 3PL (shipped, delivered, or an exception after it left). */
export type ShippedFacts = {
  readonly shipmentId: string;
  readonly shippedAt: string;
  readonly carrier: string | null;
  readonly lines: Shipment['lines'];
};

/** Everything the checks read about one order key, computed once. */
export type OrderFacts = {
  readonly key: string;
  readonly order: StorefrontOrder | undefined;
  readonly payments: readonly PaymentFacts[];
  readonly processorRefunds: readonly (Movement & { currency: string })[];
  readonly storefrontRefunds: readonly (Movement & { currency: string; gateway: string })[];
  readonly refundedQtyBySku: ReadonlyMap<string, number>;
  readonly shipped: readonly ShippedFacts[];
  readonly shipments: readonly Shipment[];
  readonly bookings: readonly Booking[];
  readonly openDisputes: readonly { disputeId: string; amount: number; currency: string; createdAt: string }[];
  readonly settledIds: ReadonlySet<string>;
  readonly state: OrderState;
};

function paymentFacts(p: PaymentRecord): PaymentFacts {
  const charges = Object.values(p.charges);
  const chargeCaptured = charges.reduce((n, c) => n + (c.captured ? c.amountCaptured : 0), 0);
  const refunded = charges.reduce((n, c) => n + c.amountRefunded, 0);
  const captured = Math.max(p.amountReceived, chargeCaptured);
  let firstCaptureAt: string | undefined;
  let lastCaptureAt: string | undefined;
  let createdAt: string | undefined = p.intent?.data.createdAt;
  for (const c of charges) {
    createdAt = minInstant(createdAt, c.createdAt);
    if (c.capturedAt !== null) {
      firstCaptureAt = minInstant(firstCaptureAt, c.capturedAt);
      lastCaptureAt = maxInstant(lastCaptureAt, c.capturedAt);
    }
  }
  const intent = p.intent?.data;
  const latestCharge = charges.map((c) => c.snap).sort((a, b) => (a.v < b.v ? 1 : a.v > b.v ? -1 : 0))[0];
  const currency = intent?.amount.currency ?? latestCharge?.data.amount.currency ?? 'XXX';
  if (captured > 0 && firstCaptureAt === undefined) firstCaptureAt = lastCaptureAt = createdAt;
  const uncapturedCharge = charges.some((c) => !c.captured && c.snap.data.status === 'succeeded');
  const authorizedOnly = captured === 0 && (intent?.status === 'requires_capture' || uncapturedCharge);
  const capturable = intent?.amountCapturable || (uncapturedCharge ? Math.max(0, ...charges.map((c) => c.snap.data.amount.amount)) : 0);
  return {
    paymentId: p.paymentId,
    chargeIds: Object.keys(p.charges).sort(),
    currency,
    createdAt: createdAt ?? firstCaptureAt ?? '',
    captured,
    refunded,
    firstCaptureAt,
    lastCaptureAt,
    authorizedOnly,
    capturable,
    livemode: intent?.livemode ?? true,
    status: intent?.status ?? latestCharge?.data.status ?? 'unknown',
  };
}

const byAt = <T extends { at: string }>(xs: T[]): T[] => xs.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

/** The storefront order snapshot that speaks for the key: the one whose number is the key, else the first. */
function primaryOrder(state: OrderState): StorefrontOrder | undefined {
  const orders = Object.values(state.storefront.orders).map((o) => o.data);
  orders.sort((a, b) => (a.orderId < b.orderId ? -1 : 1));
  return orders.find((o) => o.orderNumber === state.key) ?? orders[0];
}

/** Derives the shared facts of a state. Pure; reads no clock. */
export function orderFacts(state: OrderState): OrderFacts {
  const payments = Object.values(state.processor.payments)
    .map(paymentFacts)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.paymentId < b.paymentId ? -1 : 1));

  // Processor refunds: refund objects where the processor sent them, else what charges report.
  const refundObjects = Object.values(state.processor.refunds)
    .map((r) => r.data)
    .filter((r) => r.status === 'succeeded' || r.status === 'pending' || r.status === 'requires_action');
  const refundObjectTotal = refundObjects.reduce((n, r) => n + r.amount.amount, 0);
  const chargeRefundTotal = payments.reduce((n, p) => n + p.refunded, 0);
  const processorRefunds: (Movement & { currency: string })[] = refundObjects.map((r) => ({
    at: r.createdAt,
    amount: r.amount.amount,
    currency: r.amount.currency,
  }));
  if (chargeRefundTotal > refundObjectTotal) {
    // A charge says more was refunded than the refund objects we hold: count the remainder,
    // dated at the latest snapshot that showed it.
    let at: string | undefined;
    let currency = payments[0]?.currency ?? 'XXX';
    for (const p of Object.values(state.processor.payments))
      for (const c of Object.values(p.charges))
        if (c.amountRefunded > 0) {
          at = maxInstant(at, c.snap.v.slice(0, 24));
          currency = c.snap.data.amount.currency;
        }
    processorRefunds.push({ at: at ?? '', amount: chargeRefundTotal - refundObjectTotal, currency });
  }

  const shipments = Object.values(state.logistics.shipments).map((s) => s.data);
  const firstShippedAt = shipments.reduce<string | undefined>((a, s) => minInstant(a, s.shippedAt ?? undefined), undefined);

  const storefrontRefunds: (Movement & { currency: string; gateway: string })[] = [];
  const refundedQtyBySku = new Map<string, number>();
  for (const { data: r } of Object.values(state.storefront.refunds)) {
    for (const t of r.transactions)
      if (t.status === 'success') storefrontRefunds.push({ at: r.createdAt, amount: t.amount.amount, currency: t.amount.currency, gateway: t.gateway });
    for (const l of r.lines) {
      // A cancelled line never has to ship; a returned one did ship. Without a restock type, a line
      // refunded before anything shipped need not ship, and one refunded afterwards is a return.
      const unshipped = l.restockType === 'cancel' || (l.restockType !== 'return' && (firstShippedAt === undefined || r.createdAt < firstShippedAt));
      if (unshipped) refundedQtyBySku.set(l.sku, (refundedQtyBySku.get(l.sku) ?? 0) + l.quantity);
    }
  }

  const shipped: ShippedFacts[] = [];
  for (const s of shipments) {
    const left = s.status === 'shipped' || s.status === 'delivered' || (s.status === 'exception' && s.shippedAt !== null);
    if (left) shipped.push({ shipmentId: s.shipmentId, shippedAt: s.shippedAt ?? s.deliveredAt ?? s.version.slice(0, 24), carrier: s.carrier, lines: s.lines });
  }
  shipped.sort((a, b) => (a.shippedAt < b.shippedAt ? -1 : a.shippedAt > b.shippedAt ? 1 : 0));

  const openStatuses: readonly string[] = OPEN_DISPUTE_STATUSES;
  const openDisputes = Object.values(state.processor.disputes)
    .map((d) => d.data)
    .filter((d) => openStatuses.includes(d.status))
    .map((d) => ({ disputeId: d.disputeId, amount: d.amount.amount, currency: d.amount.currency, createdAt: d.createdAt }));

  const settledIds = new Set<string>();
  for (const { data: s } of Object.values(state.processor.settlements)) {
    if (s.paymentId) settledIds.add(s.paymentId);
    if (s.chargeId) settledIds.add(s.chargeId);
    if (s.sourceId) settledIds.add(s.sourceId);
  }

  return {
    key: state.key,
    order: primaryOrder(state),
    payments,
    processorRefunds: byAt(processorRefunds),
    storefrontRefunds: byAt(storefrontRefunds),
    refundedQtyBySku,
    shipped,
    shipments,
    bookings: Object.values(state.warehouse.entries)
      .map((b) => b.data)
      .sort((a, b) => (a.bookedAt < b.bookedAt ? -1 : a.bookedAt > b.bookedAt ? 1 : a.entryId < b.entryId ? -1 : 1)),
    openDisputes,
    settledIds,
    state,
  };
}

/**
 * The instant a running total first exceeded `other`: the clock of a "this side has more than
 * that side" break. Undefined when the movements never exceed it.
 */
export function firstExceedance(movements: readonly Movement[], other: number): string | undefined {
  let running = 0;
  for (const m of movements) {
    running += m.amount;
    if (running > other) return m.at;
  }
  return undefined;
}

/** The storefront's order total expressed in `currency`, if the order has an amount in it. */
export function storefrontTotalIn(order: StorefrontOrder, currency: string): number | undefined {
  if (order.presentmentTotal.currency === currency) return order.presentmentTotal.amount;
  if (order.total.currency === currency) return order.total.amount;
  return undefined;
}
