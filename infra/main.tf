# tieout on Google Cloud: the provider, the APIs, shared names, the image registry and the
# configuration bucket. The rest is split by product: pubsub.tf, bigquery.tf, firestore.tf,
# secrets.tf, iam.tf, run.tf, scheduler.tf. docs/deploy-gcp.md is the walkthrough.
#
#  Shopify/Stripe/ShipBob -> ingest (Cloud Run) -> topic "events" -> matcher (Cloud Run) -> Firestore
#                                 |                     |-> BigQuery subscription -> events table
#                                 '-> raw, quarantine   '-> dead-letter topic -> dead_letters table
#  Cloud Scheduler (OIDC) -> nightly-report (Cloud Run) POST /run -> runs, run_exceptions, Slack

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = merge({ app = "tieout" }, var.labels)
}

data "google_project" "this" {
  project_id = var.project_id
}

locals {
  bigquery_location  = coalesce(var.bigquery_location, var.region)
  firestore_location = coalesce(var.firestore_location, var.region)
  config_file        = coalesce(var.config_file, "${path.module}/tieout.config.gcp.yaml")

  # Google's own identity for Pub/Sub: it writes to BigQuery, moves messages to the dead-letter
  # topic and mints the push subscription's OIDC tokens.
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # Where every service finds its configuration and rules (the bucket, mounted read-only).
  config_mount = "/etc/tieout"
  serve_args   = ["serve", "--config", "${local.config_mount}/tieout.config.yaml", "--rules", "${local.config_mount}/tieout.rules.yaml"]
}

resource "google_project_service" "enabled" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "bigquerystorage.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])

  service            = each.key
  disable_on_destroy = false
}

# The image registry: build infra/Dockerfile and push here (docs/deploy-gcp.md, "Build the image").
resource "google_artifact_registry_repository" "tieout" {
  location      = var.region
  repository_id = var.name_prefix
  format        = "DOCKER"
  description   = "tieout container images"

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 20
    }
  }

  depends_on = [google_project_service.enabled]
}

# Configuration and rules for the services, mounted read-only at /etc/tieout (Cloud Storage volume).
# The rules file is re-read on each use, so an accepted edge case applies without a redeploy.
resource "google_storage_bucket" "config" {
  name                        = "${var.project_id}-${var.name_prefix}-config"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_object" "config" {
  bucket       = google_storage_bucket.config.name
  name         = "tieout.config.yaml"
  content      = file(local.config_file)
  content_type = "application/yaml"
}

resource "google_storage_bucket_object" "rules" {
  count = var.rules_file == "" ? 0 : 1

  bucket       = google_storage_bucket.config.name
  name         = "tieout.rules.yaml"
  content      = file(var.rules_file)
  content_type = "application/yaml"
}
