# The night (DESIGN §8): Cloud Scheduler calls the nightly report's POST /run a few minutes after
# the cutoff, in the business time zone, with an OIDC token for the scheduler's service account.
# Without a date the service runs the latest business date whose cutoff has passed; a run is
# idempotent per business date, so a retried trigger never posts twice.

locals {
  cutoff_minute = tonumber(split(":", var.cutoff)[0]) * 60 + tonumber(split(":", var.cutoff)[1])
  run_minute    = (local.cutoff_minute + var.run_delay_minutes) % 1440
  # Cron in the business time zone: "5 6 * * *" for the default 06:00 cutoff (DST follows the zone).
  night_schedule = format("%d %d * * *", local.run_minute % 60, floor(local.run_minute / 60))
}

resource "google_cloud_scheduler_job" "nightly_report" {
  name        = "${var.name_prefix}-nightly-report"
  region      = var.region
  description = "tieout: run the night after the ${var.cutoff} cutoff (${var.time_zone})"
  schedule    = local.night_schedule
  time_zone   = var.time_zone

  # The longest Cloud Scheduler waits for an HTTP target; the run goes on if it takes longer.
  attempt_deadline = "1800s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "300s"
    max_backoff_duration = "1800s"
    max_doublings        = 2
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloud_run_v2_service.nightly_report.uri}/run"
    body        = base64encode(jsonencode({ force = false }))
    headers = {
      "Content-Type" = "application/json"
    }

    # The audience is the service's deterministic URL, the one the service checks (TIEOUT_OIDC_AUDIENCE, run.tf).
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = local.service_urls.nightly_report
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.scheduler_invokes_report]
}
