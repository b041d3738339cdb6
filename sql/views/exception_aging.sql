-- tieout audit: per exception id (<orderKey>:<code>), how many nights it has been reported open,
-- when it was first and last reported, whether the last night still had it, and its latest
-- bucket, owner and amount at risk.
--
-- Table names are written `${project}.${dataset}.<table>`; Terraform renders this file with
-- templatefile() into the view `exception_aging` (see sql/README.md).
--
-- A night is the latest finished run of its business date, with its current run_exceptions set
-- (runs_latest.exceptions_recorded_at). nights_open counts the nights that
-- reported it (an exception that closed and reopened counts every night it was open);
-- streak is the count of nights in a row the report itself gave on the last night it was seen.
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
    SAFE_CAST(JSON_VALUE(x, '$.nights') AS INT64) AS streak
  FROM nights AS n, UNNEST(JSON_QUERY_ARRAY(n.report, '$.exceptions')) AS x
),
seen AS (
  SELECT e.exception_id, e.order_key, e.code, e.business_date, e.bucket, e.amount, e.currency, r.owner, r.streak
  FROM `${project}.${dataset}.run_exceptions` AS e
  JOIN nights AS n
    ON n.run_id = e.run_id AND n.business_date = e.business_date AND e.recorded_at = n.exceptions_recorded_at
  LEFT JOIN reported AS r ON r.run_id = e.run_id AND r.exception_id = e.exception_id
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY e.run_id, e.exception_id) = 1
),
spans AS (
  SELECT
    exception_id,
    MIN(business_date) AS first_night,
    MAX(business_date) AS last_night,
    COUNT(DISTINCT business_date) AS nights_open
  FROM seen
  GROUP BY exception_id
),
latest AS (
  SELECT exception_id, order_key, code, bucket, owner, amount, currency, streak
  FROM seen
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY exception_id ORDER BY business_date DESC) = 1
)
SELECT
  s.exception_id,
  l.order_key,
  l.code,
  s.first_night,
  s.last_night,
  s.nights_open,
  DATE_DIFF(s.last_night, s.first_night, DAY) + 1 AS nights_since_first,
  s.last_night = (SELECT MAX(business_date) FROM nights) AS open_last_night,
  l.streak,
  l.bucket,
  l.owner,
  l.amount,
  l.currency
FROM spans AS s
JOIN latest AS l ON l.exception_id = s.exception_id
