terraform {
  required_version = ">= 1.11" # write-only secret data (storage.tf)

  # State in a GCS bucket that `coinpulse deploy` creates before `terraform init`
  # (-backend-config=bucket=<bucket_prefix>-tfstate); `make tf-validate` needs none.
  backend "gcs" {
    prefix = "coinpulse"
  }

  required_providers {
    google = {
      source = "hashicorp/google"
      # One exact release: the lock file records its hashes, and `make tf-validate`
      # builds this release from source where the registry cannot be reached
      # (scripts/terraform-mirror.sh).
      version = "8.0.0"
    }
  }
}
