# What the deployment hands back: where to point the webhooks, the names the application reads,
# and the identities (docs/deploy-gcp.md uses these).

output "image_repository" {
  description = "Push the image here: <repository>/tieout:<tag>."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.tieout.repository_id}"
}

output "webhook_urls" {
  description = "Register these with Shopify, Stripe and ShipBob."
  value = {
    shopify = "${google_cloud_run_v2_service.ingest.uri}/webhooks/shopify"
    stripe  = "${google_cloud_run_v2_service.ingest.uri}/webhooks/stripe"
    shipbob = "${google_cloud_run_v2_service.ingest.uri}/webhooks/shipbob"
  }
}

output "service_urls" {
  description = "Cloud Run URLs of the three services."
  value = {
    ingest         = google_cloud_run_v2_service.ingest.uri
    matcher        = google_cloud_run_v2_service.matcher.uri
    nightly_report = google_cloud_run_v2_service.nightly_report.uri
  }
}

output "gcp_config" {
  description = "The gcp section of tieout.config.yaml for this deployment (e.g. to run the CLI against it)."
  value = {
    projectId    = var.project_id
    region       = var.region
    topic        = google_pubsub_topic.events.name
    subscription = google_pubsub_subscription.matcher.name
    database     = google_firestore_database.main.name
    dataset      = google_bigquery_dataset.archive.dataset_id
  }
}

output "pubsub" {
  description = "Topics and subscriptions."
  value = {
    topic                    = google_pubsub_topic.events.name
    dead_letter_topic        = google_pubsub_topic.dead_letter.name
    matcher_subscription     = google_pubsub_subscription.matcher.name
    matcher_delivery         = var.matcher_delivery
    archive_subscription     = google_pubsub_subscription.events_archive.name
    dead_letter_archive      = google_pubsub_subscription.dead_letter_archive.name
    dead_letter_subscription = google_pubsub_subscription.dead_letter.name
    shopify_topic            = var.shopify_pubsub_delivery ? "pubsub://${var.project_id}:${google_pubsub_topic.shopify[0].name}" : null
  }
}

output "secrets" {
  description = "Secret Manager secrets to give values (gcloud secrets versions add <name> --data-file=-)."
  value       = [for s in google_secret_manager_secret.secret : s.secret_id]
}

output "service_accounts" {
  description = "Service account of each service and of the scheduler."
  value = {
    ingest         = google_service_account.ingest.email
    matcher        = google_service_account.matcher.email
    nightly_report = google_service_account.nightly_report.email
    scheduler      = google_service_account.scheduler.email
    pubsub_push    = google_service_account.pubsub_push.email
  }
}

output "night_schedule" {
  description = "When Cloud Scheduler triggers the night (cron, in the business time zone)."
  value       = "${local.night_schedule} (${var.time_zone})"
}

output "config_bucket" {
  description = "Bucket holding tieout.config.yaml and tieout.rules.yaml, mounted at /etc/tieout."
  value       = google_storage_bucket.config.name
}
