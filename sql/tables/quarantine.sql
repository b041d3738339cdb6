-- tieout archive: authentic payloads that could not be parsed or validated, kept whole with the
-- error, shown in the next report and replayable after a fix (`tieout replay --quarantine`).
--
-- Table names are written `${project}.${dataset}.<table>` (see sql/README.md for the substitution);
-- Terraform declares this table from infra/schemas/quarantine.json.
--
-- Append-only, latest wins (no DML): quarantining an id appends its row with resolved_at null;
-- resolving appends a copy of the newest row with resolved_at set. Each row is stamped recorded_at
-- (the archive clock) and readers take the newest row per id, so quarantining again after a
-- resolution reopens it with the new error.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.quarantine` (
  id STRING NOT NULL OPTIONS (description = 'Delivery id, as in raw.id'),
  system STRING NOT NULL OPTIONS (description = 'Sending system'),
  topic STRING OPTIONS (description = 'Webhook topic or feed kind, when known'),
  received_at TIMESTAMP NOT NULL OPTIONS (description = 'When ingest accepted it; the partitioning column'),
  headers JSON NOT NULL OPTIONS (description = 'The request headers'),
  body STRING NOT NULL OPTIONS (description = 'The payload, whole'),
  error STRING NOT NULL OPTIONS (description = 'Why it could not be read'),
  resolved_at TIMESTAMP OPTIONS (description = 'When a replay read it successfully; null while open'),
  recorded_at TIMESTAMP NOT NULL OPTIONS (description = 'When this state of the payload was recorded; the newest wins')
)
PARTITION BY DATE(received_at)
CLUSTER BY system, id
OPTIONS (description = 'tieout quarantined payloads');
