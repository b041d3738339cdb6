// The Shopify storefront source: webhook HMAC check, archived records, and orders, refunds, transactions and fulfillments as canonical events.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CanonicalEventSchema, sourceVersion, type CanonicalEvent } from '../domain/events.ts';
import { InstantSchema, maxInstant } from '../domain/instant.ts';
import { parseMoney, type Money } from '../domain/money.ts';
import { normalizeOrderKey, orderRef, ref, type KeyRules } from '../domain/refs.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import type { Delivery, SourceModule, VerifyResult } from './source.ts';

// ---- payload schemas (the REST Admin resources Shopify sends as webhook bodies, FORMATS §1) ----------

/** A Shopify numeric id (or its string form); ids past 2^53 would have been rounded by JSON.parse, so they are refused. */
const IdSchema = z
  .union([z.number().int().nonnegative().refine(Number.isSafeInteger, 'id is too large to have been read exactly'), z.string().min(1)])
  .transform(String);

/** Shopify amounts are decimal strings in major units (a few, like refund line subtotals, are JSON numbers). */
const AmountSchema = z.union([z.string(), z.number()]);

const MoneyBagSchema = z.object({ amount: AmountSchema, currency_code: z.string() });

/** The `*_set` twin of an amount: the same money in shop and presentment currency. */
const MoneySetSchema = z.object({ shop_money: MoneyBagSchema.nullish(), presentment_money: MoneyBagSchema.nullish() });

const LineItemSchema = z.object({
  id: IdSchema,
  sku: z.string().nullish(),
  quantity: z.number().int().nonnegative(),
  price: AmountSchema,
  requires_shipping: z.boolean(),
  gift_card: z.boolean().nullish(),
});

/** One transaction as Shopify sends it (`order_transactions/create`, or inside a refund). */
export const ShopifyTransactionSchema = z.object({
  id: IdSchema,
  order_id: IdSchema.nullish(),
  kind: z.string().nullish(),
  status: z.string(),
  gateway: z.string(),
  amount: AmountSchema,
  currency: z.string().nullish(),
  parent_id: IdSchema.nullish(),
  authorization: z.string().nullish(),
  receipt: z.unknown().optional(),
  processed_at: InstantSchema.nullish(),
  created_at: InstantSchema.nullish(),
});

/** A refund as Shopify sends it (`refunds/create`, or embedded in an order's `refunds[]`). */
export const ShopifyRefundSchema = z.object({
  id: IdSchema,
  order_id: IdSchema.nullish(),
  created_at: InstantSchema.nullish(),
  processed_at: InstantSchema.nullish(),
  refund_line_items: z
    .array(
      z.object({
        line_item_id: IdSchema.nullish(),
        quantity: z.number().int().nonnegative(),
        restock_type: z.string().nullish(),
        line_item: z.object({ sku: z.string().nullish() }).nullish(),
      }),
    )
    .nullish(),
  transactions: z.array(ShopifyTransactionSchema).nullish(),
});

/** An order as Shopify sends it (`orders/*` webhooks and Admin orders exports); only the fields reconciliation reads. */
export const ShopifyOrderSchema = z.object({
  id: IdSchema,
  order_number: z.union([z.number(), z.string()]).nullish(),
  name: z.string().nullish(),
  created_at: InstantSchema.nullish(),
  processed_at: InstantSchema.nullish(),
  updated_at: InstantSchema.nullish(),
  cancelled_at: InstantSchema.nullish(),
  test: z.boolean().nullish(),
  financial_status: z.string().nullish(),
  fulfillment_status: z.string().nullish(),
  payment_gateway_names: z.array(z.string()).nullish(),
  currency: z.string(),
  presentment_currency: z.string().nullish(),
  total_price: AmountSchema,
  total_price_set: MoneySetSchema.nullish(),
  line_items: z.array(LineItemSchema),
  refunds: z.array(ShopifyRefundSchema).nullish(),
});

/** A fulfillment as Shopify sends it (`fulfillments/create|update`). */
export const ShopifyFulfillmentSchema = z.object({
  id: IdSchema,
  order_id: IdSchema,
  status: z.string(),
  created_at: InstantSchema,
  updated_at: InstantSchema.nullish(),
  tracking_number: z.string().nullish(),
  tracking_numbers: z.array(z.string()).nullish(),
  line_items: z.array(z.object({ sku: z.string().nullish(), quantity: z.number().int().nonnegative() })),
});

type ShopifyOrder = z.output<typeof ShopifyOrderSchema>;
type ShopifyRefund = z.output<typeof ShopifyRefundSchema>;
type ShopifyTransaction = z.output<typeof ShopifyTransactionSchema>;

// ---- signature and delivery -------------------------------------------------------------------------

const HMAC_HEADER = 'x-shopify-hmac-sha256';

/** The `X-Shopify-Hmac-Sha256` value for a body, as Shopify signs it (for senders we control: the demo). */
export function shopifySignature(body: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}
const TOPIC_HEADER = 'x-shopify-topic';
const WEBHOOK_ID_HEADER = 'x-shopify-webhook-id';

/** The set shopify-api-js rejects a delivery without, before any HMAC work. */
const MANDATORY_HEADERS = [HMAC_HEADER, TOPIC_HEADER, WEBHOOK_ID_HEADER, 'x-shopify-shop-domain', 'x-shopify-api-version'] as const;

/** Headers archived with a payload: enough to dedupe, correlate and detect stale retries; never the signature. */
const KEPT_HEADERS = [TOPIC_HEADER, WEBHOOK_ID_HEADER, 'x-shopify-event-id', 'x-shopify-triggered-at', 'x-shopify-shop-domain', 'x-shopify-api-version'] as const;

/** Base64 of a 32-byte SHA-256 digest: 43 characters and one `=`. */
const BASE64_DIGEST = /^[A-Za-z0-9+/]{43}=$/;

// Deliveries arrive with lower-cased names, but a test or a proxy may not have done so; matching is case-insensitive either way.
function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const exact = headers[name];
  if (exact !== undefined) return exact.trim();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v.trim();
  return undefined;
}

const refuse = (reason: string): VerifyResult => ({ ok: false, reason });

/**
 * Checks `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the exact body bytes) against every configured
 * secret, so deliveries signed with the old secret still pass during a rotation.
 */
function verify(delivery: Delivery, secrets: readonly string[], _nowMs: number): VerifyResult {
  // Shopify signs no timestamp, so there is no replay window to check; retries legitimately carry old payloads.
  for (const name of MANDATORY_HEADERS) if (!header(delivery.headers, name)) return refuse(`missing ${name} header`);
  const active = secrets.filter((s) => s.length > 0);
  if (active.length === 0) return refuse('no Shopify webhook secret is configured');
  const given = header(delivery.headers, HMAC_HEADER) ?? '';
  if (!BASE64_DIGEST.test(given)) return refuse(`${HMAC_HEADER} is not a base64 SHA-256 digest`);
  const givenBytes = Buffer.from(given, 'base64');
  let matched = false;
  // Every secret is tried (no early exit) so the time taken does not tell which one matched.
  for (const secret of active) {
    const expected = createHmac('sha256', secret).update(delivery.body).digest();
    if (expected.length === givenBytes.length && timingSafeEqual(expected, givenBytes)) matched = true;
  }
  return matched ? { ok: true } : refuse(`${HMAC_HEADER} does not match the body under any configured secret`);
}

/** Fatal decoding: a body that is not UTF-8 is reported, not silently altered by replacement characters (stateless: one serves every call). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fromDelivery(delivery: Delivery, receivedAt: string): Result<RawRecord> {
  const webhookId = header(delivery.headers, WEBHOOK_ID_HEADER);
  const topic = header(delivery.headers, TOPIC_HEADER);
  if (!webhookId) return err(`missing ${WEBHOOK_ID_HEADER} header: the delivery has no id to dedupe on`);
  if (!topic) return err(`missing ${TOPIC_HEADER} header: the body cannot be read without its topic`);
  let body: string;
  try {
    body = UTF8.decode(delivery.body);
  } catch {
    return err('body is not valid UTF-8');
  }
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = header(delivery.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  return ok({ id: `shopify:${webhookId}`, system: 'shopify', topic, receivedAt, headers, body });
}

/** The topic an exported order is read as: an export row is a full order snapshot, like `orders/updated`. */
const EXPORT_TOPIC = 'orders/updated';

function fromFeedItem(item: unknown, feed: string, receivedAt: string): Result<RawRecord> {
  if (feed !== 'orders-export') return err(`unknown Shopify feed ${JSON.stringify(feed)} (expected orders-export)`);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return err('orders-export item is not an order object');
  if ('orders' in item) return err('orders-export item is the whole export; pass each element of its "orders" array');
  const head = z.object({ id: IdSchema, updated_at: InstantSchema }).safeParse(item);
  if (!head.success) return err(...issues('order', head.error));
  // The id names the snapshot, so importing the same export twice dedupes while a newer export of the order does not.
  return ok({
    id: `shopify-export:${head.data.id}:${head.data.updated_at}`,
    system: 'shopify',
    topic: EXPORT_TOPIC,
    receivedAt,
    headers: {},
    body: JSON.stringify(item),
  });
}

// ---- normalization ----------------------------------------------------------------------------------

/** Topics whose body is an Order resource. */
const ORDER_TOPICS: ReadonlySet<string> = new Set([
  'orders/create',
  'orders/updated',
  'orders/paid',
  'orders/cancelled',
  'orders/edited',
  'orders/fulfilled',
  'orders/partially_fulfilled',
]);
const FULFILLMENT_TOPICS: ReadonlySet<string> = new Set(['fulfillments/create', 'fulfillments/update']);
const HANDLED_TOPICS: ReadonlySet<string> = new Set([...ORDER_TOPICS, ...FULFILLMENT_TOPICS, 'refunds/create', 'order_transactions/create']);

/**
 * Transaction kinds the canonical schema models. Others (POS cash `change`, card-present `emv_authorization`, whose
 * capture arrives as a `capture`) have no canonical kind yet: they normalize to nothing, and the raw stays archived for replay.
 */
const TRANSACTION_KINDS: ReadonlySet<string> = new Set(['authorization', 'capture', 'sale', 'void', 'refund']);

/** A cancelled snapshot outranks any other taken in the same second: a cancel and an update at one instant, the cancel wins. */
const RANK_CANCELLED = 2;
/** A settled transaction outranks a pending one with the same instant. */
const RANK_SETTLED = 1;

/** Stripe object ids that can appear in a transaction's `authorization` or `receipt`, by the reference namespace they alias. */
const STRIPE_ID = /^(pi|ch|re|py)_[A-Za-z0-9]+$/;
const STRIPE_NAMESPACE: Readonly<Record<string, string>> = { pi: 'payment', ch: 'charge', py: 'charge', re: 'payment-refund' };

function issues(what: string, error: z.ZodError): string[] {
  return error.issues.slice(0, 20).map((i) => `${[what, ...i.path.map(String)].join('.')}: ${i.message}`);
}

function parseAs<S extends z.ZodType>(schema: S, json: unknown, what: string): Result<z.output<S>> {
  const parsed = schema.safeParse(json);
  return parsed.success ? ok(parsed.data) : err(...issues(what, parsed.error));
}

/** Reads a money field, naming the field in the error. */
function moneyAt(field: string, amount: string | number, currency: string): Result<Money> {
  const m = parseMoney(amount, currency);
  return m.ok ? m : err(...m.errors.map((e) => `${field}: ${e}`));
}

/**
 * Every Stripe id found in a transaction's `authorization` and anywhere among the string values of its
 * `receipt` (gateway-specific, often a whole PaymentIntent or Charge), as aliasing references.
 */
function processorRefs(authorization: string | null | undefined, receipt: unknown): string[] {
  const out: string[] = [];
  let budget = 2_000; // a receipt is foreign data: bound the walk
  const visit = (value: unknown, depth: number): void => {
    if (budget-- <= 0) return;
    if (typeof value === 'string') {
      const text = value.trim();
      const m = STRIPE_ID.exec(text);
      const ns = m ? STRIPE_NAMESPACE[m[1] ?? ''] : undefined;
      if (ns) out.push(ref(ns, text));
    } else if (depth < 6 && typeof value === 'object' && value !== null) {
      for (const v of Array.isArray(value) ? value : Object.values(value)) visit(v, depth + 1);
    }
  };
  visit(authorization, 0);
  visit(receipt, 0);
  return out;
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** Validates a built event against the canonical schema, returning the parsed (canonicalised) event. */
function checked(event: unknown, id: string): Result<CanonicalEvent> {
  const parsed = CanonicalEventSchema.safeParse(event);
  return parsed.success ? ok(parsed.data) : err(...issues(`event ${id}`, parsed.error));
}

function collect<T>(results: readonly Result<T>[]): Result<T[]> {
  const errors = results.flatMap((r) => (r.ok ? [] : r.errors));
  return errors.length > 0 ? err(...errors) : ok(results.flatMap((r) => (r.ok ? [r.value] : [])));
}

/**
 * The order key: `order_number` when present (the name is display decoration that may carry a shop prefix
 * or suffix the key rules do not know), else `name` through the key rules. When both are present and the
 * name normalizes to the same key the choice makes no difference; when they differ, `order_number` wins.
 */
function orderKeyOf(order: ShopifyOrder, rules: KeyRules): Result<string> {
  const fromNumber = order.order_number === null || order.order_number === undefined ? undefined : normalizeOrderKey(order.order_number, rules);
  const fromName = order.name ? normalizeOrderKey(order.name, rules) : undefined;
  const key = fromNumber ?? fromName;
  return key === undefined ? err('order.order_number: missing (and order.name gives no order key)') : ok(key);
}

function normalizeOrder(order: ShopifyOrder, raw: RawRecord, rules: KeyRules): Result<CanonicalEvent[]> {
  const key = orderKeyOf(order, rules);
  if (!key.ok) return key;
  const createdAt = order.created_at ?? order.processed_at;
  if (!createdAt) return err('order.created_at: missing (and no processed_at)');
  // The version comes from updated_at only, so a retried older snapshot sorts below a newer one already applied.
  const updatedAt = order.updated_at ?? createdAt;
  const cancelledAt = order.cancelled_at ?? null;
  const version = sourceVersion(updatedAt, cancelledAt !== null ? RANK_CANCELLED : 0);

  // total_price is the creation-time total; current_total_price (after refunds and edits) is deliberately not read.
  const total = moneyAt('order.total_price', order.total_price, order.currency);
  if (!total.ok) return total;
  const presentment = order.total_price_set?.presentment_money;
  const presentmentTotal = presentment
    ? moneyAt('order.total_price_set.presentment_money', presentment.amount, presentment.currency_code)
    : total;
  if (!presentmentTotal.ok) return presentmentTotal;

  const lines = collect(
    order.line_items.map((l, i) => {
      const unitPrice = moneyAt(`order.line_items.${i}.price`, l.price, order.currency);
      if (!unitPrice.ok) return unitPrice;
      return ok({
        lineId: l.id,
        sku: skuOf(l.sku),
        quantity: l.quantity,
        unitPrice: unitPrice.value,
        requiresShipping: l.requires_shipping,
        giftCard: l.gift_card ?? false,
      });
    }),
  );
  if (!lines.ok) return lines;

  const orderEvent = checked(
    {
      id: raw.id,
      source: 'storefront',
      system: 'shopify',
      kind: 'order',
      refs: [orderRef(key.value), ref('shopify-order', order.id)],
      occurredAt: updatedAt,
      receivedAt: raw.receivedAt,
      data: {
        orderId: order.id,
        orderNumber: key.value,
        name: order.name ?? String(order.order_number ?? key.value),
        version,
        createdAt,
        cancelledAt,
        test: order.test ?? false,
        // A missing status reads as not paid (no check treats `unknown` as paid) rather than losing the order.
        financialStatus: order.financial_status ?? 'unknown',
        fulfillmentStatus: order.fulfillment_status ?? null,
        gateways: order.payment_gateway_names ?? [],
        total: total.value,
        presentmentTotal: presentmentTotal.value,
        lines: lines.value,
      },
    },
    raw.id,
  );

  // Embedded refunds: the refund as this snapshot saw it, versioned at the snapshot (never older than the
  // refund itself), so a later order snapshot showing a refund transaction settled replaces an earlier view.
  const skuByLine = new Map(order.line_items.map((l) => [l.id, skuOf(l.sku)] as const));
  const refunds = (order.refunds ?? []).map((r, i) =>
    refundEvent(r, raw, {
      id: `${raw.id}/refund:${r.id}`,
      field: `order.refunds.${i}`,
      orderId: order.id,
      orderKey: key.value,
      currency: order.presentment_currency ?? order.currency,
      observedAt: updatedAt,
      skuByLine,
    }),
  );
  return collect([orderEvent, ...refunds]);
}

const skuOf = (sku: string | null | undefined): string | null => {
  const s = sku?.trim();
  return s ? s : null;
};

type RefundContext = {
  readonly id: string;
  readonly field: string;
  readonly orderId?: string;
  readonly orderKey?: string;
  /** Currency of transactions that do not name one (the order's presentment currency, when embedded). */
  readonly currency?: string;
  /** The snapshot instant of the order the refund was embedded in. */
  readonly observedAt?: string;
  readonly skuByLine?: ReadonlyMap<string, string | null>;
};

function refundEvent(refund: ShopifyRefund, raw: RawRecord, c: RefundContext): Result<CanonicalEvent> {
  const orderId = refund.order_id ?? c.orderId;
  if (!orderId) return err(`${c.field}.order_id: missing`);
  const createdAt = refund.created_at ?? refund.processed_at;
  if (!createdAt) return err(`${c.field}.created_at: missing (and no processed_at)`);

  const cash = (refund.transactions ?? []).map((t, i) => ({ t, i })).filter(({ t }) => t.kind === 'refund' || t.kind == null);
  const transactions = collect(
    cash.map(({ t, i }) => {
      const currency = t.currency ?? c.currency;
      if (!currency) return err(`${c.field}.transactions.${i}.currency: missing`);
      const amount = moneyAt(`${c.field}.transactions.${i}.amount`, t.amount, currency);
      if (!amount.ok) return amount;
      return ok({ transactionId: t.id, status: t.status, gateway: t.gateway, amount: amount.value });
    }),
  );
  if (!transactions.ok) return transactions;

  const lines: { sku: string; quantity: number; restockType: string | null }[] = [];
  for (const l of refund.refund_line_items ?? []) {
    const sku = skuOf(l.line_item?.sku) ?? (l.line_item_id ? c.skuByLine?.get(l.line_item_id) : undefined) ?? null;
    if (sku !== null) lines.push({ sku, quantity: l.quantity, restockType: l.restock_type ?? null });
  }

  return checked(
    {
      id: c.id,
      source: 'storefront',
      system: 'shopify',
      kind: 'refund',
      refs: unique([
        ...(c.orderKey ? [orderRef(c.orderKey)] : []),
        ref('shopify-order', orderId),
        ...cash.flatMap(({ t }) => processorRefs(t.authorization, t.receipt)),
      ]),
      occurredAt: createdAt,
      receivedAt: raw.receivedAt,
      data: {
        refundId: refund.id,
        orderId,
        createdAt,
        version: sourceVersion(maxInstant(createdAt, c.observedAt) ?? createdAt),
        transactions: transactions.value,
        lines,
      },
    },
    c.id,
  );
}

function transactionEvent(t: ShopifyTransaction, raw: RawRecord, id: string): Result<CanonicalEvent[]> {
  const kind = t.kind ?? '';
  if (!TRANSACTION_KINDS.has(kind)) return ok([]);
  if (!t.order_id) return err('transaction.order_id: missing');
  if (!t.currency) return err('transaction.currency: missing');
  const at = t.processed_at ?? t.created_at;
  if (!at) return err('transaction.processed_at: missing (and no created_at)');
  const amount = moneyAt('transaction.amount', t.amount, t.currency);
  if (!amount.ok) return amount;
  const event = checked(
    {
      id,
      source: 'storefront',
      system: 'shopify',
      kind: 'transaction',
      refs: unique([ref('shopify-order', t.order_id), ...processorRefs(t.authorization, t.receipt)]),
      occurredAt: at,
      receivedAt: raw.receivedAt,
      data: {
        transactionId: t.id,
        orderId: t.order_id,
        kind,
        status: t.status,
        gateway: t.gateway,
        amount: amount.value,
        parentId: t.parent_id ?? null,
        processedAt: at,
        version: sourceVersion(at, t.status === 'pending' ? 0 : RANK_SETTLED),
      },
    },
    id,
  );
  return event.ok ? ok([event.value]) : event;
}

function fulfillmentEvent(f: z.output<typeof ShopifyFulfillmentSchema>, raw: RawRecord): Result<CanonicalEvent[]> {
  const at = f.updated_at ?? f.created_at;
  const trackingNumbers = unique(
    (f.tracking_numbers ?? (f.tracking_number ? [f.tracking_number] : [])).map((n) => n.trim()).filter((n) => n.length > 0),
  );
  const lines: { sku: string; quantity: number }[] = [];
  for (const l of f.line_items) {
    const sku = skuOf(l.sku);
    if (sku !== null) lines.push({ sku, quantity: l.quantity });
  }
  const event = checked(
    {
      id: raw.id,
      source: 'storefront',
      system: 'shopify',
      kind: 'fulfillment',
      refs: [ref('shopify-order', f.order_id)],
      occurredAt: at,
      receivedAt: raw.receivedAt,
      data: {
        fulfillmentId: f.id,
        orderId: f.order_id,
        status: f.status,
        createdAt: f.created_at,
        version: sourceVersion(at),
        trackingNumbers,
        lines,
      },
    },
    raw.id,
  );
  return event.ok ? ok([event.value]) : event;
}

function normalizeBody(raw: RawRecord, json: unknown, rules: KeyRules): Result<CanonicalEvent[]> {
  const topic = raw.topic ?? '';
  if (ORDER_TOPICS.has(topic)) {
    // orders/edited normally carries an `order_edit` (what changed), not the order; the orders/updated
    // Shopify sends with every edit carries the snapshot, so the edit itself adds nothing to reconcile.
    if (topic === 'orders/edited' && typeof json === 'object' && json !== null && 'order_edit' in json) return ok([]);
    const order = parseAs(ShopifyOrderSchema, json, 'order');
    return order.ok ? normalizeOrder(order.value, raw, rules) : order;
  }
  if (topic === 'refunds/create') {
    const refund = parseAs(ShopifyRefundSchema, json, 'refund');
    if (!refund.ok) return refund;
    const event = refundEvent(refund.value, raw, { id: raw.id, field: 'refund' });
    return event.ok ? ok([event.value]) : event;
  }
  if (topic === 'order_transactions/create') {
    const t = parseAs(ShopifyTransactionSchema, json, 'transaction');
    return t.ok ? transactionEvent(t.value, raw, raw.id) : t;
  }
  if (FULFILLMENT_TOPICS.has(topic)) {
    const f = parseAs(ShopifyFulfillmentSchema, json, 'fulfillment');
    return f.ok ? fulfillmentEvent(f.value, raw) : f;
  }
  return ok([]);
}

/** Shopify webhooks (HMAC-signed) and Admin orders exports, read as storefront events. */
export const shopifySource: SourceModule = {
  system: 'shopify',
  source: 'storefront',
  verify,
  fromDelivery,
  fromFeedItem,
  normalize(raw, ctx) {
    try {
      if (!raw.topic) return err('record has no topic: a Shopify body cannot be read without it');
      // Topics we do not reconcile are archived as they are; their bodies are not even parsed.
      if (!HANDLED_TOPICS.has(raw.topic)) return ok([]);
      let json: unknown;
      try {
        json = JSON.parse(raw.body);
      } catch (e) {
        return err(`body is not JSON: ${(e as Error).message}`);
      }
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return err(`body of ${raw.topic} is not a JSON object`);
      return normalizeBody(raw, json, ctx.keyRules);
    } catch (e) {
      return err(`cannot normalize ${raw.topic ?? 'record'} ${raw.id}: ${(e as Error).message}`);
    }
  },
};
