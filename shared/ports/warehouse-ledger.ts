// The warehouse ledger port: the books' entries, read incrementally as rows of the warehouse CSV columns.

/** One ledger entry as the feed query returns it: column name → text, null for a NULL cell. */
export type LedgerRow = Readonly<Record<string, string | null>>;

/**
 * Where the books are read from (DESIGN §3). `entriesAfter` yields, page by page, every entry booked
 * strictly after `watermark` (an ISO instant), ordered by booked_at then entry_id, as one snapshot of
 * the ledger; the columns are the warehouse CSV columns (`entry_id, order_id, entry_type, amount,
 * currency, booked_at`), amounts as exact decimal text and booked_at as an ISO 8601 UTC instant.
 * A failure to read throws (the caller stores no watermark and reads again next time).
 */
export interface WarehouseLedger {
  /** The ledger's name (`project.dataset.table`): what watermarks are kept per, and what messages say. */
  readonly name: string;
  entriesAfter(watermark: string, pageSize?: number): AsyncIterable<readonly LedgerRow[]>;
  close(): Promise<void>;
}
