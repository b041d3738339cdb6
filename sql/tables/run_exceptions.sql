-- tieout archive: every exception of every run, as it was reported that night: the audit trail
-- that answers "what did we say about order 80213, on which night".
--
-- Table names are written `${project}.${dataset}.<table>` (see sql/README.md for the substitution);
-- Terraform declares this table from infra/schemas/run_exceptions.json.
--
-- Append-only, in sets: every recordRun that carries exceptions appends them as one set stamped
-- recorded_at, then the runs row that names the set (runs.exceptions_recorded_at). A run's current
-- exceptions are the set its latest state names (runs_latest.exceptions_recorded_at), so a rewrite
-- replaces the old set and an empty set empties it. At-least-once: readers take one row per
-- run_id and exception_id of that set. exception_id is stable across nights: <orderKey>:<code>.
-- The owner and new/recurring status of each exception are in the run report (runs.report).
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.run_exceptions` (
  run_id STRING NOT NULL OPTIONS (description = 'The run that reported it (runs.run_id)'),
  exception_id STRING NOT NULL OPTIONS (description = 'Stable exception id: <orderKey>:<code>'),
  business_date DATE NOT NULL OPTIONS (description = 'The night; the partitioning column'),
  order_key STRING NOT NULL OPTIONS (description = 'Order key (or provisional key for orphans)'),
  code STRING NOT NULL OPTIONS (description = 'Check code, e.g. captured_not_shipped'),
  bucket STRING NOT NULL OPTIONS (description = 'genuine_error, mapping, timing or known_accepted'),
  amount INT64 NOT NULL OPTIONS (description = 'Amount at risk in integer minor units'),
  currency STRING NOT NULL OPTIONS (description = 'ISO 4217 code, upper case'),
  narrative STRING NOT NULL OPTIONS (description = 'The sentence the report used'),
  facts JSON NOT NULL OPTIONS (description = 'The facts behind the break'),
  recorded_at TIMESTAMP NOT NULL OPTIONS (description = 'The set it belongs to: the recordRun that wrote it (runs.exceptions_recorded_at)')
)
PARTITION BY business_date
CLUSTER BY order_key
OPTIONS (description = 'tieout exceptions per run: the audit trail');
