// The ledger pull as the nightly run's first step: pull the books, give the matcher a moment to apply them, report; never throw.
import type { Config, LedgerPullConfig } from '#shared/config.ts';
import type { CanonicalEvent } from '#shared/domain/events.ts';
import { isAnchor, refValue } from '#shared/domain/refs.ts';
import type { FeedPull } from '#shared/domain/report.ts';
import type { Logger } from '#shared/log.ts';
import type { Archive, RawRecord } from '#shared/ports/archive.ts';
import type { EventBus } from '#shared/ports/event-bus.ts';
import type { OrderStateStore } from '#shared/ports/order-state-store.ts';
import type { WarehouseLedger } from '#shared/ports/warehouse-ledger.ts';
import { normalizeContextOf } from '#shared/sources/context.ts';
import { normalizeRaw } from '#shared/sources/registry.ts';
import type { NormalizeContext } from '#shared/sources/source.ts';
import { latestWatermark } from './ledger-watermark.ts';
import { newlyAccepted, pullWarehouseLedger } from './warehouse-pull.ts';

/** How many of the newest pulled entries are checked for having been applied. */
const CHECKED = 1000;
const POLL_MS = 250;

export type NightlyLedgerPullDeps = {
  readonly archive: Archive;
  readonly bus: EventBus;
  readonly store: OrderStateStore;
  readonly normalize: NormalizeContext;
  readonly settings: LedgerPullConfig;
  /** The ledger, opened on first use (BigQuery's client is loaded only when a night pulls). */
  readonly ledger: () => Promise<WarehouseLedger>;
  readonly log: Logger;
  readonly now: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock for the wait only (milliseconds). */
  readonly clockMs?: () => number;
};

/** Whether the matcher has folded `event` into the document its references lead to. */
async function isApplied(store: OrderStateStore, event: CanonicalEvent): Promise<boolean> {
  for (const ref of event.refs) {
    const key = (await store.resolve(ref)) ?? (isAnchor(ref) ? refValue(ref) : ref);
    const doc = await store.get(key);
    if (doc?.state.eventIds.includes(event.id)) return true;
  }
  return false;
}

/**
 * Waits until the matcher has applied `events`, or `timeoutMs` has passed; resolves to how many were
 * still not applied. The matcher may run elsewhere (another Cloud Run service), so this reads order
 * state rather than the bus: Pub/Sub counts a peek as a delivery attempt.
 */
export async function waitUntilApplied(store: OrderStateStore, events: readonly CanonicalEvent[], timeoutMs: number, sleep: (ms: number) => Promise<void>, clockMs: () => number): Promise<number> {
  const deadline = clockMs() + timeoutMs;
  let left = [...events];
  for (;;) {
    const still: CanonicalEvent[] = [];
    for (const e of left) if (!(await isApplied(store, e))) still.push(e);
    left = still;
    if (left.length === 0 || clockMs() >= deadline) return left.length;
    await sleep(POLL_MS);
  }
}

/**
 * The nightly run's ledger pull (`NightlyDeps.pullFeeds`): pulls the ledger, waits up to
 * `settings.applyTimeoutSeconds` for the matcher to apply the newest pulled entries, so the night sees
 * tonight's books, and reports it. A failure (BigQuery unreachable, the table missing, an archive or
 * bus error) is logged and reported as a failed pull, the watermark unmoved; it never stops the night.
 */
export function createNightlyLedgerPull(deps: NightlyLedgerPullDeps): () => Promise<readonly FeedPull[]> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clockMs = deps.clockMs ?? Date.now;
  const feed = `warehouse ledger ${deps.settings.table}`;
  return async () => {
    const fresh: RawRecord[] = [];
    try {
      const ledger = await deps.ledger();
      const summary = await pullWarehouseLedger(
        { archive: deps.archive, bus: deps.bus, normalize: deps.normalize, ledger, now: deps.now },
        {
          start: deps.settings.since,
          lookbackHours: deps.settings.lookbackHours,
          pageSize: deps.settings.pageSize,
          onArchived: (records, outcomes, known) => {
            fresh.push(...newlyAccepted(records, outcomes, known));
            if (fresh.length > CHECKED) fresh.splice(0, fresh.length - CHECKED);
          },
        },
      );
      const events = fresh.flatMap((raw) => {
        const normalized = normalizeRaw(raw, deps.normalize);
        return normalized.ok ? normalized.value : [];
      });
      const unapplied = events.length === 0 ? 0 : await waitUntilApplied(deps.store, events, deps.settings.applyTimeoutSeconds * 1000, sleep, clockMs);
      const { rows, events: published, duplicates, quarantined, watermark } = summary;
      deps.log.info({ feed, rows, events: published, duplicates, quarantined, readAfter: summary.readAfter, watermark, unapplied }, 'warehouse ledger pulled');
      if (unapplied > 0) deps.log.warn({ feed, unapplied, waitedSeconds: deps.settings.applyTimeoutSeconds }, 'pulled ledger entries not yet applied by the matcher when the night is computed');
      return [{ feed, status: 'pulled', rows, events: published, duplicates, quarantined, watermark, unapplied, error: null }];
    } catch (e) {
      const error = (e as Error).message;
      deps.log.error({ feed, error }, 'warehouse ledger pull failed; the night goes on with the entries pulled before');
      // Where the books stand despite the failure, when the archive can still say.
      const watermark = await latestWatermark(deps.archive, deps.settings.table).then(
        (w) => w?.watermark ?? null,
        () => null,
      );
      return [{ feed, status: 'failed', rows: 0, events: 0, duplicates: 0, quarantined: 0, watermark, unapplied: 0, error }];
    }
  };
}

/**
 * The nightly ledger pull for a configuration and its stores, or undefined when no ledger table is
 * configured. The ledger is BigQuery (`warehouse.ledgerTable`), whichever backend holds the archive.
 */
export function nightlyLedgerPullFor(
  config: Config,
  stores: { readonly archive: Archive; readonly bus: EventBus; readonly store: OrderStateStore },
  log: Logger,
  now: () => string,
): (() => Promise<readonly FeedPull[]>) | undefined {
  const settings = config.warehouse.ledger;
  if (settings === undefined) return undefined;
  let opened: Promise<WarehouseLedger> | undefined;
  return createNightlyLedgerPull({
    ...stores,
    normalize: normalizeContextOf(config),
    settings,
    ledger: () => (opened ??= openLedger(settings)),
    log,
    now,
  });
}

/** The BigQuery ledger a configuration names (the client library is loaded only here). */
export async function openLedger(settings: LedgerPullConfig): Promise<WarehouseLedger> {
  const { createBigQueryLedger } = await import('#shared/adapters/gcp/bigquery-ledger.ts');
  return createBigQueryLedger({
    projectId: settings.project,
    table: settings.table,
    ...(settings.location !== undefined ? { location: settings.location } : {}),
    ...(settings.bigqueryEndpoint !== undefined ? { apiEndpoint: settings.bigqueryEndpoint } : {}),
  });
}
