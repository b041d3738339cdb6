-- tieout feed: the finance warehouse ledger (the books), pulled incrementally (DESIGN §3).
-- Run by `tieout pull warehouse` and before each nightly run (services/ingest/warehouse-pull.ts).
--
-- Placeholders: `${ledger_table}` is the ledger fully qualified as project.dataset.table; the
-- importer substitutes it (it is not a query parameter: BigQuery cannot bind table names).
-- Parameters: @watermark TIMESTAMP, bound as a named query parameter (never spliced into the text).
--
-- Output columns are the warehouse CSV columns (entry_id, order_id, entry_type, amount, currency,
-- booked_at), so a pulled row and the same row imported from CSV normalize to the same event and
-- the same content-hash id. If the ledger names its columns differently, alias them here (the
-- CSV path maps names with warehouse.columns in tieout.config.yaml instead).
--   * amount is a positive decimal in major units: the ledger column should be NUMERIC or
--     BIGNUMERIC; it is returned as a decimal string so no floating point touches money.
--   * booked_at is returned as an ISO 8601 UTC instant with milliseconds.
--   * entry_type is sale or refund; other values are returned too, and quarantined by the
--     importer rather than silently dropped here.
--
-- The next watermark: the largest booked_at among the rows this query returned (the last row,
-- given the ordering), stored by the importer only after every row of the batch is archived and
-- published; when no row comes back the watermark stays where it was. Never use the clock: a row
-- committed late with an earlier booked_at would be skipped for good. Ledgers do commit late, so
-- the importer should read with an overlap (bind @watermark as the stored watermark minus a
-- lookback, e.g. one day); rows read twice are harmless, every sink dedupes on the event id.
SELECT
  CAST(ledger.entry_id AS STRING) AS entry_id,
  CAST(ledger.order_id AS STRING) AS order_id,
  ledger.entry_type,
  CAST(ledger.amount AS STRING) AS amount,
  UPPER(ledger.currency) AS currency,
  FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E3SZ', ledger.booked_at, 'UTC') AS booked_at
FROM `${ledger_table}` AS ledger
WHERE ledger.booked_at > @watermark
ORDER BY ledger.booked_at ASC, ledger.entry_id ASC
