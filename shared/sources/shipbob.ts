// ShipBob (3PL): Standard Webhooks signature check, archived records, and Order / Shipment bodies as shipment events.
//
// What ShipBob sends (FORMATS §3): `order.shipped` carries the full Order (one shipment event per
// entry of `shipments[]`); `order.shipment.delivered|exception|on_hold|cancelled` carry one
// Shipment; the Logistics `order.shipment.tracking_received` carries only an order reference, a
// status and tracking. Legacy topic names (`order_shipped`, `shipment_delivered`…) map to the same.
//
// Order references (DESIGN §4: "a 3PL's reference_id usually carries the id, its order_number
// either"): after stripping the configured `logisticsReferencePrefixes`, a value of nine or more
// digits is read as a Shopify order id (`shopify-order:<id>`, an alias the Shopify order itself
// declares); anything else is an order number (`order:<normalizeOrderKey(value)>`). The same rule
// reads `reference_id` and `order_number`, because ShipBob defaults `order_number` to
// `reference_id`: a Shopify id must never become an order-number anchor. Every event also carries
// `shipbob-order:<ShipBob order id>` when the body names it, so bodies that lack a store reference
// still meet the order through another ShipBob body.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CanonicalEventSchema, sourceVersion, type CanonicalEvent, type ShipmentStatus, type SkuQuantity } from '../domain/events.ts';
import { canonicalInstant, instantFromUnixSeconds } from '../domain/instant.ts';
import { normalizeOrderKey, orderReference } from '../domain/refs.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import type { Delivery, NormalizeContext, SourceModule, VerifyResult } from './source.ts';

/** How far `webhook-timestamp` may be from now, either way (the Standard Webhooks libraries' replay window). */
export const SHIPBOB_TOLERANCE_SECONDS = 300;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

// ---- signature -------------------------------------------------------------------------

/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_` (or the whole secret), decoded. */
function signingKey(secret: string): Buffer {
  const s = secret.trim();
  return Buffer.from(s.startsWith('whsec_') ? s.slice('whsec_'.length) : s, 'base64');
}

const refuse = (reason: string): VerifyResult => ({ ok: false, reason });

/**
 * Checks a Standard Webhooks signature: HMAC-SHA256 of `id.timestamp.body` against every `v1,`
 * entry and every configured secret (rotation), in constant time; refuses timestamps more than
 * five minutes from `nowMs`, so a captured delivery cannot be replayed later.
 */
function verify(delivery: Delivery, secrets: readonly string[], nowMs: number): VerifyResult {
  const id = delivery.headers['webhook-id'];
  const timestamp = delivery.headers['webhook-timestamp'];
  const signature = delivery.headers['webhook-signature'];
  if (!id) return refuse('missing webhook-id header');
  if (!timestamp) return refuse('missing webhook-timestamp header');
  if (!signature) return refuse('missing webhook-signature header');
  if (!/^\d{1,12}$/.test(timestamp.trim())) return refuse('webhook-timestamp is not a Unix time in seconds');
  const skew = Math.abs(nowMs / 1000 - Number(timestamp.trim()));
  if (!(skew <= SHIPBOB_TOLERANCE_SECONDS)) return refuse(`webhook-timestamp is ${Math.round(skew)} s from now (tolerance ${SHIPBOB_TOLERANCE_SECONDS} s)`);
  const keys = secrets.map(signingKey).filter((k) => k.length > 0);
  if (keys.length === 0) return refuse('no ShipBob signing secret configured');
  const candidates: Buffer[] = [];
  for (const entry of signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma > 0 && entry.slice(0, comma) === 'v1') candidates.push(Buffer.from(entry.slice(comma + 1), 'base64'));
  }
  if (candidates.length === 0) return refuse('webhook-signature has no v1 signature');
  // The timestamp is signed exactly as sent; the body as the raw bytes received.
  const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), delivery.body]);
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(content).digest();
    for (const c of candidates) if (c.length === expected.length && timingSafeEqual(c, expected)) return { ok: true };
  }
  return refuse('signature does not match any configured secret');
}

/**
 * The `webhook-signature` value for a delivery, signed the Standard Webhooks way. For senders we
 * control (the demo generator); `verify` is its inverse.
 */
export function shipbobSignature(id: string, unixSeconds: number, body: Buffer | string, secret: string): string {
  const content = Buffer.concat([Buffer.from(`${id}.${Math.floor(unixSeconds)}.`, 'utf8'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]);
  return `v1,${createHmac('sha256', signingKey(secret)).update(content).digest('base64')}`;
}

// ---- raw records -----------------------------------------------------------------------

function fromDelivery(delivery: Delivery, receivedAt: string): Result<RawRecord> {
  const id = delivery.headers['webhook-id']?.trim();
  if (!id) return err('ShipBob delivery has no webhook-id header');
  const topic = (delivery.headers['x-webhook-topic'] ?? delivery.headers['shipbob-topic'])?.trim();
  if (!topic) return err('ShipBob delivery has no x-webhook-topic (or shipbob-topic) header');
  // The signature is useless once verified and would only leak into archives and logs.
  const headers = Object.fromEntries(Object.entries(delivery.headers).filter(([k]) => k !== 'webhook-signature'));
  return ok({ id: `shipbob:${id}`, system: 'shipbob', topic, receivedAt, headers, body: delivery.body.toString('utf8') });
}

/** JSON with object keys sorted, so a body's hash does not depend on how the file ordered its keys. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const statusWord = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase().replace(/[^a-z]/g, '') : '');

/**
 * The webhook topic a body from a feed file would have arrived under, read from its shape: an
 * Order (`shipments[]` and `products[]`, no top-level `tracking`) → `order.shipped`; a Logistics
 * tracking body (`event_time` + `tracking`, no `id`) → `order.shipment.tracking_received`; a
 * Shipment (`tracking`, or `order_id` with `products[].inventory_items`) → the topic of its state
 * (cancelled, exception, on hold, delivered when it has a `delivery_date`, else `order.shipped`);
 * a tracking snapshot (`shipment_id` + a tracking number) → `order.shipment.tracking.updated`.
 */
export function inferShipbobTopic(body: Obj): Result<string> {
  const products = body['products'];
  if (Array.isArray(body['shipments']) && Array.isArray(products) && body['tracking'] === undefined) return ok('order.shipped');
  if (body['event_time'] !== undefined && isObj(body['tracking']) && body['id'] === undefined) return ok('order.shipment.tracking_received');
  const picked = Array.isArray(products) && products.some((p) => isObj(p) && Array.isArray(p['inventory_items']));
  if (isObj(body['tracking']) || (body['order_id'] !== undefined && picked)) {
    const status = statusWord(body['status']);
    if (status === 'cancelled' || status === 'canceled' || status === 'cleansweeped') return ok('order.shipment.cancelled');
    if (status === 'exception') return ok('order.shipment.exception');
    if (status === 'onhold') return ok('order.shipment.on_hold');
    if (status === 'delivered' || (body['delivery_date'] !== undefined && body['delivery_date'] !== null)) return ok('order.shipment.delivered');
    return ok('order.shipped');
  }
  if (body['shipment_id'] !== undefined && (body['tracking_id'] !== undefined || body['carrier_tracking_number'] !== undefined)) {
    return ok('order.shipment.tracking.updated');
  }
  return err('not a ShipBob Order, Shipment or tracking body (expected shipments[] and products[], or tracking / order_id with products[].inventory_items)');
}

function fromFeedItem(item: unknown, feed: string, receivedAt: string): Result<RawRecord> {
  if (feed !== 'bodies') return err(`shipbob has no feed ${JSON.stringify(feed)} (expected bodies: ShipBob webhook bodies as a JSON array or NDJSON)`);
  if (!isObj(item)) return err('a ShipBob feed item must be a JSON object (an Order, Shipment or tracking body)');
  const topic = inferShipbobTopic(item);
  if (!topic.ok) return topic;
  const hash = createHash('sha256').update(canonicalJson(item)).digest('hex');
  return ok({ id: `shipbob-feed:${hash}`, system: 'shipbob', topic: topic.value, receivedAt, headers: {}, body: JSON.stringify(item) });
}

// ---- reading fields --------------------------------------------------------------------

/** Collects every problem of a body with the path of its field, so one error lists them all. */
class Fields {
  readonly problems: string[] = [];

  problem(path: string, message: string): undefined {
    this.problems.push(`${path}: ${message}`);
    return undefined;
  }

  /** A trimmed non-empty string (numbers are written in decimal), or undefined when absent. */
  text(o: Obj | undefined, key: string, path: string): string | undefined {
    const v = o?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v !== 'string') return this.problem(path + key, `expected a string, got ${JSON.stringify(v)}`);
    const t = v.trim();
    return t === '' ? undefined : t;
  }

  /** A ShipBob id (an integer or a non-empty string) as a string. */
  id(o: Obj | undefined, key: string, path: string): string | undefined {
    const v = o?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : this.problem(path + key, `not an integer id: ${v}`);
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    return this.problem(path + key, `expected an id, got ${JSON.stringify(v)}`);
  }

  /** A canonical instant from an ISO 8601 date-time with a zone, or a date alone (midnight UTC). */
  instant(o: Obj | undefined, key: string, path: string): string | undefined {
    const t = this.text(o, key, path);
    if (t === undefined) return undefined;
    return readInstant(t) ?? this.problem(path + key, `not an ISO 8601 instant with a time zone or a YYYY-MM-DD date: ${JSON.stringify(t)}`);
  }

  /** A non-negative integer quantity. */
  quantity(o: Obj, key: string, path: string): number | undefined {
    const v = o[key];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    return this.problem(path + key, `expected a non-negative whole quantity, got ${JSON.stringify(v)}`);
  }
}

/** Whether Y-M-D names a real calendar day (`Date.parse` quietly rolls 2024-02-30 into March). */
function realDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

function readInstant(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(T.*)?$/.exec(text);
  if (!m || !realDate(m[1] ?? '', m[2] ?? '', m[3] ?? '')) return undefined;
  return m[4] === undefined ? `${text}T00:00:00.000Z` : canonicalInstant(text);
}

// ---- statuses, references, lines -------------------------------------------------------

/** ShipBob shipment statuses and carrier tracking statuses, squashed to lower-case letters. */
const STATUS_WORDS = new Map<string, ShipmentStatus>([
  ['none', 'pending'],
  ['processing', 'pending'],
  ['pending', 'pending'],
  ['importreview', 'pending'],
  ['labeledcreated', 'pending'],
  ['labelcreated', 'pending'],
  ['completed', 'shipped'],
  ['shipped', 'shipped'],
  ['intransit', 'shipped'],
  ['outfordelivery', 'shipped'],
  ['delivered', 'delivered'],
  ['exception', 'exception'],
  ['onhold', 'on_hold'],
  ['cancelled', 'cancelled'],
  ['canceled', 'cancelled'],
  // Clean Sweep closes a shipment that never left; for reconciliation that is a cancellation.
  ['cleansweeped', 'cancelled'],
]);

/** Snapshots of one shipment sharing an instant: the later lifecycle state wins. */
const STATUS_RANK: Readonly<Record<ShipmentStatus, number>> = { pending: 1, on_hold: 2, exception: 3, shipped: 4, delivered: 5, cancelled: 6 };

type TopicKind = 'shipped' | 'delivered' | 'exception' | 'on_hold' | 'cancelled' | 'tracking';

const TOPICS = new Map<string, TopicKind>([
  ['order.shipped', 'shipped'],
  ['order_shipped', 'shipped'],
  ['order.shipment.delivered', 'delivered'],
  ['shipment_delivered', 'delivered'],
  ['order.shipment.exception', 'exception'],
  ['shipment_exception', 'exception'],
  ['order.shipment.on_hold', 'on_hold'],
  ['shipment_onhold', 'on_hold'],
  ['order.shipment.cancelled', 'cancelled'],
  ['shipment_cancelled', 'cancelled'],
  ['order.shipment.tracking_received', 'tracking'],
  ['order.shipment.tracking.updated', 'tracking'],
]);

/**
 * The status of a shipment in a body. A shipment topic decides alone. `order.shipped` says the
 * order shipped, but an Order body lists every shipment of the order, so a shipment whose own
 * status says otherwise keeps it: Cancelled, Exception and OnHold always; a not-yet-shipped status
 * (None, Processing, LabeledCreated…) only while nothing shows it leaving (no fulfilment date,
 * shipping date or tracking number). Tracking bodies have only their status.
 */
function statusOf(kind: TopicKind, s: Obj, leftEvidence: boolean, path: string, f: Fields): ShipmentStatus | undefined {
  if (kind !== 'shipped' && kind !== 'tracking') return kind;
  const word = statusWord(s['status']);
  const mapped = STATUS_WORDS.get(word);
  if (kind === 'tracking') {
    if (word === '') return 'pending';
    return mapped ?? f.problem(`${path}status`, `unknown ShipBob tracking status ${JSON.stringify(s['status'])}`);
  }
  if (mapped === 'cancelled' || mapped === 'exception' || mapped === 'on_hold' || mapped === 'delivered') return mapped;
  if (mapped === 'pending' && !leftEvidence) return 'pending';
  return 'shipped';
}

function stripPrefix(value: string, prefixes: readonly string[], caseSensitive: boolean): string {
  const fold = (s: string) => (caseSensitive ? s : s.toUpperCase());
  const longestFirst = [...prefixes].filter((p) => p.length > 0).sort((a, b) => b.length - a.length);
  for (const p of longestFirst) if (fold(value).startsWith(fold(p))) return value.slice(p.length).trim();
  return value;
}

/** The reference a 3PL order reference stands for (see the module header for the heuristic). */
export function logisticsOrderRef(value: string, ctx: NormalizeContext): string | undefined {
  return orderReference(stripPrefix(value.trim(), ctx.logisticsReferencePrefixes, ctx.keyRules.caseSensitive), ctx.keyRules);
}

/**
 * Shipped quantities per SKU: the sum of `inventory_items[].quantity` (what was picked), or the
 * product's `quantity` when it lists no inventory items; a SKU listed twice is summed. A product
 * without `sku` falls back to its `reference_id` (the merchant's product reference, FORMATS §7).
 */
function linesOf(products: unknown, path: string, f: Fields): SkuQuantity[] {
  if (products === undefined || products === null) return [];
  if (!Array.isArray(products)) return f.problem(`${path}products`, 'expected an array') ?? [];
  const totals = new Map<string, number>();
  products.forEach((p, i) => {
    const at = `${path}products[${i}].`;
    if (!isObj(p)) return f.problem(`${path}products[${i}]`, 'expected an object');
    const sku = f.text(p, 'sku', at) ?? f.text(p, 'reference_id', at);
    const items = p['inventory_items'];
    let quantity: number | undefined;
    if (Array.isArray(items) && items.length > 0) {
      quantity = 0;
      items.forEach((item, j) => {
        const q = isObj(item) ? f.quantity(item, 'quantity', `${at}inventory_items[${j}].`) : f.problem(`${at}inventory_items[${j}]`, 'expected an object');
        quantity = q === undefined || quantity === undefined ? undefined : quantity + q;
      });
    } else if (p['quantity'] !== undefined && p['quantity'] !== null) {
      quantity = f.quantity(p, 'quantity', at);
    } else if (Array.isArray(items)) {
      quantity = 0;
    } else {
      f.problem(`${path}products[${i}]`, 'has neither inventory_items nor quantity');
    }
    if (sku === undefined) return f.problem(`${at}sku`, 'missing (and no reference_id)');
    if (quantity !== undefined) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  });
  return [...totals].map(([sku, quantity]) => ({ sku, quantity }));
}

const upperOrNull = (s: string | undefined): string | null => (s === undefined ? null : s.toUpperCase());

// ---- events ----------------------------------------------------------------------------

/** What a body says about the order behind it (an Order's fields win over its shipments'). */
type OrderContext = { readonly reference?: string; readonly orderNumber?: string; readonly shipbobOrderId?: string };

/** A shipment event before its id is known (an Order body with several shipments suffixes them). */
type Draft = Omit<Extract<CanonicalEvent, { kind: 'shipment' }>, 'id'> & { readonly path: string };

function refsFor(shipmentRefs: readonly string[], order: OrderContext, ctx: NormalizeContext): string[] {
  const refs = [...shipmentRefs];
  for (const value of [order.reference, order.orderNumber]) {
    const r = value === undefined ? undefined : logisticsOrderRef(value, ctx);
    if (r !== undefined) refs.push(r);
  }
  if (order.shipbobOrderId !== undefined) refs.push(`shipbob-order:${order.shipbobOrderId}`);
  return [...new Set(refs)];
}

/** The instant of the delivery itself, when nothing in the body dates it. */
function fallbackInstant(raw: RawRecord): string | undefined {
  const ts = raw.headers['webhook-timestamp']?.trim();
  if (ts !== undefined && /^\d{1,12}$/.test(ts)) return instantFromUnixSeconds(Number(ts));
  return canonicalInstant(raw.receivedAt);
}

function shipmentDraft(s: Obj, path: string, kind: TopicKind, parent: OrderContext, raw: RawRecord, ctx: NormalizeContext, f: Fields): Draft | undefined {
  const shipmentId = f.id(s, 'id', path) ?? f.problem(`${path}id`, 'missing shipment id');
  const trackingValue = s['tracking'];
  if (trackingValue !== undefined && trackingValue !== null && !isObj(trackingValue)) f.problem(`${path}tracking`, 'expected an object');
  const tracking = isObj(trackingValue) ? trackingValue : undefined;
  const trackingPath = `${path}tracking.`;
  const fulfilledAt = f.instant(s, 'actual_fulfillment_date', path);
  const shippingDate = f.instant(tracking, 'shipping_date', trackingPath);
  const deliveryDate = f.instant(s, 'delivery_date', path);
  const lastUpdate = f.instant(s, 'last_update_at', path);
  const trackingNumber = f.text(tracking, 'tracking_number', trackingPath);
  const carrier = f.text(tracking, 'carrier', trackingPath);
  const left = fulfilledAt !== undefined || shippingDate !== undefined || trackingNumber !== undefined;
  const status = statusOf(kind, s, left, path, f);
  const lines = linesOf(s['products'], path, f);
  const order: OrderContext = {
    reference: parent.reference ?? f.text(s, 'reference_id', path),
    orderNumber: parent.orderNumber,
    shipbobOrderId: parent.shipbobOrderId ?? f.id(s, 'order_id', path),
  };
  const topicInstant = kind === 'delivered' ? (deliveryDate ?? fulfilledAt ?? shippingDate) : kind === 'shipped' ? (fulfilledAt ?? shippingDate) : undefined;
  const at = lastUpdate ?? topicInstant ?? fallbackInstant(raw);
  if (shipmentId === undefined || status === undefined) return undefined;
  if (at === undefined) return f.problem(`${path}last_update_at`, 'missing, and the delivery has no usable timestamp');
  // Dates say when a parcel left and arrived only for a shipment that did.
  const moved = status === 'shipped' || status === 'delivered' || status === 'exception';
  return {
    path,
    source: 'logistics',
    system: 'shipbob',
    kind: 'shipment',
    refs: refsFor([`shipment:shipbob:${shipmentId}`], order, ctx),
    occurredAt: at,
    receivedAt: raw.receivedAt,
    data: {
      shipmentId,
      orderRef: order.reference ?? order.orderNumber ?? null,
      status,
      shippedAt: moved ? (fulfilledAt ?? shippingDate ?? null) : null,
      deliveredAt: moved ? (deliveryDate ?? null) : null,
      carrier: carrier ?? null,
      trackingNumber: upperOrNull(trackingNumber),
      lines,
      version: sourceVersion(at, STATUS_RANK[status]),
    },
  };
}

/**
 * A tracking-only body (Logistics `tracking_received`, or a tracking snapshot) names a parcel,
 * not a ShipBob shipment, and lists no products. It becomes its own shipment object keyed by the
 * tracking number (`tracking-<number>`): keyed by the ShipBob shipment id, this line-less snapshot
 * would replace the full one (snapshots merge newest-wins) and erase its shipped quantities.
 * The ShipBob shipment id, when present, is still a reference, so it lands with its order.
 */
function trackingDraft(body: Obj, raw: RawRecord, ctx: NormalizeContext, f: Fields): Draft | undefined {
  const tracking = isObj(body['tracking']) ? body['tracking'] : body;
  const trackingPath = tracking === body ? '' : 'tracking.';
  const number =
    f.text(tracking, 'tracking_number', trackingPath) ?? f.text(tracking, 'carrier_tracking_number', trackingPath) ?? f.text(tracking, 'tracking_id', trackingPath);
  const carrier = f.text(tracking, 'carrier', trackingPath);
  const shipbobShipmentId = f.id(body, 'shipment_id', '');
  const status = statusOf('tracking', body, false, '', f);
  const at = f.instant(body, 'event_time', '') ?? f.instant(body, 'last_updated', '') ?? fallbackInstant(raw);
  const order: OrderContext = { reference: f.text(body, 'reference_id', ''), shipbobOrderId: f.id(body, 'order_id', '') };
  if (number === undefined) return f.problem(`${trackingPath}tracking_id`, 'missing tracking number');
  if (status === undefined) return undefined;
  if (at === undefined) return f.problem('event_time', 'missing, and the delivery has no usable timestamp');
  const shipmentId = `tracking-${number.toUpperCase()}`;
  const shipmentRefs = [`shipment:shipbob:${shipmentId}`, ...(shipbobShipmentId === undefined ? [] : [`shipment:shipbob:${shipbobShipmentId}`])];
  return {
    path: '',
    source: 'logistics',
    system: 'shipbob',
    kind: 'shipment',
    refs: refsFor(shipmentRefs, order, ctx),
    occurredAt: at,
    receivedAt: raw.receivedAt,
    data: {
      shipmentId,
      orderRef: order.reference ?? null,
      status,
      shippedAt: null,
      deliveredAt: null,
      carrier: carrier ?? null,
      trackingNumber: number.toUpperCase(),
      lines: [],
      version: sourceVersion(at, STATUS_RANK[status]),
    },
  };
}

function draftsOf(kind: TopicKind, body: Obj, raw: RawRecord, ctx: NormalizeContext, f: Fields): (Draft | undefined)[] {
  if (kind === 'tracking') return [trackingDraft(body, raw, ctx, f)];
  const shipments = body['shipments'];
  if (shipments !== undefined && shipments !== null) {
    // An Order body: ShipBob documents it for order.shipped only; a shipment topic names one shipment.
    if (kind !== 'shipped') return [f.problem('shipments', `an Order body under a shipment topic (${raw.topic}); expected one Shipment`)];
    if (!Array.isArray(shipments)) return [f.problem('shipments', 'expected an array')];
    const parent: OrderContext = {
      reference: f.text(body, 'reference_id', ''),
      orderNumber: f.text(body, 'order_number', ''),
      shipbobOrderId: f.id(body, 'id', ''),
    };
    return shipments.map((s, i) =>
      isObj(s) ? shipmentDraft(s, `shipments[${i}].`, kind, parent, raw, ctx, f) : f.problem(`shipments[${i}]`, 'expected an object'),
    );
  }
  // A Shipment body (also accepted under order.shipped: docs disagree on its granularity).
  return [shipmentDraft(body, '', kind, {}, raw, ctx, f)];
}

function normalizeRecord(raw: RawRecord, ctx: NormalizeContext): Result<CanonicalEvent[]> {
  if (raw.topic === null || raw.topic.trim() === '') return err('ShipBob record has no topic');
  const kind = TOPICS.get(raw.topic.trim());
  // Returns, billing and the other topics say nothing the checks read.
  if (kind === undefined) return ok([]);
  let body: unknown;
  try {
    body = JSON.parse(raw.body);
  } catch (e) {
    return err(`ShipBob ${raw.topic} body is not JSON: ${(e as Error).message}`);
  }
  if (!isObj(body)) return err(`ShipBob ${raw.topic} body must be a JSON object`);
  const f = new Fields();
  const drafts = draftsOf(kind, body, raw, ctx, f);
  if (f.problems.length > 0) return err(...f.problems.map((p) => `ShipBob ${raw.topic}: ${p}`));
  const ready = drafts.filter((d): d is Draft => d !== undefined);
  const ids = ready.map((d) => d.data.shipmentId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) return err(`ShipBob ${raw.topic}: shipment ${dup} is listed twice`);
  const events: CanonicalEvent[] = [];
  const problems: string[] = [];
  for (const { path, ...draft } of ready) {
    const id = ready.length === 1 ? raw.id : `${raw.id}/shipment:${draft.data.shipmentId}`;
    const parsed = CanonicalEventSchema.safeParse({ id, ...draft });
    if (parsed.success) events.push(parsed.data);
    else for (const i of parsed.error.issues) problems.push(`ShipBob ${raw.topic}: ${path}${i.path.join('.') || '(event)'}: ${i.message}`);
  }
  return problems.length > 0 ? err(...problems) : ok(events);
}

/** ShipBob, the 3PL: Standard Webhooks deliveries and feed files of webhook bodies, as `shipment` events. */
export const shipbobSource: SourceModule = {
  system: 'shipbob',
  source: 'logistics',
  verify,
  fromDelivery,
  fromFeedItem,
  normalize(raw, ctx) {
    try {
      return normalizeRecord(raw, ctx);
    } catch (e) {
      return err(`ShipBob ${raw.topic ?? '(no topic)'}: cannot normalize: ${(e as Error).message}`);
    }
  },
};
