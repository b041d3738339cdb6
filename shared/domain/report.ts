// The nightly report model: classified breaks compared with last night, ordered for people (DESIGN §8).
import { checkUnit, type Facts } from './checks.ts';
import type { Bucket, Classified, MappingCause } from './classification.ts';
import { BUCKETS } from './classification.ts';
import { formatMoney } from './money.ts';

/** One exception as reported: the break, its bucket, its history across nights, and its narrative. */
export type ReportException = {
  readonly id: string;
  readonly orderKey: string;
  readonly code: string;
  readonly bucket: Bucket;
  readonly owner: string;
  /** The owner's Slack handle from configuration, when there is one. */
  readonly ownerHandle: string | null;
  /** Amount at risk, minor units. */
  readonly amount: number;
  readonly currency: string;
  readonly since: string;
  readonly ageHours: number;
  readonly windowHours: number | null;
  /** Nights in a row this exception has been reported, tonight included. */
  readonly nights: number;
  readonly status: 'new' | 'recurring';
  readonly rule: string | null;
  readonly cause: MappingCause | null;
  readonly escalated: boolean;
  readonly description: string;
  readonly narrative: string;
  readonly facts: Facts;
};

/** An exception reported last night that is no longer open. */
export type ResolvedException = {
  readonly id: string;
  readonly orderKey: string;
  readonly code: string;
  readonly bucket: string;
  readonly amount: number;
  readonly currency: string;
  readonly nights: number;
};

/**
 * A feed pulled before the night was computed (the warehouse ledger from BigQuery), or why it could not
 * be: a failed pull does not stop the night, and the report says so, so the books are never skipped silently.
 */
export type FeedPull = {
  /** What was pulled, e.g. `warehouse ledger acme-finance.ledger.entries`. */
  readonly feed: string;
  readonly status: 'pulled' | 'failed';
  readonly rows: number;
  /** Events archived and published by this pull. */
  readonly events: number;
  /** Rows already archived (read again through the lookback, or imported as CSV). */
  readonly duplicates: number;
  readonly quarantined: number;
  /** The feed's watermark after the pull: the latest booked_at read so far (null before any entry). */
  readonly watermark: string | null;
  /** Newly pulled entries the matcher had not applied when the night was computed (checked on the newest). */
  readonly unapplied: number;
  readonly error: string | null;
};

/** The whole night. Its JSON form is the DESIGN §9 contract (extended, never renamed). */
export type Report = {
  readonly businessDate: string;
  readonly asOf: string;
  readonly ordersChecked: number;
  readonly clean: boolean;
  readonly counts: Readonly<Record<Bucket, number>>;
  readonly exceptions: readonly ReportException[];
  readonly resolved: readonly ResolvedException[];
  readonly narration: 'model' | 'template';
  readonly summary: string;
  readonly runId: string;
  /** Amount at risk per currency, over genuine errors and mapping issues. */
  readonly atRisk: readonly { readonly amount: number; readonly currency: string }[];
  readonly ruleHits: readonly { readonly rule: string; readonly hits: number }[];
  readonly quarantined: number;
  readonly deadLettered: number;
  /** Business dates since the previous recorded run that have no run of their own (the night did not happen). */
  readonly missedNights: readonly string[];
  /** The feeds pulled before this night was computed; absent when the run pulls none. */
  readonly feeds?: readonly FeedPull[];
};

/** What the previous recorded run said about an exception (for new / recurring / resolved). */
export type PreviousException = { readonly id: string; readonly orderKey: string; readonly code: string; readonly bucket: string; readonly amount: number; readonly currency: string; readonly nights: number };

export type ReportInput = {
  readonly businessDate: string;
  readonly asOf: string;
  readonly runId: string;
  readonly ordersChecked: number;
  readonly classified: readonly Classified[];
  readonly previous: readonly PreviousException[];
  readonly ruleHits: ReadonlyMap<string, number>;
  readonly ownerHandles: Readonly<Record<string, string | undefined>>;
  readonly escalation: { readonly amount?: number; readonly ageHours?: number };
  readonly quarantined: number;
  readonly deadLettered: number;
  readonly missedNights?: readonly string[];
  readonly feeds?: readonly FeedPull[];
};

const BUCKET_RANK: Record<Bucket, number> = { genuine_error: 0, mapping: 1, timing: 2, known_accepted: 3 };
const CAUSE_RANK: Record<MappingCause, number> = { orphan: 0, currency: 1, decimal_shift: 2 };

/** Report order: genuine errors (largest amount first), mapping grouped by cause, timing (oldest first), accepted. */
export function compareExceptions(a: ReportException, b: ReportException): number {
  const byBucket = BUCKET_RANK[a.bucket] - BUCKET_RANK[b.bucket];
  if (byBucket !== 0) return byBucket;
  if (a.bucket === 'mapping') {
    const byCause = CAUSE_RANK[a.cause ?? 'orphan'] - CAUSE_RANK[b.cause ?? 'orphan'];
    if (byCause !== 0) return byCause;
  }
  if (a.bucket === 'timing') {
    if (a.ageHours !== b.ageHours) return b.ageHours - a.ageHours;
  } else if (a.amount !== b.amount && a.currency === b.currency) return b.amount - a.amount;
  else if (a.currency !== b.currency) return a.currency < b.currency ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const money = (amount: number, currency: string) => (currency === 'XXX' ? 'no amount' : formatMoney({ amount, currency }));
const ORDER = (key: string) => (key.includes(':') ? `record ${key}` : `order ${key}`);

/** The deterministic sentence for one exception: plain language, the facts, and who should act. */
export function templateNarrative(e: Pick<ReportException, 'orderKey' | 'code' | 'amount' | 'currency' | 'ageHours' | 'owner' | 'bucket' | 'rule' | 'cause' | 'facts'>): string {
  const at = money(e.amount, e.currency);
  const days = e.ageHours >= 48 ? `${Math.floor(e.ageHours / 24)} days` : `${Math.round(e.ageHours)} hours`;
  const who = ORDER(e.orderKey);
  const text: Record<string, string> = {
    payment_missing: `Storefront ${who} is marked paid but the processor captured nothing (${at}).`,
    capture_mismatch: `The processor captured a different amount than the storefront total for ${who}: ${at} apart.`,
    duplicate_capture: `${cap(who)} was charged more than once: ${at} captured beyond the order total.`,
    currency_mismatch: `${cap(who)} was charged in ${String(e.facts['processorCurrency'] ?? e.currency)} but placed in ${String(e.facts['storefrontCurrency'] ?? 'another currency')} (${at}).`,
    refund_missing_in_processor: `The storefront refunded ${at} on ${who} that the processor has not refunded.`,
    refund_missing_in_storefront: `The processor refunded ${at} on ${who} that the storefront does not show.`,
    captured_not_shipped: `${cap(who)} was paid (${at}) ${days} ago but the 3PL has not shipped it.`,
    shipped_not_captured: `${cap(who)} was shipped but no payment was captured (${at}).`,
    shipped_after_cancel: `${cap(who)} was cancelled in the storefront but the 3PL shipped it (${at} of goods).`,
    cancelled_not_refunded: `${cap(who)} was cancelled but ${at} captured was not refunded.`,
    quantity_mismatch: `The 3PL shipped different quantities than ordered for ${who} (${at} of units)${Array.isArray(e.facts['quantities']) ? `: ${(e.facts['quantities'] as string[]).join('; ')}` : ''}.`,
    not_booked: `${cap(who)} was paid (${at}) but the books have no sale for it.`,
    refund_not_booked: `The processor refunded ${at} on ${who} that the books have not recorded.`,
    booking_mismatch: `The books record a different sale for ${who} than the storefront total: ${at} apart.`,
    unsettled: `${at} captured on ${who} has not been paid out in any settlement after ${days}.`,
    dispute_open: `A customer disputed ${at} on ${who}; it needs a response.`,
    auth_expiring: `An authorization of ${at} on ${who} was never captured and expires soon.`,
    orphan_payment: `A processor payment of ${at} (${e.orderKey}) matches no storefront order.`,
    orphan_shipment: `A 3PL shipment (${e.orderKey}) matches no storefront order.`,
    orphan_booking: `A ledger entry of ${at} (${e.orderKey}) matches no storefront order.`,
    payout_unexplained: `Payout ${String(e.facts['payoutId'] ?? e.orderKey)} differs by ${at} from the transactions listed in it.`,
  };
  const base = text[e.code] ?? `${checkUnit(e.code as never).description} (${who}, ${at}).`;
  const tail =
    e.bucket === 'known_accepted'
      ? ` Accepted by rule ${e.rule}.`
      : e.bucket === 'timing'
        ? ' Expected to clear by itself.'
        : e.cause === 'decimal_shift'
          ? ` The amounts differ by an exact power of ten — likely a units or decimal-place error. Owner: ${e.owner}.`
          : ` Owner: ${e.owner}.`;
  return base + tail;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Builds the report model from tonight's classified breaks and the previous run (pure). */
export function buildReport(input: ReportInput, narratives: ReadonlyMap<string, string> = new Map(), narration: 'model' | 'template' = 'template', summary?: string): Report {
  const prev = new Map(input.previous.map((p) => [p.id, p]));
  const exceptions = input.classified.map((c): ReportException => {
    const before = prev.get(c.id);
    const base = {
      id: c.id,
      orderKey: c.orderKey,
      code: c.code,
      bucket: c.bucket,
      owner: c.owner,
      ownerHandle: input.ownerHandles[c.owner] ?? null,
      amount: c.amount,
      currency: c.currency,
      since: c.since,
      ageHours: c.ageHours,
      windowHours: c.windowHours,
      nights: before ? before.nights + 1 : 1,
      status: before ? ('recurring' as const) : ('new' as const),
      rule: c.ruleId,
      cause: c.cause,
      escalated:
        (c.bucket === 'genuine_error' || c.bucket === 'mapping') &&
        ((input.escalation.amount !== undefined && c.amount >= input.escalation.amount) || (input.escalation.ageHours !== undefined && c.ageHours >= input.escalation.ageHours)),
      description: checkUnit(c.code).description,
      facts: c.facts,
    };
    return { ...base, narrative: narratives.get(c.id) ?? templateNarrative(base) };
  });
  exceptions.sort(compareExceptions);
  const open = new Set(exceptions.map((e) => e.id));
  const resolved = input.previous
    .filter((p) => !open.has(p.id))
    .map((p) => ({ id: p.id, orderKey: p.orderKey, code: p.code, bucket: p.bucket, amount: p.amount, currency: p.currency, nights: p.nights }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const counts = Object.fromEntries(BUCKETS.map((b) => [b, exceptions.filter((e) => e.bucket === b).length])) as Record<Bucket, number>;
  const risk = new Map<string, number>();
  for (const e of exceptions) if ((e.bucket === 'genuine_error' || e.bucket === 'mapping') && e.currency !== 'XXX') risk.set(e.currency, (risk.get(e.currency) ?? 0) + e.amount);
  const clean = exceptions.every((e) => e.bucket === 'known_accepted');
  const report: Report = {
    businessDate: input.businessDate,
    asOf: input.asOf,
    ordersChecked: input.ordersChecked,
    clean,
    counts,
    exceptions,
    resolved,
    narration,
    summary: '',
    runId: input.runId,
    atRisk: [...risk].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amount]) => ({ amount, currency })),
    ruleHits: [...input.ruleHits].map(([rule, hits]) => ({ rule, hits })),
    quarantined: input.quarantined,
    deadLettered: input.deadLettered,
    missedNights: input.missedNights ?? [],
    ...(input.feeds !== undefined ? { feeds: input.feeds } : {}),
  };
  return { ...report, summary: summary ?? templateSummary(report) };
}

/**
 * What a reader must know about tonight's feed pulls: a pull that failed, and pulled entries not yet
 * applied when the night was computed. Nothing when every pull went through.
 */
export function feedProblems(r: Pick<Report, 'feeds'>): string[] {
  const lines: string[] = [];
  for (const f of r.feeds ?? []) {
    if (f.status === 'failed') lines.push(`The ${f.feed} could not be pulled tonight (${f.error ?? 'unknown error'}); its checks use the entries pulled before${f.watermark ? `, booked through ${f.watermark}` : ''}.`);
    else if (f.unapplied > 0) lines.push(`${f.unapplied.toLocaleString('en-US')} of the entries pulled from the ${f.feed} tonight were not yet applied when the night was computed; they count from the next night.`);
  }
  return lines;
}

/** The clean-night line of DESIGN §8. */
export function allTiedLine(businessDate: string, ordersChecked: number): string {
  return `All tied — ${businessDate}: ${ordersChecked.toLocaleString('en-US')} orders matched across storefront, processor, warehouse and 3PL.`;
}

/** The deterministic summary: the clean line, or the counts and what is at risk. */
export function templateSummary(r: Pick<Report, 'clean' | 'businessDate' | 'ordersChecked' | 'counts' | 'atRisk' | 'resolved' | 'exceptions'>): string {
  if (r.clean) return allTiedLine(r.businessDate, r.ordersChecked);
  const parts: string[] = [];
  const c = r.counts;
  const n = (x: number, one: string, many = `${one}s`) => `${x} ${x === 1 ? one : many}`;
  if (c.genuine_error) parts.push(n(c.genuine_error, 'genuine error'));
  if (c.mapping) parts.push(n(c.mapping, 'mapping issue'));
  if (c.timing) parts.push(`${c.timing} timing`);
  if (c.known_accepted) parts.push(`${c.known_accepted} known and accepted`);
  const risk = r.atRisk.map((m) => money(m.amount, m.currency)).join(' + ');
  const newCount = r.exceptions.filter((e) => e.status === 'new' && e.bucket !== 'known_accepted').length;
  return (
    `${r.businessDate}: ${r.ordersChecked.toLocaleString('en-US')} orders checked; ${parts.join(', ')}` +
    `${risk ? `; ${risk} at risk` : ''}` +
    `${newCount ? `; ${newCount} new since last night` : ''}` +
    `${r.resolved.length ? `; ${r.resolved.length} resolved` : ''}.`
  );
}
