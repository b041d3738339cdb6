-- tieout audit: the current state of every nightly run (the newest recorded row per run_id).
-- runs is append-only (started, then finished or failed); this is what listRuns/getRun read.
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
  recorded_at
FROM `${project}.${dataset}.runs`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY run_id
  -- the newest state wins; on equal stamps a final state beats started
  ORDER BY recorded_at DESC, IF(status = 'started', 1, 0) ASC
) = 1
