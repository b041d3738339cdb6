// Test builders for canonical events: realistic defaults, every field overridable.
import { CanonicalEventSchema, sourceVersion, type CanonicalEvent, type Charge, type EventOfKind } from '#shared/domain/events.ts';

export const T0 = '2026-11-20T10:00:00.000Z';

/** An instant `hours` after `from` (fractions allowed). */
export function at(hours: number, from = T0): string {
  return new Date(Date.parse(from) + Math.round(hours * 3_600_000)).toISOString();
}

const usd = (amount: number, currency = 'USD') => ({ amount, currency });

let seq = 0;
const nextId = (prefix: string) => `${prefix}_${(++seq).toString(36).padStart(6, '0')}`;

function build<K extends CanonicalEvent['kind']>(e: Omit<EventOfKind<K>, 'receivedAt'> & { receivedAt?: string }): EventOfKind<K> {
  const parsed = CanonicalEventSchema.parse({ receivedAt: e.occurredAt, ...e });
  return parsed as EventOfKind<K>;
}

export type OrderOpts = {
  number?: string;
  orderId?: string;
  total?: number;
  currency?: string;
  presentmentCurrency?: string;
  presentmentTotal?: number;
  createdAt?: string;
  updatedAt?: string;
  rank?: number;
  financialStatus?: string;
  gateways?: string[];
  cancelledAt?: string | null;
  test?: boolean;
  lines?: { sku: string | null; quantity: number; price: number; requiresShipping?: boolean; giftCard?: boolean }[];
  eventId?: string;
};

/** A storefront order snapshot (Shopify orders/*). */
export function order(o: OrderOpts = {}): EventOfKind<'order'> {
  const number = o.number ?? '1001';
  const orderId = o.orderId ?? `45${number}`;
  const currency = o.currency ?? 'USD';
  const lines = o.lines ?? [{ sku: 'SKU-A', quantity: 1, price: o.total ?? 5000 }];
  const total = o.total ?? lines.reduce((n, l) => n + l.quantity * l.price, 0);
  const createdAt = o.createdAt ?? T0;
  const updatedAt = o.updatedAt ?? createdAt;
  return build<'order'>({
    id: o.eventId ?? `shopify:${nextId('wh')}`,
    source: 'storefront',
    system: 'shopify',
    kind: 'order',
    refs: [`order:${number}`, `shopify-order:${orderId}`],
    occurredAt: updatedAt,
    data: {
      orderId,
      orderNumber: number,
      name: `#${number}`,
      version: sourceVersion(updatedAt, o.rank ?? 0),
      createdAt,
      cancelledAt: o.cancelledAt ?? null,
      test: o.test ?? false,
      financialStatus: o.financialStatus ?? 'paid',
      fulfillmentStatus: null,
      gateways: o.gateways ?? ['stripe'],
      total: usd(total, currency),
      presentmentTotal: usd(o.presentmentTotal ?? total, o.presentmentCurrency ?? currency),
      lines: lines.map((l, i) => ({
        lineId: `${orderId}-${i + 1}`,
        sku: l.sku,
        quantity: l.quantity,
        unitPrice: usd(l.price, currency),
        requiresShipping: l.requiresShipping ?? true,
        giftCard: l.giftCard ?? false,
      })),
    },
  });
}

export type PaymentOpts = {
  pi?: string;
  order?: string;
  amount?: number;
  currency?: string;
  captured?: number;
  refunded?: number;
  createdAt?: string;
  capturedAt?: string | null;
  at?: string;
  status?: string;
  chargeId?: string | null;
  withIntent?: boolean;
  livemode?: boolean;
  eventId?: string;
  rank?: number;
};

/** A processor payment snapshot (Stripe payment_intent.* / charge.*). */
export function payment(p: PaymentOpts = {}): EventOfKind<'payment'> {
  const pi = p.pi ?? nextId('pi');
  const amount = p.amount ?? 5000;
  const currency = p.currency ?? 'USD';
  const captured = p.captured ?? amount;
  const createdAt = p.createdAt ?? T0;
  const occurredAt = p.at ?? p.capturedAt ?? createdAt;
  const chargeId = p.chargeId === undefined ? `ch_${pi.slice(3)}` : p.chargeId;
  const charges: Charge[] =
    chargeId === null
      ? []
      : [
          {
            chargeId,
            amount: usd(amount, currency),
            amountCaptured: captured,
            amountRefunded: p.refunded ?? 0,
            captured: captured > 0,
            status: 'succeeded',
            createdAt,
            capturedAt: captured > 0 ? (p.capturedAt ?? createdAt) : null,
            disputed: false,
            balanceTransactionId: null,
          },
        ];
  const withIntent = p.withIntent ?? true;
  return build<'payment'>({
    id: p.eventId ?? `stripe:${nextId('evt')}`,
    source: 'processor',
    system: 'stripe',
    kind: 'payment',
    refs: [...(p.order && withIntent ? [`order:${p.order}`] : []), `payment:${pi}`, ...(chargeId ? [`charge:${chargeId}`] : [])],
    occurredAt,
    data: {
      paymentId: pi,
      version: sourceVersion(occurredAt, p.rank ?? 0),
      intent: withIntent
        ? {
            status: p.status ?? (captured > 0 ? 'succeeded' : 'requires_capture'),
            amount: usd(amount, currency),
            amountReceived: captured,
            amountCapturable: captured > 0 ? 0 : amount,
            captureMethod: captured > 0 ? 'automatic' : 'manual',
            createdAt,
            canceledAt: null,
            metadata: p.order ? { order_number: p.order } : {},
            livemode: p.livemode ?? true,
          }
        : null,
      charges,
    },
  });
}

/** A storefront transaction linking an order to a processor payment (the alias source). */
export function transaction(t: { order?: string; orderId?: string; pi: string; amount?: number; currency?: string; at?: string; kind?: 'sale' | 'capture' | 'authorization' }): EventOfKind<'transaction'> {
  const number = t.order ?? '1001';
  const orderId = t.orderId ?? `45${number}`;
  const occurredAt = t.at ?? T0;
  return build<'transaction'>({
    id: `shopify:${nextId('wh')}`,
    source: 'storefront',
    system: 'shopify',
    kind: 'transaction',
    refs: [`shopify-order:${orderId}`, `payment:${t.pi}`],
    occurredAt,
    data: {
      transactionId: nextId('txn'),
      orderId,
      kind: t.kind ?? 'sale',
      status: 'success',
      gateway: 'stripe',
      amount: usd(t.amount ?? 5000, t.currency ?? 'USD'),
      parentId: null,
      processedAt: occurredAt,
      version: sourceVersion(occurredAt),
    },
  });
}

/** A storefront refund with its cash transactions. */
export function storefrontRefund(r: { order?: string; orderId?: string; amount: number; currency?: string; at?: string; gateway?: string; lines?: { sku: string; quantity: number; restockType?: string | null }[]; refundId?: string }): EventOfKind<'refund'> {
  const number = r.order ?? '1001';
  const orderId = r.orderId ?? `45${number}`;
  const occurredAt = r.at ?? T0;
  return build<'refund'>({
    id: `shopify:${nextId('wh')}`,
    source: 'storefront',
    system: 'shopify',
    kind: 'refund',
    refs: [`shopify-order:${orderId}`],
    occurredAt,
    data: {
      refundId: r.refundId ?? nextId('rf'),
      orderId,
      createdAt: occurredAt,
      version: sourceVersion(occurredAt),
      transactions: [{ transactionId: nextId('txn'), status: 'success', gateway: r.gateway ?? 'stripe', amount: usd(r.amount, r.currency ?? 'USD') }],
      lines: (r.lines ?? []).map((l) => ({ restockType: null, ...l })),
    },
  });
}

/** A processor refund object. */
export function processorRefund(r: { pi: string; amount: number; currency?: string; at?: string; status?: 'succeeded' | 'pending' | 'failed'; refundId?: string }): EventOfKind<'payment_refund'> {
  const occurredAt = r.at ?? T0;
  const refundId = r.refundId ?? nextId('re');
  return build<'payment_refund'>({
    id: `stripe:${nextId('evt')}`,
    source: 'processor',
    system: 'stripe',
    kind: 'payment_refund',
    refs: [`payment-refund:${refundId}`, `payment:${r.pi}`],
    occurredAt,
    data: {
      refundId,
      paymentId: r.pi,
      chargeId: null,
      amount: usd(r.amount, r.currency ?? 'USD'),
      status: r.status ?? 'succeeded',
      createdAt: occurredAt,
      version: sourceVersion(occurredAt),
    },
  });
}

/** A dispute on a payment. */
export function dispute(d: { pi: string; amount: number; status?: string; at?: string; currency?: string; disputeId?: string }): EventOfKind<'dispute'> {
  const occurredAt = d.at ?? T0;
  const disputeId = d.disputeId ?? nextId('dp');
  return build<'dispute'>({
    id: `stripe:${nextId('evt')}`,
    source: 'processor',
    system: 'stripe',
    kind: 'dispute',
    refs: [`dispute:${disputeId}`, `payment:${d.pi}`],
    occurredAt,
    data: {
      disputeId,
      paymentId: d.pi,
      chargeId: null,
      amount: usd(d.amount, d.currency ?? 'USD'),
      status: d.status ?? 'needs_response',
      reason: 'fraudulent',
      createdAt: occurredAt,
      version: sourceVersion(occurredAt),
    },
  });
}

/** A 3PL shipment; by default it references the order by its storefront id. */
export function shipment(s: {
  order?: string;
  orderId?: string;
  byNumber?: boolean;
  shipmentId?: string;
  status?: 'pending' | 'shipped' | 'delivered' | 'cancelled' | 'exception' | 'on_hold';
  at?: string;
  lines?: { sku: string; quantity: number }[];
  carrier?: string;
  rank?: number;
} = {}): EventOfKind<'shipment'> {
  const number = s.order ?? '1001';
  const orderId = s.orderId ?? `45${number}`;
  const occurredAt = s.at ?? T0;
  const shipmentId = s.shipmentId ?? nextId('sh');
  const status = s.status ?? 'shipped';
  return build<'shipment'>({
    id: `shipbob:${nextId('msg')}`,
    source: 'logistics',
    system: 'shipbob',
    kind: 'shipment',
    refs: [`shipment:shipbob:${shipmentId}`, s.byNumber ? `order:${number}` : `shopify-order:${orderId}`],
    occurredAt,
    data: {
      shipmentId,
      orderRef: s.byNumber ? number : orderId,
      status,
      shippedAt: status === 'shipped' || status === 'delivered' ? occurredAt : null,
      deliveredAt: status === 'delivered' ? occurredAt : null,
      carrier: s.carrier ?? 'USPS',
      trackingNumber: '9400100000000000000000',
      lines: s.lines ?? [{ sku: 'SKU-A', quantity: 1 }],
      version: sourceVersion(occurredAt, s.rank ?? 0),
    },
  });
}

/** A warehouse ledger entry, referencing the order by number. */
export function booking(b: { order?: string; entryType?: 'sale' | 'refund'; amount: number; currency?: string; at?: string; entryId?: string }): EventOfKind<'booking'> {
  const number = b.order ?? '1001';
  const occurredAt = b.at ?? T0;
  const entryId = b.entryId ?? nextId('le');
  return build<'booking'>({
    id: `warehouse:${entryId}`,
    source: 'warehouse',
    system: 'warehouse',
    kind: 'booking',
    refs: [`order:${number}`, `booking:${entryId}`],
    occurredAt,
    data: {
      entryId,
      orderRef: number,
      entryType: b.entryType ?? 'sale',
      amount: usd(b.amount, b.currency ?? 'USD'),
      bookedAt: occurredAt,
      version: sourceVersion(occurredAt),
    },
  });
}

/** A settlement line: the payment's charge in a paid payout. */
export function settlement(s: { pi: string; payoutId?: string; net: number; at?: string; currency?: string }): EventOfKind<'settlement'> {
  const occurredAt = s.at ?? T0;
  const txn = nextId('txn');
  return build<'settlement'>({
    id: `stripe-report:${txn}`,
    source: 'processor',
    system: 'stripe',
    kind: 'settlement',
    refs: [`payment:${s.pi}`],
    occurredAt,
    data: {
      balanceTransactionId: txn,
      category: 'charge',
      sourceId: null,
      currency: s.currency ?? 'USD',
      gross: s.net,
      fee: 0,
      net: s.net,
      payoutId: s.payoutId ?? 'po_1',
      paymentId: s.pi,
      chargeId: null,
      effectiveAt: occurredAt,
    },
  });
}

/** A payout snapshot and/or its lines. */
export function payout(p: { payoutId?: string; amount?: number; status?: 'paid' | 'pending' | 'failed'; at?: string; lines?: { net: number; category?: string }[]; snapshot?: boolean }): EventOfKind<'payout'> {
  const occurredAt = p.at ?? T0;
  const payoutId = p.payoutId ?? 'po_1';
  return build<'payout'>({
    id: `stripe:${nextId('evt')}`,
    source: 'processor',
    system: 'stripe',
    kind: 'payout',
    refs: [`payout:${payoutId}`],
    occurredAt,
    data: {
      payoutId,
      version: sourceVersion(occurredAt),
      snapshot:
        p.snapshot === false
          ? null
          : { status: p.status ?? 'paid', amount: usd(p.amount ?? 0), arrivalDate: occurredAt, automatic: true },
      lines: (p.lines ?? []).map((l) => ({
        balanceTransactionId: nextId('txn'),
        category: l.category ?? 'charge',
        sourceId: null,
        currency: 'USD',
        gross: l.net,
        fee: 0,
        net: l.net,
      })),
    },
  });
}
