# CoinPulse on Google Cloud. This folder grows one file per concern; bigquery.tf
# holds the warehouse: datasets and the raw tables the GCS-finalize loader fills.
# Table schemas are the JSON files in coinpulse/schemas/, shared with the loader
# and the local DuckDB warehouse (tests/terraform checks that they agree).

provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  labels = {
    app = "coinpulse"
  }
}
