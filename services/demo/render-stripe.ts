// Renders payments as the Stripe events they produce (API 2024-06-20 shapes): intents, charges, refunds, disputes and payouts.
import { SEC, DAY, type Ms, type Payment, type Refund, type Rng } from './shop.ts';
import { unix, type Rendered } from './wire.ts';

export const STRIPE_API_VERSION = '2024-06-20';

/** What a payment's events say about the order behind it. */
export type PaymentContext = {
  /** `#1042` when the PaymentIntent carries the order in its metadata; null otherwise. */
  readonly orderName: string | null;
  readonly orderId: number | null;
  readonly customerName: string;
  /** The group deliveries of this order share (for shuffling within an order). */
  readonly group: string;
};

const lower = (c: string) => c.toLowerCase();

function intentObject(p: Payment, ctx: PaymentContext, at: Ms, status: string, extra: Record<string, unknown> = {}) {
  const captured = status === 'succeeded' ? p.captured : 0;
  return {
    id: p.pi,
    object: 'payment_intent',
    amount: p.amount,
    amount_capturable: status === 'requires_capture' ? p.amount : 0,
    amount_details: { tip: {} },
    amount_received: captured,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: status === 'canceled' && p.canceledAt !== null ? unix(p.canceledAt) : null,
    cancellation_reason: status === 'canceled' ? 'requested_by_customer' : null,
    capture_method: p.mode === 'manual' ? 'manual' : 'automatic',
    client_secret: `${p.pi}_secret_${p.pm.slice(-16)}`,
    confirmation_method: 'automatic',
    created: unix(p.createdAt),
    currency: lower(p.currency),
    customer: null,
    description: ctx.orderName ? `Order ${ctx.orderName}` : null,
    last_payment_error: null,
    latest_charge: status === 'requires_payment_method' && p.failedAt === null ? null : at >= p.chargeAt ? p.ch : null,
    livemode: p.livemode,
    metadata: ctx.orderName ? { order_number: ctx.orderName, order_id: String(ctx.orderId), source: 'storefront-checkout' } : {},
    next_action: null,
    on_behalf_of: null,
    payment_method: p.pm,
    payment_method_configuration_details: null,
    payment_method_options: p.mode === 'sepa' ? { sepa_debit: {} } : { card: { request_three_d_secure: 'automatic', capture_method: p.mode === 'manual' ? 'manual' : null } },
    payment_method_types: [p.mode === 'sepa' ? 'sepa_debit' : 'card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    statement_descriptor: null,
    statement_descriptor_suffix: 'TIEOUT DEMO',
    status,
    transfer_data: null,
    transfer_group: null,
    ...extra,
  };
}

function chargeObject(p: Payment, ctx: PaymentContext, captured: boolean, refunded: number, disputed: boolean) {
  return {
    id: p.ch,
    object: 'charge',
    amount: p.amount,
    amount_captured: captured ? p.captured : 0,
    amount_refunded: refunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: captured ? p.txn : null,
    billing_details: { address: { city: null, country: p.card.country, line1: null, line2: null, postal_code: null, state: null }, email: null, name: ctx.customerName, phone: null },
    calculated_statement_descriptor: 'TIEOUT DEMO',
    captured,
    created: unix(p.chargeAt),
    currency: lower(p.currency),
    customer: null,
    description: ctx.orderName ? `Order ${ctx.orderName}` : null,
    disputed,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: p.livemode,
    metadata: {},
    on_behalf_of: null,
    outcome: { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 12 + (p.card.last4.charCodeAt(0) % 40), seller_message: 'Payment complete.', type: 'authorized' },
    paid: true,
    payment_intent: p.pi,
    payment_method: p.pm,
    payment_method_details: {
      card: { amount_authorized: p.amount, brand: p.card.brand, checks: { address_line1_check: null, address_postal_code_check: 'pass', cvc_check: 'pass' }, country: p.card.country, exp_month: 1 + (Number(p.card.last4) % 12), exp_year: 2028 + (Number(p.card.last4) % 4), funding: 'credit', last4: p.card.last4, network: p.card.brand, three_d_secure: null, wallet: null, capture_before: p.mode === 'manual' ? unix(p.chargeAt + 7 * DAY) : null },
      type: 'card',
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${p.ch.slice(3)}`,
    refunded: captured && refunded >= p.captured,
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: 'TIEOUT DEMO',
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

function refundObject(p: Payment, r: Refund) {
  return {
    id: r.re,
    object: 'refund',
    amount: r.amount,
    balance_transaction: r.txn,
    charge: p.ch,
    created: unix(r.stripeAt as Ms),
    currency: lower(p.currency),
    destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: {},
    payment_intent: p.pi,
    reason: 'requested_by_customer',
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  };
}

function disputeObject(p: Payment, withdrawn: boolean) {
  const d = p.dispute as NonNullable<Payment['dispute']>;
  return {
    id: d.id,
    object: 'dispute',
    amount: d.amount,
    balance_transactions: withdrawn ? [{ id: d.txn, object: 'balance_transaction', amount: -d.amount, currency: lower(p.currency), fee: 1500, reporting_category: 'dispute' }] : [],
    charge: p.ch,
    created: unix(d.at),
    currency: lower(p.currency),
    evidence: { customer_name: null, product_description: null, shipping_tracking_number: null, uncategorized_text: null },
    evidence_details: { due_by: unix(d.at + 9 * DAY), has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: p.livemode,
    metadata: {},
    payment_intent: p.pi,
    payment_method_details: { card: { brand: p.card.brand, case_type: 'chargeback', network_reason_code: d.reason === 'fraudulent' ? '10.4' : '13.1' }, type: 'card' },
    reason: d.reason,
    status: 'needs_response',
  };
}

/** Builds events with ids from the seeded PRNG; `created` is when the fact happened. */
function eventFactory(rng: Rng, livemode: boolean, group: string) {
  return (type: string, at: Ms, object: unknown, previous?: Record<string, unknown>, automatic = false): Rendered => {
    const id = `evt_3Q${rng.b62(22)}`;
    const body = {
      id,
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: unix(at),
      data: previous ? { object, previous_attributes: previous } : { object },
      livemode,
      pending_webhooks: 1,
      request: automatic ? { id: null, idempotency_key: null } : { id: `req_${rng.b62(14)}`, idempotency_key: `${rng.b62(8)}-${rng.b62(4)}-${rng.b62(4)}-${rng.b62(12)}` },
      type,
    };
    return { system: 'stripe', topic: type, at, deliveryId: id, group, body: JSON.stringify(body), headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' } };
  };
}

/** Every Stripe event of one payment: the intent's life, its charge, refunds that reached Stripe, a dispute. */
export function paymentEvents(rng: Rng, p: Payment, refunds: readonly Refund[], ctx: PaymentContext): Rendered[] {
  const ev = eventFactory(rng, p.livemode, ctx.group);
  const out: Rendered[] = [ev('payment_intent.created', p.createdAt, intentObject(p, ctx, p.createdAt, 'requires_payment_method'))];
  if (p.mode === 'sepa') {
    out.push(ev('payment_intent.processing', p.chargeAt, intentObject(p, ctx, p.chargeAt, 'processing'), { status: 'requires_confirmation' }));
    if (p.failedAt !== null)
      out.push(
        ev('payment_intent.payment_failed', p.failedAt, intentObject(p, ctx, p.failedAt, 'requires_payment_method', { last_payment_error: { code: 'insufficient_funds', decline_code: 'insufficient_funds', message: 'The customer’s account has insufficient funds to cover this payment.', type: 'invalid_request_error' } }), { status: 'processing' }, true),
      );
    return out;
  }
  const manual = p.mode === 'manual';
  out.push(ev('charge.succeeded', p.chargeAt, chargeObject(p, ctx, !manual, 0, false)));
  if (manual) {
    out.push(ev('payment_intent.amount_capturable_updated', p.chargeAt + SEC, intentObject(p, ctx, p.chargeAt, 'requires_capture'), { amount_capturable: 0 }));
    if (p.capturedAt !== null) {
      out.push(ev('charge.captured', p.capturedAt, chargeObject(p, ctx, true, 0, false), { amount_captured: 0, captured: false, balance_transaction: null }));
      out.push(ev('payment_intent.succeeded', p.capturedAt + SEC, intentObject(p, ctx, p.capturedAt, 'succeeded'), { status: 'requires_capture', amount_received: 0 }));
    } else if (p.canceledAt !== null) {
      out.push(ev('payment_intent.canceled', p.canceledAt, intentObject(p, ctx, p.canceledAt, 'canceled'), { status: 'requires_capture' }));
    }
  } else {
    out.push(ev('payment_intent.succeeded', p.chargeAt + SEC, intentObject(p, ctx, p.chargeAt, 'succeeded'), { status: 'requires_confirmation', amount_received: 0 }));
  }
  let refunded = 0;
  for (const r of [...refunds].filter((x) => x.stripeAt !== null).sort((a, b) => (a.stripeAt as Ms) - (b.stripeAt as Ms))) {
    const before = refunded;
    refunded += r.amount;
    out.push(ev('charge.refunded', r.stripeAt as Ms, chargeObject(p, ctx, true, refunded, false), { amount_refunded: before, refunded: false }));
    out.push(ev('refund.created', r.stripeAt as Ms, refundObject(p, r)));
  }
  if (p.dispute) {
    out.push(ev('charge.dispute.created', p.dispute.at, disputeObject(p, false), undefined, true));
    out.push(ev('charge.dispute.funds_withdrawn', p.dispute.at + SEC, disputeObject(p, true), undefined, true));
  }
  return out;
}

/** A paid automatic payout: what its `payout.created` and `payout.paid` events carry. */
export type Payout = { readonly id: string; readonly txn: string; readonly createdAt: Ms; readonly arrival: Ms; readonly amount: number };

function payoutObject(p: Payout, status: 'pending' | 'paid') {
  return {
    id: p.id,
    object: 'payout',
    amount: p.amount,
    application_fee: null,
    application_fee_amount: null,
    arrival_date: unix(p.arrival),
    automatic: true,
    balance_transaction: p.txn,
    created: unix(p.createdAt),
    currency: 'usd',
    description: 'STRIPE PAYOUT',
    destination: 'ba_1QDemoBankAcct4242xyz',
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: true,
    metadata: {},
    method: 'standard',
    original_payout: null,
    reconciliation_status: status === 'paid' ? 'completed' : 'in_progress',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: null,
    status,
    trace_id: { status: status === 'paid' ? 'supported' : 'pending', value: status === 'paid' ? `TRC${String(p.amount).padStart(9, '0')}` : null },
    type: 'bank_account',
  };
}

/** A payout's events: created (pending) when the sweep ran, paid on its arrival date. */
export function payoutEvents(rng: Rng, p: Payout): Rendered[] {
  const ev = eventFactory(rng, true, `payout:${p.id}`);
  return [ev('payout.created', p.createdAt, payoutObject(p, 'pending'), undefined, true), ev('payout.paid', p.arrival, payoutObject(p, 'paid'), { status: 'in_transit' }, true)];
}
