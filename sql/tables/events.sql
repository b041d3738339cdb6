-- tieout archive: canonical events (DESIGN §3), the normalized form of every accepted payload.
--
-- Table names are written `${project}.${dataset}.<table>`: the GCP project and the tieout dataset
-- (gcp.projectId / gcp.dataset, env GOOGLE_CLOUD_PROJECT / TIEOUT_BQ_DATASET). Terraform declares
-- this table from infra/schemas/events.json (test/sql.test.ts keeps both in step); to create it by
-- hand substitute the placeholders first (see sql/README.md).
--
-- Writers (both at-least-once; events_dedup collapses the copies, first received wins):
--   * the Pub/Sub BigQuery subscription `events-archive` (infra/pubsub.tf), through a single message
--     transform that maps the published canonical event onto these columns; write_metadata adds
--     subscription_name, message_id, publish_time and attributes; seq stays null;
--   * the BigQuery archive adapter's append (shared/adapters/gcp/bigquery-archive.ts): streaming
--     inserts with insertId = event_id, raw_id and seq set, the Pub/Sub metadata columns null.
-- The adapter reads only its own rows (seq set) and keeps, per event_id, the lowest seq: the first
-- archived copy. seq is the archive clock (microseconds, strictly increasing per process): ingest order.
-- order_key is set on write when the event names its order (an `order:` reference); events that
-- reach their order through an alias are filled later by the matcher in batches, never per event.
-- Daily partitions on received_at bound replays and audits by day; clustering on order_key serves
-- "every event of order 80213".
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.events` (
  event_id STRING NOT NULL OPTIONS (description = 'Canonical event id, stable per source fact: the dedupe key'),
  raw_id STRING OPTIONS (description = 'Id of the raw delivery it was normalized from (raw.id), when known'),
  system STRING NOT NULL OPTIONS (description = 'Sending system: shopify, stripe, shipbob, warehouse, ...'),
  kind STRING NOT NULL OPTIONS (description = 'Event kind: order, payment, refund, booking, shipment, ...'),
  order_key STRING OPTIONS (description = 'Order key once known; null until the matcher resolves an alias'),
  occurred_at TIMESTAMP NOT NULL OPTIONS (description = 'When it happened at the source'),
  received_at TIMESTAMP NOT NULL OPTIONS (description = 'When ingest accepted it; the partitioning column'),
  publish_time TIMESTAMP OPTIONS (description = 'Pub/Sub publish time (BigQuery subscription rows)'),
  data JSON NOT NULL OPTIONS (description = 'The whole canonical event as published: id, source, system, kind, refs, occurredAt, receivedAt, data'),
  subscription_name STRING OPTIONS (description = 'Pub/Sub metadata: the writing subscription'),
  message_id STRING OPTIONS (description = 'Pub/Sub metadata: the message id'),
  attributes JSON OPTIONS (description = 'Pub/Sub metadata: message attributes (eventId, system, kind, rawId)'),
  seq INT64 OPTIONS (description = 'Ingest order: the archive clock when the archive adapter appended it; null on rows the Pub/Sub subscription writes')
)
PARTITION BY DATE(received_at)
CLUSTER BY order_key, kind
OPTIONS (description = 'tieout canonical events; read through events_dedup');
