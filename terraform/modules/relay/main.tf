# The relay: Binance's trade stream into the trades topic, one Cloud Run instance that
# is always on (min = max = 1, CPU always allocated: its WebSocket reads between
# requests), its checkpoint a gs:// object in its own state bucket, /healthz as the
# liveness probe (503 when no frame arrived for a while or a task could not go on).
# The region must not be in the US: Binance answers 451 there (docs/relay.md).

resource "google_service_account" "relay" {
  account_id   = "coinpulse-relay"
  display_name = "CoinPulse relay (Cloud Run)"
}

resource "google_pubsub_topic" "trades" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption; customer-supplied or -managed keys would add a KMS key ring, its rotation and its cost for market data that is public.
  name                       = var.topic_name
  labels                     = var.labels
  message_retention_duration = var.topic_retention
}

resource "google_pubsub_topic_iam_member" "relay_publishes_trades" {
  topic  = google_pubsub_topic.trades.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.relay.member
}

resource "google_storage_bucket_iam_member" "relay_keeps_its_checkpoint" {
  bucket = var.state_bucket
  role   = "roles/storage.objectUser"
  member = google_service_account.relay.member
}

resource "google_cloud_run_v2_service" "relay" {
  name                = "coinpulse-relay"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY"
  deletion_protection = var.deletion_protection
  labels              = var.labels

  scaling {
    min_instance_count = 1
    max_instance_count = 1
  }

  template {
    service_account                  = google_service_account.relay.email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    max_instance_request_concurrency = 10

    scaling {
      min_instance_count = 1
      max_instance_count = 1
    }

    containers {
      image = var.image

      resources {
        # Instance-based billing ("CPU always allocated"): the WebSocket is read between
        # requests, which request-based billing throttles (external-facts.md section 6).
        cpu_idle = false
        limits = {
          cpu    = "1"
          memory = "512Mi"
        }
      }

      env {
        name  = "RELAY_SINK"
        value = "pubsub:${google_pubsub_topic.trades.id}"
      }
      # Dead letters ride the trades topic, as in the local stack: the pipeline files
      # them into dead_letters/ and so into crypto_raw.dead_letters.
      env {
        name  = "RELAY_DEAD_LETTER_SINK"
        value = "pubsub:${google_pubsub_topic.trades.id}"
      }
      env {
        name  = "RELAY_CHECKPOINT"
        value = "gs://${var.state_bucket}/relay/checkpoint.json"
      }
      env {
        name  = "COINPULSE_PAIRS"
        value = join(",", var.pairs)
      }
      env {
        name  = "LOG_LEVEL"
        value = var.log_level
      }

      startup_probe {
        period_seconds    = 5
        failure_threshold = 12
        tcp_socket {
          port = 8080
        }
      }

      liveness_probe {
        # /healthz answers 503 once no frame arrived for its stale limit, so a relay
        # wedged without data is restarted; it resumes from its checkpoint.
        initial_delay_seconds = 30
        period_seconds        = 30
        timeout_seconds       = 5
        failure_threshold     = 3
        http_get {
          path = "/healthz"
        }
      }
    }
  }
}
