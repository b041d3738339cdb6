# Inputs of the tieout deployment. Only project_id and image have no default.

variable "project_id" {
  description = "GCP project that hosts tieout."
  type        = string
}

variable "region" {
  description = "Region for Cloud Run, Artifact Registry, Cloud Scheduler and the config bucket."
  type        = string
  default     = "us-central1"
}

variable "bigquery_location" {
  description = "BigQuery dataset location (US, EU or a region). Null means the region."
  type        = string
  default     = null
}

variable "firestore_location" {
  description = "Firestore location (a region such as us-central1, or a multi-region such as nam5). Null means the region."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of service, service account and bucket names."
  type        = string
  default     = "tieout"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix must be 2 to 12 lower-case letters, digits or hyphens, starting with a letter (service account ids are limited to 30 characters)."
  }
}

variable "image" {
  description = "Container image for all three services, e.g. us-central1-docker.pkg.dev/<project>/tieout/tieout:<tag> (built from infra/Dockerfile)."
  type        = string
}

# --- Names the application reads (the gcp section of tieout.config.yaml, set through the environment) ---

variable "topic" {
  description = "Pub/Sub topic of canonical events (gcp.topic, TIEOUT_PUBSUB_TOPIC)."
  type        = string
  default     = "events"
}

variable "subscription" {
  description = "The matcher's subscription on the topic (gcp.subscription, TIEOUT_PUBSUB_SUBSCRIPTION)."
  type        = string
  default     = "events-matcher"
}

variable "firestore_database" {
  description = "Firestore database id for order state (gcp.database, TIEOUT_FIRESTORE_DATABASE)."
  type        = string
  default     = "tieout"
}

variable "dataset" {
  description = "BigQuery dataset of the archive (gcp.dataset, TIEOUT_BQ_DATASET)."
  type        = string
  default     = "tieout"

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]{0,1023}$", var.dataset))
    error_message = "dataset must be a BigQuery dataset id: letters, digits and underscores."
  }
}

# --- The business day ---

variable "time_zone" {
  description = "IANA time zone of the business day (timeZone, TIEOUT_TIME_ZONE); also the Cloud Scheduler time zone."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Za-z_]+(/[A-Za-z0-9_+-]+)+)$", var.time_zone))
    error_message = "time_zone must be an IANA zone name such as UTC, Europe/Berlin or America/New_York."
  }
}

variable "cutoff" {
  description = "Local time HH:MM after which a business date is evaluated (cutoff, TIEOUT_CUTOFF)."
  type        = string
  default     = "06:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.cutoff))
    error_message = "cutoff must be a local time HH:MM from 00:00 to 23:59."
  }
}

variable "run_delay_minutes" {
  description = "Minutes after the cutoff at which Cloud Scheduler triggers the night (lets late events drain through the matcher)."
  type        = number
  default     = 5

  validation {
    condition     = var.run_delay_minutes >= 0 && var.run_delay_minutes <= 120 && floor(var.run_delay_minutes) == var.run_delay_minutes
    error_message = "run_delay_minutes must be a whole number from 0 to 120."
  }
}

# --- Delivery ---

variable "max_delivery_attempts" {
  description = "Deliveries before Pub/Sub dead-letters a message (DESIGN §11: 10 to 20; the embedded bus uses 10)."
  type        = number
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 10 && var.max_delivery_attempts <= 20
    error_message = "max_delivery_attempts must be from 10 to 20."
  }
}

variable "matcher_delivery" {
  description = "How the matcher subscription delivers: pull (the matcher pulls from it, CPU always allocated) or push (Pub/Sub POSTs each message to the matcher's /pubsub/push with an OIDC token; the service gets TIEOUT_MATCHER_DELIVERY=push and runs no pull loop)."
  type        = string
  default     = "pull"

  validation {
    condition     = contains(["pull", "push"], var.matcher_delivery)
    error_message = "matcher_delivery must be pull or push."
  }
}

variable "shopify_pubsub_delivery" {
  description = "Let Shopify deliver webhooks through Pub/Sub (topic <name_prefix>-shopify-webhooks, pushed to ingest's POST /pubsub/shopify with an OIDC token) as well as, or instead of, HTTPS."
  type        = bool
  default     = false
}

variable "shopify_pubsub_service_account" {
  description = "The service account Shopify publishes Pub/Sub webhooks as (copy it from the Partner Dashboard: App setup, Google Cloud Pub/Sub)."
  type        = string
  default     = "delivery@shopify-pubsub-webhooks.iam.gserviceaccount.com"
}

# --- Services ---

variable "ingest" {
  description = "Cloud Run sizing of the ingest service (webhooks and feeds: answers within milliseconds, so it scales out)."
  type = object({
    min_instances = optional(number, 1)
    max_instances = optional(number, 20)
    concurrency   = optional(number, 80)
    cpu           = optional(string, "1")
    memory        = optional(string, "512Mi")
  })
  default = {}
}

variable "matcher" {
  description = "Cloud Run sizing of the matcher (folds events into Firestore; serves GET /orders/:key)."
  type = object({
    min_instances = optional(number, 1)
    max_instances = optional(number, 4)
    concurrency   = optional(number, 20)
    cpu           = optional(string, "1")
    memory        = optional(string, "1Gi")
  })
  default = {}
}

variable "nightly_report" {
  description = "Cloud Run sizing of the nightly report (one run at a time; memory grows with the number of open orders)."
  type = object({
    min_instances = optional(number, 0)
    max_instances = optional(number, 1)
    concurrency   = optional(number, 1)
    cpu           = optional(string, "2")
    memory        = optional(string, "2Gi")
  })
  default = {}
}

variable "slack_channel" {
  description = "Slack channel id for the nightly report (TIEOUT_SLACK_CHANNEL). Empty leaves it to the config file."
  type        = string
  default     = ""
}

variable "narration_enabled" {
  description = "Give the nightly report ANTHROPIC_API_KEY (model narration). When false the deterministic template narrates and the secret needs no value."
  type        = bool
  default     = true
}

variable "ingest_public" {
  description = "Let anyone reach the ingest service (allUsers run.invoker): Shopify, Stripe and ShipBob cannot send Google identity tokens; every webhook is authenticated by its signature instead."
  type        = bool
  default     = true
}

variable "order_api_invokers" {
  description = "IAM members allowed to call the matcher's order API (GET /orders/:key), e.g. group:finance-ops@example.com. They send an identity token in X-Serverless-Authorization and the API token as Authorization: Bearer."
  type        = list(string)
  default     = []
}

variable "report_invokers" {
  description = "IAM members allowed to call the nightly report's POST /run by hand (re-runs); the scheduler's service account always is."
  type        = list(string)
  default     = []
}

variable "config_file" {
  description = "tieout.config.yaml for the services (must say backend: gcp). Null uses infra/tieout.config.gcp.yaml."
  type        = string
  default     = null
}

variable "rules_file" {
  description = "tieout.rules.yaml (accepted edge cases, reviewed like code) to publish to the services. Empty means no rules yet."
  type        = string
  default     = ""
}

variable "warehouse_ledger_table" {
  description = "The finance ledger (project.dataset.table) the nightly-report service pulls before each night with sql/feeds/warehouse.sql, or empty for none (upload ledger CSVs to POST /feeds/warehouse instead). Passed as TIEOUT_WAREHOUSE_LEDGER_TABLE; that service's account gets BigQuery Data Viewer on that table only, and the archive writes and publish the pull needs."
  type        = string
  default     = ""

  validation {
    # The pattern of shared/domain/ledger-table.ts (test/infra.test.ts holds the two together).
    condition     = var.warehouse_ledger_table == "" || can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9][.][A-Za-z0-9_]+[.][A-Za-z0-9_-]+$", var.warehouse_ledger_table))
    error_message = "warehouse_ledger_table must be empty or project.dataset.table (project id; dataset of letters, digits, _; table of letters, digits, _, -)."
  }
}

variable "deletion_protection" {
  description = "Protect the archive tables, the Firestore database and the Cloud Run services from terraform destroy."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels added to every resource that takes them."
  type        = map(string)
  default     = {}
}
