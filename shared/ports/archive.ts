// The archive port: every raw payload and canonical event, quarantine, and the record of report runs.
import type { CanonicalEvent } from '../domain/events.ts';

/** A payload exactly as it arrived (webhook body with its headers, or one feed row). */
export type RawRecord = {
  /** Stable id of the delivery (`shopify:<webhook id>`, `stripe:evt_…`, `warehouse:<row hash>`). */
  readonly id: string;
  readonly system: string;
  /** The webhook topic or feed kind, when known (`orders/updated`, `charge.refunded`, `ledger-csv`). */
  readonly topic: string | null;
  readonly receivedAt: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
};

/** One append: a raw payload and the canonical events normalized from it. */
export type ArchiveEntry = { readonly raw: RawRecord; readonly events: readonly CanonicalEvent[] };

/** An archived canonical event, in ingest order. */
export type ArchivedEvent = { readonly seq: number; readonly rawId: string; readonly event: CanonicalEvent };

/** An authentic payload that could not be parsed or validated, kept whole with the error. */
export type QuarantineRecord = RawRecord & { readonly error: string; readonly resolvedAt: string | null };

/** Which archived records to scan: by receive time (inclusive from, exclusive to) and/or ids. */
export type ScanFilter = {
  readonly from?: string;
  readonly to?: string;
  readonly rawIds?: readonly string[];
  readonly eventIds?: readonly string[];
};

export type RunStatus = 'started' | 'finished' | 'failed';

/** One nightly run: when it ran, how it ended, where it was posted, and its whole report. */
export type RunRecord = {
  readonly runId: string;
  readonly businessDate: string;
  readonly asOf: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: RunStatus;
  readonly error: string | null;
  /** Where the report went (`slack:<channel>:<ts>`, `file:<path>`), once posted. */
  readonly postedTo: string | null;
  /** The report as JSON (the DESIGN §9 contract), once finished. */
  readonly report: unknown;
};

/** One exception of a run, as it was reported that night. */
export type RunException = {
  readonly runId: string;
  readonly businessDate: string;
  readonly exceptionId: string;
  readonly orderKey: string;
  readonly code: string;
  readonly bucket: string;
  readonly amount: number;
  readonly currency: string;
  readonly narrative: string;
  readonly facts: unknown;
};

/**
 * Long-term memory: append-only raw payloads and their canonical events (the replay source),
 * quarantined payloads, and every report run with its exceptions (the audit trail).
 * `append` is atomic per call and idempotent per raw id and event id.
 */
export interface Archive {
  append(entries: readonly ArchiveEntry[]): Promise<void>;
  scanRaw(filter: ScanFilter, batchSize?: number): AsyncIterable<RawRecord>;
  scanEvents(filter: ScanFilter, batchSize?: number): AsyncIterable<ArchivedEvent>;
  countEvents(filter?: ScanFilter): Promise<number>;
  quarantine(records: readonly (RawRecord & { readonly error: string })[]): Promise<void>;
  listQuarantine(options?: { readonly unresolvedOnly?: boolean; readonly limit?: number }): Promise<QuarantineRecord[]>;
  resolveQuarantine(ids: readonly string[], at: string): Promise<number>;
  recordRun(run: RunRecord, exceptions?: readonly RunException[]): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** Runs, newest business date first (and newest start within a date). */
  listRuns(options?: { readonly businessDate?: string; readonly before?: string; readonly limit?: number }): Promise<RunRecord[]>;
  runExceptions(runId: string): Promise<RunException[]>;
  /** What past reports said about one order, newest first. */
  exceptionsForOrder(orderKey: string, limit?: number): Promise<RunException[]>;
  close(): Promise<void>;
}
