# Identities and least privilege: one service account per service, one for Cloud Scheduler and
# one for the push subscription; each holds only the roles its work needs, on the narrowest
# resource that takes them (topic, subscription, table, secret, service), never project Editor.
#
#   ingest          publish to "events"; append raw, events, quarantine; run queries; read its 4
#                   secrets and the config bucket
#   matcher         consume its subscription and the dead letters, requeue to "events"; read and
#                   write order state (this Firestore database only); read the archive for the
#                   order API, fill events.order_key; its 1 secret; the config bucket
#   nightly-report  read order state; read the archive, append runs and run_exceptions; its
#                   secrets; the config bucket
#                   (and peek the matcher subscription and its dead letters, to count dead letters)
#                   with warehouse_ledger_table set, the ledger pull it runs before each night: read
#                   that table; append raw, events, quarantine; publish to "events" (ingest's path)
#   scheduler       invoke the nightly-report service, nothing else
#   pubsub-push     the identity in the push subscriptions' OIDC tokens: invoke the matcher (push
#                   delivery) and a private ingest (Shopify's Pub/Sub delivery)

resource "google_service_account" "ingest" {
  account_id   = "${var.name_prefix}-ingest"
  display_name = "tieout ingest"
  description  = "Webhooks and feeds: verify, normalize, archive, publish"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "matcher" {
  account_id   = "${var.name_prefix}-matcher"
  display_name = "tieout matcher"
  description  = "Folds events into order state; the order API"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "nightly_report" {
  account_id   = "${var.name_prefix}-report"
  display_name = "tieout nightly report"
  description  = "Snapshot, classify, diff, narrate, post, record"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "scheduler" {
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "tieout scheduler"
  description  = "Cloud Scheduler identity: calls the nightly report's POST /run with an OIDC token"
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "pubsub_push" {
  account_id   = "${var.name_prefix}-pubsub-push"
  display_name = "tieout Pub/Sub push"
  description  = "Identity in the OIDC token of the matcher's push subscription"
  depends_on   = [google_project_service.enabled]
}

locals {
  service_members = {
    ingest         = "serviceAccount:${google_service_account.ingest.email}"
    matcher        = "serviceAccount:${google_service_account.matcher.email}"
    nightly_report = "serviceAccount:${google_service_account.nightly_report.email}"
  }

  firestore_database_condition = "resource.name == \"projects/${var.project_id}/databases/${google_firestore_database.main.name}\""

  ledger_parts = split(".", var.warehouse_ledger_table)
}

# --- Pub/Sub -------------------------------------------------------------------------------------

resource "google_pubsub_topic_iam_member" "ingest_publishes" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = local.service_members.ingest
}

resource "google_pubsub_subscription_iam_member" "matcher_consumes" {
  subscription = google_pubsub_subscription.matcher.id
  role         = "roles/pubsub.subscriber"
  member       = local.service_members.matcher
}

resource "google_pubsub_subscription_iam_member" "matcher_reads_dead_letters" {
  subscription = google_pubsub_subscription.dead_letter.id
  role         = "roles/pubsub.subscriber"
  member       = local.service_members.matcher
}

# Requeueing a dead letter publishes it to "events" again.
resource "google_pubsub_topic_iam_member" "matcher_requeues" {
  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = local.service_members.matcher
}

# Pub/Sub's service agent forwards undeliverable messages to the dead-letter topic and must be
# able to acknowledge them on the subscriptions they came from.
resource "google_pubsub_topic_iam_member" "pubsub_dead_letters" {
  topic  = google_pubsub_topic.dead_letter.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_acks_dead_letters" {
  for_each = {
    matcher        = google_pubsub_subscription.matcher.id
    events_archive = google_pubsub_subscription.events_archive.id
  }

  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# Shopify's delivery service account publishes to the Shopify topic (Shopify's Pub/Sub delivery only).
resource "google_pubsub_topic_iam_member" "shopify_publishes" {
  count = var.shopify_pubsub_delivery ? 1 : 0

  topic  = google_pubsub_topic.shopify[0].id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${var.shopify_pubsub_service_account}"
}

# ... and Pub/Sub's service agent dead-letters from its push subscription.
resource "google_pubsub_subscription_iam_member" "pubsub_acks_shopify_dead_letters" {
  count = var.shopify_pubsub_delivery ? 1 : 0

  subscription = google_pubsub_subscription.shopify_ingest[0].id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# The nightly report counts the matcher's dead letters through the bus (EventBus.stats peeks the
# matcher subscription and its dead-letter subscription).
resource "google_pubsub_subscription_iam_member" "report_counts_dead_letters" {
  for_each = {
    matcher     = google_pubsub_subscription.matcher.id
    dead_letter = google_pubsub_subscription.dead_letter.id
  }

  subscription = each.value
  role         = "roles/pubsub.subscriber"
  member       = local.service_members.nightly_report
}

# The push subscriptions' OIDC tokens are minted by Pub/Sub's service agent for the push account.
resource "google_service_account_iam_member" "pubsub_mints_push_tokens" {
  count = var.matcher_delivery == "push" || var.shopify_pubsub_delivery ? 1 : 0

  service_account_id = google_service_account.pubsub_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

# --- BigQuery ------------------------------------------------------------------------------------

# The BigQuery subscriptions write as Pub/Sub's service agent: events and dead_letters only.
resource "google_bigquery_table_iam_member" "pubsub_writes" {
  for_each = {
    events       = google_bigquery_table.events.table_id
    dead_letters = google_bigquery_table.dead_letters.table_id
  }

  dataset_id = google_bigquery_dataset.archive.dataset_id
  table_id   = each.value
  role       = "roles/bigquery.dataEditor"
  member     = local.pubsub_service_agent
}

resource "google_bigquery_table_iam_member" "ingest_writes" {
  for_each = {
    raw        = google_bigquery_table.raw.table_id
    events     = google_bigquery_table.events.table_id
    quarantine = google_bigquery_table.quarantine.table_id
  }

  dataset_id = google_bigquery_dataset.archive.dataset_id
  table_id   = each.value
  role       = "roles/bigquery.dataEditor"
  member     = local.service_members.ingest
}

# The matcher fills events.order_key in batches once an alias resolves an event's order.
resource "google_bigquery_table_iam_member" "matcher_writes" {
  dataset_id = google_bigquery_dataset.archive.dataset_id
  table_id   = google_bigquery_table.events.table_id
  role       = "roles/bigquery.dataEditor"
  member     = local.service_members.matcher
}

resource "google_bigquery_table_iam_member" "nightly_report_writes" {
  for_each = {
    runs           = google_bigquery_table.runs.table_id
    run_exceptions = google_bigquery_table.run_exceptions.table_id
  }

  dataset_id = google_bigquery_dataset.archive.dataset_id
  table_id   = each.value
  role       = "roles/bigquery.dataEditor"
  member     = local.service_members.nightly_report
}

# Reading the archive: the order API (timeline, past reports) and the nightly run (last night,
# quarantine and dead-letter counts).
resource "google_bigquery_dataset_iam_member" "reads_archive" {
  for_each = {
    matcher        = local.service_members.matcher
    nightly_report = local.service_members.nightly_report
  }

  dataset_id = google_bigquery_dataset.archive.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}

# Queries run as jobs in this project (jobUser has no data access of its own).
resource "google_project_iam_member" "bigquery_jobs" {
  for_each = local.service_members

  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = each.value
}

# The warehouse ledger pull runs in the nightly-report service, before each night (DESIGN §3): it reads
# the ledger and hands the rows to ingest's durable path — archive the rows (raw, events, quarantine),
# then publish their events — so that account gets exactly those, and only when a ledger is configured.
resource "google_bigquery_table_iam_member" "ledger_pull_reads_ledger" {
  count = var.warehouse_ledger_table == "" ? 0 : 1

  project    = local.ledger_parts[0]
  dataset_id = local.ledger_parts[1]
  table_id   = local.ledger_parts[2]
  role       = "roles/bigquery.dataViewer"
  member     = local.service_members.nightly_report
}

resource "google_bigquery_table_iam_member" "ledger_pull_writes" {
  for_each = var.warehouse_ledger_table == "" ? {} : {
    raw        = google_bigquery_table.raw.table_id
    events     = google_bigquery_table.events.table_id
    quarantine = google_bigquery_table.quarantine.table_id
  }

  dataset_id = google_bigquery_dataset.archive.dataset_id
  table_id   = each.value
  role       = "roles/bigquery.dataEditor"
  member     = local.service_members.nightly_report
}

resource "google_pubsub_topic_iam_member" "ledger_pull_publishes" {
  count = var.warehouse_ledger_table == "" ? 0 : 1

  topic  = google_pubsub_topic.events.id
  role   = "roles/pubsub.publisher"
  member = local.service_members.nightly_report
}

# --- Firestore (this database only) --------------------------------------------------------------

resource "google_project_iam_member" "matcher_order_state" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.service_members.matcher

  condition {
    title       = "tieout order state database"
    description = "Only the tieout Firestore database"
    expression  = local.firestore_database_condition
  }
}

resource "google_project_iam_member" "nightly_report_order_state" {
  project = var.project_id
  role    = "roles/datastore.viewer"
  member  = local.service_members.nightly_report

  condition {
    title       = "tieout order state database"
    description = "Only the tieout Firestore database, read-only"
    expression  = local.firestore_database_condition
  }
}

# --- Configuration bucket (read-only) ------------------------------------------------------------

resource "google_storage_bucket_iam_member" "reads_config" {
  for_each = local.service_members

  bucket = google_storage_bucket.config.name
  role   = "roles/storage.objectViewer"
  member = each.value
}

# --- Cloud Run invokers --------------------------------------------------------------------------

# Webhook senders cannot present Google identity tokens; signatures authenticate them instead.
resource "google_cloud_run_v2_service_iam_member" "ingest_public" {
  count = var.ingest_public ? 1 : 0

  name     = google_cloud_run_v2_service.ingest.name
  location = google_cloud_run_v2_service.ingest.location
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "push_invokes_matcher" {
  count = var.matcher_delivery == "push" ? 1 : 0

  name     = google_cloud_run_v2_service.matcher.name
  location = google_cloud_run_v2_service.matcher.location
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.pubsub_push.email}"
}

# Shopify's Pub/Sub delivery reaches a private ingest through the push identity.
resource "google_cloud_run_v2_service_iam_member" "push_invokes_ingest" {
  count = var.shopify_pubsub_delivery && !var.ingest_public ? 1 : 0

  name     = google_cloud_run_v2_service.ingest.name
  location = google_cloud_run_v2_service.ingest.location
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.pubsub_push.email}"
}

resource "google_cloud_run_v2_service_iam_member" "order_api_invokers" {
  for_each = toset(var.order_api_invokers)

  name     = google_cloud_run_v2_service.matcher.name
  location = google_cloud_run_v2_service.matcher.location
  role     = "roles/run.invoker"
  member   = each.value
}

# The scheduler may invoke the nightly report, and only it.
resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes_report" {
  name     = google_cloud_run_v2_service.nightly_report.name
  location = google_cloud_run_v2_service.nightly_report.location
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler.email}"
}

resource "google_cloud_run_v2_service_iam_member" "report_invokers" {
  for_each = toset(var.report_invokers)

  name     = google_cloud_run_v2_service.nightly_report.name
  location = google_cloud_run_v2_service.nightly_report.location
  role     = "roles/run.invoker"
  member   = each.value
}
