# Terraform and provider versions for the tieout deployment on Google Cloud.
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # 6.40+ for Pub/Sub single message transforms (message_transforms) on subscriptions.
      version = ">= 6.40.0, < 8.0.0"
    }
  }

  # State lives in a GCS bucket created once by hand (see docs/deploy-gcp.md):
  #   terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=tieout"
  backend "gcs" {}
}
