# Buckets, the image repository and the secrets. Bucket names are
# "<bucket_prefix>-<purpose>"; every bucket has uniform access, public access
# prevention and versioning.
#
# The lake keeps every live object for good: a replay (coinpulse load over a prefix), a
# repair (it rewrites minutes) and a backfill read or write it years later. Versioning,
# not a retention policy: a locked retention would also refuse the deletes of Beam's
# temporary objects and the rewrites a repair makes, while versions keep an overwritten
# or deleted object for lake_noncurrent_days. Live objects move to Nearline after
# lake_nearline_after_days (read rarely then; 30 days is Nearline's minimum storage).

resource "google_storage_bucket" "lake" {
  #checkov:skip=CKV_GCP_62:Access logs of every object read would cost more than the lake; Cloud Audit Logs record who wrote what.
  name                        = "${var.bucket_prefix}-lake"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = var.lake_nearline_after_days
    }
    action {
      type          = "SetStorageClass"
      storage_class = "NEARLINE"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.lake_noncurrent_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [google_project_service.apis]
}

# The relay's checkpoint, saved every 5 s: a few older versions are enough to go back.
resource "google_storage_bucket" "state" {
  #checkov:skip=CKV_GCP_62:One small object rewritten every 5 s; access logs would be pure noise.
  name                        = "${var.bucket_prefix}-state"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 10
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# The Flex Template specs (templates/), Dataflow staging and temp files (tmp/).
resource "google_storage_bucket" "dataflow" {
  #checkov:skip=CKV_GCP_62:Staging and temp files only; access logs would be noise.
  name                        = "${var.bucket_prefix}-dataflow"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age            = 7
      matches_prefix = ["tmp/", "staging/"]
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# The functions' source zips, named by their hash; a rollback re-applies an older
# commit, which uploads its zip again.
resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Written once per deploy, read by the functions' builds; access logs would be noise.
  name                        = "${var.bucket_prefix}-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = local.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption; customer-supplied or -managed keys would add a KMS key ring, its rotation and its cost for market data that is public.
  repository_id = var.repository
  location      = var.region
  format        = "DOCKER"
  description   = "CoinPulse images: relay, beam (Flex Template), transform, and the functions' builds."
  labels        = local.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.images_kept
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "2592000s"
    }
  }

  depends_on = [google_project_service.apis]
}

# Builds the functions' images from their source zips.
resource "google_service_account" "functions_build" {
  account_id   = "coinpulse-functions-build"
  display_name = "CoinPulse functions' image builds"
}

resource "google_artifact_registry_repository_iam_member" "functions_build_pushes" {
  location   = var.region
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.functions_build.member
}

resource "google_storage_bucket_iam_member" "functions_build_reads_sources" {
  bucket = google_storage_bucket.sources.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.functions_build.member
}

# Build logs: log writing exists only at project level.
resource "google_project_iam_member" "functions_build_writes_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.functions_build.member
}

# The secrets' values never pass through Terraform (nor its state): add them with
# `gcloud secrets versions add` (docs/deploy.md). Each secret starts with a one-space
# version, write-only, so that what reads "latest" deploys before the real value is
# added: a blank CoinGecko key means keyless calls (the functions strip whitespace); a
# blank Grafana token makes `coinpulse grafana publish` fail until the token is added.
resource "google_secret_manager_secret" "coingecko_api_key" {
  secret_id = "coinpulse-coingecko-api-key"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret" "grafana_token" {
  secret_id = "coinpulse-grafana-token"
  labels    = local.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "placeholder" {
  for_each = {
    coingecko_api_key = google_secret_manager_secret.coingecko_api_key.id
    grafana_token     = google_secret_manager_secret.grafana_token.id
  }
  secret                 = each.value
  secret_data_wo         = " "
  secret_data_wo_version = "1"
}
