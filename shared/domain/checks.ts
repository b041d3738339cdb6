// The checks: small declarative units that find where the four systems disagree (DESIGN §6).
import type { StorefrontOrder } from './events.ts';
import { firstExceedance, orderFacts, storefrontTotalIn, type OrderFacts, type PaymentFacts } from './order-facts.ts';
import type { OrderState } from './order-state.ts';

export const CHECK_CODES = [
  'payment_missing',
  'capture_mismatch',
  'duplicate_capture',
  'currency_mismatch',
  'refund_missing_in_processor',
  'refund_missing_in_storefront',
  'captured_not_shipped',
  'shipped_not_captured',
  'shipped_after_cancel',
  'cancelled_not_refunded',
  'quantity_mismatch',
  'not_booked',
  'refund_not_booked',
  'booking_mismatch',
  'unsettled',
  'dispute_open',
  'auth_expiring',
  'orphan_payment',
  'orphan_shipment',
  'orphan_booking',
  'payout_unexplained',
] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

export const isCheckCode = (s: string): s is CheckCode => (CHECK_CODES as readonly string[]).includes(s);

/** What kind of disagreement a check finds. */
export type Nature = 'money' | 'goods' | 'books' | 'mapping';

/** Flat facts about a break: what rules match on and what the narration may cite. */
export type FactValue = string | number | boolean | null | readonly string[];
export type Facts = Readonly<Record<string, FactValue>>;

/** A disagreement found in one order state, open as of the evaluation instant. */
export type Break = {
  /** Stable across nights: `<orderKey>:<code>`. */
  readonly id: string;
  readonly orderKey: string;
  readonly code: CheckCode;
  readonly nature: Nature;
  readonly owner: string;
  /** The instant of the clock fact: the break's age runs from here. */
  readonly since: string;
  /** How long it may legitimately stay open, in hours; null when it never may. */
  readonly windowHours: number | null;
  /** The amount at risk, in minor units of `currency`. */
  readonly amount: number;
  readonly currency: string;
  /** For comparisons: what one side expected and what the other has, same currency. */
  readonly expected?: number;
  readonly actual?: number;
  readonly facts: Facts;
};

/** The part of configuration the checks read (windows in hours; null = no window). */
export type CheckConfig = {
  readonly windows?: Partial<Record<CheckCode, number | null>>;
  readonly owners?: Partial<Record<CheckCode, string>>;
  readonly processorGateways: readonly string[];
  readonly settlementEnabled: boolean;
};

export const DEFAULT_CHECK_CONFIG: CheckConfig = { processorGateways: ['stripe'], settlementEnabled: false };

/** What a check reports when it fires; the unit supplies code, window and owner. */
type Finding = {
  readonly since: string;
  readonly amount: number;
  readonly currency: string;
  readonly expected?: number;
  readonly actual?: number;
  readonly facts?: Facts;
};

/** Which states a check looks at. */
type Scope = 'order' | 'orphan' | 'payout';

/** A check: its code, description, clock, default window and owner, and the test itself. */
export type CheckUnit = {
  readonly code: CheckCode;
  readonly description: string;
  readonly clock: string;
  readonly windowHours: number | null;
  readonly nature: Nature;
  readonly owner: string;
  readonly scope: Scope;
  /** Checks this one overrides when both fire on the same order (the more specific wins). */
  readonly supersedes?: readonly CheckCode[];
  readonly needsSettlementFeed?: boolean;
  /** Whether it still applies to an order that is tied by definition (cancelled before capture). */
  readonly appliesWhenCancelledUncaptured?: boolean;
  readonly evaluate: (f: OrderView, config: CheckConfig) => Finding | undefined;
};

/** The facts of an order that has a storefront order, with the comparisons checks share. */
export type OrderView = OrderFacts & {
  readonly order: StorefrontOrder;
  /** The currency processor amounts are compared in, and the storefront total in it (if any). */
  readonly currency: string;
  readonly total: number | undefined;
  readonly viaProcessor: boolean;
  readonly captured: number;
  readonly netCaptured: number;
  readonly comparablePayments: readonly PaymentFacts[];
  readonly processorRefunded: number;
  readonly storefrontRefunded: number;
  readonly firstCaptureAt: string | undefined;
};

function orderView(f: OrderFacts & { order: StorefrontOrder }, config: CheckConfig): OrderView {
  const order = f.order;
  const live = f.payments.filter((p) => p.livemode || order.test);
  // Compare in the currency the processor used when the storefront knows it (presentment first).
  const processorCurrency = live.find((p) => storefrontTotalIn(order, p.currency) !== undefined)?.currency;
  const currency = processorCurrency ?? order.presentmentTotal.currency;
  const comparablePayments = live.filter((p) => p.currency === currency);
  const captured = comparablePayments.reduce((n, p) => n + p.captured, 0);
  const processorRefunded = f.processorRefunds.filter((r) => r.currency === currency).reduce((n, r) => n + r.amount, 0);
  const gateways = new Set(config.processorGateways.map((g) => g.toLowerCase()));
  const storefrontRefunded = f.storefrontRefunds
    .filter((r) => r.currency === currency && gateways.has(r.gateway.toLowerCase()))
    .reduce((n, r) => n + r.amount, 0);
  let firstCaptureAt: string | undefined;
  for (const p of comparablePayments) if (p.firstCaptureAt && (!firstCaptureAt || p.firstCaptureAt < firstCaptureAt)) firstCaptureAt = p.firstCaptureAt;
  return {
    ...f,
    order,
    currency,
    total: storefrontTotalIn(order, currency),
    viaProcessor: order.gateways.some((g) => gateways.has(g.toLowerCase())) || live.length > 0,
    captured,
    netCaptured: Math.max(0, captured - processorRefunded),
    comparablePayments,
    processorRefunded,
    storefrontRefunded,
    firstCaptureAt,
  };
}

const PAID = new Set(['paid', 'partially_refunded', 'refunded']);
const uniq = (xs: Iterable<string | null | undefined>): string[] =>
  [...new Set([...xs].filter((x): x is string => typeof x === 'string' && x.length > 0))].sort();

/** Ordered quantity per SKU of shippable lines, less what refunds took back. */
function orderedQtyBySku(v: OrderView): Map<string, { qty: number; unitPrice: number }> {
  const out = new Map<string, { qty: number; unitPrice: number }>();
  for (const l of v.order.lines) {
    if (!l.requiresShipping || l.giftCard || l.sku === null) continue;
    const cur = out.get(l.sku);
    out.set(l.sku, { qty: (cur?.qty ?? 0) + l.quantity, unitPrice: cur?.unitPrice ?? l.unitPrice.amount });
  }
  for (const [sku, q] of v.refundedQtyBySku) {
    const cur = out.get(sku);
    if (cur) out.set(sku, { ...cur, qty: Math.max(0, cur.qty - q) });
  }
  return out;
}

function shippedQtyBySku(v: OrderFacts): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of v.shipped) for (const l of s.lines) out.set(l.sku, (out.get(l.sku) ?? 0) + l.quantity);
  return out;
}

const hasShippable = (v: OrderView) => [...orderedQtyBySku(v).values()].some((x) => x.qty > 0);

function bookedSales(v: OrderFacts, currency?: string) {
  const sales = v.bookings.filter((b) => b.entryType === 'sale' && (currency === undefined || b.amount.currency === currency));
  return { total: sales.reduce((n, b) => n + b.amount.amount, 0), first: sales[0]?.bookedAt, currency: sales[0]?.amount.currency };
}

const HOURS = 1;
const DAYS = 24;

/** Every check, in report order. Each is data plus one small pure test. */
export const CHECKS: readonly CheckUnit[] = [
  {
    code: 'payment_missing',
    description: 'The storefront says the order is paid through the processor, but the processor captured nothing.',
    clock: 'order placed',
    windowHours: 6 * HOURS,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    evaluate: (v, config) => {
      const gateways = new Set(config.processorGateways.map((g) => g.toLowerCase()));
      if (!PAID.has(v.order.financialStatus) || !v.order.gateways.some((g) => gateways.has(g.toLowerCase()))) return;
      if (v.payments.some((p) => p.captured > 0)) return;
      return { since: v.order.createdAt, amount: v.order.presentmentTotal.amount, currency: v.order.presentmentTotal.currency, expected: v.order.presentmentTotal.amount, actual: 0 };
    },
  },
  {
    code: 'capture_mismatch',
    description: 'The processor captured a different amount than the storefront order total.',
    clock: 'last capture',
    windowHours: null,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    evaluate: (v) => {
      if (v.captured === 0 || v.total === undefined || v.captured === v.total) return;
      const last = v.comparablePayments.reduce<string | undefined>((a, p) => (p.lastCaptureAt && (!a || p.lastCaptureAt > a) ? p.lastCaptureAt : a), undefined);
      return { since: last ?? v.order.createdAt, amount: Math.abs(v.captured - v.total), currency: v.currency, expected: v.total, actual: v.captured };
    },
  },
  {
    code: 'duplicate_capture',
    description: 'More than one payment was captured for the order, together more than its total.',
    clock: 'second capture',
    windowHours: null,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    supersedes: ['capture_mismatch'],
    evaluate: (v) => {
      const capturedPayments = v.comparablePayments.filter((p) => p.captured > 0 && p.firstCaptureAt !== undefined);
      if (capturedPayments.length < 2 || v.total === undefined || v.captured <= v.total) return;
      const times = capturedPayments.map((p) => p.firstCaptureAt as string).sort();
      return {
        since: times[1] as string,
        amount: v.captured - v.total,
        currency: v.currency,
        expected: v.total,
        actual: v.captured,
        facts: { payments: capturedPayments.map((p) => p.paymentId).sort() },
      };
    },
  },
  {
    code: 'currency_mismatch',
    description: 'The processor charged in a currency the storefront order is not in.',
    clock: 'first payment',
    windowHours: null,
    nature: 'mapping',
    owner: 'data',
    scope: 'order',
    supersedes: ['capture_mismatch', 'duplicate_capture', 'payment_missing'],
    evaluate: (v) => {
      const foreign = v.payments.filter((p) => (p.livemode || v.order.test) && storefrontTotalIn(v.order, p.currency) === undefined);
      const first = foreign[0];
      if (!first) return;
      return {
        since: first.createdAt,
        amount: first.captured || first.capturable,
        currency: first.currency,
        facts: { processorCurrency: first.currency, storefrontCurrency: v.order.presentmentTotal.currency },
      };
    },
  },
  {
    code: 'refund_missing_in_processor',
    description: 'The storefront refunded more than the processor did.',
    clock: 'storefront refund',
    windowHours: 24 * HOURS,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    evaluate: (v, config) => {
      if (v.storefrontRefunded <= v.processorRefunded) return;
      const gateways = new Set(config.processorGateways.map((g) => g.toLowerCase()));
      const mine = v.storefrontRefunds.filter((r) => r.currency === v.currency && gateways.has(r.gateway.toLowerCase()));
      return {
        since: firstExceedance(mine, v.processorRefunded) as string,
        amount: v.storefrontRefunded - v.processorRefunded,
        currency: v.currency,
        expected: v.storefrontRefunded,
        actual: v.processorRefunded,
      };
    },
  },
  {
    code: 'refund_missing_in_storefront',
    description: 'The processor refunded more than the storefront recorded.',
    clock: 'processor refund',
    windowHours: 24 * HOURS,
    nature: 'money',
    owner: 'support',
    scope: 'order',
    evaluate: (v) => {
      if (v.processorRefunded <= v.storefrontRefunded) return;
      const mine = v.processorRefunds.filter((r) => r.currency === v.currency);
      return {
        since: firstExceedance(mine, v.storefrontRefunded) as string,
        amount: v.processorRefunded - v.storefrontRefunded,
        currency: v.currency,
        expected: v.processorRefunded,
        actual: v.storefrontRefunded,
      };
    },
  },
  {
    code: 'captured_not_shipped',
    description: 'Money was captured for the order but the 3PL has shipped nothing.',
    clock: 'first capture',
    windowHours: 48 * HOURS,
    nature: 'goods',
    owner: 'fulfilment',
    scope: 'order',
    evaluate: (v) => {
      if (v.netCaptured <= 0 || v.order.cancelledAt !== null || v.shipped.length > 0 || !hasShippable(v)) return;
      return { since: v.firstCaptureAt ?? v.order.createdAt, amount: v.netCaptured, currency: v.currency };
    },
  },
  {
    code: 'shipped_not_captured',
    description: 'The 3PL shipped the order but the processor captured nothing.',
    clock: 'shipment',
    windowHours: 24 * HOURS,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    supersedes: ['payment_missing'],
    evaluate: (v) => {
      if (v.shipped.length === 0 || !v.viaProcessor || v.order.cancelledAt !== null) return;
      if (v.payments.some((p) => p.captured > 0)) return;
      const first = v.shipped[0];
      return first && { since: first.shippedAt, amount: v.order.presentmentTotal.amount, currency: v.order.presentmentTotal.currency };
    },
  },
  {
    code: 'shipped_after_cancel',
    description: 'The storefront cancelled the order but the 3PL shipped it.',
    clock: 'shipment',
    windowHours: null,
    nature: 'goods',
    owner: 'fulfilment',
    scope: 'order',
    appliesWhenCancelledUncaptured: true,
    supersedes: ['quantity_mismatch'],
    evaluate: (v) => {
      if (v.order.cancelledAt === null || v.shipped.length === 0) return;
      const ordered = orderedQtyBySku(v);
      let value = 0;
      for (const [sku, qty] of shippedQtyBySku(v)) value += qty * (ordered.get(sku)?.unitPrice ?? 0);
      const first = v.shipped[0];
      return (
        first && {
          since: first.shippedAt,
          // Units are valued at the line price, which is in the shop currency.
          amount: value > 0 ? value : v.order.total.amount,
          currency: v.order.total.currency,
          facts: { cancelledAt: v.order.cancelledAt },
        }
      );
    },
  },
  {
    code: 'cancelled_not_refunded',
    description: 'The storefront cancelled the order but captured money was not refunded.',
    clock: 'cancellation',
    windowHours: 24 * HOURS,
    nature: 'money',
    owner: 'support',
    scope: 'order',
    evaluate: (v) => {
      if (v.order.cancelledAt === null || v.netCaptured <= 0) return;
      return { since: v.order.cancelledAt, amount: v.netCaptured, currency: v.currency };
    },
  },
  {
    code: 'quantity_mismatch',
    description: 'The 3PL shipped different quantities than were ordered.',
    clock: 'first shipment',
    windowHours: 72 * HOURS,
    nature: 'goods',
    owner: 'fulfilment',
    scope: 'order',
    evaluate: (v) => {
      const first = v.shipped[0];
      if (!first || v.order.cancelledAt !== null) return;
      const ordered = orderedQtyBySku(v);
      const shipped = shippedQtyBySku(v);
      let value = 0;
      const skus: string[] = [];
      const details: string[] = [];
      for (const sku of uniq([...ordered.keys(), ...shipped.keys()])) {
        const o = ordered.get(sku)?.qty ?? 0;
        const s = shipped.get(sku) ?? 0;
        if (o === s) continue;
        skus.push(sku);
        details.push(`${sku}: ordered ${o}, shipped ${s}`);
        value += Math.abs(o - s) * (ordered.get(sku)?.unitPrice ?? 0);
      }
      if (skus.length === 0) return;
      return { since: first.shippedAt, amount: value, currency: v.order.total.currency, facts: { skus, quantities: details } };
    },
  },
  {
    code: 'not_booked',
    description: 'Money was captured but the books have no sale for the order.',
    clock: 'first capture',
    windowHours: 48 * HOURS,
    nature: 'books',
    owner: 'finance',
    scope: 'order',
    evaluate: (v) => {
      if (v.netCaptured <= 0 || v.bookings.some((b) => b.entryType === 'sale')) return;
      return { since: v.firstCaptureAt ?? v.order.createdAt, amount: v.netCaptured, currency: v.currency };
    },
  },
  {
    code: 'refund_not_booked',
    description: 'The processor refunded more than the books recorded as refunds.',
    clock: 'processor refund',
    windowHours: 48 * HOURS,
    nature: 'books',
    owner: 'finance',
    scope: 'order',
    evaluate: (v) => {
      const booked = v.bookings.filter((b) => b.entryType === 'refund' && b.amount.currency === v.currency).reduce((n, b) => n + b.amount.amount, 0);
      if (v.processorRefunded <= booked) return;
      const since = firstExceedance(v.processorRefunds.filter((r) => r.currency === v.currency), booked) as string;
      return { since, amount: v.processorRefunded - booked, currency: v.currency, expected: v.processorRefunded, actual: booked };
    },
  },
  {
    code: 'booking_mismatch',
    description: 'The books record a different sale total than the storefront order total.',
    clock: 'booking',
    windowHours: null,
    nature: 'books',
    owner: 'finance',
    scope: 'order',
    evaluate: (v) => {
      const any = bookedSales(v);
      if (any.first === undefined || any.currency === undefined) return;
      const expected = storefrontTotalIn(v.order, any.currency);
      const sales = bookedSales(v, any.currency);
      if (expected === undefined) {
        return { since: any.first, amount: sales.total, currency: any.currency, facts: { bookedCurrency: any.currency, storefrontCurrency: v.order.total.currency } };
      }
      if (sales.total === expected) return;
      return { since: any.first, amount: Math.abs(sales.total - expected), currency: any.currency, expected, actual: sales.total };
    },
  },
  {
    code: 'unsettled',
    description: 'A captured payment has not been settled in any paid payout.',
    clock: 'capture',
    windowHours: 5 * DAYS,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    needsSettlementFeed: true,
    evaluate: (v) => {
      const open = v.comparablePayments.filter(
        (p) => p.captured > 0 && !v.settledIds.has(p.paymentId) && !p.chargeIds.some((c) => v.settledIds.has(c)),
      );
      if (open.length === 0) return;
      const since = open.map((p) => p.firstCaptureAt ?? p.createdAt).sort()[0] as string;
      return { since, amount: open.reduce((n, p) => n + p.captured, 0), currency: v.currency, facts: { payments: open.map((p) => p.paymentId) } };
    },
  },
  {
    code: 'dispute_open',
    description: 'A customer disputed a payment (a chargeback) and it is not resolved.',
    clock: 'dispute',
    windowHours: null,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    evaluate: (v) => {
      const first = [...v.openDisputes].sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))[0];
      if (!first) return;
      const same = v.openDisputes.filter((d) => d.currency === first.currency);
      return {
        since: first.createdAt,
        amount: same.reduce((n, d) => n + d.amount, 0),
        currency: first.currency,
        facts: { disputes: v.openDisputes.map((d) => d.disputeId).sort() },
      };
    },
  },
  {
    code: 'auth_expiring',
    description: 'A payment was authorized but not captured, and the authorization is nearing its 7-day life.',
    clock: 'authorization',
    windowHours: 5 * DAYS,
    nature: 'money',
    owner: 'payments',
    scope: 'order',
    evaluate: (v) => {
      if (v.order.cancelledAt !== null) return;
      const held = v.payments.filter((p) => p.authorizedOnly);
      const first = held[0];
      if (!first) return;
      return { since: first.createdAt, amount: held.reduce((n, p) => n + p.capturable, 0), currency: first.currency, facts: { payments: held.map((p) => p.paymentId) } };
    },
  },
  {
    code: 'orphan_payment',
    description: 'A processor payment is tied to no storefront order.',
    clock: 'record',
    windowHours: 24 * HOURS,
    nature: 'mapping',
    owner: 'data',
    scope: 'orphan',
    evaluate: (f) => {
      const payments = f.payments.filter((p) => p.livemode);
      const first = payments[0];
      if (first) {
        const same = payments.filter((p) => p.currency === first.currency);
        return {
          since: first.createdAt,
          amount: same.reduce((n, p) => n + (p.captured || p.capturable), 0),
          currency: first.currency,
          facts: { payments: payments.map((p) => p.paymentId) },
        };
      }
      const loose = [...f.processorRefunds, ...f.openDisputes.map((d) => ({ at: d.createdAt, amount: d.amount, currency: d.currency }))];
      const firstLoose = [...loose].sort((a, b) => (a.at < b.at ? -1 : 1))[0];
      if (!firstLoose) return;
      return { since: firstLoose.at, amount: loose.filter((l) => l.currency === firstLoose.currency).reduce((n, l) => n + l.amount, 0), currency: firstLoose.currency };
    },
  },
  {
    code: 'orphan_shipment',
    description: 'A 3PL shipment is tied to no storefront order.',
    clock: 'record',
    windowHours: 24 * HOURS,
    nature: 'mapping',
    owner: 'data',
    scope: 'orphan',
    evaluate: (f) => {
      if (f.shipments.length === 0) return;
      const times = f.shipments.map((s) => s.shippedAt ?? s.version.slice(0, 24)).sort();
      return { since: times[0] as string, amount: 0, currency: 'XXX', facts: { shipments: f.shipments.map((s) => s.shipmentId).sort() } };
    },
  },
  {
    code: 'orphan_booking',
    description: 'A warehouse ledger entry is tied to no storefront order.',
    clock: 'record',
    windowHours: 24 * HOURS,
    nature: 'mapping',
    owner: 'data',
    scope: 'orphan',
    evaluate: (f) => {
      const first = f.bookings[0];
      if (!first) return;
      const same = f.bookings.filter((b) => b.amount.currency === first.amount.currency);
      return {
        since: first.bookedAt,
        amount: same.reduce((n, b) => n + (b.entryType === 'sale' ? b.amount.amount : 0), 0) || first.amount.amount,
        currency: first.amount.currency,
        facts: { entries: f.bookings.map((b) => b.entryId) },
      };
    },
  },
  {
    code: 'payout_unexplained',
    description: "A payout's amount differs from the net of the balance transactions listed in it.",
    clock: 'payout paid',
    windowHours: 1 * DAYS,
    nature: 'money',
    owner: 'payments',
    scope: 'payout',
    needsSettlementFeed: true,
    evaluate: (f) => {
      for (const p of Object.values(f.state.processor.payouts).sort((a, b) => (a.payoutId < b.payoutId ? -1 : 1))) {
        const snap = p.snapshot?.data;
        if (!snap || snap.status !== 'paid') continue;
        const lines = Object.values(p.lines).map((l) => l.data).filter((l) => l.category !== 'payout');
        const explained = lines.reduce((n, l) => n + l.net, 0);
        const residual = snap.amount.amount - explained;
        if (residual === 0) continue;
        return {
          since: snap.arrivalDate,
          amount: Math.abs(residual),
          currency: snap.amount.currency,
          expected: snap.amount.amount,
          actual: explained,
          facts: { payoutId: p.payoutId, residual, lines: lines.length },
        };
      }
      return undefined;
    },
  },
];

export const CHECKS_BY_CODE: ReadonlyMap<CheckCode, CheckUnit> = new Map(CHECKS.map((c) => [c.code, c]));

export function checkUnit(code: CheckCode): CheckUnit {
  return CHECKS_BY_CODE.get(code) as CheckUnit;
}

/** The window of a check in hours after configuration (null: it has none). */
export function windowOf(code: CheckCode, config: CheckConfig): number | null {
  const configured = config.windows?.[code];
  return configured !== undefined ? configured : checkUnit(code).windowHours;
}

function commonFacts(f: OrderFacts): Record<string, FactValue> {
  const systems = new Set<string>();
  const s = f.state;
  if (Object.keys(s.storefront.orders).length) systems.add('storefront');
  if (Object.keys(s.processor.payments).length || Object.keys(s.processor.refunds).length) systems.add('processor');
  if (Object.keys(s.warehouse.entries).length) systems.add('warehouse');
  if (Object.keys(s.logistics.shipments).length) systems.add('logistics');
  return {
    systems: [...systems].sort(),
    gateways: uniq(f.order?.gateways ?? []),
    skus: uniq(f.order?.lines.map((l) => l.sku) ?? f.shipments.flatMap((sh) => sh.lines.map((l) => l.sku))),
    carriers: uniq(f.shipments.map((sh) => sh.carrier)),
    orderName: f.order?.name ?? null,
  };
}

/**
 * Every break open in a state (DESIGN §6). Pure: the state and configuration in, breaks out.
 * Test, zero-value and cancelled-before-capture orders are tied by definition (a shipment of a
 * cancelled order still breaks); a state with no storefront order yields only orphan breaks
 * (or payout breaks for a payout); the more specific of two overlapping checks wins.
 */
export function runChecks(state: OrderState, config: CheckConfig = DEFAULT_CHECK_CONFIG): Break[] {
  const facts = orderFacts(state);
  const common = commonFacts(facts);
  const found: { unit: CheckUnit; finding: Finding }[] = [];
  const run = (unit: CheckUnit, evaluate: () => Finding | undefined) => {
    if (unit.needsSettlementFeed && !config.settlementEnabled) return;
    const finding = evaluate();
    if (finding) found.push({ unit, finding });
  };

  const order = facts.order;
  if (order === undefined) {
    const isPayoutDoc = Object.keys(state.processor.payouts).length > 0;
    for (const unit of CHECKS) {
      if (unit.scope === 'orphan' || (unit.scope === 'payout' && isPayoutDoc)) run(unit, () => unit.evaluate(facts as OrderView, config));
    }
  } else {
    const view = orderView({ ...facts, order }, config);
    const zeroValue = order.total.amount === 0 && order.presentmentTotal.amount === 0;
    const cancelledUncaptured = order.cancelledAt !== null && facts.payments.every((p) => p.captured === 0);
    if (order.test || zeroValue) return [];
    for (const unit of CHECKS) {
      if (unit.scope !== 'order') continue;
      if (cancelledUncaptured && !unit.appliesWhenCancelledUncaptured) continue;
      run(unit, () => unit.evaluate(view, config));
    }
  }

  const fired = new Set(found.map((x) => x.unit.code));
  const superseded = new Set(found.flatMap((x) => x.unit.supersedes ?? []).filter((c) => fired.has(c)));
  return found
    .filter((x) => !superseded.has(x.unit.code))
    .map(({ unit, finding }) => ({
      id: `${state.key}:${unit.code}`,
      orderKey: state.key,
      code: unit.code,
      nature: unit.nature,
      owner: config.owners?.[unit.code] ?? unit.owner,
      since: finding.since,
      windowHours: windowOf(unit.code, config),
      amount: finding.amount,
      currency: finding.currency,
      ...(finding.expected !== undefined ? { expected: finding.expected } : {}),
      ...(finding.actual !== undefined ? { actual: finding.actual } : {}),
      facts: { ...common, ...finding.facts },
    }));
}
