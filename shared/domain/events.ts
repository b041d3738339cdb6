// Canonical events: the one shape every source payload is normalized into (DESIGN §3).
import { z } from 'zod';
import { InstantSchema } from './instant.ts';
import { err, ok, type Result } from './result.ts';

/** Which of the four systems of record an event speaks for. */
export const SourceSchema = z.enum(['storefront', 'processor', 'warehouse', 'logistics']);
export type Source = z.infer<typeof SourceSchema>;

/** An exact amount: integer minor units and an upper-case ISO 4217 code. */
export const MoneySchema = z.object({
  amount: z.number().int().refine(Number.isSafeInteger, 'amount must be a safe integer of minor units'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an upper-case ISO 4217 code'),
});

/**
 * A reference that leads to an order, written `namespace:value` (`order:80213`,
 * `shopify-order:450789469`, `payment:pi_123`, `charge:ch_1`, `shipment:shipbob:7`).
 * Only `order:` references name an order directly; the rest resolve through aliases.
 */
export const RefSchema = z.string().regex(/^[a-z][a-z0-9-]*:.+$/, 'a reference is written namespace:value');

/**
 * A source's own version of an object, sortable as a string: a canonical instant optionally
 * followed by `#` and a zero-padded rank (see `sourceVersion`). Newer snapshots replace older ones.
 */
export const VersionSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z(#\d{4})?$/);

const Sku = z.string().min(1);
const Quantity = z.number().int().nonnegative();
const NullableInstant = InstantSchema.nullable();

/** A storefront order line as ordered. */
export const OrderLineSchema = z.object({
  lineId: z.string(),
  sku: Sku.nullable(),
  quantity: Quantity,
  unitPrice: MoneySchema,
  requiresShipping: z.boolean(),
  giftCard: z.boolean().default(false),
});

/** A SKU and a quantity: what was shipped, refunded or fulfilled. */
export const SkuQuantitySchema = z.object({ sku: Sku, quantity: Quantity });

/** A snapshot of a storefront order (Shopify `orders/*`). `total` is creation-time `total_price`. */
export const StorefrontOrderSchema = z.object({
  orderId: z.string(),
  orderNumber: z.string().min(1),
  name: z.string(),
  version: VersionSchema,
  createdAt: InstantSchema,
  cancelledAt: NullableInstant,
  test: z.boolean(),
  financialStatus: z.string(),
  fulfillmentStatus: z.string().nullable(),
  gateways: z.array(z.string()),
  total: MoneySchema,
  presentmentTotal: MoneySchema,
  lines: z.array(OrderLineSchema),
});

/** One storefront payment transaction (Shopify `order_transactions/create`). */
export const StorefrontTransactionSchema = z.object({
  transactionId: z.string(),
  orderId: z.string(),
  kind: z.enum(['authorization', 'capture', 'sale', 'void', 'refund']),
  status: z.enum(['pending', 'failure', 'success', 'error']),
  gateway: z.string(),
  amount: MoneySchema,
  parentId: z.string().nullable(),
  processedAt: InstantSchema,
  version: VersionSchema,
});

/** A storefront refund (Shopify `refunds/create`): its cash transactions and the lines it took back. */
export const StorefrontRefundSchema = z.object({
  refundId: z.string(),
  orderId: z.string(),
  createdAt: InstantSchema,
  version: VersionSchema,
  transactions: z.array(
    z.object({
      transactionId: z.string(),
      status: z.enum(['pending', 'failure', 'success', 'error']),
      gateway: z.string(),
      amount: MoneySchema,
    }),
  ),
  /** Lines taken back; `restockType` is Shopify's (`cancel`: never shipped, `return`: shipped and sent back). */
  lines: z.array(SkuQuantitySchema.extend({ restockType: z.string().nullable().default(null) })),
});

/** A storefront fulfillment (Shopify `fulfillments/create`): the storefront's view of shipping. */
export const StorefrontFulfillmentSchema = z.object({
  fulfillmentId: z.string(),
  orderId: z.string(),
  status: z.string(),
  createdAt: InstantSchema,
  version: VersionSchema,
  trackingNumbers: z.array(z.string()),
  lines: z.array(SkuQuantitySchema),
});

/** A processor charge as last seen; captured and refunded amounts only ever grow. */
export const ChargeSchema = z.object({
  chargeId: z.string(),
  amount: MoneySchema,
  amountCaptured: z.number().int().nonnegative(),
  amountRefunded: z.number().int().nonnegative(),
  captured: z.boolean(),
  status: z.string(),
  createdAt: InstantSchema,
  capturedAt: NullableInstant,
  disputed: z.boolean().default(false),
  balanceTransactionId: z.string().nullable().default(null),
});

/** The PaymentIntent part of a processor payment. */
export const PaymentIntentSchema = z.object({
  status: z.string(),
  amount: MoneySchema,
  amountReceived: z.number().int().nonnegative(),
  amountCapturable: z.number().int().nonnegative(),
  captureMethod: z.string(),
  createdAt: InstantSchema,
  canceledAt: NullableInstant,
  metadata: z.record(z.string(), z.string()),
  livemode: z.boolean(),
});

/**
 * A processor payment (identified by its PaymentIntent, or by its charge when it has none):
 * whatever the event showed of the intent and of its charges.
 */
export const PaymentSchema = z.object({
  paymentId: z.string(),
  version: VersionSchema,
  intent: PaymentIntentSchema.nullable(),
  charges: z.array(ChargeSchema),
});

/** A processor refund object (Stripe `re_`). */
export const PaymentRefundSchema = z.object({
  refundId: z.string(),
  paymentId: z.string().nullable(),
  chargeId: z.string().nullable(),
  amount: MoneySchema,
  status: z.enum(['pending', 'requires_action', 'succeeded', 'failed', 'canceled']),
  createdAt: InstantSchema,
  version: VersionSchema,
});

/** Dispute statuses that still need the merchant or the network to act. */
export const OPEN_DISPUTE_STATUSES = ['warning_needs_response', 'warning_under_review', 'needs_response', 'under_review'] as const;

/** A dispute or chargeback on a payment. */
export const DisputeSchema = z.object({
  disputeId: z.string(),
  paymentId: z.string().nullable(),
  chargeId: z.string().nullable(),
  amount: MoneySchema,
  status: z.string(),
  reason: z.string(),
  createdAt: InstantSchema,
  version: VersionSchema,
});

/** One balance transaction inside a payout (a row of the itemized payout reconciliation report). */
export const PayoutLineSchema = z.object({
  balanceTransactionId: z.string(),
  category: z.string(),
  sourceId: z.string().nullable(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  gross: z.number().int(),
  fee: z.number().int(),
  net: z.number().int(),
});

/** A payout: its own snapshot (from `payout.*` events) and/or lines from the settlement feed. */
export const PayoutSchema = z.object({
  payoutId: z.string(),
  version: VersionSchema,
  snapshot: z
    .object({
      status: z.enum(['pending', 'in_transit', 'paid', 'failed', 'canceled']),
      amount: MoneySchema,
      arrivalDate: InstantSchema,
      automatic: z.boolean(),
    })
    .nullable(),
  lines: z.array(PayoutLineSchema),
});

/** The settlement of one payment's balance transaction in a paid payout, as seen from the order. */
export const SettlementSchema = PayoutLineSchema.extend({
  payoutId: z.string(),
  paymentId: z.string().nullable(),
  chargeId: z.string().nullable(),
  effectiveAt: NullableInstant,
});

/** A warehouse ledger entry: a sale or a refund booked against an order, amount positive. */
export const BookingSchema = z.object({
  entryId: z.string(),
  orderRef: z.string(),
  entryType: z.enum(['sale', 'refund']),
  amount: MoneySchema,
  bookedAt: InstantSchema,
  version: VersionSchema,
});

/** Lifecycle of a 3PL shipment, reduced to what reconciliation needs. */
export const ShipmentStatusSchema = z.enum(['pending', 'on_hold', 'shipped', 'delivered', 'exception', 'cancelled']);
export type ShipmentStatus = z.infer<typeof ShipmentStatusSchema>;

/** A 3PL shipment with shipped quantities per SKU. */
export const ShipmentSchema = z.object({
  shipmentId: z.string(),
  orderRef: z.string().nullable(),
  status: ShipmentStatusSchema,
  shippedAt: NullableInstant,
  deliveredAt: NullableInstant,
  carrier: z.string().nullable(),
  trackingNumber: z.string().nullable(),
  lines: z.array(SkuQuantitySchema),
  version: VersionSchema,
});

const envelope = {
  id: z.string().min(1),
  system: z.string().min(1),
  refs: z.array(RefSchema).min(1),
  occurredAt: InstantSchema,
  receivedAt: InstantSchema,
};

const variant = <K extends string, S extends Source, D extends z.ZodType>(kind: K, source: S, data: D) =>
  z.object({ ...envelope, kind: z.literal(kind), source: z.literal(source), data });

/**
 * A canonical event: `{ id, source, system, kind, refs, occurredAt, receivedAt, data }`. The `id`
 * is stable for the same source fact and is the dedupe key; `kind` fixes the shape of `data`
 * and which source may send it.
 */
export const CanonicalEventSchema = z.discriminatedUnion('kind', [
  variant('order', 'storefront', StorefrontOrderSchema),
  variant('transaction', 'storefront', StorefrontTransactionSchema),
  variant('refund', 'storefront', StorefrontRefundSchema),
  variant('fulfillment', 'storefront', StorefrontFulfillmentSchema),
  variant('payment', 'processor', PaymentSchema),
  variant('payment_refund', 'processor', PaymentRefundSchema),
  variant('dispute', 'processor', DisputeSchema),
  variant('payout', 'processor', PayoutSchema),
  variant('settlement', 'processor', SettlementSchema),
  variant('booking', 'warehouse', BookingSchema),
  variant('shipment', 'logistics', ShipmentSchema),
]);

export type CanonicalEvent = z.infer<typeof CanonicalEventSchema>;
export type EventKind = CanonicalEvent['kind'];
export type EventOfKind<K extends EventKind> = Extract<CanonicalEvent, { kind: K }>;
export type StorefrontOrder = z.infer<typeof StorefrontOrderSchema>;
export type StorefrontTransaction = z.infer<typeof StorefrontTransactionSchema>;
export type StorefrontRefund = z.infer<typeof StorefrontRefundSchema>;
export type StorefrontFulfillment = z.infer<typeof StorefrontFulfillmentSchema>;
export type Payment = z.infer<typeof PaymentSchema>;
export type PaymentIntent = z.infer<typeof PaymentIntentSchema>;
export type Charge = z.infer<typeof ChargeSchema>;
export type PaymentRefund = z.infer<typeof PaymentRefundSchema>;
export type Dispute = z.infer<typeof DisputeSchema>;
export type Payout = z.infer<typeof PayoutSchema>;
export type PayoutLine = z.infer<typeof PayoutLineSchema>;
export type Settlement = z.infer<typeof SettlementSchema>;
export type Booking = z.infer<typeof BookingSchema>;
export type Shipment = z.infer<typeof ShipmentSchema>;
export type SkuQuantity = z.infer<typeof SkuQuantitySchema>;

/**
 * The sortable source version of a snapshot: its instant, plus a rank that orders snapshots
 * sharing one instant (a later lifecycle status ranks higher, so `captured` beats `authorized`).
 */
export function sourceVersion(at: string, rank = 0): string {
  if (!Number.isInteger(rank) || rank < 0 || rank > 9999) throw new Error(`version rank out of range: ${rank}`);
  return rank === 0 ? at : `${at}#${String(rank).padStart(4, '0')}`;
}

/** Reads one canonical event from JSON text: parsed, validated, with an error per problem found. */
export function readCanonicalEvent(text: string): Result<CanonicalEvent> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(`not JSON: ${(e as Error).message}`);
  }
  const parsed = CanonicalEventSchema.safeParse(json);
  if (!parsed.success) return err(...parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  return ok(parsed.data);
}
