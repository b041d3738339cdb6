# One Cloud Run service per tieout service (DESIGN §1, §9), all from the same image.
#
#   ingest          POST /webhooks/shopify|stripe|shipbob, POST /feeds/:system, GET /healthz;
#                   POST /pubsub/shopify when Shopify delivers through Pub/Sub (shopify_pubsub_delivery)
#   matcher         consumes the matcher subscription (pull, or push to /pubsub/push);
#                   GET /orders/:key (bearer token)
#   nightly-report  POST /run, called by Cloud Scheduler with an OIDC token at the cutoff; with
#                   warehouse_ledger_table set it first pulls the ledger (sql/feeds/warehouse.sql)
#
# TIEOUT_SERVICE names the one service a container runs (the image's default, all, runs every one);
# the gcp section of the configuration, the business day, OIDC and the secrets come from the
# environment. Cloud Run sets PORT (8080) and gives 10 s between SIGTERM and SIGKILL: tieout serve
# finishes the batch in hand and exits.
#
# OIDC: the routes Google calls (POST /run, POST /pubsub/push, POST /pubsub/shopify) accept only a
# Google-signed ID token whose audience is the service's own URL (TIEOUT_OIDC_AUDIENCE) and whose
# email is the calling service account (TIEOUT_OIDC_SERVICE_ACCOUNT). A service that requires
# authentication (matcher, nightly-report; ingest when ingest_public = false) gets the token from
# Cloud Run's front end, which checked it and removed its signature, so it is told so
# (TIEOUT_OIDC_PLATFORM_VERIFIED = true) and checks the claims; the public ingest checks the
# signature itself.

locals {
  # The gcp section of tieout.config.yaml (shared/config.ts reads these over the file).
  gcp_env = {
    GOOGLE_CLOUD_PROJECT       = var.project_id
    TIEOUT_GCP_REGION          = var.region
    TIEOUT_PUBSUB_TOPIC        = google_pubsub_topic.events.name
    TIEOUT_PUBSUB_SUBSCRIPTION = var.subscription
    TIEOUT_FIRESTORE_DATABASE  = google_firestore_database.main.name
    TIEOUT_BQ_DATASET          = google_bigquery_dataset.archive.dataset_id
    TIEOUT_TIME_ZONE           = var.time_zone
    TIEOUT_CUTOFF              = var.cutoff
  }

  # The nightly report also pulls the warehouse ledger before each night, when one is configured.
  report_env = merge(
    local.gcp_env,
    var.slack_channel == "" ? {} : { TIEOUT_SLACK_CHANNEL = var.slack_channel },
    var.warehouse_ledger_table == "" ? {} : { TIEOUT_WAREHOUSE_LEDGER_TABLE = var.warehouse_ledger_table },
  )

  # Each service's deterministic URL, https://<service>-<project number>.<region>.run.app: known before
  # the service exists, so a service can be told its own URL — the audience of the ID tokens Google
  # mints for it — without a dependency cycle. Cloud Scheduler and the push subscriptions use the same.
  service_urls = {
    ingest         = "https://${var.name_prefix}-ingest-${data.google_project.this.number}.${var.region}.run.app"
    matcher        = "https://${var.name_prefix}-matcher-${data.google_project.this.number}.${var.region}.run.app"
    nightly_report = "https://${var.name_prefix}-nightly-report-${data.google_project.this.number}.${var.region}.run.app"
  }

  # Every environment variable each service gets besides its secrets (shared/config.ts reads them all).
  service_env = {
    ingest = merge(local.gcp_env, {
      TIEOUT_OIDC_AUDIENCE          = local.service_urls.ingest
      TIEOUT_OIDC_SERVICE_ACCOUNT   = google_service_account.pubsub_push.email
      TIEOUT_OIDC_PLATFORM_VERIFIED = var.ingest_public ? "false" : "true"
    })
    matcher = merge(local.gcp_env, {
      TIEOUT_MATCHER_DELIVERY       = var.matcher_delivery
      TIEOUT_OIDC_AUDIENCE          = local.service_urls.matcher
      TIEOUT_OIDC_SERVICE_ACCOUNT   = google_service_account.pubsub_push.email
      TIEOUT_OIDC_PLATFORM_VERIFIED = "true"
    })
    nightly_report = merge(local.report_env, {
      TIEOUT_OIDC_AUDIENCE          = local.service_urls.nightly_report
      TIEOUT_OIDC_SERVICE_ACCOUNT   = google_service_account.scheduler.email
      TIEOUT_OIDC_PLATFORM_VERIFIED = "true"
    })
  }

  # Fingerprint of the configuration and rules files: a change rolls out a new revision, so no
  # instance keeps running on a configuration it read before.
  config_revision = substr(sha256(join("/", [filemd5(local.config_file), var.rules_file == "" ? "" : filemd5(var.rules_file)])), 0, 12)
}

resource "google_cloud_run_v2_service" "ingest" {
  name                = "${var.name_prefix}-ingest"
  location            = var.region
  description         = "tieout ingest: verify, normalize, archive, publish"
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.ingest.email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.ingest.concurrency
    timeout                          = "30s" # Shopify waits about 5 s; ingest answers in milliseconds

    scaling {
      # A warm instance: senders time out quickly and a cold start eats into that.
      min_instance_count = var.ingest.min_instances
      max_instance_count = var.ingest.max_instances
    }

    volumes {
      name = "config"
      gcs {
        bucket    = google_storage_bucket.config.name
        read_only = true
      }
    }

    containers {
      name  = "ingest"
      image = var.image
      args  = local.serve_args

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.ingest.cpu
          memory = var.ingest.memory
        }
        cpu_idle          = true # CPU only while requests run: ingest does no background work
        startup_cpu_boost = true
      }

      env {
        name  = "TIEOUT_SERVICE"
        value = "ingest"
      }

      env {
        name  = "TIEOUT_CONFIG_REVISION"
        value = local.config_revision
      }

      dynamic "env" {
        for_each = local.service_env.ingest
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = toset(local.service_secrets.ingest)
        content {
          name = env.value
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.secret[env.value].secret_id
              version = "latest"
            }
          }
        }
      }

      volume_mounts {
        name       = "config"
        mount_path = local.config_mount
      }

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 30
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds  = 30
        timeout_seconds = 5
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.access,
    google_storage_bucket_iam_member.reads_config,
    google_storage_bucket_object.config,
    google_storage_bucket_object.rules,
  ]
}

resource "google_cloud_run_v2_service" "matcher" {
  name                = "${var.name_prefix}-matcher"
  location            = var.region
  description         = "tieout matcher: fold events into order state; the order API"
  ingress             = "INGRESS_TRAFFIC_ALL" # Pub/Sub push and the order API; IAM decides who may call
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.matcher.email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.matcher.concurrency
    timeout                          = "60s" # within the subscription's 60 s ack deadline

    scaling {
      # Pull delivery needs a running consumer: at least one instance, CPU always allocated.
      min_instance_count = var.matcher_delivery == "pull" ? max(1, var.matcher.min_instances) : var.matcher.min_instances
      max_instance_count = var.matcher.max_instances
    }

    volumes {
      name = "config"
      gcs {
        bucket    = google_storage_bucket.config.name
        read_only = true
      }
    }

    containers {
      name  = "matcher"
      image = var.image
      args  = local.serve_args

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.matcher.cpu
          memory = var.matcher.memory
        }
        cpu_idle          = var.matcher_delivery == "push" # a pull consumer works between requests
        startup_cpu_boost = true
      }

      env {
        name  = "TIEOUT_SERVICE"
        value = "matcher"
      }

      env {
        name  = "TIEOUT_CONFIG_REVISION"
        value = local.config_revision
      }

      dynamic "env" {
        for_each = local.service_env.matcher
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = toset(local.service_secrets.matcher)
        content {
          name = env.value
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.secret[env.value].secret_id
              version = "latest"
            }
          }
        }
      }

      volume_mounts {
        name       = "config"
        mount_path = local.config_mount
      }

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 30
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds  = 30
        timeout_seconds = 5
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.access,
    google_storage_bucket_iam_member.reads_config,
    google_storage_bucket_object.config,
    google_storage_bucket_object.rules,
  ]
}

resource "google_cloud_run_v2_service" "nightly_report" {
  name                = "${var.name_prefix}-nightly-report"
  location            = var.region
  description         = "tieout nightly report: snapshot, classify, diff, narrate, post, record"
  ingress             = "INGRESS_TRAFFIC_ALL" # only the scheduler (and report_invokers) hold run.invoker
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.nightly_report.email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = var.nightly_report.concurrency
    timeout                          = "3600s" # one night at 1M orders with 2% open runs in minutes; headroom

    scaling {
      # Idle between nights; one instance at most, so two triggers never run a night side by side.
      min_instance_count = var.nightly_report.min_instances
      max_instance_count = var.nightly_report.max_instances
    }

    volumes {
      name = "config"
      gcs {
        bucket    = google_storage_bucket.config.name
        read_only = true
      }
    }

    containers {
      name  = "nightly-report"
      image = var.image
      args  = local.serve_args

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.nightly_report.cpu
          memory = var.nightly_report.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      env {
        name  = "TIEOUT_SERVICE"
        value = "nightly-report"
      }

      env {
        name  = "TIEOUT_CONFIG_REVISION"
        value = local.config_revision
      }

      dynamic "env" {
        for_each = local.service_env.nightly_report
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = toset(local.service_secrets.nightly_report)
        content {
          name = env.value
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.secret[env.value].secret_id
              version = "latest"
            }
          }
        }
      }

      volume_mounts {
        name       = "config"
        mount_path = local.config_mount
      }

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        timeout_seconds   = 2
        failure_threshold = 30
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds  = 30
        timeout_seconds = 5
      }
    }
  }

  depends_on = [
    google_secret_manager_secret_iam_member.access,
    google_storage_bucket_iam_member.reads_config,
    google_storage_bucket_object.config,
    google_storage_bucket_object.rules,
  ]
}
