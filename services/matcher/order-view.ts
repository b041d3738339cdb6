// One order as people ask about it: what every source says, its open breaks, its timeline, past reports.
import { checkUnit, runChecks, type CheckConfig } from '#shared/domain/checks.ts';
import { classifyAll, type Bucket } from '#shared/domain/classification.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { formatMoney, type Money } from '#shared/domain/money.ts';
import { orderFacts } from '#shared/domain/order-facts.ts';
import { normalizeOrderKey, type KeyRules } from '#shared/domain/refs.ts';
import type { Rule } from '#shared/domain/rules.ts';
import type { Archive, RunException } from '#shared/ports/archive.ts';
import type { OrderStateStore, StoredOrder } from '#shared/ports/order-state-store.ts';

export type ViewBreak = {
  readonly id: string;
  readonly code: string;
  readonly description: string;
  readonly bucket: Bucket;
  readonly owner: string;
  readonly since: string;
  readonly ageHours: number;
  readonly windowHours: number | null;
  readonly amount: number;
  readonly currency: string;
  readonly rule: string | null;
};

export type TimelineEntry = {
  readonly at: string;
  readonly receivedAt: string;
  readonly eventId: string;
  readonly system: string;
  readonly kind: string;
  readonly summary: string;
};

/** Everything known about one order key (no customer PII: canonical events carry none). */
export type OrderView = {
  readonly key: string;
  readonly open: boolean;
  readonly updatedAt: string;
  readonly references: readonly string[];
  readonly storefront: unknown;
  readonly processor: unknown;
  readonly warehouse: unknown;
  readonly logistics: unknown;
  readonly breaks: readonly ViewBreak[];
  readonly timeline: readonly TimelineEntry[];
  readonly reports: readonly Pick<RunException, 'businessDate' | 'exceptionId' | 'code' | 'bucket' | 'amount' | 'currency' | 'narrative'>[];
};

const NAMESPACES = ['payment', 'charge', 'shopify-order', 'payment-refund', 'dispute', 'booking', 'payout'];

/**
 * Finds the document for what a person typed: an order number (`#80213`, `80213`), a provisional
 * key (`payment:pi_…`), or any reference the order is known by (`pi_…`, `ch_…`, a Shopify id).
 */
export async function findOrder(store: OrderStateStore, input: string, keyRules: KeyRules): Promise<StoredOrder | undefined> {
  const trimmed = input.trim();
  const key = normalizeOrderKey(trimmed, keyRules);
  const candidates = [trimmed, ...(key ? [key] : [])];
  for (const k of candidates) {
    const doc = await store.get(k);
    if (doc) return doc;
  }
  const refs = trimmed.includes(':') ? [trimmed] : NAMESPACES.map((ns) => `${ns}:${trimmed}`);
  for (const r of refs) {
    const k = await store.resolve(r);
    if (k !== undefined) return store.get(k);
  }
  return undefined;
}

const m = (x: Money) => formatMoney(x);

/** A one-line, PII-free description of an event for the timeline. */
export function summarize(e: CanonicalEvent): string {
  switch (e.kind) {
    case 'order':
      return `storefront order ${e.data.name}: ${e.data.financialStatus}${e.data.cancelledAt ? ', cancelled' : ''}, total ${m(e.data.presentmentTotal)}`;
    case 'transaction':
      return `storefront ${e.data.kind} ${e.data.status} via ${e.data.gateway}: ${m(e.data.amount)}`;
    case 'refund':
      return `storefront refund ${e.data.refundId}: ${e.data.transactions.filter((t) => t.status === 'success').map((t) => m(t.amount)).join(' + ') || 'no cash'}`;
    case 'fulfillment':
      return `storefront fulfillment ${e.data.fulfillmentId}: ${e.data.status}`;
    case 'payment': {
      const captured = e.data.charges.reduce((n, c) => n + c.amountCaptured, 0);
      const currency = e.data.intent?.amount.currency ?? e.data.charges[0]?.amount.currency ?? 'XXX';
      const status = e.data.intent?.status ?? e.data.charges[0]?.status ?? 'seen';
      return `processor payment ${e.data.paymentId}: ${status}, captured ${m({ amount: Math.max(captured, e.data.intent?.amountReceived ?? 0), currency })}`;
    }
    case 'payment_refund':
      return `processor refund ${e.data.refundId}: ${e.data.status}, ${m(e.data.amount)}`;
    case 'dispute':
      return `dispute ${e.data.disputeId}: ${e.data.status} (${e.data.reason}), ${m(e.data.amount)}`;
    case 'settlement':
      return `settled in payout ${e.data.payoutId}: net ${m({ amount: e.data.net, currency: e.data.currency })}`;
    case 'payout':
      return `payout ${e.data.payoutId}: ${e.data.snapshot ? `${e.data.snapshot.status}, ${m(e.data.snapshot.amount)}` : ''}${e.data.lines.length ? ` ${e.data.lines.length} lines` : ''}`.trim();
    case 'booking':
      return `ledger ${e.data.entryType} ${e.data.entryId}: ${m(e.data.amount)}`;
    case 'shipment':
      return `3PL shipment ${e.data.shipmentId}: ${e.data.status}${e.data.carrier ? ` (${e.data.carrier})` : ''}, ${e.data.lines.map((l) => `${l.quantity}×${l.sku}`).join(', ') || 'no lines'}`;
  }
}

/** Builds the view of one stored order as of `asOf` (its breaks classified with today's rules). */
export async function buildOrderView(
  stored: StoredOrder,
  deps: { readonly archive: Archive; readonly rules: readonly Rule[]; readonly checkConfig: CheckConfig; readonly asOf: string; readonly businessDate: string },
): Promise<OrderView> {
  const s = stored.state;
  const facts = orderFacts(s);
  const { classified } = classifyAll(runChecks(s, deps.checkConfig), { asOf: deps.asOf, businessDate: deps.businessDate, rules: deps.rules });
  const timeline: TimelineEntry[] = [];
  for await (const a of deps.archive.scanEvents({ eventIds: s.eventIds })) {
    timeline.push({ at: a.event.occurredAt, receivedAt: a.event.receivedAt, eventId: a.event.id, system: a.event.system, kind: a.event.kind, summary: summarize(a.event) });
  }
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.eventId < b.eventId ? -1 : 1));
  const reports = (await deps.archive.exceptionsForOrder(s.key, 50)).map(({ businessDate, exceptionId, code, bucket, amount, currency, narrative }) => ({ businessDate, exceptionId, code, bucket, amount, currency, narrative }));
  return {
    key: s.key,
    open: stored.open,
    updatedAt: stored.updatedAt,
    references: s.refs,
    storefront: {
      orders: Object.values(s.storefront.orders).map((o) => o.data),
      transactions: Object.values(s.storefront.transactions).map((t) => t.data),
      refunds: Object.values(s.storefront.refunds).map((r) => r.data),
      fulfillments: Object.values(s.storefront.fulfillments).map((f) => f.data),
    },
    processor: {
      payments: facts.payments,
      refunds: Object.values(s.processor.refunds).map((r) => r.data),
      disputes: Object.values(s.processor.disputes).map((d) => d.data),
      settlements: Object.values(s.processor.settlements).map((x) => x.data),
      payouts: Object.values(s.processor.payouts).map((p) => ({ payoutId: p.payoutId, snapshot: p.snapshot?.data ?? null, lines: Object.values(p.lines).map((l) => l.data) })),
    },
    warehouse: { entries: facts.bookings },
    logistics: { shipments: facts.shipments },
    breaks: classified.map((c) => ({
      id: c.id,
      code: c.code,
      description: checkUnit(c.code).description,
      bucket: c.bucket,
      owner: c.owner,
      since: c.since,
      ageHours: c.ageHours,
      windowHours: c.windowHours,
      amount: c.amount,
      currency: c.currency,
      rule: c.ruleId,
    })),
    timeline,
    reports,
  };
}

/** Hours for people: `36h`, `3d 4h`, `5d`. */
export function formatHours(h: number): string {
  if (h < 72) return `${Math.round(h * 10) / 10}h`;
  const total = Math.round(h);
  const d = Math.floor(total / 24);
  const rest = total % 24;
  return rest === 0 ? `${d}d` : `${d}d ${rest}h`;
}
const fmtAge = formatHours;

/** The view as text for a terminal. */
export function renderOrderText(v: OrderView): string {
  const out: string[] = [];
  const facts = v.processor as { payments: { paymentId: string; status: string; currency: string; captured: number; refunded: number }[] };
  const sf = v.storefront as { orders: { name: string; financialStatus: string; cancelledAt: string | null; presentmentTotal: Money; createdAt: string; test: boolean }[]; refunds: unknown[] };
  const wh = v.warehouse as { entries: { entryType: string; entryId: string; amount: Money; bookedAt: string }[] };
  const lg = v.logistics as { shipments: { shipmentId: string; status: string; carrier: string | null; lines: { sku: string; quantity: number }[] }[] };
  out.push(`Order ${v.key}${v.open ? '' : ' (no open breaks)'} — last changed ${v.updatedAt}`);
  out.push('');
  out.push('Storefront');
  if (sf.orders.length === 0) out.push('  (no storefront order)');
  for (const o of sf.orders) out.push(`  ${o.name}: ${o.financialStatus}${o.cancelledAt ? `, cancelled ${o.cancelledAt}` : ''}${o.test ? ', TEST' : ''}; total ${m(o.presentmentTotal)}; placed ${o.createdAt}`);
  if (sf.refunds.length) out.push(`  ${sf.refunds.length} refund(s)`);
  out.push('Processor');
  if (facts.payments.length === 0) out.push('  (no payment)');
  for (const p of facts.payments) out.push(`  ${p.paymentId}: ${p.status}; captured ${m({ amount: p.captured, currency: p.currency })}, refunded ${m({ amount: p.refunded, currency: p.currency })}`);
  out.push('Books');
  if (wh.entries.length === 0) out.push('  (no ledger entry)');
  for (const b of wh.entries) out.push(`  ${b.entryType} ${b.entryId}: ${m(b.amount)} booked ${b.bookedAt}`);
  out.push('3PL');
  if (lg.shipments.length === 0) out.push('  (no shipment)');
  for (const s of lg.shipments) out.push(`  ${s.shipmentId}: ${s.status}${s.carrier ? ` via ${s.carrier}` : ''}; ${s.lines.map((l) => `${l.quantity}×${l.sku}`).join(', ')}`);
  out.push('');
  out.push(v.breaks.length === 0 ? 'Open breaks: none — this order ties out.' : 'Open breaks');
  for (const b of v.breaks) {
    const window = b.windowHours === null ? 'no window' : `window ${fmtAge(b.windowHours)}`;
    out.push(`  ${b.id} [${b.bucket}${b.rule ? `: rule ${b.rule}` : ''}] ${m({ amount: b.amount, currency: b.currency })} at risk, open ${fmtAge(b.ageHours)} (${window}), owner ${b.owner}`);
    out.push(`    ${b.description}`);
  }
  out.push('');
  out.push('Timeline');
  if (v.timeline.length === 0) out.push('  (no archived events)');
  for (const t of v.timeline) out.push(`  ${t.at}  ${t.system.padEnd(9)} ${t.summary}`);
  if (v.reports.length > 0) {
    out.push('');
    out.push('What past reports said');
    for (const r of v.reports) out.push(`  ${r.businessDate}  ${r.exceptionId} [${r.bucket}] ${r.narrative}`);
  }
  return `${out.join('\n')}\n`;
}
