import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Backend } from '#shared/backend.ts';
import type { Config } from '#shared/config.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { canonicalJson } from '#shared/domain/order-state.ts';
import { applyAll } from '#shared/domain/routing.ts';
import { silentLogger, type Logger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION } from '#shared/ports/event-bus.ts';
import { historyArb } from '../../test/support/arbitraries.ts';
import { archiveAndPublish, canonicalEntry } from '../ingest/publish.ts';
import { eventually } from '../../test/support/cli.ts';
import { openEmbeddedFixture, type EmbeddedFixture } from '../../test/support/embedded.ts';
import { ingestPressure } from '#shared/ingest-pressure.ts';
import { tiedOrder } from '../../test/support/scenarios.ts';
import { drainInThread, MATCHER_NICE, startMatcherThread } from './thread.ts';

/** The nice value of each of this process's threads, from /proc (field 19 of each task's stat). */
const threadNices = (): number[] =>
  readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });

let fx: EmbeddedFixture;
let config: Config;
let backend: Backend;

beforeEach(async () => {
  fx = await openEmbeddedFixture('tieout-thread-');
  ({ config, backend } = fx);
});
afterEach(async () => {
  await fx.cleanup();
});

it('the matcher thread applies what is published, to the same state as the pure fold, and stops cleanly', async () => {
  const events = fc.sample(historyArb(30, 30), { seed: 7, numRuns: 1 })[0] as CanonicalEvent[];
  const thread = startMatcherThread({ config, log: silentLogger() });
  await archiveAndPublish(backend, events.slice(0, 100).map(canonicalEntry));
  await archiveAndPublish(backend, events.slice(100).map(canonicalEntry));
  await eventually(async () => {
    const { pending, leased } = await backend.bus.stats(MATCHER_SUBSCRIPTION);
    return pending === 0 && leased === 0 ? true : undefined;
  }, 20_000, 'the bus to drain');
  await thread.stop();
  const docs = [];
  for await (const d of backend.store.scanAll()) docs.push(d.state);
  const ledger = applyAll(events);
  expect(canonicalJson(docs)).toBe(canonicalJson([...ledger.docs.keys()].sort().map((k) => ledger.docs.get(k))));
});

it.skipIf(!existsSync('/proc/self/task'))('the serving matcher thread runs at a lower priority than ingest, and only that thread (needs Linux /proc)', async () => {
  const before = threadNices().filter((n) => n === MATCHER_NICE).length;
  const thread = startMatcherThread({ config, log: silentLogger() });
  try {
    await eventually(async () => (threadNices().filter((n) => n === MATCHER_NICE).length === before + 1 ? true : undefined), 10_000, 'a thread at the matcher nice value');
    // This (the caller's) thread is untouched.
    expect(threadNices()[0]).toBe(0);
  } finally {
    await thread.stop();
  }
});

it.skipIf(!existsSync('/proc/self/task'))('the serving matcher thread gives way while ingest in the same process is saturated, then catches up (needs Linux /proc)', async () => {
  const pressure = ingestPressure();
  pressure.saturated();
  const keepSaturated = setInterval(() => pressure.saturated(), 20);
  const events = tiedOrder('8101');
  await archiveAndPublish(backend, events.map(canonicalEntry));
  const before = threadNices().filter((n) => n === MATCHER_NICE).length;
  const thread = startMatcherThread({ config, log: silentLogger(), ingestPressure: pressure.buffer });
  try {
    // Once the thread runs (its nice value is set first thing), it would pull at once if it did not give way.
    await eventually(async () => (threadNices().filter((n) => n === MATCHER_NICE).length === before + 1 ? true : undefined), 10_000, 'the matcher thread running');
    await new Promise((r) => setTimeout(r, 500));
    expect((await backend.bus.stats(MATCHER_SUBSCRIPTION)).pending).toBe(events.length);
    clearInterval(keepSaturated);
    await eventually(async () => ((await backend.bus.stats(MATCHER_SUBSCRIPTION)).pending === 0 ? true : undefined), 10_000, 'the matcher to catch up');
  } finally {
    clearInterval(keepSaturated);
    await thread.stop();
  }
});

it('stop() resolves at once when the thread is idle, and nothing is left leased', async () => {
  const thread = startMatcherThread({ config, log: silentLogger() });
  await new Promise((r) => setTimeout(r, 300));
  await thread.stop();
  expect(await backend.bus.stats(MATCHER_SUBSCRIPTION)).toEqual({ pending: 0, leased: 0, deadLettered: 0 });
});

it('drains in a thread (tieout match) to the same state as the pure fold', async () => {
  const events = fc.sample(historyArb(20, 20), { seed: 9, numRuns: 1 })[0] as CanonicalEvent[];
  await archiveAndPublish(backend, events.map(canonicalEntry));
  const stats = await drainInThread({ config, log: silentLogger() });
  expect(stats.received).toBe(events.length);
  expect(stats.orders.size).toBeGreaterThan(0);
  const docs = [];
  for await (const d of backend.store.scanAll()) docs.push(d.state);
  const ledger = applyAll(events);
  expect(canonicalJson(docs)).toBe(canonicalJson([...ledger.docs.keys()].sort().map((k) => ledger.docs.get(k))));
});

it('when a batch does not fit its heap, drains again with half the batch, down to 100, then gives up with the error', async () => {
  await archiveAndPublish(backend, fc.sample(historyArb(5, 5), { seed: 3, numRuns: 1 })[0]!.map(canonicalEntry));
  const warnings: number[] = [];
  const log = { ...silentLogger(), warn: (o: { batchSize: number }) => warnings.push(o.batchSize) } as unknown as Logger;
  const tight = { ...config, matcher: { ...config.matcher, batchSize: 400 } };
  await expect(drainInThread({ config: tight, log, heapMb: 8 })).rejects.toThrow(/out of memory|heap/i);
  expect(warnings).toEqual([200, 100]);
});
