# The bus (DESIGN §1, §11): topic "events", its dead-letter topic, the matcher's subscription,
# the BigQuery subscription that archives every event, and the dead-letter archive.
#
# At-least-once everywhere: the canonical event id travels as the eventId attribute and every
# sink dedupes on it (the matcher's seen ids, the events_dedup view).

locals {
  # Redelivery with exponential backoff between these bounds, then the dead-letter topic.
  retry_minimum_backoff = "10s"
  retry_maximum_backoff = "600s"
}

resource "google_pubsub_topic" "events" {
  name = var.topic

  # The longest Pub/Sub keeps messages: it bounds seek-based recovery; the archive (BigQuery)
  # is the long-term replay source.
  message_retention_duration = "2678400s" # 31 days

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  name                       = "${var.topic}-dead-letter"
  message_retention_duration = "2678400s"

  depends_on = [google_project_service.enabled]
}

# The matcher's subscription: per-order ordering (the ordering key is the order reference),
# no filter (the matcher sees every event), exponential backoff, dead letters after
# max_delivery_attempts. Pull by default (the matcher streams and coalesces all pending events
# of one order into one Firestore transaction); with matcher_delivery = "push" Pub/Sub POSTs
# each message to the matcher's /pubsub/push with an OIDC token instead.
resource "google_pubsub_subscription" "matcher" {
  name  = var.subscription
  topic = google_pubsub_topic.events.id

  enable_message_ordering      = true
  enable_exactly_once_delivery = false # sinks dedupe on the event id; push does not support it
  ack_deadline_seconds         = 60    # twice the matcher's default lease (matcher.leaseSeconds = 30)
  message_retention_duration   = "604800s"
  retain_acked_messages        = false

  retry_policy {
    minimum_backoff = local.retry_minimum_backoff
    maximum_backoff = local.retry_maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = "" # never expires, however quiet the shop
  }

  dynamic "push_config" {
    for_each = var.matcher_delivery == "push" ? [1] : []
    content {
      push_endpoint = "${google_cloud_run_v2_service.matcher.uri}/pubsub/push"

      # The audience is the matcher's deterministic URL, the one it checks (TIEOUT_OIDC_AUDIENCE, run.tf).
      oidc_token {
        service_account_email = google_service_account.pubsub_push.email
        audience              = local.service_urls.matcher
      }
    }
  }
}

# Every published event into the BigQuery events table. A single message transform maps the
# canonical event JSON onto the table's columns (infra/transforms/event_row.js); write_metadata
# adds subscription_name, message_id, publish_time and attributes. Rows that cannot be written
# (a schema mismatch) are retried, then dead-lettered like the matcher's.
resource "google_pubsub_subscription" "events_archive" {
  name  = "${var.topic}-archive"
  topic = google_pubsub_topic.events.id

  bigquery_config {
    table               = "${google_bigquery_table.events.project}.${google_bigquery_table.events.dataset_id}.${google_bigquery_table.events.table_id}"
    use_table_schema    = true
    write_metadata      = true
    drop_unknown_fields = true
  }

  message_transforms {
    javascript_udf {
      function_name = "toEventRow"
      code          = file("${path.module}/transforms/event_row.js")
    }
  }

  retry_policy {
    minimum_backoff = local.retry_minimum_backoff
    maximum_backoff = local.retry_maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes]
}

# Dead letters into the archive (DESIGN §11): the body as published and the attributes Pub/Sub
# adds (source subscription, delivery count), so the report can count them and a replay can
# re-publish them after a fix.
resource "google_pubsub_subscription" "dead_letter_archive" {
  name  = "${var.topic}-dead-letter-archive"
  topic = google_pubsub_topic.dead_letter.id

  bigquery_config {
    table            = "${google_bigquery_table.dead_letters.project}.${google_bigquery_table.dead_letters.dataset_id}.${google_bigquery_table.dead_letters.table_id}"
    use_table_schema = false
    write_metadata   = true
  }

  retry_policy {
    minimum_backoff = local.retry_minimum_backoff
    maximum_backoff = local.retry_maximum_backoff
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_bigquery_table_iam_member.pubsub_writes]
}

# Dead letters for the bus adapter: lists them (EventBus.deadLetters) and requeues them to the
# topic after a fix (EventBus.requeueDeadLetters) while Pub/Sub still holds them.
resource "google_pubsub_subscription" "dead_letter" {
  name  = "${var.subscription}-dead-letter"
  topic = google_pubsub_topic.dead_letter.id

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# Shopify's Pub/Sub delivery (shopify_pubsub_delivery = true; FORMATS §1.1): Shopify publishes each
# webhook to this topic instead of POSTing it — unsigned, its X-Shopify-* headers as message
# attributes — and this push subscription hands it to ingest's POST /pubsub/shopify with an OIDC
# token for the push account. Ingest then runs the webhook path minus the HMAC (archive, publish,
# quarantine). Register the topic in Shopify as pubsub://<project>:<topic> (docs/deploy-gcp.md).
# A delivery ingest keeps refusing (500s) is dead-lettered after max_delivery_attempts into the
# shared dead-letter topic, so it lands in the dead_letters table with the others.
resource "google_pubsub_topic" "shopify" {
  count = var.shopify_pubsub_delivery ? 1 : 0

  name                       = "${var.name_prefix}-shopify-webhooks"
  message_retention_duration = "604800s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "shopify_ingest" {
  count = var.shopify_pubsub_delivery ? 1 : 0

  name  = "${var.name_prefix}-shopify-webhooks-ingest"
  topic = google_pubsub_topic.shopify[0].id

  ack_deadline_seconds       = 30 # ingest answers in milliseconds
  message_retention_duration = "604800s"

  retry_policy {
    minimum_backoff = local.retry_minimum_backoff
    maximum_backoff = local.retry_maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.ingest.uri}/pubsub/shopify"

    # The audience is ingest's deterministic URL, the one it checks (TIEOUT_OIDC_AUDIENCE, run.tf).
    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = local.service_urls.ingest
    }
  }
}
