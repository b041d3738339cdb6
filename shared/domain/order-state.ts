// Order state as a merge: what every source says about one order, folded by a join (DESIGN §5).
//
// Every field merges by a lattice join — snapshots by (source version, event id), monotonic
// amounts by maximum, first-seen instants by minimum, id-keyed maps and sets by union — so the
// fold is commutative, associative and idempotent: any delivery order, with any duplicates,
// converges to the same state. Keep it that way when adding a field: pick a join, never "last wins".
import type {
  Booking,
  CanonicalEvent,
  Charge,
  Dispute,
  PaymentIntent,
  PaymentRefund,
  Payout,
  PayoutLine,
  Settlement,
  Shipment,
  StorefrontFulfillment,
  StorefrontOrder,
  StorefrontRefund,
  StorefrontTransaction,
} from './events.ts';
import { minInstant } from './instant.ts';

/** A snapshot with the version and event that produced it; the higher (v, e) wins a merge. */
export type Stamped<T> = { readonly v: string; readonly e: string; readonly data: T };

/** A processor charge: its latest snapshot plus amounts and instants that only move one way. */
export type ChargeRecord = {
  readonly snap: Stamped<Charge>;
  readonly amountCaptured: number;
  readonly amountRefunded: number;
  readonly captured: boolean;
  readonly capturedAt: string | null;
  readonly createdAt: string;
};

/** A processor payment: the PaymentIntent (if seen) and its charges. */
export type PaymentRecord = {
  readonly paymentId: string;
  readonly intent: Stamped<PaymentIntent> | null;
  readonly amountReceived: number;
  readonly charges: Readonly<Record<string, ChargeRecord>>;
};

export type PayoutSnapshot = NonNullable<Payout['snapshot']>;

/** A payout: its snapshot and the balance transactions the settlement feed listed in it. */
export type PayoutRecord = {
  readonly payoutId: string;
  readonly snapshot: Stamped<PayoutSnapshot> | null;
  readonly lines: Readonly<Record<string, Stamped<PayoutLine>>>;
};

type Map_<T> = Readonly<Record<string, T>>;

/** What every source says about one order key, each object in a map keyed by its own id. */
export type OrderState = {
  readonly key: string;
  /** Every reference the folded events carried (sorted, unique): the aliases of this key. */
  readonly refs: readonly string[];
  /** Every event id folded in (sorted, unique): a second delivery is a counted duplicate. */
  readonly eventIds: readonly string[];
  readonly storefront: {
    readonly orders: Map_<Stamped<StorefrontOrder>>;
    readonly transactions: Map_<Stamped<StorefrontTransaction>>;
    readonly refunds: Map_<Stamped<StorefrontRefund>>;
    readonly fulfillments: Map_<Stamped<StorefrontFulfillment>>;
  };
  readonly processor: {
    readonly payments: Map_<PaymentRecord>;
    readonly refunds: Map_<Stamped<PaymentRefund>>;
    readonly disputes: Map_<Stamped<Dispute>>;
    readonly settlements: Map_<Stamped<Settlement>>;
    readonly payouts: Map_<PayoutRecord>;
  };
  readonly warehouse: { readonly entries: Map_<Stamped<Booking>> };
  readonly logistics: { readonly shipments: Map_<Stamped<Shipment>> };
};

/** The state of a key that nothing has been said about yet. */
export function emptyState(key: string): OrderState {
  return {
    key,
    refs: [],
    eventIds: [],
    storefront: { orders: {}, transactions: {}, refunds: {}, fulfillments: {} },
    processor: { payments: {}, refunds: {}, disputes: {}, settlements: {}, payouts: {} },
    warehouse: { entries: {} },
    logistics: { shipments: {} },
  };
}

// ---- joins -------------------------------------------------------------------------------

function newer<T>(a: Stamped<T>, b: Stamped<T>): Stamped<T> {
  if (a.v !== b.v) return a.v > b.v ? a : b;
  return a.e >= b.e ? a : b;
}

function newerOrNull<T>(a: Stamped<T> | null, b: Stamped<T> | null): Stamped<T> | null {
  return a === null ? b : b === null ? a : newer(a, b);
}

function joinMaps<T>(a: Map_<T>, b: Map_<T>, join: (x: T, y: T) => T): Map_<T> {
  const bKeys = Object.keys(b);
  if (bKeys.length === 0) return a;
  if (Object.keys(a).length === 0) return b;
  const out: Record<string, T> = { ...a };
  for (const k of bKeys) {
    const y = b[k] as T;
    const x = out[k];
    out[k] = x === undefined ? y : join(x, y);
  }
  return out;
}

const joinNewer = <T>(a: Map_<Stamped<T>>, b: Map_<Stamped<T>>) => joinMaps(a, b, newer);

/** Union of two sorted, unique string arrays, sorted and unique. */
export function unionSorted(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) {
      out.push(x as string);
      i++;
    } else if (x === undefined || y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  return out;
}

function joinCharge(a: ChargeRecord, b: ChargeRecord): ChargeRecord {
  return {
    snap: newer(a.snap, b.snap),
    amountCaptured: Math.max(a.amountCaptured, b.amountCaptured),
    amountRefunded: Math.max(a.amountRefunded, b.amountRefunded),
    captured: a.captured || b.captured,
    capturedAt: minInstant(a.capturedAt ?? undefined, b.capturedAt ?? undefined) ?? null,
    createdAt: minInstant(a.createdAt, b.createdAt) as string,
  };
}

function joinPayment(a: PaymentRecord, b: PaymentRecord): PaymentRecord {
  return {
    paymentId: a.paymentId,
    intent: newerOrNull(a.intent, b.intent),
    amountReceived: Math.max(a.amountReceived, b.amountReceived),
    charges: joinMaps(a.charges, b.charges, joinCharge),
  };
}

function joinPayout(a: PayoutRecord, b: PayoutRecord): PayoutRecord {
  return {
    payoutId: a.payoutId,
    snapshot: newerOrNull(a.snapshot, b.snapshot),
    lines: joinNewer(a.lines, b.lines),
  };
}

/**
 * The join of two states: everything either says, newer snapshots winning. Commutative,
 * associative and idempotent (up to `key`, which is taken from `a`).
 */
export function mergeStates(a: OrderState, b: OrderState): OrderState {
  return {
    key: a.key,
    refs: unionSorted(a.refs, b.refs),
    eventIds: unionSorted(a.eventIds, b.eventIds),
    storefront: {
      orders: joinNewer(a.storefront.orders, b.storefront.orders),
      transactions: joinNewer(a.storefront.transactions, b.storefront.transactions),
      refunds: joinNewer(a.storefront.refunds, b.storefront.refunds),
      fulfillments: joinNewer(a.storefront.fulfillments, b.storefront.fulfillments),
    },
    processor: {
      payments: joinMaps(a.processor.payments, b.processor.payments, joinPayment),
      refunds: joinNewer(a.processor.refunds, b.processor.refunds),
      disputes: joinNewer(a.processor.disputes, b.processor.disputes),
      settlements: joinNewer(a.processor.settlements, b.processor.settlements),
      payouts: joinMaps(a.processor.payouts, b.processor.payouts, joinPayout),
    },
    warehouse: { entries: joinNewer(a.warehouse.entries, b.warehouse.entries) },
    logistics: { shipments: joinNewer(a.logistics.shipments, b.logistics.shipments) },
  };
}

// ---- one event as a state ----------------------------------------------------------------

/** A charge as one event saw it; when the source gave no capture instant, seeing it captured bounds it. */
function chargeRecord(charge: Charge, v: string, e: string, observedAt: string): ChargeRecord {
  return {
    snap: { v, e, data: charge },
    amountCaptured: charge.amountCaptured,
    amountRefunded: charge.amountRefunded,
    captured: charge.captured,
    capturedAt: charge.captured ? (charge.capturedAt ?? observedAt) : null,
    createdAt: charge.createdAt,
  };
}

/** The state that says exactly what one event says, under `key`. */
export function stateOfEvent(event: CanonicalEvent, key: string): OrderState {
  const base = emptyState(key);
  const s = { ...base, refs: [...new Set(event.refs)].sort(), eventIds: [event.id] };
  const e = event.id;
  const stamp = <T>(v: string, data: T): Stamped<T> => ({ v, e, data });
  switch (event.kind) {
    case 'order':
      return { ...s, storefront: { ...s.storefront, orders: { [event.data.orderId]: stamp(event.data.version, event.data) } } };
    case 'transaction':
      return { ...s, storefront: { ...s.storefront, transactions: { [event.data.transactionId]: stamp(event.data.version, event.data) } } };
    case 'refund':
      return { ...s, storefront: { ...s.storefront, refunds: { [event.data.refundId]: stamp(event.data.version, event.data) } } };
    case 'fulfillment':
      return { ...s, storefront: { ...s.storefront, fulfillments: { [event.data.fulfillmentId]: stamp(event.data.version, event.data) } } };
    case 'payment': {
      const { paymentId, version, intent, charges } = event.data;
      const record: PaymentRecord = {
        paymentId,
        intent: intent === null ? null : stamp(version, intent),
        amountReceived: intent?.amountReceived ?? 0,
        charges: Object.fromEntries(charges.map((c) => [c.chargeId, chargeRecord(c, version, e, event.occurredAt)])),
      };
      return { ...s, processor: { ...s.processor, payments: { [paymentId]: record } } };
    }
    case 'payment_refund':
      return { ...s, processor: { ...s.processor, refunds: { [event.data.refundId]: stamp(event.data.version, event.data) } } };
    case 'dispute':
      return { ...s, processor: { ...s.processor, disputes: { [event.data.disputeId]: stamp(event.data.version, event.data) } } };
    case 'settlement':
      return {
        ...s,
        processor: { ...s.processor, settlements: { [event.data.balanceTransactionId]: stamp(event.occurredAt, event.data) } },
      };
    case 'payout': {
      const { payoutId, version, snapshot, lines } = event.data;
      const record: PayoutRecord = {
        payoutId,
        snapshot: snapshot === null ? null : stamp(version, snapshot),
        lines: Object.fromEntries(lines.map((l) => [l.balanceTransactionId, stamp(version, l)])),
      };
      return { ...s, processor: { ...s.processor, payouts: { [payoutId]: record } } };
    }
    case 'booking':
      return { ...s, warehouse: { entries: { [event.data.entryId]: stamp(event.data.version, event.data) } } };
    case 'shipment':
      return { ...s, logistics: { shipments: { [event.data.shipmentId]: stamp(event.data.version, event.data) } } };
  }
}

/** Folds one event into a state (a join, so applying it twice equals applying it once). */
export function evolve(state: OrderState, event: CanonicalEvent): OrderState {
  return mergeStates(state, stateOfEvent(event, state.key));
}

/** Whether this event has already been folded into the state (a duplicate delivery). */
export function hasSeen(state: OrderState, eventId: string): boolean {
  const ids = state.eventIds;
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = ids[mid] as string;
    if (x === eventId) return true;
    if (x < eventId) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Whether the state holds any record at all. */
export function isEmptyState(state: OrderState): boolean {
  return state.eventIds.length === 0;
}

/** JSON with object keys sorted: equal states serialize identically whatever their history. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
