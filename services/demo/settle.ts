// Stripe settlement for the demo: balance transactions in USD, daily automatic payouts, and the itemized reconciliation report.
//
// The account settles in USD: a charge in another currency is converted at capture (its gross is
// the USD amount), and its fee includes the international and conversion surcharges. A payout
// sweeps every balance transaction created in the 24 hours before its sweep instant; its amount is
// the exact sum of their nets in cents, unless a residual is planted on it.
import { DAY, HOUR, MIN, major, usdCents, type Ms, type Payment, type Refund, type Shop } from './shop.ts';
import type { Payout } from './render-stripe.ts';
import { reportTime, toCsv } from './wire.ts';

/** One balance transaction, in USD cents, with what the report says about its source. */
export type BalanceTxn = {
  readonly id: string;
  readonly at: Ms;
  readonly category: 'charge' | 'refund' | 'dispute' | 'fee';
  readonly gross: number;
  readonly fee: number;
  readonly net: number;
  readonly sourceId: string | null;
  readonly chargeId: string | null;
  readonly paymentIntentId: string | null;
  readonly orderName: string | null;
  readonly description: string;
  readonly customerAmount: number;
  readonly customerCurrency: string;
};

/** Stripe's card pricing: 2.9% + 30¢, plus 1.5% for international cards and 1% for conversion. */
function cardFee(gross: number, p: Payment): number {
  const bps = 290 + (p.card.country === 'US' ? 0 : 150) + (p.currency === 'USD' ? 0 : 100);
  return Math.round((gross * bps) / 10_000) + 30;
}

/** The balance transactions a settled payment produced: its capture, its refunds, its dispute. */
export function balanceTxns(p: Payment, refunds: readonly Refund[], orderName: string | null): BalanceTxn[] {
  if (!p.settle || !p.livemode || p.capturedAt === null || p.captured <= 0) return [];
  const common = { chargeId: p.ch, paymentIntentId: p.pi, orderName, customerCurrency: p.currency };
  const gross = usdCents(p.captured, p.currency);
  const fee = cardFee(gross, p);
  const out: BalanceTxn[] = [
    { ...common, id: p.txn, at: p.capturedAt, category: 'charge', gross, fee, net: gross - fee, sourceId: p.ch, description: orderName ? `Order ${orderName}` : 'Payment', customerAmount: p.captured },
  ];
  for (const r of refunds) {
    if (r.stripeAt === null) continue;
    const g = -usdCents(r.amount, p.currency);
    out.push({ ...common, id: r.txn, at: r.stripeAt, category: 'refund', gross: g, fee: 0, net: g, sourceId: r.re, description: `REFUND FOR CHARGE (${orderName ? `Order ${orderName}` : 'Payment'})`, customerAmount: -r.amount });
  }
  if (p.dispute) {
    const g = -usdCents(p.dispute.amount, p.currency);
    out.push({ ...common, id: p.dispute.txn, at: p.dispute.at + 1000, category: 'dispute', gross: g, fee: 1500, net: g - 1500, sourceId: p.dispute.id, description: `Chargeback withdrawal for ${p.ch}`, customerAmount: -p.dispute.amount });
  }
  return out;
}

/** A payout with the balance transactions it settles, and any residual planted on its amount. */
export type PayoutPlan = Payout & { readonly lines: readonly BalanceTxn[]; readonly residual: number };

/**
 * Daily automatic payouts: the last sweep runs three hours before the cutoff and is paid an hour
 * before it; earlier ones every 24 hours back. Each sweeps what was created since the previous
 * sweep. A day whose net would not be positive rolls into the next payout.
 */
export function planPayouts(shop: Shop, txns: readonly BalanceTxn[]): PayoutPlan[] {
  const lastSweep = shop.asOf - 3 * HOUR;
  const eligible = txns.filter((t) => t.at <= lastSweep);
  if (eligible.length === 0) return [];
  const earliest = Math.min(...eligible.map((t) => t.at));
  const sweeps: Ms[] = [];
  for (let s = lastSweep; s >= earliest; s -= DAY) sweeps.unshift(s);
  if ((sweeps[0] as Ms) > earliest) sweeps.unshift((sweeps[0] as Ms) - DAY);
  const out: PayoutPlan[] = [];
  let carry: BalanceTxn[] = [];
  let previous = -Infinity;
  sweeps.forEach((sweep, i) => {
    const lines = [...carry, ...eligible.filter((t) => t.at > previous && t.at <= sweep)];
    previous = sweep;
    const net = lines.reduce((n, t) => n + t.net, 0);
    if (lines.length === 0 || (net <= 0 && i < sweeps.length - 1)) {
      carry = lines;
      return;
    }
    carry = [];
    out.push({ id: shop.ids.stripe('po'), txn: shop.ids.stripe('txn'), createdAt: sweep + 10 * MIN, arrival: sweep + 2 * HOUR, amount: net, lines: [...lines].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1)), residual: 0 });
  });
  return out;
}

/** Plants a residual on a payout: its amount no longer equals the net of its lines. */
export function withResidual(p: PayoutPlan, residual: number): PayoutPlan {
  return { ...p, amount: p.amount + residual, residual };
}

/** The columns the demo runs `payout_reconciliation.itemized.5` with (passed explicitly, as Stripe advises). */
export const REPORT_COLUMNS = [
  'automatic_payout_id',
  'automatic_payout_effective_at_utc',
  'balance_transaction_id',
  'created_utc',
  'available_on_utc',
  'currency',
  'gross',
  'fee',
  'net',
  'reporting_category',
  'source_id',
  'description',
  'customer_facing_amount',
  'customer_facing_currency',
  'charge_id',
  'payment_intent_id',
  'payment_metadata[order_number]',
] as const;

/** The itemized payout reconciliation report: one row per balance transaction of every paid payout, amounts in major units. */
export function reconciliationCsv(payouts: readonly PayoutPlan[]): string {
  const rows = payouts.flatMap((po) =>
    po.lines.map((t) => ({
      automatic_payout_id: po.id,
      automatic_payout_effective_at_utc: reportTime(po.arrival),
      balance_transaction_id: t.id,
      created_utc: reportTime(t.at),
      available_on_utc: reportTime(po.arrival - 2 * HOUR),
      currency: 'usd',
      gross: major(t.gross, 'USD'),
      fee: major(t.fee, 'USD'),
      net: major(t.net, 'USD'),
      reporting_category: t.category,
      source_id: t.sourceId ?? '',
      description: t.description,
      customer_facing_amount: t.category === 'fee' ? '' : major(t.customerAmount, t.customerCurrency),
      customer_facing_currency: t.category === 'fee' ? '' : t.customerCurrency.toLowerCase(),
      charge_id: t.chargeId ?? '',
      payment_intent_id: t.paymentIntentId ?? '',
      'payment_metadata[order_number]': t.orderName ?? '',
    })),
  );
  return toCsv(REPORT_COLUMNS, rows);
}

/** A Stripe usage fee (Radar, billing) charged to the balance: a report line that names no payment. */
export function usageFee(shop: Shop, at: Ms): BalanceTxn {
  const amount = shop.rng.int(150, 900);
  return { id: shop.ids.stripe('txn'), at, category: 'fee', gross: -amount, fee: 0, net: -amount, sourceId: null, chargeId: null, paymentIntentId: null, orderName: null, description: 'Radar for Fraud Teams (usage fees)', customerAmount: -amount, customerCurrency: 'USD' };
}
