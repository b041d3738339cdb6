-- tieout audit: per night, how many exceptions each owner had in each bucket, how many were new,
-- and the amount at risk per currency (integer minor units).
--
-- Table names are written `${project}.${dataset}.<table>`; Terraform renders this file with
-- templatefile() into the view `exceptions_by_night_and_owner` (see sql/README.md).
--
-- A night is the latest finished run of its business date (a forced re-run replaces the earlier
-- one). The owner and the new/recurring status come from that run report (runs.report
-- exceptions[].owner and .status); the amounts from the run's current run_exceptions set.
WITH nights AS (
  SELECT run_id, business_date, report, exceptions_recorded_at
  FROM `${project}.${dataset}.runs_latest`
  WHERE status = 'finished'
  QUALIFY ROW_NUMBER() OVER (PARTITION BY business_date ORDER BY started_at DESC, run_id DESC) = 1
),
reported AS (
  SELECT
    n.run_id,
    JSON_VALUE(x, '$.id') AS exception_id,
    JSON_VALUE(x, '$.owner') AS owner,
    JSON_VALUE(x, '$.status') AS status
  FROM nights AS n, UNNEST(JSON_QUERY_ARRAY(n.report, '$.exceptions')) AS x
),
exceptions AS (
  SELECT e.*
  FROM `${project}.${dataset}.run_exceptions` AS e
  JOIN nights AS n
    ON n.run_id = e.run_id AND n.business_date = e.business_date AND e.recorded_at = n.exceptions_recorded_at
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY e.run_id, e.exception_id) = 1
)
SELECT
  e.business_date,
  e.run_id,
  COALESCE(r.owner, 'unassigned') AS owner,
  e.bucket,
  e.currency,
  COUNT(*) AS exceptions,
  COUNTIF(r.status = 'new') AS new_exceptions,
  SUM(e.amount) AS amount_at_risk
FROM exceptions AS e
LEFT JOIN reported AS r ON r.run_id = e.run_id AND r.exception_id = e.exception_id
GROUP BY 1, 2, 3, 4, 5
