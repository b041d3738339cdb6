// The nightly run over real state: ordering, night-to-night comparison, idempotency, the recorded audit trail.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryArchive } from '#shared/adapters/memory/archive.ts';
import { createMemoryEventBus } from '#shared/adapters/memory/event-bus.ts';
import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import type { FeedPull } from '#shared/domain/report.ts';
import { RuleSchema } from '#shared/domain/rules.ts';
import { silentLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import type { Notifier } from '#shared/ports/notifier.ts';
import { at, booking, order, payment, shipment, storefrontRefund, processorRefund } from '../../test/support/builders.ts';
import { FIRING, tiedOrder } from '../../test/support/scenarios.ts';
import { foldEvents } from '../matcher/fold.ts';
import { renderJson, renderMarkdown, renderText } from './render.ts';
import { renderSlack } from './render-slack.ts';
import { computeReport, runNight, type NightlyDeps } from './run.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '__golden__');
function golden(name: string, actual: string) {
  const path = join(GOLDEN, name);
  if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(path)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const checkConfig = { processorGateways: ['stripe'], settlementEnabled: false };

/** A realistic night: tied orders, and breaks of several kinds and ages. */
function night(): CanonicalEvent[] {
  const renumber = (events: CanonicalEvent[], from: string, to: string) => JSON.parse(JSON.stringify(events).replaceAll(`"order:${from}"`, `"order:${to}"`).replaceAll(`"orderNumber":"${from}"`, `"orderNumber":"${to}"`).replaceAll(`"#${from}"`, `"#${to}"`).replaceAll(`45${from}`, `45${to}`).replaceAll(`"orderRef":"${from}"`, `"orderRef":"${to}"`)) as CanonicalEvent[];
  return [
    ...tiedOrder('80200', 'pi_80200'),
    ...tiedOrder('80201', 'pi_80201', 12_500),
    ...renumber(FIRING.captured_not_shipped.events(), '1001', '80213'),
    ...renumber(FIRING.duplicate_capture.events(), '1001', '80214'),
    ...renumber(FIRING.quantity_mismatch.events(), '1001', '80215'),
    ...FIRING.orphan_payment.events(),
    ...FIRING.currency_mismatch.events(),
    order({ number: '80216', total: 19965 }),
    payment({ pi: 'pi_80216', order: '80216', amount: 1996500, capturedAt: at(1) }),
    shipment({ order: '80216', orderId: '4580216', at: at(2) }),
    booking({ order: '80216', amount: 19965, at: at(3) }),
    order({ number: '80217', total: 4000, createdAt: at(130), updatedAt: at(130) }),
    payment({ pi: 'pi_80217', order: '80217', amount: 4000, createdAt: at(130), capturedAt: at(131) }),
    ...tiedOrder('80218', 'pi_80218'),
    storefrontRefund({ order: '80218', orderId: '4580218', amount: 1000, at: at(30) }),
    processorRefund({ pi: 'pi_80218', amount: 1000, at: at(30) }),
    booking({ order: '80218', entryType: 'refund', amount: 1000, at: at(31) }),
  ];
}

const NOW = '2026-11-26T06:30:00.000Z';

function deps(events: CanonicalEvent[] = night()) {
  const store = createMemoryOrderStateStore();
  const archive = createMemoryArchive();
  const bus = createMemoryEventBus({ subscriptions: [MATCHER_SUBSCRIPTION] });
  const posted: string[] = [];
  const notifier: Notifier = { kind: 'files', post: async (r) => (posted.push(r.businessDate), { postedTo: `file:/tmp/${r.businessDate}.md` }) };
  const d: NightlyDeps & { notifier: Notifier } = {
    store,
    archive,
    bus,
    rules: [RuleSchema.parse({ id: 'eur-test-shop', code: 'currency_mismatch', match: { currency: 'EUR' }, reason: 'EUR test storefront', owner: 'data', added: '2026-11-01' })],
    checkConfig,
    calendar: { timeZone: 'UTC', cutoff: '06:00' },
    ownerHandles: { payments: '<!subteam^S0PAY>', fulfilment: '@fulfilment-team' },
    escalation: { amount: 100_000 },
    narrate: async (r) => r,
    log: silentLogger(),
    now: () => NOW,
    notifier,
  };
  return { d, posted, load: () => store.transact((tx) => foldEvents(tx, events, { checkConfig, now: NOW })) };
}

describe('the nightly report', () => {
  let h: ReturnType<typeof deps>;
  beforeEach(async () => {
    h = deps();
    await h.load();
  });

  it('a realistic night: genuine errors first by amount, mapping by cause, timing, accepted — as text, Markdown and JSON', async () => {
    const r = await computeReport(h.d, { date: '2026-11-25' });
    expect(r.asOf).toBe('2026-11-26T06:00:00.000Z');
    expect(r.clean).toBe(false);
    expect(r.exceptions.map((e) => [e.id, e.bucket])).toEqual([
      ['80213:captured_not_shipped', 'genuine_error'],
      ['80214:duplicate_capture', 'genuine_error'],
      ['80215:quantity_mismatch', 'genuine_error'],
      ['payment:pi_lost:orphan_payment', 'mapping'],
      ['80216:capture_mismatch', 'mapping'],
      ['80217:captured_not_shipped', 'timing'],
      ['80217:not_booked', 'timing'],
      ['1001:currency_mismatch', 'known_accepted'],
    ]);
    expect(r.counts).toEqual({ known_accepted: 1, timing: 2, mapping: 2, genuine_error: 3 });
    expect(r.exceptions.find((e) => e.id === '80216:capture_mismatch')).toMatchObject({ cause: 'decimal_shift', escalated: true, amount: 1976535 });
    expect(r.exceptions.find((e) => e.id === '80214:duplicate_capture')).toMatchObject({ ownerHandle: '<!subteam^S0PAY>', status: 'new', nights: 1 });
    expect(r.ruleHits).toEqual([{ rule: 'eur-test-shop', hits: 1 }]);
    const json = JSON.parse(renderJson(r));
    for (const key of ['businessDate', 'asOf', 'ordersChecked', 'clean', 'counts', 'exceptions', 'resolved', 'narration', 'runId']) expect(json).toHaveProperty(key);
    for (const key of ['id', 'orderKey', 'code', 'bucket', 'owner', 'amount', 'currency', 'since', 'ageHours', 'nights', 'status', 'rule', 'narrative', 'facts']) expect(json.exceptions[0]).toHaveProperty(key);
    expect(json.narration).toBe('template');
    const stable = (s: string) => s.replaceAll(r.runId, 'RUN');
    golden('night.txt', stable(renderText(r)));
    golden('night.md', stable(renderMarkdown(r)));
    golden('night.json', stable(renderJson(r)));
  });

  it('a clean night is one line', async () => {
    const clean = deps([...tiedOrder('1'), ...tiedOrder('2')]);
    await clean.load();
    const r = await computeReport(clean.d, { date: '2026-11-25' });
    expect(r.clean).toBe(true);
    expect(renderText(r)).toBe('All tied — 2026-11-25: 2 orders matched across storefront, processor, warehouse and 3PL.\n');
    golden('clean.json', renderJson({ ...r, runId: 'RUN' }));
  });

  it('compares with the previous recorded run: new, recurring for N nights, resolved', async () => {
    await runNight(h.d, { date: '2026-11-24' });
    // The shipment arrives for 80213 before the next night.
    await h.d.store.transact((tx) => foldEvents(tx, [shipment({ order: '80213', orderId: '4580213', at: at(100) })], { checkConfig, now: NOW }));
    const second = await runNight(h.d, { date: '2026-11-25' });
    if (second.kind !== 'posted') throw new Error('expected a post');
    expect(second.report.exceptions.find((e) => e.id === '80214:duplicate_capture')).toMatchObject({ status: 'recurring', nights: 2 });
    expect(second.report.resolved.map((x) => x.id)).toContain('80213:captured_not_shipped');
    expect(second.report.exceptions.some((e) => e.id === '80213:captured_not_shipped')).toBe(false);
  });

  it('is idempotent per business date, records start and finish, and --force posts again', async () => {
    const first = await runNight(h.d, { date: '2026-11-25' });
    expect(first.kind).toBe('posted');
    expect((await runNight(h.d, { date: '2026-11-25' })).kind).toBe('skipped');
    expect(h.posted).toEqual(['2026-11-25']);
    expect((await runNight(h.d, { date: '2026-11-25', force: true })).kind).toBe('posted');
    expect(h.posted).toEqual(['2026-11-25', '2026-11-25']);
    const runs = await h.d.archive.listRuns({ businessDate: '2026-11-25' });
    expect(runs.map((r) => r.status)).toEqual(['finished', 'finished']);
    const recorded = await h.d.archive.runExceptions(runs[0]!.runId);
    expect(recorded.map((e) => e.exceptionId)).toContain('80214:duplicate_capture');
    expect((await h.d.archive.exceptionsForOrder('80214'))[0]).toMatchObject({ code: 'duplicate_capture', bucket: 'genuine_error' });
  });

  it('a run whose post fails is recorded as failed, so the missing night is visible', async () => {
    const failing = { ...h.d, notifier: { kind: 'slack' as const, post: async () => Promise.reject(new Error('slack unreachable')) } };
    await expect(runNight(failing, { date: '2026-11-25' })).rejects.toThrow('slack unreachable');
    const [run] = await h.d.archive.listRuns({ businessDate: '2026-11-25' });
    expect(run).toMatchObject({ status: 'failed', error: 'slack unreachable' });
    expect((await runNight(h.d, { date: '2026-11-25' })).kind).toBe('posted');
  });

  it('breaks whose clock starts after the cutoff are not in that night', async () => {
    const r = await computeReport(h.d, { date: '2026-11-24' });
    expect(r.exceptions.some((e) => e.orderKey === '80217')).toBe(false);
    expect(r.exceptions.some((e) => e.orderKey === '80213')).toBe(true);
  });
});

describe('a night that did not run', () => {
  it('is named in the next report', async () => {
    const h = deps();
    await h.load();
    await runNight(h.d, { date: '2026-11-22' });
    const r = await computeReport(h.d, { date: '2026-11-25' });
    expect(r.missedNights).toEqual(['2026-11-23', '2026-11-24']);
    expect(renderText(r)).toContain('No run was recorded for 2026-11-23, 2026-11-24.');
  });
});

describe('feeds pulled before the night (the warehouse ledger)', () => {
  const pulled: FeedPull = { feed: 'warehouse ledger acme-finance.ledger.entries', status: 'pulled', rows: 3, events: 2, duplicates: 1, quarantined: 0, watermark: '2026-11-26T05:00:00.000Z', unapplied: 0, error: null };
  const failed: FeedPull = { ...pulled, status: 'failed', rows: 0, events: 0, duplicates: 0, watermark: '2026-11-24T23:00:00.000Z', error: 'Access Denied: Table acme-finance:ledger.entries' };

  it('are pulled only for a night that is posted, before it is computed, and are in its report', async () => {
    const h = deps([...tiedOrder('1')]);
    await h.load();
    const calls: string[] = [];
    const d = { ...h.d, pullFeeds: async () => (calls.push('pull'), [pulled]) };
    const first = await runNight(d, { date: '2026-11-25' });
    if (first.kind !== 'posted') throw new Error('expected a post');
    expect(calls).toEqual(['pull']);
    expect(first.report.feeds).toEqual([pulled]);
    expect(first.report.clean).toBe(true);
    // A clean night with every pull through stays one line.
    expect(renderText(first.report)).toBe('All tied — 2026-11-25: 1 orders matched across storefront, processor, warehouse and 3PL.\n');
    const [run] = await h.d.archive.listRuns({ businessDate: '2026-11-25' });
    expect((run?.report as { feeds?: unknown }).feeds).toEqual([pulled]);
    // An already posted night (the scheduler ticks every minute) pulls nothing.
    expect((await runNight(d, { date: '2026-11-25' })).kind).toBe('skipped');
    expect(calls).toEqual(['pull']);
    // `tieout report` without --post computes a night without pulling.
    expect((await computeReport(d, { date: '2026-11-25' })).feeds).toBeUndefined();
  });

  it('a failed pull does not stop the night, and the report says so — even a night that otherwise ties', async () => {
    const h = deps([...tiedOrder('1')]);
    await h.load();
    const outcome = await runNight({ ...h.d, pullFeeds: async () => [failed] }, { date: '2026-11-25' });
    if (outcome.kind !== 'posted') throw new Error('expected a post');
    expect(outcome.report.feeds).toEqual([failed]);
    const line = 'The warehouse ledger acme-finance.ledger.entries could not be pulled tonight (Access Denied: Table acme-finance:ledger.entries); its checks use the entries pulled before, booked through 2026-11-24T23:00:00.000Z.';
    expect(renderText(outcome.report)).toBe(`All tied — 2026-11-25: 1 orders matched across storefront, processor, warehouse and 3PL.\n${line}\n`);
    expect(renderMarkdown(outcome.report)).toContain(line);
    expect(JSON.stringify(renderSlack(outcome.report))).toContain('could not be pulled tonight');
    const [run] = await h.d.archive.listRuns({ businessDate: '2026-11-25' });
    expect(run).toMatchObject({ status: 'finished' });
  });

  it('on a night with exceptions, the feeds are a section of the report; a pull that throws anyway is a failed pull', async () => {
    const h = deps();
    await h.load();
    const r = await runNight({ ...h.d, pullFeeds: async () => Promise.reject(new Error('boom')) }, { date: '2026-11-25' });
    if (r.kind !== 'posted') throw new Error('expected a post');
    expect(r.report.feeds).toEqual([{ feed: 'feeds', status: 'failed', rows: 0, events: 0, duplicates: 0, quarantined: 0, watermark: null, unapplied: 0, error: 'boom' }]);
    const withUnapplied = { ...r.report, feeds: [{ ...pulled, unapplied: 2 }] };
    const text = renderText(withUnapplied);
    expect(text).toContain('Feeds pulled tonight');
    expect(text).toContain('2 of the entries pulled from the warehouse ledger acme-finance.ledger.entries tonight were not yet applied when the night was computed');
    expect(text).toContain('warehouse ledger acme-finance.ledger.entries: 3 row(s) read, 2 event(s) archived, 1 already imported, 0 quarantined; booked through 2026-11-26T05:00:00.000Z');
  });
});
