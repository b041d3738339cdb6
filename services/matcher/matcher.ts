// The matcher: pulls canonical events off the bus and folds them into order state, exactly once in effect.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Backend } from '#shared/backend.ts';
import { checkConfigOf, type Config } from '#shared/config.ts';
import type { CheckConfig } from '#shared/domain/checks.ts';
import { readCanonicalEvent, type CanonicalEvent } from '#shared/domain/events.ts';
import type { Logger } from '#shared/log.ts';
import { MATCHER_SUBSCRIPTION, type Delivery, type EventBus } from '#shared/ports/event-bus.ts';
import type { OrderStateStore } from '#shared/ports/order-state-store.ts';
import { foldEvents } from './fold.ts';

export type MatcherOptions = {
  readonly bus: EventBus;
  readonly store: OrderStateStore;
  readonly subscription: string;
  readonly checkConfig: CheckConfig;
  readonly log: Logger;
  /** The clock (ISO instant), injected so tests can fix it. */
  readonly now?: () => string;
  readonly batchSize?: number;
  readonly leaseMs?: number;
  /** How long `run` waits before polling an empty bus again. */
  readonly idleMs?: number;
  /**
   * While this says true, `run` waits before its next pull (asking again every GIVE_WAY_POLL_MS),
   * but never more than `maxGiveWayMs` in a row, so the matcher always makes progress. `tieout
   * serve` passes whether ingest was just saturated: webhook senders wait on ingest, the matcher can catch up.
   */
  readonly giveWay?: () => boolean;
  /** The longest `run` gives way before it takes one batch anyway (default MAX_GIVE_WAY_MS). */
  readonly maxGiveWayMs?: number;
};

/** How often a matcher giving way (`MatcherOptions.giveWay`) asks again. */
export const GIVE_WAY_POLL_MS = 10;
/**
 * The longest a matcher gives way before it takes one batch anyway: under a burst that saturates
 * ingest for good it still applies a batch every few seconds, and catches up once the burst is over.
 * All services, 20 s at 128 connections (BENCHMARKS.md §7): at most 1 s, and resuming 100 ms after
 * ingest was last saturated, the matcher took a 2,000-event batch about twice a second, 9,400–9,900
 * webhooks/s, p99 34–36 ms; at most 5 s, resuming after 1 s, 10,160–10,180/s, p99 24–25 ms.
 */
export const MAX_GIVE_WAY_MS = 5_000;

/** Counts since the matcher started. */
export type MatcherStats = {
  received: number;
  applied: number;
  duplicates: number;
  merged: number;
  /** Messages given back because they could not be read or applied (dead-lettered after N attempts). */
  rejected: number;
  batches: number;
  /** Times `run` waited GIVE_WAY_POLL_MS for ingest (`MatcherOptions.giveWay`). */
  gaveWay: number;
  orders: Set<string>;
};

export type Matcher = {
  /** Pulls and applies one batch; returns how many messages it received (0 when the bus was empty). */
  runOnce(): Promise<number>;
  /**
   * Applies everything pending, then resolves. Messages still leased by a matcher that stopped
   * (a crash) are waited for until their lease ends, so nothing is left behind.
   */
  drain(options?: { readonly onWait?: (leased: number) => void }): Promise<MatcherStats>;
  /** Runs until `stop()`; the batch in hand is finished, committed and acked before it resolves. */
  run(): Promise<MatcherStats>;
  stop(): void;
  readonly stats: MatcherStats;
};

type Parsed = { delivery: Delivery; event: CanonicalEvent };

function parse(d: Delivery): { ok: true; value: Parsed } | { ok: false; error: string } {
  const event = readCanonicalEvent(d.data);
  return event.ok ? { ok: true, value: { delivery: d, event: event.value } } : { ok: false, error: event.errors.join('; ') };
}

/** The matcher a configuration describes, over a backend's bus and store (`tieout match`, serve, its thread). */
export function matcherFor(
  config: Config,
  backend: Pick<Backend, 'bus' | 'store'>,
  log: Logger,
  options: Pick<MatcherOptions, 'now' | 'giveWay' | 'maxGiveWayMs'> = {},
): Matcher {
  return createMatcher({
    ...options,
    bus: backend.bus,
    store: backend.store,
    subscription: MATCHER_SUBSCRIPTION,
    checkConfig: checkConfigOf(config),
    log,
    batchSize: config.matcher.batchSize,
    leaseMs: config.matcher.leaseSeconds * 1000,
  });
}

/** Creates a matcher over a bus subscription and a state store. */
export function createMatcher(options: MatcherOptions): Matcher {
  const { bus, store, subscription, checkConfig, log } = options;
  const now = options.now ?? (() => new Date().toISOString());
  const batchSize = options.batchSize ?? 2000;
  const leaseMs = options.leaseMs ?? 30_000;
  const idleMs = options.idleMs ?? 500;
  const stats: MatcherStats = { received: 0, applied: 0, duplicates: 0, merged: 0, rejected: 0, batches: 0, gaveWay: 0, orders: new Set() };
  let stopping = false;
  let wake: (() => void) | undefined;

  async function commit(items: readonly Parsed[]): Promise<void> {
    const result = await store.transact((tx) => foldEvents(tx, items.map((i) => i.event), { checkConfig, now: now() }));
    await bus.ack(subscription, items.map((i) => i.delivery.ackId));
    stats.applied += result.applied;
    stats.duplicates += result.duplicates;
    stats.merged += result.merged;
    for (const k of result.written) stats.orders.add(k);
  }

  async function reject(deliveries: readonly Delivery[], error: string): Promise<void> {
    stats.rejected += deliveries.length;
    log.warn({ messages: deliveries.map((d) => ({ id: d.id, attempt: d.attempt })), error }, 'message rejected; it will be redelivered, then dead-lettered');
    await bus.nack(subscription, deliveries.map((d) => d.ackId), error);
  }

  const maxGiveWayMs = options.maxGiveWayMs ?? MAX_GIVE_WAY_MS;
  /** Since when `run` has been giving way with only forced batches between (undefined: it is not). */
  let givingWaySince: number | undefined;
  /** Waits while `giveWay` says so, up to `maxGiveWayMs` (or until `stop`); says when it starts and stops giving way. */
  async function gaveWay(): Promise<void> {
    const giveWay = options.giveWay;
    if (giveWay === undefined) return;
    const start = Date.now();
    while (!stopping) {
      if (!giveWay()) {
        if (givingWaySince !== undefined) {
          const backlog = await bus.stats(subscription).catch(() => undefined);
          log.info({ gaveWayMs: Date.now() - givingWaySince, ...(backlog ? { pending: backlog.pending } : {}) }, 'ingest is no longer saturated: the matcher catches up');
          givingWaySince = undefined;
        }
        return;
      }
      if (Date.now() - start >= maxGiveWayMs) return; // one batch anyway; still giving way
      if (givingWaySince === undefined) {
        givingWaySince = Date.now();
        log.info({ batchAtLeastEveryMs: maxGiveWayMs }, 'ingest is saturated: the matcher gives way');
      }
      stats.gaveWay++;
      await new Promise((r) => setTimeout(r, GIVE_WAY_POLL_MS));
    }
  }

  async function runOnce(): Promise<number> {
    const deliveries = await bus.pull(subscription, { max: batchSize, leaseMs });
    if (deliveries.length === 0) return 0;
    stats.received += deliveries.length;
    stats.batches++;
    const good: Parsed[] = [];
    for (const d of deliveries) {
      const p = parse(d);
      if (p.ok) good.push(p.value);
      else await reject([d], p.error);
    }
    if (good.length === 0) return deliveries.length;
    try {
      await commit(good);
    } catch (e) {
      // One bad event must not hold back the batch: retry each alone and reject only what fails.
      log.warn({ error: (e as Error).message, size: good.length }, 'batch failed; applying its events one by one');
      for (const item of good) {
        try {
          await commit([item]);
        } catch (inner) {
          await reject([item.delivery], (inner as Error).message);
        }
      }
    }
    return deliveries.length;
  }

  return {
    stats,
    runOnce,
    async drain(opts = {}) {
      for (;;) {
        // The embedded stores answer synchronously, so without a yield a backlog would hold the event
        // loop until it is drained: no timers, no HTTP (ingest in `tieout serve`), no SIGTERM handler.
        while ((await runOnce()) > 0) await yieldToEventLoop();
        const { leased } = await bus.stats(subscription);
        if (leased === 0) return stats;
        opts.onWait?.(leased);
        await new Promise((r) => setTimeout(r, Math.min(1000, leaseMs / 4)));
      }
    },
    async run() {
      while (!stopping) {
        await gaveWay();
        if (stopping) break;
        const n = await runOnce();
        if (n > 0) await yieldToEventLoop();
        else if (!stopping) await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, idleMs).unref?.();
        });
      }
      return stats;
    },
    stop() {
      stopping = true;
      wake?.();
    },
  };
}
