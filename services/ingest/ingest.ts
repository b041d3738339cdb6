// The ingest core: verify, archive and publish (or quarantine) what senders deliver. No matching here.
import { createHash } from 'node:crypto';
import type { Logger } from '#shared/log.ts';
import type { Archive, ArchiveEntry, RawRecord } from '#shared/ports/archive.ts';
import type { EventBus } from '#shared/ports/event-bus.ts';
import { normalizeRaw, SOURCES } from '#shared/sources/registry.ts';
import type { Delivery, NormalizeContext, SourceModule } from '#shared/sources/source.ts';
import { createGroupCommit } from '#shared/group-commit.ts';
import type { IngestPressure } from '#shared/ingest-pressure.ts';
import { archiveAndPublish } from './publish.ts';

/** Webhook secrets per system (several while a secret is rotated). */
export type SecretsBySystem = Readonly<Record<string, readonly string[]>>;

/** What happened to one delivery or feed item. */
export type Outcome =
  | { readonly kind: 'accepted'; readonly rawId: string; readonly events: number }
  | { readonly kind: 'quarantined'; readonly rawId: string; readonly error: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** Counters since start, for logs, health and the report. */
export type IngestCounters = { accepted: number; events: number; quarantined: number; refused: number; refusedBySystem: Record<string, number> };

export type IngestDeps = {
  readonly archive: Archive;
  readonly bus: EventBus;
  readonly secrets: SecretsBySystem;
  readonly normalize: NormalizeContext;
  readonly log: Logger;
  readonly now: () => string;
  /**
   * Where verified records go to be normalized, archived and published (default: `archiveRaw` on
   * this thread, one batch at a time). `tieout serve` on the embedded backend hands them to the
   * writer threads instead: up to `depth` batches at a time, of at most `maxBatch` records.
   */
  readonly writer?: { readonly write: (records: readonly RawRecord[]) => Promise<Outcome[]>; readonly depth: number; readonly maxBatch: number | ((inSystem: number) => number) };
  /** Told each time a delivery waits for the writer (`tieout serve`: the matcher gives way meanwhile). */
  readonly pressure?: Pick<IngestPressure, 'saturated'>;
};

/** A content-derived id for a payload that carries none we can read. */
export function contentId(system: string, body: string | Buffer): string {
  return `${system}:sha256:${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
}

/** What normalizing a batch of raw records gives: entries to archive, payloads to quarantine, and an outcome per record. */
export type Normalized = { readonly entries: ArchiveEntry[]; readonly bad: (RawRecord & { error: string })[]; readonly outcomes: Outcome[] };

/** Normalizes raw records (pure): what normalizes becomes an archive entry, the rest is kept whole for quarantine. */
export function normalizeRecords(records: readonly RawRecord[], ctx: NormalizeContext): Normalized {
  const entries: ArchiveEntry[] = [];
  const outcomes: Outcome[] = [];
  const bad: (RawRecord & { error: string })[] = [];
  for (const raw of records) {
    const result = normalizeRaw(raw, ctx);
    if (result.ok) {
      entries.push({ raw, events: result.value });
      outcomes.push({ kind: 'accepted', rawId: raw.id, events: result.value.length });
    } else {
      const error = result.errors.join('; ');
      bad.push({ ...raw, error });
      outcomes.push({ kind: 'quarantined', rawId: raw.id, error });
    }
  }
  return { entries, bad, outcomes };
}

/** Normalizes raw records; what normalizes is archived and published together, the rest quarantined whole. */
export async function archiveRaw(deps: Pick<IngestDeps, 'archive' | 'bus' | 'normalize'>, records: readonly RawRecord[]): Promise<Outcome[]> {
  const { entries, bad, outcomes } = normalizeRecords(records, deps.normalize);
  if (bad.length > 0) await deps.archive.quarantine(bad);
  await archiveAndPublish(deps, entries);
  return outcomes;
}

/** The webhook path: refuse what is not authentic; keep everything authentic, readable or not. */
export function createIngest(deps: IngestDeps) {
  const counters: IngestCounters = { accepted: 0, events: 0, quarantined: 0, refused: 0, refusedBySystem: {} };
  // Deliveries arriving together are archived and published in one transaction each.
  const saturated = deps.pressure ? { onSaturated: deps.pressure.saturated } : {};
  const commit = deps.writer
    ? createGroupCommit<RawRecord, Outcome>(deps.writer.write, { maxInFlight: deps.writer.depth, maxBatch: deps.writer.maxBatch, ...saturated })
    : createGroupCommit<RawRecord, Outcome>((records) => archiveRaw(deps, records), saturated);

  const count = (o: Outcome, system: string) => {
    if (o.kind === 'accepted') {
      counters.accepted++;
      counters.events += o.events;
    } else if (o.kind === 'quarantined') counters.quarantined++;
    else {
      counters.refused++;
      counters.refusedBySystem[system] = (counters.refusedBySystem[system] ?? 0) + 1;
    }
  };

  /**
   * Receives one webhook. Resolves only after the payload is durably archived and its events
   * published (or the payload quarantined), so the caller may acknowledge the sender.
   * `via: 'pubsub'` is a delivery the sender made to our Pub/Sub topic instead (Shopify; unsigned, its
   * headers as message attributes): the push subscription's OIDC token, checked by the caller, is what
   * authenticates it, so there is no signature to verify; everything else is the same path.
   */
  async function receive(system: string, delivery: Delivery, options: { readonly via?: 'http' | 'pubsub' } = {}): Promise<Outcome> {
    const source: SourceModule | undefined = SOURCES.get(system);
    const trusted = options.via === 'pubsub';
    if (!source?.fromDelivery || (!trusted && !source.verify)) {
      const o: Outcome = { kind: 'refused', reason: `no webhook source ${JSON.stringify(system)}` };
      count(o, system);
      return o;
    }
    const verified = trusted || !source.verify ? { ok: true as const } : source.verify(delivery, deps.secrets[system] ?? [], Date.parse(deps.now()));
    if (!verified.ok) {
      const o: Outcome = { kind: 'refused', reason: verified.reason };
      count(o, system);
      deps.log.warn({ system, reason: verified.reason }, 'webhook refused');
      return o;
    }
    const receivedAt = deps.now();
    const described = source.fromDelivery(delivery, receivedAt);
    let outcome: Outcome;
    if (!described.ok) {
      const raw: RawRecord = { id: contentId(system, delivery.body), system, topic: delivery.headers['x-shopify-topic'] ?? delivery.headers['x-webhook-topic'] ?? null, receivedAt, headers: safeHeaders(delivery.headers), body: delivery.body.toString('utf8') };
      const error = described.errors.join('; ');
      await deps.archive.quarantine([{ ...raw, error }]);
      outcome = { kind: 'quarantined', rawId: raw.id, error };
    } else {
      outcome = await commit.add(described.value);
    }
    count(outcome, system);
    if (outcome.kind === 'quarantined') deps.log.warn({ system, rawId: outcome.rawId, error: outcome.error }, 'authentic payload quarantined');
    return outcome;
  }

  return { receive, counters, drain: commit.drain };
}

const SECRET_HEADERS = new Set(['authorization', 'x-shopify-hmac-sha256', 'stripe-signature', 'webhook-signature', 'cookie']);

/** Headers worth keeping with a payload: everything but credentials and signatures. */
export function safeHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !SECRET_HEADERS.has(k.toLowerCase())));
}

/**
 * Retries quarantined payloads with today's code: what now normalizes is archived, published and
 * marked resolved; the rest stays in quarantine with its new error.
 */
export async function retryQuarantine(deps: Pick<IngestDeps, 'archive' | 'bus' | 'normalize' | 'now'>): Promise<{ retried: number; resolved: number; stillFailing: number }> {
  const pending = await deps.archive.listQuarantine({ unresolvedOnly: true });
  if (pending.length === 0) return { retried: 0, resolved: 0, stillFailing: 0 };
  const outcomes = await archiveRaw(deps, pending.map(({ error: _e, resolvedAt: _r, ...raw }) => raw));
  const fixed = outcomes.flatMap((o) => (o.kind === 'accepted' ? [o.rawId] : []));
  await deps.archive.resolveQuarantine(fixed, deps.now());
  return { retried: pending.length, resolved: fixed.length, stillFailing: pending.length - fixed.length };
}
