-- tieout archive: the nightly runs (DESIGN §8). A run records that it started and how it ended,
-- so a night that did not run, or did not finish, is visible.
--
-- Table names are written `${project}.${dataset}.<table>` (see sql/README.md for the substitution);
-- Terraform declares this table from infra/schemas/runs.json.
--
-- Append-only: every recordRun appends one row stamped recorded_at (started, then finished or
-- failed); the view runs_latest is the current state of each run. No UPDATE is needed, and the
-- history of a run stays in the table. report is the DESIGN §9 JSON contract once finished
-- (exceptions with owner and status, ruleHits, counts, ...). A state recorded with exceptions names
-- the set it wrote in run_exceptions (exceptions_recorded_at); the run's current set is the newest
-- one its states name (runs_latest.exceptions_recorded_at).
-- Monthly partitions: one run a night makes daily partitions needlessly small.
CREATE TABLE IF NOT EXISTS `${project}.${dataset}.runs` (
  run_id STRING NOT NULL OPTIONS (description = 'Run id'),
  business_date DATE NOT NULL OPTIONS (description = 'The business date D the run evaluates'),
  as_of TIMESTAMP NOT NULL OPTIONS (description = 'The cutoff instant after D'),
  started_at TIMESTAMP NOT NULL OPTIONS (description = 'When the run started'),
  finished_at TIMESTAMP OPTIONS (description = 'When it finished or failed'),
  status STRING NOT NULL OPTIONS (description = 'started, finished or failed'),
  error STRING OPTIONS (description = 'Why it failed'),
  posted_to STRING OPTIONS (description = 'Where the report went: slack:<channel>:<ts> or file:<path>'),
  report JSON OPTIONS (description = 'The report as JSON (DESIGN §9), once finished'),
  recorded_at TIMESTAMP NOT NULL OPTIONS (description = 'When this state of the run was recorded; the newest wins'),
  exceptions_recorded_at TIMESTAMP OPTIONS (description = 'The run_exceptions set this state wrote (its recorded_at); null when it left the set unchanged')
)
PARTITION BY DATE_TRUNC(business_date, MONTH)
CLUSTER BY business_date, run_id
OPTIONS (description = 'tieout nightly runs, one row per recorded state; read through runs_latest');
