import fc from 'fast-check';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createMemoryOrderStateStore } from '#shared/adapters/memory/order-state-store.ts';
import { DEFAULT_CHECK_CONFIG } from '#shared/domain/checks.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { silentLogger } from '#shared/log.ts';
import { DEFAULT_NORMALIZE_CONTEXT } from '#shared/sources/source.ts';
import { historyArb } from '../../test/support/arbitraries.ts';
import { openEmbeddedFixture, type EmbeddedFixture } from '../../test/support/embedded.ts';
import { archiveAndPublish, canonicalEntry } from '../ingest/publish.ts';
import { matcherFor } from './matcher.ts';
import { replay } from './replay.ts';
import { ReplayHeapExhausted, replayInThread } from './replay-thread.ts';

const NOW = '2026-11-26T07:00:00.000Z';
let fx: EmbeddedFixture;

beforeEach(async () => {
  fx = await openEmbeddedFixture('tieout-replay-thread-');
  const events = fc.sample(historyArb(25, 25), { seed: 11, numRuns: 1 })[0] as CanonicalEvent[];
  await archiveAndPublish(fx.backend, events.map(canonicalEntry));
  await matcherFor(fx.config, fx.backend, silentLogger(), { now: () => NOW }).drain();
});
afterEach(async () => {
  await fx.cleanup();
});

it('gives the same result as a replay on this thread, and reports progress', async () => {
  const progress: number[] = [];
  const inThread = await replayInThread({ config: fx.config, selection: {}, into: 'shadow', now: NOW, onProgress: (done) => progress.push(done) });
  const here = await replay(
    { archive: fx.backend.archive, store: fx.backend.store, shadow: createMemoryOrderStateStore(), checkConfig: DEFAULT_CHECK_CONFIG, normalize: DEFAULT_NORMALIZE_CONTEXT, now: () => NOW },
    {},
    'shadow',
  );
  expect(inThread).toEqual(here);
  expect(inThread.differences).toEqual([]);
  expect(progress.at(-1)).toBe(inThread.payloads);
});

it('says when its heap was too small, as an error the caller can act on', async () => {
  await expect(replayInThread({ config: fx.config, selection: {}, into: 'shadow', now: NOW, heapMb: 8 })).rejects.toBeInstanceOf(ReplayHeapExhausted);
  await expect(replayInThread({ config: fx.config, selection: {}, into: 'shadow', now: NOW, heapMb: 2 })).rejects.toThrow(/at least 8/);
});
