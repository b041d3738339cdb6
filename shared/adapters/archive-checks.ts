// Checks every Archive adapter applies before an append or a run is written, so bad input fails loudly.
import type { CanonicalEvent } from '../domain/events.ts';
import { canonicalInstant } from '../domain/instant.ts';
import type { RawRecord, RunException, RunRecord, ScanFilter } from '../ports/archive.ts';

/** Checks the fields the archive indexes on, so a malformed entry fails the whole append. */
export function checkRaw(record: RawRecord): void {
  const r = record as { readonly id?: unknown; readonly system?: unknown; readonly receivedAt?: unknown; readonly body?: unknown };
  if (typeof r.id !== 'string' || r.id === '') throw new TypeError('raw record needs a non-empty id');
  if (typeof r.system !== 'string' || typeof r.body !== 'string') throw new TypeError(`raw record ${r.id} needs a system and a string body`);
  if (typeof r.receivedAt !== 'string' || canonicalInstant(r.receivedAt) !== r.receivedAt) throw new TypeError(`raw record ${r.id} has a non-canonical receivedAt`);
}

/** Checks a canonical event's indexed fields (read loosely: replays and fixtures can hand in anything). */
export function checkEvent(event: CanonicalEvent): void {
  const e = event as { readonly id?: unknown; readonly kind?: unknown; readonly receivedAt?: unknown; readonly occurredAt?: unknown };
  if (typeof e.id !== 'string' || e.id === '') throw new TypeError('canonical event needs a non-empty id');
  if (typeof e.kind !== 'string') throw new TypeError(`event ${e.id} needs a kind`);
  if (typeof e.receivedAt !== 'string' || canonicalInstant(e.receivedAt) !== e.receivedAt) throw new TypeError(`event ${e.id} has a non-canonical receivedAt`);
  if (typeof e.occurredAt !== 'string') throw new TypeError(`event ${e.id} needs occurredAt`);
}

/** Checks a run and its exceptions: a known status, exceptions of this run, integer amounts, no id twice. */
export function checkRun(run: RunRecord, exceptions: readonly RunException[] | undefined): void {
  if (!['started', 'finished', 'failed'].includes(run.status)) throw new TypeError(`run ${run.runId} has an unknown status ${String(run.status)}`);
  const ids = new Set<string>();
  for (const x of exceptions ?? []) {
    if (x.runId !== run.runId || x.businessDate !== run.businessDate) {
      throw new TypeError(`exception ${x.exceptionId} belongs to run ${x.runId} (${x.businessDate}), not ${run.runId} (${run.businessDate})`);
    }
    if (!Number.isSafeInteger(x.amount)) throw new TypeError(`exception ${x.exceptionId} amount must be integer minor units`);
    if (ids.has(x.exceptionId)) throw new TypeError(`exception ${x.exceptionId} appears twice in run ${run.runId}`);
    ids.add(x.exceptionId);
  }
}

/** Checks a scan's page size. */
export function checkBatchSize(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`batchSize must be a positive integer, got ${n}`);
}

/** Canonicalises a filter's `from`/`to`, so comparing the strings compares the instants. */
export function normalizeFilter(filter: ScanFilter): ScanFilter {
  return {
    ...filter,
    ...(filter.from !== undefined ? { from: instantOf(filter.from, 'from') } : {}),
    ...(filter.to !== undefined ? { to: instantOf(filter.to, 'to') } : {}),
  };
}

/** A caller's instant in canonical form, or a RangeError naming the argument. */
export function instantOf(text: string, name: string): string {
  const canonical = canonicalInstant(text);
  if (canonical === undefined) throw new RangeError(`${name} must be an ISO 8601 instant with a zone, got ${JSON.stringify(text)}`);
  return canonical;
}
