# The CoinGecko daily lane: two private HTTP functions (coingecko_markets,
# coingecko_ohlc) from one source zip, called by Cloud Scheduler with an OIDC token
# after CoinGecko publishes the last UTC day at 00:35 UTC (docs/coingecko.md). The API
# key lives in Secret Manager; the functions read it as COINGECKO_API_KEY. Any non-2xx
# answer makes Scheduler retry; a retry rewrites the same objects.

locals {
  functions = {
    markets = "coingecko_markets"
    ohlc    = "coingecko_ohlc"
  }
}

resource "google_service_account" "coingecko" {
  account_id   = "coinpulse-coingecko"
  display_name = "CoinPulse CoinGecko functions"
}

resource "google_service_account" "scheduler" {
  account_id   = "coinpulse-daily-scheduler"
  display_name = "CoinPulse Cloud Scheduler caller of the CoinGecko functions"
}

resource "google_storage_bucket_object" "source" {
  name   = "functions/coingecko-${filemd5(var.source_zip)}.zip"
  bucket = var.sources_bucket
  source = var.source_zip
}

resource "google_cloudfunctions2_function" "coingecko" {
  for_each = local.functions
  name     = "coinpulse-coingecko-${each.key}"
  location = var.region
  labels   = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = each.value
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
    service_account_email = google_service_account.coingecko.email
    # Retries stop 10 minutes into a run; 1800 s is Scheduler's longest HTTP deadline.
    timeout_seconds    = 1800
    available_memory   = "512Mi"
    max_instance_count = 1
    # Cloud Scheduler in the same project counts as internal traffic.
    ingress_settings = "ALLOW_INTERNAL_ONLY"
    environment_variables = {
      COINPULSE_LAKE  = "gs://${var.lake_bucket}"
      COINPULSE_PAIRS = join(",", var.pairs)
      LOG_LEVEL       = var.log_level
    }
    secret_environment_variables {
      key        = "COINGECKO_API_KEY"
      project_id = var.project_id
      secret     = var.api_key_secret
      version    = "latest"
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.coingecko_reads_the_key]
}

resource "google_storage_bucket_iam_member" "coingecko_writes_the_lake" {
  bucket = var.lake_bucket
  role   = "roles/storage.objectUser"
  member = google_service_account.coingecko.member
}

resource "google_secret_manager_secret_iam_member" "coingecko_reads_the_key" {
  secret_id = var.api_key_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.coingecko.member
}

resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes" {
  for_each = google_cloudfunctions2_function.coingecko
  name     = each.value.service_config[0].service
  location = var.region
  role     = "roles/run.invoker"
  member   = google_service_account.scheduler.member
}

resource "google_cloud_scheduler_job" "coingecko" {
  for_each         = google_cloudfunctions2_function.coingecko
  name             = each.value.name
  region           = var.region
  schedule         = var.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "1800s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "600s"
    max_backoff_duration = "1800s"
  }

  http_target {
    http_method = "POST"
    uri         = each.value.service_config[0].uri
    oidc_token {
      service_account_email = google_service_account.scheduler.email
      audience              = each.value.service_config[0].uri
    }
  }
}
