-- tieout audit: how often each accepted-edge-case rule matched, night by night, from the run
-- report ruleHits ([{rule, hits}], every active rule listed, zero hits included). A rule whose
-- last_hit_night is long past is stale: review it or let it expire (DESIGN §7).
--
-- Table names are written `${project}.${dataset}.<table>`; Terraform renders this file with
-- templatefile() into the view `rule_hits` (see sql/README.md).
WITH nights AS (
  SELECT run_id, business_date, report
  FROM `${project}.${dataset}.runs_latest`
  WHERE status = 'finished'
  QUALIFY ROW_NUMBER() OVER (PARTITION BY business_date ORDER BY started_at DESC, run_id DESC) = 1
),
hits AS (
  SELECT
    n.business_date,
    n.run_id,
    JSON_VALUE(h, '$.rule') AS rule_id,
    COALESCE(SAFE_CAST(JSON_VALUE(h, '$.hits') AS INT64), 0) AS hits
  FROM nights AS n, UNNEST(JSON_QUERY_ARRAY(n.report, '$.ruleHits')) AS h
)
SELECT
  business_date,
  run_id,
  rule_id,
  hits,
  SUM(hits) OVER (PARTITION BY rule_id) AS total_hits,
  MAX(IF(hits > 0, business_date, NULL)) OVER (PARTITION BY rule_id) AS last_hit_night
FROM hits
