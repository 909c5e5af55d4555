# The GCS-finalize loader: every object finalized in the lake bucket reaches
# `on_finalize` (Cloud Run functions gen2) through an Eventarc trigger with retries on,
# and becomes a BigQuery load job into crypto_raw (docs/loader.md). The source is the
# zip that `make package` writes from dist/functions/loader; its object name carries the
# zip's hash, so an unchanged source deploys nothing.

data "google_project" "this" {}

data "google_storage_project_service_account" "gcs_agent" {}

resource "google_service_account" "loader" {
  account_id   = "coinpulse-loader"
  display_name = "CoinPulse GCS-finalize loader (function)"
}

resource "google_service_account" "trigger" {
  account_id   = "coinpulse-loader-trigger"
  display_name = "CoinPulse loader's Eventarc trigger"
}

resource "google_storage_bucket_object" "source" {
  name   = "functions/loader-${filemd5(var.source_zip)}.zip"
  bucket = var.sources_bucket
  source = var.source_zip
}

resource "google_cloudfunctions2_function" "loader" {
  name     = "coinpulse-loader"
  location = var.region
  labels   = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "on_finalize"
    service_account   = var.build_service_account
    docker_repository = var.docker_repository
    source {
      storage_source {
        bucket = var.sources_bucket
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.loader.email
    # Event-driven functions run at most 540 s (external-facts.md section 7).
    timeout_seconds    = 540
    available_memory   = "512Mi"
    max_instance_count = var.max_instances
    ingress_settings   = "ALLOW_INTERNAL_ONLY"
    environment_variables = {
      BIGQUERY_PROJECT  = data.google_project.this.project_id
      BIGQUERY_LOCATION = var.bigquery_location
      LOG_LEVEL         = var.log_level
    }
  }

  event_trigger {
    trigger_region        = var.bucket_location
    event_type            = "google.cloud.storage.object.v1.finalized"
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = google_service_account.trigger.email
    event_filters {
      attribute = "bucket"
      value     = var.lake_bucket
    }
  }

  depends_on = [
    google_project_iam_member.gcs_agent_publishes_events,
    google_project_iam_member.trigger_receives_events,
  ]
}

# Reads the object; writes quarantine/ copies of bad ones.
resource "google_storage_bucket_iam_member" "loader_reads_the_lake" {
  for_each = toset(["roles/storage.objectViewer", "roles/storage.objectCreator"])
  bucket   = var.lake_bucket
  role     = each.value
  member   = google_service_account.loader.member
}

resource "google_bigquery_dataset_iam_member" "loader_writes_raw" {
  dataset_id = var.raw_dataset
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.loader.member
}

# BigQuery runs jobs in a project: jobUser has no narrower resource.
resource "google_project_iam_member" "loader_runs_load_jobs" {
  project = data.google_project.this.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.loader.member
}

resource "google_cloud_run_v2_service_iam_member" "trigger_invokes_loader" {
  name     = google_cloudfunctions2_function.loader.service_config[0].service
  location = var.region
  role     = "roles/run.invoker"
  member   = google_service_account.trigger.member
}

# Eventarc's receiver role is granted on the project only.
resource "google_project_iam_member" "trigger_receives_events" {
  project = data.google_project.this.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.trigger.member
}

# Cloud Storage's service agent publishes the bucket's events to Eventarc's topic.
resource "google_project_iam_member" "gcs_agent_publishes_events" {
  project = data.google_project.this.project_id
  role    = "roles/pubsub.publisher"
  member  = data.google_storage_project_service_account.gcs_agent.member
}
