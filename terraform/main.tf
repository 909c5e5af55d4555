# CoinPulse on Google Cloud, everything the running system needs (docs/deploy.md):
#
#   apis.tf        the services the project uses
#   storage.tf     the lake, state, Dataflow and source buckets, the image repository,
#                  the secrets
#   bigquery.tf    the datasets and raw tables (schemas: coinpulse/schemas/*.json)
#   cicd.tf        Cloud Build's deployer account, its triggers, and Workload Identity
#                  Federation for a CI outside Google Cloud
#   modules/       one module per component: relay, pipeline, loader, daily_lane,
#                  transform, monitoring
#
# Every component runs as its own service account holding only its roles, granted on
# the resource (topic, subscription, bucket, dataset, secret, service); project-level
# grants are those that exist only there (BigQuery's jobUser, Dataflow's worker,
# Eventarc's receiver). No service-account key exists anywhere.

provider "google" {
  project = var.project_id
  region  = var.region
}

locals {
  labels = {
    app = "coinpulse"
  }
  bigquery_location = coalesce(var.bigquery_location, var.region)
  repository_url    = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
}

module "relay" {
  source = "./modules/relay"

  region              = var.region
  image               = "${local.repository_url}/relay:${var.image_tag}"
  pairs               = var.pairs
  topic_name          = var.trades_topic
  topic_retention     = var.topic_retention
  state_bucket        = google_storage_bucket.state.name
  log_level           = var.log_level
  deletion_protection = var.deletion_protection
  labels              = local.labels

  depends_on = [google_project_service.apis]
}

module "pipeline" {
  source = "./modules/pipeline"

  region                = var.region
  topic_id              = module.relay.topic_id
  subscription_name     = var.pipeline_subscription
  message_retention     = var.subscription_retention
  max_delivery_attempts = var.max_delivery_attempts
  lake_bucket           = google_storage_bucket.lake.name
  dataflow_bucket       = google_storage_bucket.dataflow.name
  repository            = google_artifact_registry_repository.images.name
  labels                = local.labels
}

module "loader" {
  source = "./modules/loader"

  region                = var.region
  bucket_location       = lower(google_storage_bucket.lake.location)
  lake_bucket           = google_storage_bucket.lake.name
  raw_dataset           = google_bigquery_dataset.datasets["raw"].dataset_id
  bigquery_location     = local.bigquery_location
  source_zip            = "${path.root}/../dist/functions/loader.zip"
  sources_bucket        = google_storage_bucket.sources.name
  build_service_account = google_service_account.functions_build.id
  docker_repository     = google_artifact_registry_repository.images.id
  max_instances         = var.loader_max_instances
  log_level             = var.log_level
  labels                = local.labels

  depends_on = [google_project_service.apis, google_artifact_registry_repository_iam_member.functions_build_pushes]
}

module "daily_lane" {
  source = "./modules/daily_lane"

  project_id            = var.project_id
  region                = var.region
  schedule              = var.coingecko_schedule
  pairs                 = var.pairs
  lake_bucket           = google_storage_bucket.lake.name
  api_key_secret        = google_secret_manager_secret.coingecko_api_key.secret_id
  source_zip            = "${path.root}/../dist/functions/coingecko.zip"
  sources_bucket        = google_storage_bucket.sources.name
  build_service_account = google_service_account.functions_build.id
  docker_repository     = google_artifact_registry_repository.images.id
  log_level             = var.log_level
  labels                = local.labels

  depends_on = [
    google_project_service.apis,
    google_artifact_registry_repository_iam_member.functions_build_pushes,
    google_secret_manager_secret_version.placeholder,
  ]
}

module "transform" {
  source = "./modules/transform"

  region              = var.region
  image               = "${local.repository_url}/transform:${var.image_tag}"
  pairs               = var.pairs
  schedule            = var.transform_schedule
  full_test_schedule  = var.transform_full_test_schedule
  timeout_seconds     = var.transform_timeout_seconds
  raw_dataset         = google_bigquery_dataset.datasets["raw"].dataset_id
  model_datasets      = [google_bigquery_dataset.datasets["staging"].dataset_id, google_bigquery_dataset.datasets["mart"].dataset_id]
  bigquery_location   = local.bigquery_location
  log_level           = var.log_level
  deletion_protection = var.deletion_protection
  labels              = local.labels

  depends_on = [google_project_service.apis]
}

module "monitoring" {
  source = "./modules/monitoring"

  alert_email                 = var.alert_email
  trades_topic                = module.relay.topic_name
  undeliverable_subscription  = module.pipeline.undeliverable_subscription
  loader_function             = module.loader.function_name
  raw_dataset                 = google_bigquery_dataset.datasets["raw"].dataset_id
  bigquery_location           = local.bigquery_location
  freshness_minutes           = var.freshness_minutes
  completeness_lookback_hours = var.completeness_lookback_hours
  completeness_settle_minutes = var.completeness_settle_minutes
  billing_account             = var.billing_account
  monthly_budget              = var.monthly_budget
  budget_currency             = var.budget_currency

  depends_on = [google_project_service.apis]
}
