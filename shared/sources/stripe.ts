// Stripe as the processor source: `Stripe-Signature` checks, archived records of events and payout report rows, and normalization (FORMATS §2).
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  CanonicalEventSchema,
  PaymentRefundSchema,
  PayoutSchema,
  sourceVersion,
  type CanonicalEvent,
  type Charge,
  type Dispute,
  type PaymentIntent,
  type PaymentRefund,
  type Payout,
  type PayoutLine,
  type Settlement,
} from '../domain/events.ts';
import { canonicalInstant, instantFromUnixSeconds } from '../domain/instant.ts';
import { parseMinorUnits, parseMoney } from '../domain/money.ts';
import { normalizeOrderKey, orderRef, ref } from '../domain/refs.ts';
import { err, ok, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import type { Delivery, NormalizeContext, SourceModule, VerifyResult } from './source.ts';

const SYSTEM = 'stripe';

/** How far (either way) a signature's `t=` may be from now, as the official libraries default. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The raw-record topic of one row of the itemized payout reconciliation report. */
export const PAYOUT_RECONCILIATION_TOPIC = 'payout_reconciliation.itemized';

// ---- signature ---------------------------------------------------------------------------

/** The `v1` signature Stripe would send for this body at unix second `t`: lower-case hex HMAC-SHA256 of `t.body`. */
function v1Signature(t: number, body: Buffer | string, secret: string): string {
  // The signed bytes are the raw body exactly as received, so the body is hashed as bytes, never re-encoded.
  return createHmac('sha256', secret).update(`${t}.`, 'utf8').update(body).digest('hex');
}

/**
 * A `Stripe-Signature` header value for a body, signed exactly as Stripe signs it (`t=…,v1=…`).
 * For senders we control (the demo generator, recorded fixtures); tests cross-check it with the official library.
 */
export function stripeSignatureHeader(body: Buffer | string, secret: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${v1Signature(t, body, secret)}`;
}

type SignatureHeader = { readonly t: number; readonly v1: readonly string[] };

// Reads `t=<unix s>` and every `v1=<hex>`; `v0=` and unknown items are ignored, as Stripe's libraries do.
function parseSignatureHeader(header: string): SignatureHeader | string {
  let t: number | undefined;
  const v1: string[] = [];
  for (const item of header.split(',')) {
    const i = item.indexOf('=');
    if (i < 0) continue;
    const key = item.slice(0, i).trim();
    const value = item.slice(i + 1).trim();
    if (key === 't') {
      if (t !== undefined) return 'malformed Stripe-Signature header: more than one t= item';
      if (!/^\d{1,12}$/.test(value)) return 'malformed Stripe-Signature header: t= is not a unix timestamp';
      t = Number(value);
    } else if (key === 'v1' && value !== '') {
      v1.push(value);
    }
  }
  if (t === undefined) return 'malformed Stripe-Signature header: no t= timestamp';
  if (v1.length === 0) return 'malformed Stripe-Signature header: no v1= signature';
  return { t, v1 };
}

const refuse = (reason: string): VerifyResult => ({ ok: false, reason });

function verify(delivery: Delivery, secrets: readonly string[], nowMs: number): VerifyResult {
  const header = delivery.headers['stripe-signature'];
  if (header === undefined || header.trim() === '') return refuse('missing Stripe-Signature header');
  const active = secrets.filter((s) => s.trim() !== '');
  if (active.length === 0) return refuse('no Stripe webhook signing secret is configured');
  const parsed = parseSignatureHeader(header);
  if (typeof parsed === 'string') return refuse(parsed);

  const given = parsed.v1.map((s) => Buffer.from(s, 'utf8'));
  let matched = false;
  // Every secret is tried (several are active while one is being rolled), and every v1 against each.
  for (const secret of active) {
    const expected = Buffer.from(v1Signature(parsed.t, delivery.body, secret), 'utf8');
    for (const g of given) if (g.length === expected.length && timingSafeEqual(g, expected)) matched = true;
  }
  if (!matched) return refuse('no v1 signature matches the body for any configured Stripe secret');

  const age = Math.floor(nowMs / 1000) - parsed.t;
  if (!Number.isFinite(age) || Math.abs(age) > STRIPE_SIGNATURE_TOLERANCE_SECONDS) {
    return refuse(`signature timestamp is ${Math.abs(age)} s ${age >= 0 ? 'old' : 'in the future'}, outside the ${STRIPE_SIGNATURE_TOLERANCE_SECONDS} s tolerance`);
  }
  return { ok: true };
}

// ---- raw records -------------------------------------------------------------------------

// Credentials and signatures never go into the archive with a payload.
const SECRET_HEADERS = new Set(['stripe-signature', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

const keptHeaders = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => !SECRET_HEADERS.has(k.toLowerCase())));

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The id and type of a Stripe Event, read just far enough to name its record. */
function eventHead(json: unknown): Result<{ id: string; type: string }> {
  if (!isObject(json)) return err('not a Stripe event: expected a JSON object');
  const { id, type } = json;
  if (typeof id !== 'string' || id.trim() === '') return err('not a Stripe event: no id');
  if (typeof type !== 'string' || type.trim() === '') return err(`Stripe event ${id} has no type`);
  return ok({ id, type });
}

function parseJson(text: string): Result<unknown> {
  try {
    return ok(JSON.parse(text));
  } catch (e) {
    return err(`not JSON: ${(e as Error).message}`);
  }
}

function eventRecord(json: unknown, body: string, headers: Record<string, string>, receivedAt: string): Result<RawRecord> {
  const head = eventHead(json);
  if (!head.ok) return head;
  return ok({ id: `stripe:${head.value.id}`, system: SYSTEM, topic: head.value.type, receivedAt, headers, body });
}

function fromDelivery(delivery: Delivery, receivedAt: string): Result<RawRecord> {
  const body = delivery.body.toString('utf8');
  const json = parseJson(body);
  if (!json.ok) return json;
  return eventRecord(json.value, body, keptHeaders(delivery.headers), receivedAt);
}

function fromFeedItem(item: unknown, feed: string, receivedAt: string): Result<RawRecord> {
  switch (feed) {
    // `bodies` is accepted too: a Stripe webhook body is an Event, so both name the same shape.
    case 'events':
    case 'bodies': {
      const json = typeof item === 'string' ? parseJson(item) : ok(item);
      if (!json.ok) return json;
      return eventRecord(json.value, typeof item === 'string' ? item : JSON.stringify(item), {}, receivedAt);
    }
    case 'payout-reconciliation-csv': {
      if (!isObject(item)) return err('a payout reconciliation row must be a record of columns');
      const id = item['balance_transaction_id'];
      if (typeof id !== 'string' || id.trim() === '') return err('payout reconciliation row has no balance_transaction_id');
      return ok({ id: `stripe-report:${id.trim()}`, system: SYSTEM, topic: PAYOUT_RECONCILIATION_TOPIC, receivedAt, headers: {}, body: JSON.stringify(item) });
    }
    default:
      return err(`Stripe has no feed ${JSON.stringify(feed)} (expected events or payout-reconciliation-csv)`);
  }
}

// ---- reading payload fields --------------------------------------------------------------

/** A field the payload does not have in the shape we need; caught once in `normalize` and returned as an error. */
class Unreadable extends Error {}

type Obj = Readonly<Record<string, unknown>>;

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function asObj(v: unknown, path: string): Obj {
  if (!isObject(v)) throw new Unreadable(`${path}: expected an object, got ${show(v)}`);
  return v;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new Unreadable(`${path}.${key}: expected a non-empty string, got ${show(v)}`);
  return v;
}

function optStr(o: Obj, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Unreadable(`${path}.${key}: expected a string or null, got ${show(v)}`);
  return v;
}

function int(o: Obj, key: string, path: string, fallback?: number): number {
  const v = o[key];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Unreadable(`${path}.${key}: expected an integer, got ${show(v)}`);
  return v;
}

function bool(o: Obj, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new Unreadable(`${path}.${key}: expected true or false, got ${show(v)}`);
  return v;
}

const unix = (o: Obj, key: string, path: string): string => instantFromUnixSeconds(int(o, key, path));

function optUnix(o: Obj, key: string, path: string): string | null {
  const v = o[key];
  return v === undefined || v === null ? null : unix(o, key, path);
}

/** An expandable field: Stripe sends either the id or the whole object. */
function idOf(o: Obj, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v === '' ? null : v;
  return str(asObj(v, `${path}.${key}`), 'id', `${path}.${key}`);
}

function minor(o: Obj, key: string, currency: string, path: string) {
  const r = parseMinorUnits(int(o, key, path), currency);
  if (!r.ok) throw new Unreadable(`${path}.${key}: ${r.errors.join('; ')}`);
  return r.value;
}

/** Metadata as Stripe defines it: string values only (anything else is dropped, not guessed at). */
function metadataOf(o: Obj): Record<string, string> {
  const m = o['metadata'];
  if (!isObject(m)) return {};
  return Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * The order key named by the first configured metadata key that holds one. Only the first counts:
 * a second key (often the storefront's numeric id under `order_id`) would be a second, wrong anchor.
 */
function orderKeyIn(lookup: (key: string) => string | undefined, ctx: NormalizeContext): string | undefined {
  for (const k of ctx.metadataKeys) {
    const v = lookup(k);
    if (v === undefined || v.trim() === '') continue;
    const key = normalizeOrderKey(v, ctx.keyRules);
    if (key !== undefined) return key;
  }
  return undefined;
}

function expectObject(o: Obj, kind: string, path: string): void {
  const v = o['object'];
  if (v !== undefined && v !== kind) throw new Unreadable(`${path}.object: expected a ${kind}, got ${show(v)}`);
}

// ---- version ranks -----------------------------------------------------------------------
// A rank orders snapshots of one object taken within the same second (the event's `created`).
// Unknown statuses rank 0 (below every known one) rather than failing the event.

const INTENT_RANK: Readonly<Record<string, number>> = {
  requires_payment_method: 1,
  requires_confirmation: 2,
  requires_action: 2,
  requires_capture: 3,
  processing: 4,
  succeeded: 6,
  canceled: 7,
};

/** Charges rank by what the snapshot shows: pending 1 < failed 2 < authorized 3 < captured 4 < refunded 5. */
function chargeRank(c: Charge): number {
  if (c.amountRefunded > 0) return 5;
  if (c.captured) return 4;
  if (c.status === 'succeeded') return 3;
  if (c.status === 'failed') return 2;
  return 1;
}

const REFUND_RANK: Readonly<Record<string, number>> = { pending: 1, requires_action: 2, succeeded: 3, failed: 4, canceled: 4 };

const DISPUTE_RANK: Readonly<Record<string, number>> = {
  warning_needs_response: 1,
  needs_response: 1,
  warning_under_review: 2,
  under_review: 2,
  warning_closed: 5,
  won: 5,
  lost: 5,
  prevented: 5,
  charge_refunded: 5,
};

const PAYOUT_RANK: Readonly<Record<string, number>> = { pending: 1, in_transit: 2, paid: 3, failed: 4, canceled: 4 };

const rankOf = (table: Readonly<Record<string, number>>, status: string): number => table[status] ?? 0;

// ---- event objects -----------------------------------------------------------------------

/** What one Stripe Event gives every canonical event made from it. */
type EventFrame = {
  readonly evtId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly livemode: boolean | undefined;
  readonly ctx: NormalizeContext;
};

function envelope(f: EventFrame, suffix?: string) {
  return {
    id: suffix === undefined ? `stripe:${f.evtId}` : `stripe:${f.evtId}/${suffix}`,
    source: 'processor' as const,
    system: SYSTEM,
    occurredAt: f.occurredAt,
    receivedAt: f.receivedAt,
  };
}

const unique = (xs: readonly string[]): string[] => [...new Set(xs)];

/** When a charge's capture happened, as far as this snapshot can tell. */
type CaptureClock = 'event' | 'created-if-captured' | 'unknown';

type ChargeSeen = { readonly charge: Charge; readonly paymentId: string; readonly refs: string[]; readonly refunds: CanonicalEvent[] };

/**
 * A charge snapshot, its payment, its references, and the refunds it embeds (as their own events).
 * `owner` is the PaymentIntent that embeds the charge, when it came inside one.
 */
function readCharge(v: unknown, path: string, clock: CaptureClock, f: EventFrame, owner?: string): ChargeSeen {
  const o = asObj(v, path);
  expectObject(o, 'charge', path);
  const chargeId = str(o, 'id', path);
  const currency = str(o, 'currency', path);
  const amount = minor(o, 'amount', currency, path);
  const captured = bool(o, 'captured', path, false);
  const createdAt = unix(o, 'created', path);
  const charge: Charge = {
    chargeId,
    amount,
    // Older API versions have no amount_captured; a captured charge then captured its whole amount.
    amountCaptured: int(o, 'amount_captured', path, captured ? amount.amount : 0),
    amountRefunded: int(o, 'amount_refunded', path, 0),
    captured,
    status: str(o, 'status', path),
    createdAt,
    capturedAt: !captured ? null : clock === 'event' ? f.occurredAt : clock === 'created-if-captured' ? createdAt : null,
    disputed: bool(o, 'disputed', path, false),
    balanceTransactionId: idOf(o, 'balance_transaction', path),
  };
  // A charge without a PaymentIntent is a payment of its own.
  const intentId = owner ?? idOf(o, 'payment_intent', path);
  const paymentId = intentId ?? chargeId;
  const metadata = metadataOf(o);
  const orderKey = orderKeyIn((k) => metadata[k], f.ctx);
  const refs = unique([ref('payment', paymentId), ref('charge', chargeId), ...(orderKey === undefined ? [] : [orderRef(orderKey)])]);

  const refunds: CanonicalEvent[] = [];
  const list = o['refunds'];
  if (isObject(list) && Array.isArray(list['data'])) {
    list['data'].forEach((r, i) => {
      refunds.push(readRefund(r, `${path}.refunds.data.${i}`, f, { paymentId: intentId, chargeId, refs }, true));
    });
  }
  return { charge, paymentId, refs, refunds };
}

function readRefund(
  v: unknown,
  path: string,
  f: EventFrame,
  parent: { paymentId: string | null; chargeId: string | null; refs: readonly string[] },
  embedded: boolean,
): CanonicalEvent {
  const o = asObj(v, path);
  expectObject(o, 'refund', path);
  const refundId = str(o, 'id', path);
  const currency = str(o, 'currency', path);
  const status = str(o, 'status', path);
  const statuses: readonly string[] = PaymentRefundSchema.shape.status.options;
  if (!statuses.includes(status)) throw new Unreadable(`${path}.status: unknown refund status ${show(status)}`);
  const data: PaymentRefund = {
    refundId,
    paymentId: idOf(o, 'payment_intent', path) ?? parent.paymentId,
    chargeId: idOf(o, 'charge', path) ?? parent.chargeId,
    amount: minor(o, 'amount', currency, path),
    status: status as PaymentRefund['status'],
    createdAt: unix(o, 'created', path),
    version: sourceVersion(f.occurredAt, rankOf(REFUND_RANK, status)),
  };
  // A refund routes with its payment: through the PaymentIntent or the charge it took money back from.
  const refs = unique([
    ref('payment-refund', refundId),
    ...(data.paymentId === null ? [] : [ref('payment', data.paymentId)]),
    ...(data.chargeId === null ? [] : [ref('charge', data.chargeId)]),
    ...parent.refs,
  ]);
  return { ...envelope(f, embedded ? `refund:${refundId}` : undefined), kind: 'payment_refund', refs, data };
}

function paymentIntentEvents(object: unknown, f: EventFrame): CanonicalEvent[] {
  const path = 'data.object';
  const o = asObj(object, path);
  expectObject(o, 'payment_intent', path);
  const paymentId = str(o, 'id', path);
  const currency = str(o, 'currency', path);
  const metadata = metadataOf(o);
  const status = str(o, 'status', path);
  const captureMethod = optStr(o, 'capture_method', path) ?? 'automatic';
  const intent: PaymentIntent = {
    status,
    amount: minor(o, 'amount', currency, path),
    amountReceived: int(o, 'amount_received', path, 0),
    amountCapturable: int(o, 'amount_capturable', path, 0),
    captureMethod,
    createdAt: unix(o, 'created', path),
    canceledAt: optUnix(o, 'canceled_at', path),
    metadata,
    livemode: bool(o, 'livemode', path, f.livemode ?? true),
  };
  const orderKey = orderKeyIn((k) => metadata[k], f.ctx);
  const refs: string[] = [ref('payment', paymentId), ...(orderKey === undefined ? [] : [orderRef(orderKey)])];

  // Charges the intent embeds: `charges.data` (API versions before 2022-11-15) or an expanded `latest_charge`.
  const embedded: [unknown, string][] = [];
  const list = o['charges'];
  if (isObject(list) && Array.isArray(list['data'])) list['data'].forEach((c, i) => embedded.push([c, `${path}.charges.data.${i}`]));
  const latest = o['latest_charge'];
  if (typeof latest === 'string' && latest !== '') refs.push(ref('charge', latest));
  else if (isObject(latest)) embedded.push([latest, `${path}.latest_charge`]);

  // With automatic capture a captured charge was captured when it was created; with manual capture the intent cannot tell.
  const clock: CaptureClock = captureMethod === 'manual' ? 'unknown' : 'created-if-captured';
  const charges = new Map<string, Charge>();
  const refunds: CanonicalEvent[] = [];
  for (const [c, p] of embedded) {
    const seen = readCharge(c, p, clock, f, paymentId);
    if (charges.has(seen.charge.chargeId)) continue;
    charges.set(seen.charge.chargeId, seen.charge);
    refs.push(...seen.refs);
    refunds.push(...seen.refunds);
  }
  const version = sourceVersion(f.occurredAt, rankOf(INTENT_RANK, status));
  const payment: CanonicalEvent = {
    ...envelope(f),
    kind: 'payment',
    refs: unique(refs),
    data: { paymentId, version, intent, charges: [...charges.values()] },
  };
  return [payment, ...refunds];
}

function chargeEvents(object: unknown, f: EventFrame): CanonicalEvent[] {
  const clock: CaptureClock = f.type === 'charge.captured' ? 'event' : f.type === 'charge.succeeded' ? 'created-if-captured' : 'unknown';
  const seen = readCharge(object, 'data.object', clock, f);
  const payment: CanonicalEvent = {
    ...envelope(f),
    kind: 'payment',
    refs: seen.refs,
    data: { paymentId: seen.paymentId, version: sourceVersion(f.occurredAt, chargeRank(seen.charge)), intent: null, charges: [seen.charge] },
  };
  return [payment, ...seen.refunds];
}

function refundEvents(object: unknown, f: EventFrame): CanonicalEvent[] {
  return [readRefund(object, 'data.object', f, { paymentId: null, chargeId: null, refs: [] }, false)];
}

function disputeEvents(object: unknown, f: EventFrame): CanonicalEvent[] {
  const path = 'data.object';
  const o = asObj(object, path);
  expectObject(o, 'dispute', path);
  const disputeId = str(o, 'id', path);
  const currency = str(o, 'currency', path);
  const status = str(o, 'status', path);
  const data: Dispute = {
    disputeId,
    paymentId: idOf(o, 'payment_intent', path),
    chargeId: idOf(o, 'charge', path),
    amount: minor(o, 'amount', currency, path),
    status,
    reason: optStr(o, 'reason', path) ?? 'unknown',
    createdAt: unix(o, 'created', path),
    version: sourceVersion(f.occurredAt, rankOf(DISPUTE_RANK, status)),
  };
  const refs = unique([
    ref('dispute', disputeId),
    ...(data.paymentId === null ? [] : [ref('payment', data.paymentId)]),
    ...(data.chargeId === null ? [] : [ref('charge', data.chargeId)]),
  ]);
  return [{ ...envelope(f), kind: 'dispute', refs, data }];
}

type PayoutStatus = NonNullable<Payout['snapshot']>['status'];

function payoutEvents(object: unknown, f: EventFrame): CanonicalEvent[] {
  const path = 'data.object';
  const o = asObj(object, path);
  expectObject(o, 'payout', path);
  const payoutId = str(o, 'id', path);
  const currency = str(o, 'currency', path);
  const status = str(o, 'status', path);
  const statuses: readonly string[] = PayoutSchema.shape.snapshot.unwrap().shape.status.options;
  if (!statuses.includes(status)) throw new Unreadable(`${path}.status: unknown payout status ${show(status)}`);
  const data: Payout = {
    payoutId,
    version: sourceVersion(f.occurredAt, rankOf(PAYOUT_RANK, status)),
    snapshot: {
      status: status as PayoutStatus,
      amount: minor(o, 'amount', currency, path),
      arrivalDate: unix(o, 'arrival_date', path),
      automatic: bool(o, 'automatic', path, false),
    },
    lines: [],
  };
  return [{ ...envelope(f), kind: 'payout', refs: [ref('payout', payoutId)], data }];
}

/** Canonical events of one Stripe Event; types reconciliation does not read give none. */
function eventEvents(raw: RawRecord, ctx: NormalizeContext): CanonicalEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(raw.body);
  } catch (e) {
    throw new Unreadable(`not JSON: ${(e as Error).message}`);
  }
  const evt = asObj(json, 'event');
  const evtId = str(evt, 'id', 'event');
  const type = str(evt, 'type', 'event');
  const f: EventFrame = {
    evtId,
    type,
    // Versions come from when Stripe created the event, never from when it reached us: retries arrive late and out of order.
    occurredAt: unix(evt, 'created', 'event'),
    receivedAt: raw.receivedAt,
    livemode: typeof evt['livemode'] === 'boolean' ? evt['livemode'] : undefined,
    ctx,
  };
  const object = () => asObj(evt['data'], 'data')['object'];
  if (type.startsWith('payment_intent.')) return paymentIntentEvents(object(), f);
  if (type === 'charge.refund.updated' || type.startsWith('refund.')) return refundEvents(object(), f);
  if (type.startsWith('charge.dispute.')) return disputeEvents(object(), f);
  if (/^charge\.[a-z_]+$/.test(type)) return chargeEvents(object(), f);
  if (type.startsWith('payout.')) return payoutEvents(object(), f);
  return [];
}

// ---- payout reconciliation report rows ---------------------------------------------------

/**
 * A report timestamp: `YYYY-MM-DD HH:MM:SS` (read as UTC: the `_utc` columns are, and the others are
 * in the report run's `timezone`, UTC unless one was asked for), a zoned ISO instant, or unix seconds.
 */
function reportInstant(text: string, column: string): string | undefined {
  if (text === '') return undefined;
  if (/^\d{9,12}$/.test(text)) return instantFromUnixSeconds(Number(text));
  const naive = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/.exec(text);
  const instant = canonicalInstant(naive ? `${naive[1]}T${naive[2]}Z` : text.replace(' ', 'T'));
  if (instant === undefined) throw new Unreadable(`${column}: not a date-time: ${show(text)}`);
  return instant;
}

/** One itemized payout reconciliation row: the settlement of a payment (when it names one) and a line of its payout. */
function reportRowEvents(raw: RawRecord, ctx: NormalizeContext): CanonicalEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(raw.body);
  } catch (e) {
    throw new Unreadable(`not JSON: ${(e as Error).message}`);
  }
  const row = asObj(json, 'row');
  const cell = (column: string): string => {
    const v = row[column];
    if (v === undefined || v === null) return '';
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    throw new Unreadable(`${column}: expected text, got ${show(v)}`);
  };
  const required = (column: string): string => {
    const v = cell(column);
    if (v === '') throw new Unreadable(`${column}: missing (the report must be run with this column)`);
    return v;
  };
  const balanceTransactionId = required('balance_transaction_id');
  const payoutId = required('automatic_payout_id');
  const rawCurrency = required('currency');
  // Report amounts are major-unit decimals with their sign as Stripe gives it (fees positive when charged).
  const amount = (column: string) => {
    const r = parseMoney(required(column), rawCurrency);
    if (!r.ok) throw new Unreadable(`${column}: ${r.errors.join('; ')}`);
    return r.value;
  };
  const gross = amount('gross');
  const fee = amount('fee');
  const net = amount('net');
  const sourceId = cell('source_id') || null;
  const line: PayoutLine = {
    balanceTransactionId,
    category: required('reporting_category'),
    sourceId,
    currency: gross.currency,
    gross: gross.amount,
    fee: fee.amount,
    net: net.amount,
  };
  const firstInstant = (...columns: string[]) => {
    for (const c of columns) {
      const at = reportInstant(cell(c), c);
      if (at !== undefined) return at;
    }
    return undefined;
  };
  const effectiveAt = firstInstant('automatic_payout_effective_at_utc', 'automatic_payout_effective_at') ?? null;
  // A row without any time (a report run without those columns) still settles; it is dated when it arrived.
  const occurredAt = firstInstant('created_utc', 'created') ?? effectiveAt ?? raw.receivedAt;
  const base = { source: 'processor' as const, system: SYSTEM, occurredAt, receivedAt: raw.receivedAt };
  const id = `stripe-report:${balanceTransactionId}`;

  const events: CanonicalEvent[] = [];
  const paymentId = cell('payment_intent_id') || null;
  const chargeId = cell('charge_id') || (sourceId !== null && /^(ch|py)_/.test(sourceId) ? sourceId : null);
  if (paymentId !== null || chargeId !== null) {
    const orderKey = orderKeyIn((k) => cell(`payment_metadata[${k}]`) || undefined, ctx);
    // No payout reference here: one payout spans many orders, and sharing it would alias them together.
    const refs = unique([
      ...(paymentId === null ? [] : [ref('payment', paymentId)]),
      ...(chargeId === null ? [] : [ref('charge', chargeId)]),
      ...(orderKey === undefined ? [] : [orderRef(orderKey)]),
    ]);
    const data: Settlement = { ...line, payoutId, paymentId, chargeId, effectiveAt };
    events.push({ ...base, id, kind: 'settlement', refs, data });
  }
  const payout: Payout = { payoutId, version: sourceVersion(occurredAt), snapshot: null, lines: [line] };
  events.push({ ...base, id: `${id}/payout`, kind: 'payout', refs: [ref('payout', payoutId)], data: payout });
  return events;
}

// ---- the module --------------------------------------------------------------------------

/** Every event checked against the canonical schema; a failure names the event, the field and why. */
function validated(drafts: readonly CanonicalEvent[]): Result<CanonicalEvent[]> {
  const out: CanonicalEvent[] = [];
  const errors: string[] = [];
  for (const d of drafts) {
    const parsed = CanonicalEventSchema.safeParse(d);
    if (parsed.success) out.push(parsed.data);
    else errors.push(...parsed.error.issues.map((i) => `${d.id} (${d.kind}) ${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return errors.length > 0 ? err(...errors) : ok(out);
}

function normalize(raw: RawRecord, ctx: NormalizeContext): Result<CanonicalEvent[]> {
  try {
    return validated(raw.topic === PAYOUT_RECONCILIATION_TOPIC ? reportRowEvents(raw, ctx) : eventEvents(raw, ctx));
  } catch (e) {
    if (e instanceof Unreadable) return err(e.message);
    return err(`cannot normalize Stripe record ${raw.id}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Stripe, the payment processor: verifies `Stripe-Signature` (any active secret, 300 s tolerance),
 * archives events (`stripe:evt_…`) and payout reconciliation rows (`stripe-report:txn_…`), and
 * normalizes payment intents, charges, refunds, disputes, payouts and settlements; other event types give no events.
 */
export const stripeSource: SourceModule = {
  system: SYSTEM,
  source: 'processor',
  verify,
  fromDelivery,
  fromFeedItem,
  normalize,
};
