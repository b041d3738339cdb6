-- tieout audit: one row per canonical event id, the first received copy (DESIGN §11: Pub/Sub and
-- its BigQuery subscription are at-least-once, so every sink dedupes on the event id).
--
-- Table names are written `${project}.${dataset}.<table>`; Terraform renders this file with
-- templatefile() into the view `events_dedup` (see sql/README.md).
--
-- The same event can be in `events` several times: written by the archive adapter and by the
-- BigQuery subscription, redelivered, or sent again by the source (a later received_at). The row
-- kept is the first received (earliest received_at, then the adapter copy, the first archived of
-- those, then the earliest publish); what only some copies know is filled in from all of them: the
-- raw delivery id, the first publish time, the order key the matcher resolved, and seq (ingest
-- order: the adapter's first copy). The archive adapter itself reads its own rows (seq set) and
-- keeps the lowest seq per event_id, which is this row unless a later delivery carried an earlier
-- received_at.
-- Filters on received_at are not pushed below the window: for one day of events, query the
-- `events` table with a received_at filter and dedupe in the query.
SELECT
  event_id,
  FIRST_VALUE(raw_id IGNORE NULLS) OVER (copies ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS raw_id,
  system,
  kind,
  COALESCE(order_key, FIRST_VALUE(order_key IGNORE NULLS) OVER (copies ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) AS order_key,
  occurred_at,
  received_at,
  MIN(publish_time) OVER (PARTITION BY event_id) AS publish_time,
  data,
  MIN(seq) OVER (PARTITION BY event_id) AS seq,
  COUNT(*) OVER (PARTITION BY event_id) AS copy_count
FROM `${project}.${dataset}.events`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER copies = 1
WINDOW copies AS (
  PARTITION BY event_id
  ORDER BY received_at ASC, IF(seq IS NULL, 1, 0) ASC, seq ASC, IF(raw_id IS NULL, 1, 0) ASC, publish_time ASC NULLS LAST, message_id ASC
)
