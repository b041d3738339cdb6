// The warehouse ledger pull (DESIGN §3): the books' new entries from BigQuery, through the same durable path as a ledger CSV.
//
// One pull: read the ledger's stored watermark (ledger-watermark.ts), run the feed query for entries
// booked after it minus the lookback (late commits land behind the watermark; rows read twice are
// counted as duplicates and deduped by every sink), hand every row to the CSV import path in batches —
// the same raw record, id and event as that row in a ledger CSV, archived and published before the next
// batch, a bad row quarantined with its error — and only then store the new watermark: the largest
// booked_at returned (never the clock, never backwards). Any failure before that leaves the watermark
// where it was, so the next pull reads the same entries again.
//
// The query returns the default CSV column names; when `warehouse.columns` renames them (for a CSV
// export), each row is renamed the same way before it is archived, so a pulled row and a CSV row are one
// layout and replay re-reads both with the same configuration.
import { canonicalInstant, HOUR_MS, maxInstant } from '#shared/domain/instant.ts';
import type { Archive, RawRecord } from '#shared/ports/archive.ts';
import type { EventBus } from '#shared/ports/event-bus.ts';
import type { LedgerRow, WarehouseLedger } from '#shared/ports/warehouse-ledger.ts';
import { DEFAULT_NORMALIZE_CONTEXT, type NormalizeContext } from '#shared/sources/source.ts';
import { importFeedRows, type ImportOptions } from './files.ts';
import { latestWatermark, storeWatermark } from './ledger-watermark.ts';

export type PullDeps = {
  readonly archive: Archive;
  readonly bus: EventBus;
  readonly normalize: NormalizeContext;
  readonly ledger: WarehouseLedger;
  readonly now: () => string;
};

export type PullOptions = {
  /** Where a ledger's first pull starts (entries booked after it). */
  readonly start: string;
  /** How far behind the stored watermark a pull reads again, in hours. */
  readonly lookbackHours: number;
  /** Read the entries booked after this instant instead (no lookback): a backfill or a new start. */
  readonly since?: string;
  /** Read, normalize and count, but archive, publish and store nothing. */
  readonly dryRun?: boolean;
  /** Rows per result page (the rows are archived and published in the CSV import's batches of 1,000). */
  readonly pageSize?: number;
  /** Called after each batch is archived and published (see `ImportOptions.onArchived`). */
  readonly onArchived?: ImportOptions['onArchived'];
};

/** What one pull read and did. */
export type PullSummary = {
  readonly table: string;
  readonly dryRun: boolean;
  /** The @watermark the query was bound to: entries booked strictly after it were read. */
  readonly readAfter: string;
  /** The stored watermark before the pull, if any. */
  readonly previousWatermark: string | null;
  /** The watermark after it (stored, unless a dry run or nothing new was read). */
  readonly watermark: string | null;
  readonly rows: number;
  /** Events archived and published (a re-read row's event is published again and deduped downstream). */
  readonly events: number;
  /** Rows already in the archive (read again through the lookback, or imported from CSV before). */
  readonly duplicates: number;
  readonly quarantined: number;
  /** The first quarantined rows, by position in the result. */
  readonly quarantine: readonly { readonly row: number; readonly error: string }[];
};

const DEFAULT_COLUMNS = DEFAULT_NORMALIZE_CONTEXT.warehouseColumns;

/** A pulled row as the ledger CSV would have it: the configured column names, empty text for NULL. */
export function asCsvRow(row: LedgerRow, columns: NormalizeContext['warehouseColumns']): Record<string, string> {
  const renamed = new Map<string, string>();
  for (const key of Object.keys(DEFAULT_COLUMNS) as (keyof typeof DEFAULT_COLUMNS)[]) renamed.set(DEFAULT_COLUMNS[key], columns[key]);
  const out: Record<string, string> = {};
  for (const [column, value] of Object.entries(row)) out[renamed.get(column) ?? column] = value ?? '';
  return out;
}

/** Archive and bus that keep nothing: a dry run goes through the real path and stores nothing. */
function readOnly(deps: Pick<PullDeps, 'archive' | 'bus'>): Pick<PullDeps, 'archive' | 'bus'> {
  return {
    archive: { ...deps.archive, append: async () => {}, quarantine: async () => {} },
    bus: { ...deps.bus, publish: async () => {} },
  };
}

/**
 * Pulls the ledger's entries booked after its watermark (see the module header) and resolves to what
 * it did. Throws when the ledger cannot be read or a batch cannot be archived and published; the
 * watermark is then not moved.
 */
export async function pullWarehouseLedger(deps: PullDeps, options: PullOptions): Promise<PullSummary> {
  const table = deps.ledger.name;
  const previous = await latestWatermark(deps.archive, table);
  const since = options.since === undefined ? undefined : canonicalInstant(options.since);
  if (options.since !== undefined && since === undefined) throw new RangeError(`since must be an ISO 8601 instant with a zone, got ${JSON.stringify(options.since)}`);
  if (!(options.lookbackHours >= 0)) throw new RangeError(`lookbackHours must be zero or more, got ${options.lookbackHours}`);
  const readAfter = since ?? (previous !== undefined ? new Date(Date.parse(previous.watermark) - options.lookbackHours * HOUR_MS).toISOString() : options.start);

  let rows = 0;
  let latest: string | undefined;
  const columns = deps.normalize.warehouseColumns;
  const read = async function* (): AsyncGenerator<Record<string, string>> {
    for await (const page of deps.ledger.entriesAfter(readAfter, options.pageSize)) {
      for (const row of page) {
        rows++;
        // Every row returned counts, quarantined or not: it is kept (in quarantine) and replayable after a fix.
        const booked = typeof row[DEFAULT_COLUMNS.bookedAt] === 'string' ? canonicalInstant(row[DEFAULT_COLUMNS.bookedAt] as string) : undefined;
        latest = maxInstant(latest, booked);
        yield asCsvRow(row, columns);
      }
    }
  };
  const dryRun = options.dryRun === true;
  const target = { ...deps, ...(dryRun ? readOnly(deps) : {}) };
  const imported = await importFeedRows(target, 'warehouse', `ledger ${table}`, read(), options.onArchived ? { onArchived: options.onArchived } : {});
  if (!imported.ok) throw new Error(imported.errors.join('; '));
  const s = imported.value;

  const watermark = maxInstant(previous?.watermark, latest) ?? null;
  if (!dryRun && watermark !== null && watermark !== previous?.watermark) {
    await storeWatermark(deps.archive, { table, watermark, readAfter, rows, pulledAt: deps.now() }, previous);
  }
  return {
    table,
    dryRun,
    readAfter,
    previousWatermark: previous?.watermark ?? null,
    watermark,
    rows,
    events: s.events,
    duplicates: s.duplicates,
    quarantined: s.quarantined,
    quarantine: s.quarantine.map((q) => ({ row: q.line, error: q.error })),
  };
}

/** The records of a batch that were archived for the first time and normalized (the events now on their way to the matcher). */
export function newlyAccepted(records: readonly RawRecord[], outcomes: readonly { readonly kind: string }[], known: ReadonlySet<string>): RawRecord[] {
  return records.filter((r, i) => outcomes[i]?.kind === 'accepted' && !known.has(r.id));
}
