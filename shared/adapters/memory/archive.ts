// An in-memory archive with the SQLite archive's semantics, for unit tests only (nothing survives the process).
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CanonicalEvent } from '../../domain/events.ts';
import { checkBatchSize, checkEvent, checkRaw, checkRun, instantOf, normalizeFilter } from '../archive-checks.ts';
import type {
  Archive,
  ArchivedEvent,
  ArchiveEntry,
  QuarantineRecord,
  RawRecord,
  RunException,
  RunRecord,
  ScanFilter,
} from '../../ports/archive.ts';

type RawRow = { readonly seq: number; readonly id: string; readonly receivedAt: string; readonly json: string };
type EventRow = { readonly seq: number; readonly id: string; readonly rawId: string; readonly receivedAt: string; readonly json: string };
type QuarantineRow = { readonly json: string; readonly receivedAt: string; readonly id: string; resolvedAt: string | null };

/**
 * Creates an empty archive held in memory. Values are stored as JSON text and parsed on the way
 * out, exactly like the SQLite archive, so callers get the same copies, ordering and errors.
 */
export function createMemoryArchive(): Archive {
  let closed = false;
  const raws: RawRow[] = [];
  const rawIds = new Set<string>();
  const events: EventRow[] = [];
  const eventsById = new Map<string, EventRow>();
  const quarantined = new Map<string, QuarantineRow>();
  const runs = new Map<string, string>();
  const exceptions = new Map<string, string[]>();

  const live = (): void => {
    if (closed) throw new Error('archive (memory) is closed');
  };

  /** The rows a filter selects among the first `upTo` rows, in seq order. */
  const select = <Row extends RawRow | EventRow>(rows: readonly Row[], upTo: number, filter: ScanFilter, isEvents: boolean): Row[] => {
    const byRaw = filter.rawIds === undefined ? undefined : new Set(filter.rawIds);
    const byEvent =
      filter.eventIds === undefined
        ? undefined
        : isEvents
          ? new Set(filter.eventIds)
          : new Set(filter.eventIds.flatMap((id) => eventsById.get(id)?.rawId ?? []));
    return rows.slice(0, upTo).filter((row) => {
      if (filter.from !== undefined && row.receivedAt < filter.from) return false;
      if (filter.to !== undefined && row.receivedAt >= filter.to) return false;
      if (byRaw !== undefined && !byRaw.has('rawId' in row ? row.rawId : row.id)) return false;
      if (byEvent !== undefined && !byEvent.has(row.id)) return false;
      return true;
    });
  };

  /** Snapshots at the first page, like the SQLite archive's watermark, and pauses between pages. */
  async function* scan<Row extends RawRow | EventRow, Out>(
    rows: readonly Row[],
    isEvents: boolean,
    filter: ScanFilter,
    batchSize: number,
    map: (row: Row) => Out,
  ): AsyncGenerator<Out> {
    live();
    const selected = select(rows, rows.length, filter, isEvents);
    for (let i = 0; i < selected.length; i += batchSize) {
      if (i > 0) await yieldToEventLoop();
      live();
      for (const row of selected.slice(i, i + batchSize)) yield map(row);
    }
  }

  return {
    async append(entries: readonly ArchiveEntry[]): Promise<void> {
      live();
      // Everything is checked and serialized before anything is stored: one call is all or nothing.
      const newRaws: Omit<RawRow, 'seq'>[] = [];
      const newEvents: Omit<EventRow, 'seq'>[] = [];
      const seenRaw = new Set<string>();
      const seenEvent = new Set<string>();
      for (const { raw, events: evs } of entries) {
        checkRaw(raw);
        const json = JSON.stringify(rawOf(raw));
        if (!rawIds.has(raw.id) && !seenRaw.has(raw.id)) {
          seenRaw.add(raw.id);
          newRaws.push({ id: raw.id, receivedAt: raw.receivedAt, json });
        }
        for (const e of evs) {
          checkEvent(e);
          const eventJson = JSON.stringify(e);
          if (eventsById.has(e.id) || seenEvent.has(e.id)) continue;
          seenEvent.add(e.id);
          newEvents.push({ id: e.id, rawId: raw.id, receivedAt: e.receivedAt, json: eventJson });
        }
      }
      for (const r of newRaws) {
        raws.push({ seq: raws.length + 1, ...r });
        rawIds.add(r.id);
      }
      for (const e of newEvents) {
        const row = { seq: events.length + 1, ...e };
        events.push(row);
        eventsById.set(row.id, row);
      }
    },

    scanRaw(filter: ScanFilter, batchSize = 1000): AsyncIterable<RawRecord> {
      const f = normalizeFilter(filter);
      checkBatchSize(batchSize);
      return scan(raws, false, f, batchSize, (row) => JSON.parse(row.json) as RawRecord);
    },

    scanEvents(filter: ScanFilter, batchSize = 1000): AsyncIterable<ArchivedEvent> {
      const f = normalizeFilter(filter);
      checkBatchSize(batchSize);
      return scan(events, true, f, batchSize, (row): ArchivedEvent => ({ seq: row.seq, rawId: row.rawId, event: JSON.parse(row.json) as CanonicalEvent }));
    },

    async countEvents(filter: ScanFilter = {}): Promise<number> {
      live();
      return select(events, events.length, normalizeFilter(filter), true).length;
    },

    async quarantine(records): Promise<void> {
      live();
      const rows = records.map((r): QuarantineRow => {
        checkRaw(r);
        return { id: r.id, receivedAt: r.receivedAt, json: JSON.stringify({ ...rawOf(r), error: String(r.error) }), resolvedAt: null };
      });
      // A payload quarantined again is a problem again, even if an earlier copy was resolved.
      for (const row of rows) quarantined.set(row.id, row);
    },

    async listQuarantine(options = {}): Promise<QuarantineRecord[]> {
      live();
      const limit = limitOf(options.limit);
      return [...quarantined.values()]
        .filter((row) => !options.unresolvedOnly || row.resolvedAt === null)
        .sort((a, b) => binary(b.receivedAt, a.receivedAt) || binary(b.id, a.id))
        .slice(0, limit)
        .map((row) => ({ ...(JSON.parse(row.json) as Omit<QuarantineRecord, 'resolvedAt'>), resolvedAt: row.resolvedAt }));
    },

    async resolveQuarantine(ids: readonly string[], at: string): Promise<number> {
      live();
      const when = instantOf(at, 'at');
      let resolved = 0;
      for (const id of new Set(ids)) {
        const row = quarantined.get(id);
        if (row !== undefined && row.resolvedAt === null) {
          row.resolvedAt = when;
          resolved += 1;
        }
      }
      return resolved;
    },

    async recordRun(run: RunRecord, xs?: readonly RunException[]): Promise<void> {
      live();
      checkRun(run, xs);
      const runJson = JSON.stringify(runOf(run));
      const rows = xs?.map((x) => JSON.stringify(exceptionOf(x)));
      runs.set(run.runId, runJson);
      if (rows !== undefined) exceptions.set(run.runId, rows);
    },

    async getRun(runId: string): Promise<RunRecord | undefined> {
      live();
      const json = runs.get(runId);
      return json === undefined ? undefined : (JSON.parse(json) as RunRecord);
    },

    async listRuns(options = {}): Promise<RunRecord[]> {
      live();
      const { businessDate, before } = options;
      return [...runs.values()]
        .map((json) => JSON.parse(json) as RunRecord)
        .filter((r) => (businessDate === undefined || r.businessDate === businessDate) && (before === undefined || binary(r.businessDate, before) < 0))
        .sort(newestRunFirst)
        .slice(0, limitOf(options.limit));
    },

    async runExceptions(runId: string): Promise<RunException[]> {
      live();
      return (exceptions.get(runId) ?? []).map((json) => JSON.parse(json) as RunException).sort((a, b) => binary(a.exceptionId, b.exceptionId));
    },

    async exceptionsForOrder(orderKey: string, limit?: number): Promise<RunException[]> {
      live();
      const max = limitOf(limit);
      const found: { run: RunRecord; x: RunException }[] = [];
      for (const [runId, rows] of exceptions) {
        const json = runs.get(runId);
        if (json === undefined) continue;
        const run = JSON.parse(json) as RunRecord;
        for (const row of rows) {
          const x = JSON.parse(row) as RunException;
          if (x.orderKey === orderKey) found.push({ run, x });
        }
      }
      return found
        .sort((a, b) => newestRunFirst(a.run, b.run) || binary(a.x.exceptionId, b.x.exceptionId))
        .slice(0, max)
        .map(({ x }) => x);
    },

    async close(): Promise<void> {
      closed = true;
    },
  };
}

function rawOf(r: RawRecord): RawRecord {
  return { id: r.id, system: r.system, topic: r.topic ?? null, receivedAt: r.receivedAt, headers: r.headers, body: r.body };
}

function runOf(r: RunRecord): RunRecord {
  return {
    runId: r.runId,
    businessDate: r.businessDate,
    asOf: r.asOf,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt ?? null,
    status: r.status,
    error: r.error ?? null,
    postedTo: r.postedTo ?? null,
    report: r.report ?? null,
  };
}

function exceptionOf(x: RunException): RunException {
  return {
    runId: x.runId,
    businessDate: x.businessDate,
    exceptionId: x.exceptionId,
    orderKey: x.orderKey,
    code: x.code,
    bucket: x.bucket,
    amount: x.amount,
    currency: x.currency,
    narrative: x.narrative,
    facts: x.facts ?? null,
  };
}

function newestRunFirst(a: RunRecord, b: RunRecord): number {
  return binary(b.businessDate, a.businessDate) || binary(b.startedAt, a.startedAt) || binary(b.runId, a.runId);
}

/** SQLite's BINARY collation: UTF-8 byte order, which differs from `<` on UTF-16 above U+FFFF. */
function binary(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}
