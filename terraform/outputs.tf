# What `coinpulse deploy` and docs/deploy.md read after an apply.

output "datasets" {
  description = "BigQuery dataset ids by layer."
  value       = { for layer, dataset in google_bigquery_dataset.datasets : layer => dataset.dataset_id }
}

output "raw_tables" {
  description = "Fully qualified ids of the raw tables."
  value       = { for name, table in google_bigquery_table.raw : name => "${table.project}.${table.dataset_id}.${table.table_id}" }
}

output "lake_bucket" {
  description = "The lake bucket."
  value       = google_storage_bucket.lake.name
}

output "dataflow_bucket" {
  description = "Bucket of the Flex Template specs, staging and temp files."
  value       = google_storage_bucket.dataflow.name
}

output "repository_url" {
  description = "Artifact Registry path the images are pushed to."
  value       = local.repository_url
}

output "pipeline_subscription" {
  description = "The Beam job's subscription (its template parameter)."
  value       = module.pipeline.subscription_id
}

output "pipeline_service_account" {
  description = "The Dataflow workers' service account."
  value       = module.pipeline.service_account
}

output "dataflow_machine_type" {
  description = "Machine type of the streaming job's workers."
  value       = var.dataflow_machine_type
}

output "dataflow_max_workers" {
  description = "Most workers of the streaming job."
  value       = var.dataflow_max_workers
}

output "relay_service" {
  description = "The relay's Cloud Run service."
  value       = module.relay.service_name
}

output "loader_function" {
  description = "The loader function."
  value       = module.loader.function_name
}

output "coingecko_scheduler_jobs" {
  description = "Cloud Scheduler jobs of the CoinGecko functions."
  value       = module.daily_lane.scheduler_jobs
}

output "transform_job" {
  description = "The dbt transform's Cloud Run job."
  value       = module.transform.job_name
}

output "deployer_service_account" {
  description = "The service account Cloud Build and a federated CI deploy as."
  value       = google_service_account.deployer.email
}

output "workload_identity_provider" {
  description = "Workload Identity provider for a GitHub workflow (google-github-actions/auth's workload_identity_provider); null without github_repository."
  value       = try(google_iam_workload_identity_pool_provider.github["repository"].name, null)
}

output "alert_policies" {
  description = "Alert policies by signal."
  value       = module.monitoring.alert_policies
}
