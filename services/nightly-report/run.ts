// The nightly run: snapshot open orders, check, classify, compare with last night, narrate, post, record.
import { randomBytes } from 'node:crypto';
import { addDays, cutoffInstant, latestBusinessDate, type BusinessCalendar } from '#shared/domain/business-date.ts';
import { runChecks, type Break, type CheckConfig } from '#shared/domain/checks.ts';
import { classifyAll } from '#shared/domain/classification.ts';
import { buildReport, type FeedPull, type PreviousException, type Report } from '#shared/domain/report.ts';
import type { Rule } from '#shared/domain/rules.ts';
import type { Logger } from '#shared/log.ts';
import type { Archive, RunException, RunRecord } from '#shared/ports/archive.ts';
import { MATCHER_SUBSCRIPTION, type EventBus } from '#shared/ports/event-bus.ts';
import type { Notifier } from '#shared/ports/notifier.ts';
import type { OrderStateStore } from '#shared/ports/order-state-store.ts';

export type NightlyDeps = {
  readonly store: OrderStateStore;
  readonly archive: Archive;
  readonly bus: EventBus;
  readonly rules: readonly Rule[];
  readonly checkConfig: CheckConfig;
  readonly calendar: BusinessCalendar;
  readonly ownerHandles: Readonly<Record<string, string | undefined>>;
  readonly escalation: { readonly amount?: number; readonly ageHours?: number };
  /** Replaces the template narration when a model is configured and its text checks out. */
  readonly narrate: (report: Report) => Promise<Report>;
  readonly log: Logger;
  readonly now: () => string;
  /**
   * Pulls the feeds that are read rather than pushed (the warehouse ledger from BigQuery) before a
   * night that will be posted is computed. It reports a failure as a `failed` pull instead of
   * throwing; the night goes on either way and the report says what was pulled.
   */
  readonly pullFeeds?: () => Promise<readonly FeedPull[]>;
};

/** Which night: a business date (as of its cutoff), an explicit instant, or the latest closed date. */
export type NightSelection = { readonly date?: string; readonly asOf?: string };

/** The business date and the instant a selection evaluates. */
export function resolveNight(selection: NightSelection, calendar: BusinessCalendar, now: string): { businessDate: string; asOf: string } {
  if (selection.asOf !== undefined) return { businessDate: latestBusinessDate(selection.asOf, calendar), asOf: selection.asOf };
  const businessDate = selection.date ?? latestBusinessDate(now, calendar);
  return { businessDate, asOf: cutoffInstant(businessDate, calendar) };
}

/**
 * The exceptions of the latest finished run before this business date, with their night counts,
 * and the business dates since that run that have no finished run (a night that did not happen).
 */
async function previousNight(archive: Archive, businessDate: string): Promise<{ exceptions: PreviousException[]; missedNights: string[] }> {
  const runs = await archive.listRuns({ before: businessDate, limit: 20 });
  const last = runs.find((r) => r.status === 'finished' && r.report !== null && typeof r.report === 'object');
  if (!last) return { exceptions: [], missedNights: [] };
  const missedNights: string[] = [];
  for (let d = addDays(last.businessDate, 1); d < businessDate && missedNights.length < 31; d = addDays(d, 1)) missedNights.push(d);
  const exceptions = (last.report as { exceptions?: PreviousException[] }).exceptions ?? [];
  return { exceptions: exceptions.map(({ id, orderKey, code, bucket, amount, currency, nights }) => ({ id, orderKey, code, bucket, amount, currency, nights })), missedNights };
}

const compactTime = (instant: string) => instant.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
/** A run id: the business date, when it started, and a random suffix so two runs never collide. */
const newRunId = (businessDate: string, startedAt: string) => `run-${businessDate}-${compactTime(startedAt)}-${randomBytes(3).toString('hex')}`;

/**
 * Computes one night's report without side effects. Cost grows with the open orders (and last
 * night's exceptions), not with history: only open documents are read.
 */
export async function computeReport(deps: NightlyDeps, selection: NightSelection, feeds?: readonly FeedPull[]): Promise<Report> {
  const startedAt = deps.now();
  const { businessDate, asOf } = resolveNight(selection, deps.calendar, startedAt);
  const { exceptions: previous, missedNights } = await previousNight(deps.archive, businessDate);
  const breaks: Break[] = [];
  const seen = new Set<string>();
  const consider = (key: string, brks: Break[]) => {
    if (seen.has(key)) return;
    seen.add(key);
    // A break whose clock starts after the cutoff was not open at the cutoff.
    for (const b of brks) if (b.since <= asOf) breaks.push(b);
  };
  for await (const doc of deps.store.scanOpen()) consider(doc.state.key, runChecks(doc.state, deps.checkConfig));
  // Last night's orders that are no longer flagged open: confirm they really resolved.
  for (const key of new Set(previous.map((p) => p.orderKey))) {
    if (seen.has(key)) continue;
    const doc = await deps.store.get(key);
    consider(key, doc ? runChecks(doc.state, deps.checkConfig) : []);
  }
  const { classified, ruleHits } = classifyAll(breaks, { asOf, businessDate, rules: deps.rules });
  const report = buildReport({
    businessDate,
    asOf,
    runId: newRunId(businessDate, startedAt),
    ordersChecked: await deps.store.count(),
    classified,
    previous,
    ruleHits,
    ownerHandles: deps.ownerHandles,
    escalation: deps.escalation,
    quarantined: (await deps.archive.listQuarantine({ unresolvedOnly: true })).length,
    deadLettered: await deps.bus.countDeadLetters(MATCHER_SUBSCRIPTION),
    missedNights,
    ...(feeds !== undefined ? { feeds } : {}),
  });
  return deps.narrate(report);
}

/** Runs the feed pulls; one that throws anyway is reported as a failed pull, never as a failed night. */
async function pullFeedsSafely(pull: () => Promise<readonly FeedPull[]>, log: Logger): Promise<readonly FeedPull[]> {
  try {
    return await pull();
  } catch (e) {
    const error = (e as Error).message;
    log.error({ error }, 'feed pull failed; the night goes on with what was pulled before');
    return [{ feed: 'feeds', status: 'failed', rows: 0, events: 0, duplicates: 0, quarantined: 0, watermark: null, unapplied: 0, error }];
  }
}

export type RunOutcome =
  | { readonly kind: 'posted'; readonly report: Report; readonly postedTo: string }
  | { readonly kind: 'skipped'; readonly businessDate: string; readonly previous: RunRecord };

/**
 * The nightly run, idempotent per business date: a date already posted is not posted again unless
 * `force`. The run is recorded when it starts and again when it finishes (or fails), so a missing
 * or failed night is visible; the whole report, every exception with its facts, is recorded.
 */
export async function runNight(deps: NightlyDeps & { readonly notifier: Notifier }, selection: NightSelection & { readonly force?: boolean }): Promise<RunOutcome> {
  const startedAt = deps.now();
  const { businessDate, asOf } = resolveNight(selection, deps.calendar, startedAt);
  if (!selection.force) {
    // Anything that reached the channel counts: a finished run, and a failed one that posted part of
    // its report or may have (Slack has no idempotency key, so such a night is re-posted only with --force).
    const done = (await deps.archive.listRuns({ businessDate })).find((r) => r.postedTo !== null);
    if (done) return { kind: 'skipped', businessDate, previous: done };
  }
  const runId = newRunId(businessDate, startedAt);
  const base: RunRecord = { runId, businessDate, asOf, startedAt, finishedAt: null, status: 'started', error: null, postedTo: null, report: null };
  await deps.archive.recordRun(base);
  try {
    const feeds = deps.pullFeeds === undefined ? undefined : await pullFeedsSafely(deps.pullFeeds, deps.log);
    const computed = await computeReport({ ...deps, now: () => startedAt }, selection, feeds);
    const report: Report = { ...computed, runId };
    const { postedTo } = await deps.notifier.post(report);
    const exceptions: RunException[] = report.exceptions.map((e) => ({
      runId,
      businessDate,
      exceptionId: e.id,
      orderKey: e.orderKey,
      code: e.code,
      bucket: e.bucket,
      amount: e.amount,
      currency: e.currency,
      narrative: e.narrative,
      facts: e.facts,
    }));
    await deps.archive.recordRun({ ...base, status: 'finished', finishedAt: deps.now(), postedTo, report }, exceptions);
    deps.log.info({ runId, businessDate, exceptions: report.exceptions.length, clean: report.clean, postedTo }, 'nightly run finished');
    return { kind: 'posted', report, postedTo };
  } catch (e) {
    const message = (e as Error).message;
    const failure = e as { postedTo?: string; outcome?: string };
    const postedTo = failure.postedTo ?? (failure.outcome === 'unknown' ? 'unknown: the post may have reached the channel' : null);
    await deps.archive.recordRun({ ...base, status: 'failed', finishedAt: deps.now(), error: message, postedTo });
    deps.log.error({ runId, businessDate, error: message }, 'nightly run failed');
    throw e;
  }
}
