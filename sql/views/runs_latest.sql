-- tieout audit: the current state of every nightly run (the newest recorded row per run_id).
-- runs is append-only (started, then finished or failed); the archive adapter's getRun/listRuns
-- read the same way. exceptions_recorded_at names the run's current run_exceptions set: the
-- newest set any of its states wrote (a state recorded without exceptions leaves it unchanged).
--
-- Table names are written `${project}.${dataset}.<table>`; Terraform renders this file with
-- templatefile() into the view `runs_latest` (see sql/README.md).
SELECT
  run_id,
  business_date,
  as_of,
  started_at,
  finished_at,
  status,
  error,
  posted_to,
  report,
  recorded_at,
  MAX(exceptions_recorded_at) OVER (PARTITION BY run_id) AS exceptions_recorded_at
FROM `${project}.${dataset}.runs`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY run_id
  -- the newest state wins; on equal stamps a final state beats started
  ORDER BY recorded_at DESC, IF(status = 'started', 1, 0) ASC
) = 1
