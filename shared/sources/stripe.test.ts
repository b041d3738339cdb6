import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { CanonicalEventSchema, type CanonicalEvent, type EventOfKind } from '../domain/events.ts';
import { instantFromUnixSeconds } from '../domain/instant.ts';
import { orderFacts } from '../domain/order-facts.ts';
import { applyAll } from '../domain/routing.ts';
import { unwrap, type Result } from '../domain/result.ts';
import type { RawRecord } from '../ports/archive.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type Delivery, type NormalizeContext } from './source.ts';
import { stripeSignatureHeader, stripeSource } from './stripe.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/real/stripe/', import.meta.url));
const RECEIVED = '2026-11-20T12:00:00.000Z';
const stripe = new Stripe('sk_test_x');

// ---- helpers ------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** A Stripe Event envelope around an object, as a webhook would carry it. */
function event(type: string, object: Json, o: { id?: string; created?: number; livemode?: boolean } = {}): Json {
  return {
    id: o.id ?? `evt_${type.replaceAll('.', '_')}`,
    object: 'event',
    api_version: '2024-06-20',
    created: o.created ?? 1_763_640_000,
    data: { object },
    livemode: o.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

const recordOf = (evt: Json): RawRecord => unwrap(stripeSource.fromFeedItem?.(evt, 'events', RECEIVED) ?? { ok: false, errors: ['no feed support'] });

/** Normalizes an event and checks every result against the canonical schema. */
function normalizeEvent(evt: Json, ctx: NormalizeContext = DEFAULT_NORMALIZE_CONTEXT): Result<CanonicalEvent[]> {
  const result = stripeSource.normalize(recordOf(evt), ctx);
  if (result.ok) for (const e of result.value) expect(CanonicalEventSchema.safeParse(e).success).toBe(true);
  return result;
}

const events = (evt: Json, ctx?: NormalizeContext) => unwrap(normalizeEvent(evt, ctx));

function only<K extends CanonicalEvent['kind']>(evts: CanonicalEvent[], kind: K): EventOfKind<K> {
  const found = evts.filter((e) => e.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as EventOfKind<K>;
}

const T = (unix: number) => instantFromUnixSeconds(unix);

function pi(o: Partial<Json> = {}): Json {
  return {
    id: 'pi_3Q1',
    object: 'payment_intent',
    amount: 5000,
    amount_capturable: 0,
    amount_received: 5000,
    capture_method: 'automatic',
    created: 1_763_639_000,
    canceled_at: null,
    currency: 'usd',
    latest_charge: 'ch_3Q1',
    livemode: true,
    metadata: {},
    status: 'succeeded',
    ...o,
  };
}

function charge(o: Partial<Json> = {}): Json {
  return {
    id: 'ch_3Q1',
    object: 'charge',
    amount: 5000,
    amount_captured: 5000,
    amount_refunded: 0,
    balance_transaction: 'txn_3Q1',
    captured: true,
    created: 1_763_639_010,
    currency: 'usd',
    disputed: false,
    livemode: true,
    metadata: {},
    paid: true,
    payment_intent: 'pi_3Q1',
    refunded: false,
    status: 'succeeded',
    ...o,
  };
}

function refund(o: Partial<Json> = {}): Json {
  return {
    id: 're_3Q1',
    object: 'refund',
    amount: 1500,
    balance_transaction: 'txn_re1',
    charge: 'ch_3Q1',
    created: 1_763_650_000,
    currency: 'usd',
    metadata: {},
    payment_intent: 'pi_3Q1',
    reason: 'requested_by_customer',
    status: 'succeeded',
    ...o,
  };
}

// ---- signatures ---------------------------------------------------------------------------

describe('verify (Stripe-Signature)', () => {
  const secret = 'whsec_test_secret_1';
  const payload = JSON.stringify(event('payment_intent.succeeded', pi()));
  const now = 1_763_640_000;
  const nowMs = now * 1000 + 250;
  const delivery = (header: string | undefined, body = payload): Delivery => ({
    headers: header === undefined ? { 'content-type': 'application/json' } : { 'stripe-signature': header, 'content-type': 'application/json' },
    body: Buffer.from(body, 'utf8'),
  });
  const official = (o: { payload?: string; secret?: string; timestamp?: number } = {}) =>
    stripe.webhooks.generateTestHeaderString({ payload: o.payload ?? payload, secret: o.secret ?? secret, timestamp: o.timestamp ?? now });
  const verify = (header: string | undefined, secrets: string[] = [secret], at = nowMs, body = payload) =>
    stripeSource.verify?.(delivery(header, body), secrets, at);

  it('accepts a header made by the official stripe library', () => {
    expect(verify(official())).toEqual({ ok: true });
  });

  it('accepts a body with multi-byte characters, signed over its exact bytes', () => {
    const body = JSON.stringify(event('charge.updated', charge({ description: 'Crème brûlée — 東京' })));
    expect(verify(official({ payload: body }), [secret], nowMs, body)).toEqual({ ok: true });
  });

  it('our own signer agrees with the official library (used by senders we control)', () => {
    expect(stripeSignatureHeader(payload, secret, now)).toBe(official());
    expect(stripeSignatureHeader(Buffer.from(payload), secret, now + 0.9)).toBe(official());
  });

  it('refuses a tampered body', () => {
    const r = verify(official(), [secret], nowMs, payload.replace('5000', '5001'));
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/no v1 signature matches/) });
  });

  it('refuses a wrong secret, and never echoes the secret or the expected signature', () => {
    const header = official({ secret: 'whsec_someone_else' });
    const r = verify(header, [secret]);
    expect(r?.ok).toBe(false);
    const reason = r && !r.ok ? r.reason : '';
    expect(reason).not.toContain(secret);
    const expected = /v1=([0-9a-f]+)/.exec(official())?.[1] as string;
    expect(reason).not.toContain(expected);
  });

  it('refuses a timestamp 301 s old or 301 s in the future, naming the tolerance; 300 s is still fine', () => {
    for (const t of [now - 301, now + 301]) {
      const r = verify(official({ timestamp: t }));
      expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('300 s tolerance') });
    }
    expect(verify(official({ timestamp: now - 300 }))).toEqual({ ok: true });
    expect(verify(official({ timestamp: now + 300 }))).toEqual({ ok: true });
  });

  it('accepts two v1 values where only the second matches', () => {
    const good = /v1=([0-9a-f]+)/.exec(official())?.[1] as string;
    const bad = /v1=([0-9a-f]+)/.exec(official({ secret: 'whsec_old' }))?.[1] as string;
    expect(verify(`t=${now},v1=${bad},v1=${good}`)).toEqual({ ok: true });
  });

  it('accepts when only the second of two configured secrets matches (rotation)', () => {
    expect(verify(official(), ['whsec_retired', secret])).toEqual({ ok: true });
    expect(verify(official(), ['', '  ', secret])).toEqual({ ok: true });
  });

  it('refuses a missing header, a missing secret and malformed headers', () => {
    expect(verify(undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/missing Stripe-Signature/) });
    expect(verify(official(), [])).toMatchObject({ ok: false, reason: expect.stringMatching(/no Stripe webhook signing secret/) });
    expect(verify(official(), [''])).toMatchObject({ ok: false, reason: expect.stringMatching(/no Stripe webhook signing secret/) });
    const sig = /v1=([0-9a-f]+)/.exec(official())?.[1] as string;
    for (const header of [`v1=${sig}`, `t=abc,v1=${sig}`, `t=${now}`, `t=${now},t=${now},v1=${sig}`, 'garbage', '']) {
      expect(verify(header)?.ok).toBe(false);
    }
  });

  it('ignores v0 and unknown items, and never accepts a v0 signature on its own', () => {
    const sig = /v1=([0-9a-f]+)/.exec(official())?.[1] as string;
    expect(verify(`t=${now},v0=deadbeef,v1=${sig},x=1`)).toEqual({ ok: true });
    expect(verify(`t=${now},v0=${sig}`)).toMatchObject({ ok: false });
    // A signature of the right length but not hex, and an upper-cased one: neither is what Stripe sends.
    expect(verify(`t=${now},v1=${'z'.repeat(64)}`)).toMatchObject({ ok: false });
    expect(verify(`t=${now},v1=${sig.toUpperCase()}`)).toMatchObject({ ok: false });
  });
});

// ---- raw records --------------------------------------------------------------------------

describe('raw records', () => {
  const body = JSON.stringify(event('charge.refunded', charge(), { id: 'evt_1R' }));

  it('a delivery becomes stripe:<evt id> with its type as topic and no signature header kept', () => {
    const r = stripeSource.fromDelivery?.(
      { headers: { 'stripe-signature': 't=1,v1=ab', 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0' }, body: Buffer.from(body) },
      RECEIVED,
    );
    expect(r).toEqual({
      ok: true,
      value: {
        id: 'stripe:evt_1R',
        system: 'stripe',
        topic: 'charge.refunded',
        receivedAt: RECEIVED,
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0' },
        body,
      },
    });
  });

  it('an unreadable delivery is an error result (the caller quarantines it under a content hash)', () => {
    for (const bad of ['not json', '', '[]', 'null', '{"type":"charge.refunded"}', '{"id":"evt_1"}', '{"id":"","type":"x"}']) {
      const r = stripeSource.fromDelivery?.({ headers: {}, body: Buffer.from(bad) }, RECEIVED);
      expect(r?.ok).toBe(false);
    }
  });

  it('an event-list or NDJSON item becomes the same record as a delivery', () => {
    const item = JSON.parse(body) as Json;
    expect(stripeSource.fromFeedItem?.(item, 'events', RECEIVED)).toMatchObject({ ok: true, value: { id: 'stripe:evt_1R', topic: 'charge.refunded', headers: {} } });
    expect(stripeSource.fromFeedItem?.(body, 'events', RECEIVED)).toMatchObject({ ok: true, value: { id: 'stripe:evt_1R', body } });
    expect(stripeSource.fromFeedItem?.({ object: 'charge' }, 'events', RECEIVED)?.ok).toBe(false);
    expect(stripeSource.fromFeedItem?.(item, 'orders-export', RECEIVED)?.ok).toBe(false);
  });
});

// ---- published fixtures -------------------------------------------------------------------

/** The event type a bare object fixture is wrapped in (how Stripe would deliver that object). */
const WRAP: Readonly<Record<string, string>> = {
  payment_intent: 'payment_intent.succeeded',
  charge: 'charge.succeeded',
  refund: 'refund.created',
  dispute: 'charge.dispute.created',
  payout: 'payout.paid',
  // Real event types whose objects reconciliation does not read: the report file itself arrives as a feed.
  'reporting.report_run': 'reporting.report_run.succeeded',
  'reporting.report_type': 'reporting.report_type.updated',
};

/** Fixtures no Stripe event carries, with the reason they are not normalized as events. */
const SKIPPED: Readonly<Record<string, string>> = {
  openapi_fixture_balance_transaction:
    'no Stripe event carries a balance transaction; its facts reach us as itemized payout reconciliation rows (stripe-payouts.test.ts builds one from this fixture)',
};

const PLACEHOLDER = T(1_234_567_890);

/** What each fixture must normalize to: exactly the fields the checks read. */
const EXPECTED: Readonly<Record<string, (evts: CanonicalEvent[]) => void>> = {
  docs_event_object_example_setup_intent_created: (evts) => expect(evts).toEqual([]),
  openapi_fixture_event: (evts) => expect(evts).toEqual([]), // plan.created
  openapi_fixture_reporting_report_run: (evts) => expect(evts).toEqual([]),
  openapi_fixture_reporting_report_type: (evts) => expect(evts).toEqual([]),
  openapi_fixture_payment_intent: (evts) => {
    expect(evts).toHaveLength(1);
    const p = only(evts, 'payment');
    expect(p).toMatchObject({ id: 'stripe:evt_fixture_openapi_fixture_payment_intent', source: 'processor', system: 'stripe', occurredAt: PLACEHOLDER, receivedAt: RECEIVED });
    expect(p.refs).toEqual(['payment:pi_1PgafyB7WZ01zgkWSjxsAJo3']);
    expect(p.data).toEqual({
      paymentId: 'pi_1PgafyB7WZ01zgkWSjxsAJo3',
      version: `${PLACEHOLDER}#0001`,
      intent: {
        status: 'requires_payment_method',
        amount: { amount: 1099, currency: 'USD' },
        amountReceived: 0,
        amountCapturable: 0,
        captureMethod: 'automatic',
        createdAt: PLACEHOLDER,
        canceledAt: PLACEHOLDER,
        metadata: {},
        livemode: false,
      },
      charges: [],
    });
  },
  openapi_fixture_charge: (evts) => {
    // No payment_intent: the charge stands alone as its own payment. Its refunds list is empty.
    expect(evts).toHaveLength(1);
    const p = only(evts, 'payment');
    expect(p.refs).toEqual(['payment:ch_1PgafuB7WZ01zgkWXYmPNZs8', 'charge:ch_1PgafuB7WZ01zgkWXYmPNZs8']);
    expect(p.data).toEqual({
      paymentId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      version: `${PLACEHOLDER}#0003`,
      intent: null,
      charges: [
        {
          chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
          amount: { amount: 100, currency: 'USD' },
          amountCaptured: 0,
          amountRefunded: 0,
          captured: false,
          status: 'succeeded',
          createdAt: PLACEHOLDER,
          capturedAt: null,
          disputed: false,
          balanceTransactionId: 'txn_1PgaxNB7WZ01zgkWEV3TLf40',
        },
      ],
    });
  },
  openapi_fixture_refund: (evts) => {
    const r = only(evts, 'payment_refund');
    expect(r.id).toBe('stripe:evt_fixture_openapi_fixture_refund');
    expect(r.refs).toEqual(['payment-refund:re_1Pgc72B7WZ01zgkWqPvrRrPE', 'charge:ch_1PgafuB7WZ01zgkWXYmPNZs8']);
    expect(r.data).toEqual({
      refundId: 're_1Pgc72B7WZ01zgkWqPvrRrPE',
      paymentId: null,
      chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      amount: { amount: 100, currency: 'USD' },
      status: 'succeeded',
      createdAt: PLACEHOLDER,
      version: `${PLACEHOLDER}#0003`,
    });
  },
  openapi_fixture_dispute: (evts) => {
    const d = only(evts, 'dispute');
    expect(d.refs).toEqual(['dispute:dp_1Pgc71B7WZ01zgkWMevJiAUx', 'charge:ch_1PgafuB7WZ01zgkWXYmPNZs8']);
    expect(d.data).toEqual({
      disputeId: 'dp_1Pgc71B7WZ01zgkWMevJiAUx',
      paymentId: null,
      chargeId: 'ch_1PgafuB7WZ01zgkWXYmPNZs8',
      amount: { amount: 1000, currency: 'USD' },
      status: 'warning_needs_response',
      reason: 'general',
      createdAt: PLACEHOLDER,
      version: `${PLACEHOLDER}#0001`,
    });
  },
  openapi_fixture_payout: (evts) => {
    const p = only(evts, 'payout');
    expect(p.refs).toEqual(['payout:po_1Pgc79B7WZ01zgkWu1KToYf4']);
    expect(p.data).toEqual({
      payoutId: 'po_1Pgc79B7WZ01zgkWu1KToYf4',
      version: `${PLACEHOLDER}#0002`,
      snapshot: { status: 'in_transit', amount: { amount: 1100, currency: 'USD' }, arrivalDate: PLACEHOLDER, automatic: true },
      lines: [],
    });
  },
};

describe('published Stripe fixtures', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();

  it('finds the fixtures, and every one has an expectation or a written reason to skip', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) expect(EXPECTED[basename(f, '.json')] ?? SKIPPED[basename(f, '.json')], f).toBeDefined();
  });

  for (const file of files) {
    const name = basename(file, '.json');
    const skip = SKIPPED[name];
    if (skip !== undefined) {
      it.skip(`${file}: ${skip}`, () => {});
      continue;
    }
    it(`${file} normalizes with the fields the checks need`, () => {
      const json = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Json;
      const type = WRAP[json['object'] as string];
      const evt = json['object'] === 'event' ? json : type === undefined ? undefined : event(type, json, { id: `evt_fixture_${name}`, created: json['created'] as number });
      expect(evt, `no event type to wrap a ${String(json['object'])} in`).toBeDefined();
      const check = EXPECTED[name];
      expect(check).toBeDefined();
      check?.(events(evt as Json));
    });
  }
});

// ---- behaviour ----------------------------------------------------------------------------

describe('payment intents', () => {
  it('a succeeded intent names its order from metadata, normalized (#80213 → 80213), and references its latest charge', () => {
    const p = only(events(event('payment_intent.succeeded', pi({ metadata: { order_number: '#80213', note: 'gift' } }))), 'payment');
    expect(p.refs).toEqual(['payment:pi_3Q1', 'order:80213', 'charge:ch_3Q1']);
    expect(p.data.intent).toMatchObject({ status: 'succeeded', amount: { amount: 5000, currency: 'USD' }, amountReceived: 5000, livemode: true });
    expect(p.data.charges).toEqual([]);
    expect(p.data.version).toBe(`${T(1_763_640_000)}#0006`);
  });

  it('takes the first configured metadata key that holds an order, with the configured key rules', () => {
    const ctx: NormalizeContext = { ...DEFAULT_NORMALIZE_CONTEXT, metadataKeys: ['shop_order', 'order_id'], keyRules: { stripPrefixes: ['SO-'], stripSuffixes: [], caseSensitive: false } };
    const p = only(events(event('payment_intent.succeeded', pi({ metadata: { order_id: '450789469', shop_order: 'so-1001' } })), ctx), 'payment');
    expect(p.refs.filter((r) => r.startsWith('order:'))).toEqual(['order:1001']);
    const none = only(events(event('payment_intent.succeeded', pi({ metadata: { order_number: '  ' } }))), 'payment');
    expect(none.refs.filter((r) => r.startsWith('order:'))).toEqual([]);
  });

  it('keeps metadata string values only', () => {
    const p = only(events(event('payment_intent.created', pi({ status: 'requires_payment_method', metadata: { a: 'x', b: 7, c: null } }))), 'payment');
    expect(p.data.intent?.metadata).toEqual({ a: 'x' });
  });

  it('JPY (zero-decimal) amounts stay whole', () => {
    const p = only(events(event('payment_intent.succeeded', pi({ currency: 'jpy', amount: 5000, amount_received: 5000 }))), 'payment');
    expect(p.data.intent?.amount).toEqual({ amount: 5000, currency: 'JPY' });
    expect(p.data.intent?.amountReceived).toBe(5000);
  });

  it('includes charges the intent embeds (charges.data of older API versions, or an expanded latest_charge), once each', () => {
    const ch = charge({ refunds: { object: 'list', data: [refund()] } });
    const p = events(event('payment_intent.succeeded', pi({ latest_charge: ch, charges: { object: 'list', data: [ch] } }), { id: 'evt_old' }));
    const payment = only(p, 'payment');
    expect(payment.data.charges.map((c) => c.chargeId)).toEqual(['ch_3Q1']);
    // Automatic capture: the charge was captured when it was created.
    expect(payment.data.charges[0]?.capturedAt).toBe(T(1_763_639_010));
    expect(payment.refs).toEqual(['payment:pi_3Q1', 'charge:ch_3Q1']);
    const r = only(p, 'payment_refund');
    expect(r.id).toBe('stripe:evt_old/refund:re_3Q1');
  });

  it('a manual-capture intent awaiting capture shows what the checks read for auth_expiring', () => {
    const p = only(
      events(event('payment_intent.amount_capturable_updated', pi({ status: 'requires_capture', capture_method: 'manual', amount_received: 0, amount_capturable: 5000 }))),
      'payment',
    );
    expect(p.data.intent).toMatchObject({ status: 'requires_capture', captureMethod: 'manual', amountCapturable: 5000, amountReceived: 0 });
    expect(p.data.version.endsWith('#0003')).toBe(true);
  });
});

describe('charges', () => {
  it('a charge without a PaymentIntent stands alone as payment:ch_…', () => {
    const p = only(events(event('charge.succeeded', charge({ id: 'ch_solo', payment_intent: null }))), 'payment');
    expect(p.data.paymentId).toBe('ch_solo');
    expect(p.refs).toEqual(['payment:ch_solo', 'charge:ch_solo']);
  });

  it('charge.succeeded created captured: captured at creation; charge.captured: captured when the event happened', () => {
    const created = only(events(event('charge.succeeded', charge())), 'payment').data.charges[0];
    expect(created).toMatchObject({ captured: true, amountCaptured: 5000, capturedAt: T(1_763_639_010) });
    const auth = only(events(event('charge.succeeded', charge({ captured: false, amount_captured: 0 }))), 'payment').data.charges[0];
    expect(auth).toMatchObject({ captured: false, amountCaptured: 0, capturedAt: null });
    const cap = only(events(event('charge.captured', charge(), { created: 1_763_700_000 })), 'payment');
    expect(cap.data.charges[0]?.capturedAt).toBe(T(1_763_700_000));
    expect(cap.data.version).toBe(`${T(1_763_700_000)}#0004`);
    // An update of a captured charge cannot tell when it was captured: left to the merge.
    expect(only(events(event('charge.updated', charge())), 'payment').data.charges[0]?.capturedAt).toBeNull();
  });

  it('an older charge without amount_captured captured its whole amount when captured', () => {
    const c = only(events(event('charge.succeeded', charge({ amount_captured: undefined }))), 'payment').data.charges[0];
    expect(c?.amountCaptured).toBe(5000);
    const a = only(events(event('charge.succeeded', charge({ amount_captured: undefined, captured: false }))), 'payment').data.charges[0];
    expect(a?.amountCaptured).toBe(0);
  });

  it('charge.refunded carries the refunded amount and one payment_refund per embedded refund', () => {
    const evts = events(
      event('charge.refunded', charge({ amount_refunded: 2000, refunds: { object: 'list', data: [refund(), refund({ id: 're_3Q2', amount: 500, status: 'pending' })] } }), { id: 'evt_rf' }),
    );
    expect(evts.map((e) => e.id)).toEqual(['stripe:evt_rf', 'stripe:evt_rf/refund:re_3Q1', 'stripe:evt_rf/refund:re_3Q2']);
    const p = only(evts, 'payment');
    expect(p.data.charges[0]).toMatchObject({ amountRefunded: 2000, captured: true });
    expect(p.data.version.endsWith('#0005')).toBe(true);
    const refunds = evts.filter((e): e is EventOfKind<'payment_refund'> => e.kind === 'payment_refund');
    expect(refunds.map((r) => [r.data.refundId, r.data.amount.amount, r.data.status, r.data.paymentId, r.data.chargeId])).toEqual([
      ['re_3Q1', 1500, 'succeeded', 'pi_3Q1', 'ch_3Q1'],
      ['re_3Q2', 500, 'pending', 'pi_3Q1', 'ch_3Q1'],
    ]);
    expect(refunds[0]?.refs).toEqual(expect.arrayContaining(['payment-refund:re_3Q1', 'payment:pi_3Q1', 'charge:ch_3Q1']));
  });

  it('an order key in charge metadata is read too', () => {
    const p = only(events(event('charge.succeeded', charge({ metadata: { order: '#80213' } }))), 'payment');
    expect(p.refs).toContain('order:80213');
  });

  it('a disputed charge and an expanded balance transaction', () => {
    const c = only(events(event('charge.updated', charge({ disputed: true, balance_transaction: { id: 'txn_x', object: 'balance_transaction' } }))), 'payment').data.charges[0];
    expect(c).toMatchObject({ disputed: true, balanceTransactionId: 'txn_x' });
  });
});

describe('refunds and disputes', () => {
  it('refund.* and charge.refund.updated become payment_refund events routed with their payment', () => {
    for (const type of ['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated']) {
      const status = type === 'refund.failed' ? 'failed' : 'succeeded';
      const r = only(events(event(type, refund({ status }))), 'payment_refund');
      expect(r.data).toMatchObject({ refundId: 're_3Q1', paymentId: 'pi_3Q1', chargeId: 'ch_3Q1', amount: { amount: 1500, currency: 'USD' }, status });
      expect(r.refs).toEqual(['payment-refund:re_3Q1', 'payment:pi_3Q1', 'charge:ch_3Q1']);
    }
  });

  it('an unknown refund status is an error naming the field', () => {
    const r = normalizeEvent(event('refund.updated', refund({ status: 'teleported' })));
    expect(r).toMatchObject({ ok: false, errors: [expect.stringContaining('data.object.status')] });
  });

  it('dispute lifecycle: open statuses rank below closed ones within a second, so a close is never undone', () => {
    const dp = { id: 'dp_1', object: 'dispute', amount: 5000, currency: 'usd', charge: 'ch_3Q1', payment_intent: 'pi_3Q1', created: 1_763_700_000, reason: 'fraudulent' };
    const opened = events(event('charge.dispute.created', { ...dp, status: 'needs_response' }, { id: 'evt_zz_open', created: 1_763_700_100 }));
    const closed = events(event('charge.dispute.closed', { ...dp, status: 'lost' }, { id: 'evt_aa_closed', created: 1_763_700_100 }));
    expect(only(opened, 'dispute').refs).toEqual(['dispute:dp_1', 'payment:pi_3Q1', 'charge:ch_3Q1']);
    const piEvt = events(event('payment_intent.succeeded', pi({ metadata: { order_number: '80213' } })));
    for (const order of [[...opened, ...closed, ...piEvt], [...closed, ...piEvt, ...opened]]) {
      const facts = orderFacts(applyAll(order).docs.get('80213') as never);
      expect(facts.openDisputes).toEqual([]);
    }
    const facts = orderFacts(applyAll([...opened, ...piEvt]).docs.get('80213') as never);
    expect(facts.openDisputes).toEqual([{ disputeId: 'dp_1', amount: 5000, currency: 'USD', createdAt: T(1_763_700_000) }]);
  });
});

describe('folding Stripe events into order state', () => {
  const piSucceeded = event('payment_intent.succeeded', pi({ metadata: { order_number: '#80213' } }), { id: 'evt_pi', created: 1_763_639_020 });
  const chSucceeded = event('charge.succeeded', charge(), { id: 'evt_ch', created: 1_763_639_011 });
  const chRefunded = event('charge.refunded', charge({ amount_refunded: 1500, refunds: { object: 'list', data: [refund()] } }), { id: 'evt_rf', created: 1_763_650_001 });
  const all = [piSucceeded, chSucceeded, chRefunded].flatMap((e) => events(e));

  it('any delivery order, with duplicates, gives the captured and refunded amounts the checks read', () => {
    const orders = [all, [...all].reverse(), [...all.slice(2), ...all, ...all.slice(0, 1)]];
    const states = orders.map((evts) => applyAll(evts).docs.get('80213'));
    for (const s of states) {
      expect(s).toBeDefined();
      const f = orderFacts(s as never);
      expect(f.payments).toHaveLength(1);
      expect(f.payments[0]).toMatchObject({ paymentId: 'pi_3Q1', currency: 'USD', captured: 5000, refunded: 1500, firstCaptureAt: T(1_763_639_010), status: 'succeeded' });
      expect(f.processorRefunds).toEqual([{ at: T(1_763_650_000), amount: 1500, currency: 'USD' }]);
    }
  });

  it('a stale retry never regresses newer state: versions come from the event, not from when it arrived', () => {
    const auth = event('payment_intent.amount_capturable_updated', pi({ status: 'requires_capture', capture_method: 'manual', amount_received: 0, amount_capturable: 5000, metadata: { order_number: '80213' } }), {
      id: 'evt_zz_auth',
      created: 1_763_639_020,
    });
    const done = event('payment_intent.succeeded', pi({ capture_method: 'manual', metadata: { order_number: '80213' } }), { id: 'evt_aa_done', created: 1_763_639_020 });
    const later = event('payment_intent.succeeded', pi({ capture_method: 'manual', metadata: { order_number: '80213' } }), { id: 'evt_aa_late', created: 1_763_639_500 });
    const stale = event('payment_intent.amount_capturable_updated', pi({ status: 'requires_capture', capture_method: 'manual', amount_received: 0, amount_capturable: 5000, metadata: { order_number: '80213' } }), {
      id: 'evt_aa_stale',
      created: 1_763_639_019,
    });
    // The stale one arrives last, much later: its receivedAt does not matter.
    const late = stripeSource.normalize({ ...recordOf(stale), receivedAt: '2026-12-01T00:00:00.000Z' }, DEFAULT_NORMALIZE_CONTEXT);
    for (const evts of [[...events(done), ...events(auth)], [...events(auth), ...events(done)], [...events(later), ...unwrap(late)]]) {
      const s = applyAll(evts).docs.get('80213');
      const p = s?.processor.payments['pi_3Q1'];
      expect(p?.intent?.data.status).toBe('succeeded');
      expect(p?.amountReceived).toBe(5000);
    }
  });
});

describe('ignored types and bad input', () => {
  it('types reconciliation does not read give no events', () => {
    for (const type of ['setup_intent.created', 'price.created', 'customer.updated', 'invoice.paid', 'reporting.report_run.succeeded', 'balance.available']) {
      expect(normalizeEvent(event(type, { id: 'x_1', object: 'thing' }))).toEqual({ ok: true, value: [] });
    }
  });

  it('a garbage body is an error result, never a throw', () => {
    const raw = (body: string): RawRecord => ({ id: 'stripe:evt_bad', system: 'stripe', topic: 'charge.succeeded', receivedAt: RECEIVED, headers: {}, body });
    const bodies = [
      'not json',
      '',
      'null',
      '[]',
      '{"id":"evt_1"}',
      '{"id":"evt_1","type":"charge.succeeded","created":"yesterday","data":{"object":{}}}',
      '{"id":"evt_1","type":"charge.succeeded","created":1,"data":null}',
      '{"id":"evt_1","type":"charge.succeeded","created":1,"data":{"object":"ch_1"}}',
      '{"id":"evt_1","type":"payout.paid","created":1,"data":{"object":{"object":"charge"}}}',
    ];
    for (const body of bodies) {
      let r: Result<CanonicalEvent[]> | undefined;
      expect(() => (r = stripeSource.normalize(raw(body), DEFAULT_NORMALIZE_CONTEXT))).not.toThrow();
      expect(r?.ok, body).toBe(false);
    }
  });

  it('a field of the wrong shape is an error naming the field', () => {
    const cases: [Json, string][] = [
      [event('charge.succeeded', charge({ amount: '50.00' })), 'data.object.amount'],
      [event('charge.succeeded', charge({ currency: 'zzz' })), 'data.object.amount'],
      [event('payment_intent.succeeded', pi({ amount: 10.5 })), 'data.object.amount'],
      [event('payment_intent.succeeded', pi({ created: null })), 'data.object.created'],
      [event('payment_intent.succeeded', pi({ amount_received: -1 })), 'data.intent.amountReceived'],
      [event('payout.paid', { id: 'po_1', object: 'payout', amount: 1, currency: 'usd', arrival_date: 1, status: 'lost_at_sea' }), 'data.object.status'],
    ];
    for (const [evt, field] of cases) {
      const r = normalizeEvent(evt);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.errors.join('; ')).toContain(field);
    }
  });
});
