// The matcher against the real embedded backend: exactly once in effect, poison to dead letter, replay = live.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteArchive } from '#shared/adapters/sqlite/archive.ts';
import { createSqliteEventBus } from '#shared/adapters/sqlite/event-bus.ts';
import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import { createScratchOrderStateStore, createSqliteOrderStateStore } from '#shared/adapters/sqlite/order-state-store.ts';
import { DEFAULT_CHECK_CONFIG } from '#shared/domain/checks.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { canonicalJson } from '#shared/domain/order-state.ts';
import { applyAll } from '#shared/domain/routing.ts';
import { silentLogger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from '#shared/sources/source.ts';
import { historyArb } from '../../test/support/arbitraries.ts';
import { tiedOrder } from '../../test/support/scenarios.ts';
import { archiveAndPublish, canonicalEntry } from '../ingest/publish.ts';
import { eventually } from '../../test/support/cli.ts';
import { captureLog } from '../../test/support/log.ts';
import { createMatcher } from './matcher.ts';
import { replay } from './replay.ts';
import type { Backend } from '#shared/backend.ts';

const NOW = '2026-11-26T07:00:00.000Z';
let dir: string;
let backend: Backend;

function open(maxAttempts = 3): Backend {
  const bus = createSqliteEventBus({ path: join(dir, 'bus.sqlite'), subscriptions: [MATCHER_SUBSCRIPTION], maxAttempts });
  const store = createSqliteOrderStateStore({ path: join(dir, 'state.sqlite') });
  const archive = createSqliteArchive({ path: join(dir, 'archive.sqlite') });
  return { bus, store, archive, close: async () => void (await Promise.all([bus.close(), store.close(), archive.close()])) };
}

const matcher = (batchSize = 500) =>
  createMatcher({ bus: backend.bus, store: backend.store, subscription: MATCHER_SUBSCRIPTION, checkConfig: DEFAULT_CHECK_CONFIG, log: silentLogger(), now: () => NOW, batchSize });

/** Live state as one comparable string: every document's state, in key order. */
async function liveSnapshot(): Promise<string> {
  const docs = [];
  for await (const d of backend.store.scanAll()) docs.push(d.state);
  return canonicalJson(docs);
}

const referenceSnapshot = (events: CanonicalEvent[]) => {
  const ledger = applyAll(events);
  return canonicalJson([...ledger.docs.keys()].sort().map((k) => ledger.docs.get(k)));
};

const history = (seed: number, orders = 40): CanonicalEvent[] => fc.sample(historyArb(orders, orders), { seed, numRuns: 1 })[0] as CanonicalEvent[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tieout-matcher-'));
  backend = open();
});
afterEach(async () => {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('matcher', () => {
  it('gives way while told to (ingest saturated), but never longer than maxGiveWayMs in a row, and says when it starts and stops', async () => {
    const events = tiedOrder('2101');
    await archiveAndPublish(backend, events.map(canonicalEntry));
    let busy = true;
    const logs = captureLog();
    const giveWayLines = () => logs.records().filter((l) => String(l['message']).startsWith('ingest is'));
    const maxGiveWayMs = 600;
    const m = createMatcher({
      bus: backend.bus,
      store: backend.store,
      subscription: MATCHER_SUBSCRIPTION,
      checkConfig: DEFAULT_CHECK_CONFIG,
      log: logs.log,
      now: () => NOW,
      giveWay: () => busy,
      maxGiveWayMs,
    });
    const running = m.run();
    await new Promise((r) => setTimeout(r, maxGiveWayMs / 3));
    expect(m.stats.received).toBe(0);
    expect(m.stats.gaveWay).toBeGreaterThan(0);
    busy = false;
    await eventually(async () => (m.stats.applied === events.length ? true : undefined), 5_000, 'the batch applied once ingest is no longer saturated');
    // Saturated for good: it still takes a batch after maxGiveWayMs.
    busy = true;
    const more = tiedOrder('2102');
    await archiveAndPublish(backend, more.map(canonicalEntry));
    const t0 = Date.now();
    await eventually(async () => (m.stats.applied === events.length + more.length ? true : undefined), 5_000, 'a batch taken anyway');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(maxGiveWayMs / 2);
    busy = false;
    await eventually(async () => (giveWayLines().length === 4 ? true : undefined), 5_000, 'the last give-way over');
    m.stop();
    await running;
    expect(giveWayLines().map((l) => [l['message'], l['batchAtLeastEveryMs'] ?? typeof l['gaveWayMs'], l['pending']])).toEqual([
      ['ingest is saturated: the matcher gives way', maxGiveWayMs, undefined],
      ['ingest is no longer saturated: the matcher catches up', 'number', events.length],
      ['ingest is saturated: the matcher gives way', maxGiveWayMs, undefined],
      ['ingest is no longer saturated: the matcher catches up', 'number', 0],
    ]);
  });

  it('given archived and published events, when drained, then state equals the pure fold of the same events', async () => {
    const events = history(1);
    await archiveAndPublish(backend, events.map(canonicalEntry));
    const stats = await matcher(97).drain();
    expect(stats.applied).toBe(events.length);
    expect(stats.duplicates).toBe(0);
    expect(await liveSnapshot()).toBe(referenceSnapshot(events));
    expect(await backend.bus.stats(MATCHER_SUBSCRIPTION)).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
  });

  it('counts duplicates instead of applying them twice, across batches and redeliveries', async () => {
    const events = tiedOrder('2001');
    await archiveAndPublish(backend, events.map(canonicalEntry));
    await matcher().drain();
    await backend.bus.publish(events.map((e) => ({ id: e.id, orderingKey: '2001', attributes: {}, data: JSON.stringify(e) })));
    const again = await matcher().drain();
    expect(again.duplicates).toBe(events.length);
    expect(again.applied).toBe(0);
    expect(await liveSnapshot()).toBe(referenceSnapshot(events));
  });

  it('marks documents open while a check finds a break, and closed once they tie', async () => {
    const events = tiedOrder('3001');
    await archiveAndPublish(backend, events.filter((e) => e.kind !== 'booking').map(canonicalEntry));
    await matcher().drain();
    expect((await backend.store.get('3001'))?.open).toBe(true);
    await archiveAndPublish(backend, events.filter((e) => e.kind === 'booking').map(canonicalEntry));
    await matcher().drain();
    expect((await backend.store.get('3001'))?.open).toBe(false);
  });

  it('sends a poison message to the dead letters with its error, and applies the rest', async () => {
    const events = tiedOrder('4001');
    await archiveAndPublish(backend, events.map(canonicalEntry));
    await backend.bus.publish([{ id: 'bad:1', orderingKey: 'x', attributes: {}, data: '{"id":"bad:1","kind":"order"}' }]);
    for (let i = 0; i < 5; i++) await matcher().drain();
    const dead = await backend.bus.deadLetters(MATCHER_SUBSCRIPTION);
    expect(dead.map((d) => d.id)).toEqual(['bad:1']);
    expect(dead[0]?.error).toMatch(/refs|source|data/);
    expect((await backend.store.get('4001'))?.state.eventIds).toHaveLength(events.length);
  });

  it('merges provisional documents into the order across batches, whichever arrived first', async () => {
    const [order, txn, pay, ship, book] = tiedOrder('5001');
    const strayPayment = { ...pay!, refs: pay!.refs.filter((r) => !r.startsWith('order:')), id: 'stripe:evt_stray' } as CanonicalEvent;
    await archiveAndPublish(backend, [strayPayment, ship!].map(canonicalEntry));
    await matcher().drain();
    expect(await backend.store.get('5001')).toBeUndefined();
    await archiveAndPublish(backend, [order!, txn!, book!].map(canonicalEntry));
    const s = await matcher().drain();
    expect(s.merged).toBe(2);
    expect(await backend.store.count()).toBe(1);
    expect(await backend.store.resolve('payment:pi_5001')).toBe('5001');
    expect((await backend.store.get('5001'))?.open).toBe(false);
  });
});

describe('replay', () => {
  const deps = () => ({ archive: backend.archive, store: backend.store, shadow: createMemoryOrderStateStore(), batchEvents: 7, checkConfig: DEFAULT_CHECK_CONFIG, normalize: DEFAULT_NORMALIZE_CONTEXT, now: () => NOW });

  it('replaying the whole archive gives exactly the live state', async () => {
    const events = history(2, 60);
    await archiveAndPublish(backend, events.map(canonicalEntry));
    await matcher(211).drain();
    const result = await replay(deps(), {}, 'shadow');
    expect(result.differences).toEqual([]);
    expect(result.events).toBe(events.length);
    expect(result.orders).toBe(await backend.store.count());
  });

  it('rebuilds into a scratch SQLite shadow in small batches, equal to live, and deletes the scratch file on close', async () => {
    const events = history(5, 40);
    await archiveAndPublish(backend, events.map(canonicalEntry));
    await matcher(97).drain();
    const shadow = createScratchOrderStateStore(dir);
    const result = await replay({ ...deps(), shadow, batchEvents: 13 }, {}, 'shadow');
    expect(result.differences).toEqual([]);
    expect(result.payloads).toBe(events.length);
    expect(await shadow.count()).toBe(await backend.store.count());
    await shadow.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('tieout-shadow-'))).toEqual([]);
  });

  it('shows what differs from a damaged live state, and repairs it with --into live', async () => {
    const events = history(3, 20);
    await archiveAndPublish(backend, events.map(canonicalEntry));
    await matcher().drain();
    const before = await liveSnapshot();
    let booked = '';
    for await (const d of backend.store.scanAll()) if (!booked && d.state.key !== '1005' && Object.keys(d.state.warehouse.entries).length > 0) booked = d.state.key;
    await backend.store.transact(async (tx) => {
      tx.delete(['1005']);
      const d = (await tx.get([booked])).get(booked)!;
      tx.put([{ ...d, state: { ...d.state, warehouse: { entries: {} } } }]);
    });
    const shadow = await replay(deps(), {}, 'shadow');
    expect(shadow.differences).toEqual(
      expect.arrayContaining([
        { key: '1005', change: 'added', paths: [] },
        expect.objectContaining({ key: booked, change: 'changed', paths: expect.arrayContaining([expect.stringMatching(/^warehouse\.entries/)]) }),
      ]),
    );
    expect(shadow.differences).toHaveLength(2);
    const live = await replay(deps(), {}, 'live');
    expect(live.wroteLive).toBe(true);
    expect(await liveSnapshot()).toBe(before);
    expect((await replay(deps(), {}, 'shadow')).differences).toEqual([]);
  });

  it('replays one order from its full history', async () => {
    const events = history(4, 10);
    await archiveAndPublish(backend, events.map(canonicalEntry));
    await matcher().drain();
    const result = await replay(deps(), { order: '1003' }, 'shadow');
    expect(result.differences).toEqual([]);
    expect(result.orders).toBeGreaterThanOrEqual(1);
    expect(result.events).toBe((await backend.store.get('1003'))!.state.eventIds.length);
  });
});
