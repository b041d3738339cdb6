-- tieout archive: every accepted payload exactly as it arrived (webhook body with its headers, or
-- one feed row), written before the sender is acknowledged. The long-term replay source
-- (`tieout replay` re-normalizes these with today's code).
--
-- Table names are written `${project}.${dataset}.<table>` (see sql/README.md for the substitution);
-- Terraform declares this table from infra/schemas/raw.json.
--
-- Append-only and at-least-once (streaming inserts by the archive adapter, insertId = id): readers
-- take one row per id, the one with the lowest seq (the first archived copy). seq is the archive
-- clock (microseconds, strictly increasing per process), so ordering by it is ingest order.
-- Payloads are stored whole (body up to ingest.maxBodyBytes, 5 MiB by default).
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.raw` (
  id STRING NOT NULL OPTIONS (description = 'Stable delivery id: shopify:<webhook id>, stripe:evt_..., warehouse:<row hash>'),
  system STRING NOT NULL OPTIONS (description = 'Sending system'),
  topic STRING OPTIONS (description = 'Webhook topic or feed kind, when known (orders/updated, charge.refunded, ledger-csv)'),
  received_at TIMESTAMP NOT NULL OPTIONS (description = 'When ingest accepted it; the partitioning column'),
  headers JSON NOT NULL OPTIONS (description = 'The request headers that matter for verification and replay'),
  body STRING NOT NULL OPTIONS (description = 'The payload, byte for byte as text'),
  seq INT64 NOT NULL OPTIONS (description = 'Ingest order: the archive clock when it was appended; the lowest seq of an id is the copy kept')
)
PARTITION BY DATE(received_at)
CLUSTER BY system, id
OPTIONS (description = 'tieout raw payloads: the replay source');
