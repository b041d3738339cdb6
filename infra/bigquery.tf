# The archive (DESIGN §1, §11): one dataset with the tables of sql/tables/ and the views of
# sql/views/. Table schemas are infra/schemas/<table>.json, kept column for column in step with
# sql/tables/<table>.sql by test/sql.test.ts; views are the sql/views/ files rendered with
# templatefile() (placeholders project and dataset, see sql/README.md).

locals {
  sql_dir  = "${path.module}/../sql"
  sql_vars = { project = var.project_id, dataset = google_bigquery_dataset.archive.dataset_id }
}

resource "google_bigquery_dataset" "archive" {
  dataset_id    = var.dataset
  friendly_name = "tieout archive"
  description   = "tieout: raw payloads, canonical events, quarantine, dead letters, nightly runs and their exceptions"
  location      = local.bigquery_location

  delete_contents_on_destroy = false
  max_time_travel_hours      = "168"

  depends_on = [google_project_service.enabled]
}

# --- Tables ------------------------------------------------------------------------------------

resource "google_bigquery_table" "events" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "events"
  description         = "Canonical events; read through events_dedup (sql/tables/events.sql)"
  schema              = file("${path.module}/schemas/events.json")
  clustering          = ["order_key", "kind"]
  deletion_protection = var.deletion_protection

  time_partitioning {
    type  = "DAY"
    field = "received_at"
  }
}

resource "google_bigquery_table" "raw" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "raw"
  description         = "Every accepted payload as it arrived: the replay source (sql/tables/raw.sql)"
  schema              = file("${path.module}/schemas/raw.json")
  clustering          = ["system", "id"]
  deletion_protection = var.deletion_protection

  time_partitioning {
    type  = "DAY"
    field = "received_at"
  }
}

resource "google_bigquery_table" "quarantine" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "quarantine"
  description         = "Authentic payloads that could not be read, with the error (sql/tables/quarantine.sql)"
  schema              = file("${path.module}/schemas/quarantine.json")
  clustering          = ["system", "id"]
  deletion_protection = var.deletion_protection

  time_partitioning {
    type  = "DAY"
    field = "received_at"
  }
}

resource "google_bigquery_table" "runs" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "runs"
  description         = "Nightly runs, one row per recorded state; read through runs_latest (sql/tables/runs.sql)"
  schema              = file("${path.module}/schemas/runs.json")
  clustering          = ["business_date", "run_id"]
  deletion_protection = var.deletion_protection

  time_partitioning {
    type  = "MONTH"
    field = "business_date"
  }
}

resource "google_bigquery_table" "run_exceptions" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "run_exceptions"
  description         = "Every exception of every run: the audit trail (sql/tables/run_exceptions.sql)"
  schema              = file("${path.module}/schemas/run_exceptions.json")
  clustering          = ["order_key"]
  deletion_protection = var.deletion_protection

  time_partitioning {
    type  = "DAY"
    field = "business_date"
  }
}

resource "google_bigquery_table" "dead_letters" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "dead_letters"
  description         = "Messages Pub/Sub dead-lettered (sql/tables/dead_letters.sql)"
  schema              = file("${path.module}/schemas/dead_letters.json")
  clustering          = ["subscription_name"]
  deletion_protection = var.deletion_protection

  time_partitioning {
    type  = "DAY"
    field = "publish_time"
  }
}

# --- Views -------------------------------------------------------------------------------------

resource "google_bigquery_table" "runs_latest" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "runs_latest"
  description         = "The current state of every run (sql/views/runs_latest.sql)"
  deletion_protection = false

  view {
    query          = templatefile("${local.sql_dir}/views/runs_latest.sql", local.sql_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.runs]
}

resource "google_bigquery_table" "events_dedup" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "events_dedup"
  description         = "One row per event id, the first received (sql/views/events_dedup.sql)"
  deletion_protection = false

  view {
    query          = templatefile("${local.sql_dir}/views/events_dedup.sql", local.sql_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.events]
}

resource "google_bigquery_table" "exceptions_by_night_and_owner" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "exceptions_by_night_and_owner"
  description         = "Per night: exceptions and amount at risk by owner and bucket (sql/views/exceptions_by_night_and_owner.sql)"
  deletion_protection = false

  view {
    query          = templatefile("${local.sql_dir}/views/exceptions_by_night_and_owner.sql", local.sql_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.runs_latest, google_bigquery_table.run_exceptions]
}

resource "google_bigquery_table" "exception_aging" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "exception_aging"
  description         = "Per exception id: nights open, first and last night (sql/views/exception_aging.sql)"
  deletion_protection = false

  view {
    query          = templatefile("${local.sql_dir}/views/exception_aging.sql", local.sql_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.runs_latest, google_bigquery_table.run_exceptions]
}

resource "google_bigquery_table" "rule_hits" {
  dataset_id          = google_bigquery_dataset.archive.dataset_id
  table_id            = "rule_hits"
  description         = "Per night and rule: hits from the run report ruleHits (sql/views/rule_hits.sql)"
  deletion_protection = false

  view {
    query          = templatefile("${local.sql_dir}/views/rule_hits.sql", local.sql_vars)
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.runs_latest]
}
