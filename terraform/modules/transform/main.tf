# The dbt transform: a Cloud Run job whose image (dist/transform) runs
# `coinpulse transform --target prod`, i.e. dbt build over BigQuery, started by Cloud
# Scheduler every few minutes. dbt reads crypto_raw and owns the tables of
# crypto_staging and crypto_mart. A run that fails (a model or a test) is retried
# once by the job; the next scheduled run starts over, dbt's models being idempotent.
# A periodic build tests the rows of the range it rebuilds (docs/warehouse.md); once a
# day a second Scheduler job runs the same job as `dbt test` over every row.

data "google_project" "this" {}

resource "google_service_account" "transform" {
  account_id   = "coinpulse-transform"
  display_name = "CoinPulse dbt transform (Cloud Run job)"
}

resource "google_service_account" "scheduler" {
  account_id   = "coinpulse-transform-schedule"
  display_name = "CoinPulse Cloud Scheduler caller of the transform job"
}

resource "google_cloud_run_v2_job" "transform" {
  name                = "coinpulse-transform"
  location            = var.region
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    task_count = 1

    template {
      service_account = google_service_account.transform.email
      timeout         = "${var.timeout_seconds}s"
      max_retries     = 1

      containers {
        image = var.image

        resources {
          limits = {
            cpu    = "1"
            memory = "1Gi"
          }
        }

        env {
          name  = "GOOGLE_CLOUD_PROJECT"
          value = data.google_project.this.project_id
        }
        env {
          name  = "BIGQUERY_PROJECT"
          value = data.google_project.this.project_id
        }
        env {
          name  = "COINPULSE_PAIRS"
          value = join(",", var.pairs)
        }
        env {
          name  = "BIGQUERY_LOCATION"
          value = var.bigquery_location
        }
        env {
          name  = "LOG_LEVEL"
          value = var.log_level
        }
      }
    }
  }
}

resource "google_bigquery_dataset_iam_member" "transform_reads_raw" {
  dataset_id = var.raw_dataset
  role       = "roles/bigquery.dataViewer"
  member     = google_service_account.transform.member
}

resource "google_bigquery_dataset_iam_member" "transform_owns_models" {
  for_each   = toset(var.model_datasets)
  dataset_id = each.value
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.transform.member
}

# BigQuery runs queries in a project: jobUser has no narrower resource.
resource "google_project_iam_member" "transform_runs_queries" {
  project = data.google_project.this.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.transform.member
}

# run.invoker runs the job as it is; the daily full test passes other arguments,
# which takes run.jobs.runWithOverrides.
resource "google_cloud_run_v2_job_iam_member" "scheduler_runs_transform" {
  name     = google_cloud_run_v2_job.transform.name
  location = var.region
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = google_service_account.scheduler.member
}

locals {
  runs = {
    transform = { schedule = var.schedule, args = null }
    full-test = { schedule = var.full_test_schedule, args = ["--", "test"] }
  }
}

resource "google_cloud_scheduler_job" "transform" {
  for_each         = local.runs
  name             = "coinpulse-${each.key}"
  region           = var.region
  schedule         = each.value.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "60s"

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/${google_cloud_run_v2_job.transform.id}:run"
    headers     = each.value.args == null ? null : { "Content-Type" = "application/json" }
    body = each.value.args == null ? null : base64encode(jsonencode({
      overrides = { containerOverrides = [{ args = each.value.args }] }
    }))
    # Google APIs take OAuth access tokens (OIDC is for Cloud Run URLs).
    oauth_token {
      service_account_email = google_service_account.scheduler.email
    }
  }
}

moved {
  from = google_cloud_scheduler_job.transform
  to   = google_cloud_scheduler_job.transform["transform"]
}
