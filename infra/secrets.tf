# Secret Manager: one secret per environment variable the services read secrets from (README,
# "Environment variables"). Terraform declares the secrets and who may read them, never their
# values: add versions with gcloud (docs/deploy-gcp.md, "Set the secret values"), so no secret
# is ever in the Terraform state or this repository. Each may hold a comma-separated list while
# a secret is being rotated.

locals {
  secret_names = [
    "TIEOUT_SHOPIFY_SECRET", # Shopify webhook signing secret
    "TIEOUT_STRIPE_SECRET",  # Stripe endpoint secret (whsec_...)
    "TIEOUT_SHIPBOB_SECRET", # ShipBob (Standard Webhooks) secret (whsec_...)
    "TIEOUT_API_TOKEN",      # bearer token of the order API and the feed endpoints
    "SLACK_BOT_TOKEN",       # Slack bot token (chat:write) for the nightly report
    "ANTHROPIC_API_KEY",     # narration model key (optional: the template narrates without it)
  ]

  # Which service reads which secret: the only grants of secretAccessor (iam below), and the
  # only secret environment variables each Cloud Run service gets (run.tf).
  service_secrets = {
    ingest         = ["TIEOUT_SHOPIFY_SECRET", "TIEOUT_STRIPE_SECRET", "TIEOUT_SHIPBOB_SECRET", "TIEOUT_API_TOKEN"]
    matcher        = ["TIEOUT_API_TOKEN"]
    # POST /run takes Cloud Scheduler's OIDC token on Google Cloud, not TIEOUT_API_TOKEN.
    nightly_report = concat(["SLACK_BOT_TOKEN"], var.narration_enabled ? ["ANTHROPIC_API_KEY"] : [])
  }

  secret_grants = merge([
    for service, names in local.service_secrets : {
      for name in names : "${service}/${name}" => { service = service, secret = name }
    }
  ]...)
}

resource "google_secret_manager_secret" "secret" {
  for_each = toset(local.secret_names)

  secret_id = each.key

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_iam_member" "access" {
  for_each = local.secret_grants

  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.service_members[each.value.service]
}
