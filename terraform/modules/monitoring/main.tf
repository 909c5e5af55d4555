# Alerts: every policy notifies the same channel (an e-mail address). Each signal is
# either a built-in metric (Pub/Sub) or a log-based metric over the JSON log lines the
# components write (coinpulse.logs: jsonPayload.message, .table, .rows):
#
#   relay down / no trades   no publish to the trades topic for 5 minutes (the relay
#                            publishes a heartbeat every 5 s even when a pair is idle)
#   windows stale            no stream_prices object loaded for freshness_minutes
#   missing trade ids        a scheduled query (missing_trades.sql) whose ASSERT fails
#   dead letters             a dead_letters object with rows loaded, or messages waiting
#                            in the undeliverable subscription
#   loader failures          any ERROR line of the loader function
#   load quota               a table's loads in an hour on pace for 80% of BigQuery's
#                            1,500 load jobs per table per day
#
# plus a budget on the billing account, when one is given.

data "google_project" "this" {}

locals {
  channels = [google_monitoring_notification_channel.email.id]
  loaded   = "jsonPayload.message=\"object loaded\" AND resource.labels.service_name=\"${var.loader_function}\""
  # BigQuery: 1,500 load jobs per table per day (external-facts.md section 4); alert at 80%.
  loads_per_hour_limit = floor(1500 * 0.8 / 24)
}

resource "google_monitoring_notification_channel" "email" {
  display_name = "CoinPulse alerts"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

resource "google_logging_metric" "windows_loaded" {
  name   = "coinpulse/windows_loaded"
  filter = "resource.type=\"cloud_run_revision\" AND ${local.loaded} AND jsonPayload.table=\"stream_prices\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_logging_metric" "tables_loaded" {
  name   = "coinpulse/tables_loaded"
  filter = "resource.type=\"cloud_run_revision\" AND ${local.loaded}"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "table"
      value_type = "STRING"
    }
  }
  label_extractors = {
    table = "EXTRACT(jsonPayload.table)"
  }
}

resource "google_logging_metric" "dead_letters_loaded" {
  name   = "coinpulse/dead_letters_loaded"
  filter = "resource.type=\"cloud_run_revision\" AND ${local.loaded} AND jsonPayload.table=\"dead_letters\" AND jsonPayload.rows>0"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_logging_metric" "loader_errors" {
  name   = "coinpulse/loader_errors"
  filter = "resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${var.loader_function}\" AND severity>=ERROR"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_logging_metric" "missing_trades" {
  name   = "coinpulse/missing_trade_ids"
  filter = "resource.type=\"bigquery_dts_config\" AND resource.labels.config_id=\"${element(split("/", google_bigquery_data_transfer_config.missing_trades.name), 5)}\" AND severity>=ERROR"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
  }
}

resource "google_monitoring_alert_policy" "relay_down" {
  display_name          = "CoinPulse: no trades published for 5 minutes"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "trades topic received no publish"
    condition_absent {
      filter   = "resource.type=\"pubsub_topic\" AND resource.labels.topic_id=\"${var.trades_topic}\" AND metric.type=\"pubsub.googleapis.com/topic/send_message_operation_count\""
      duration = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "windows_stale" {
  display_name          = "CoinPulse: windows older than ${var.freshness_minutes} minutes"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "no stream_prices object loaded"
    condition_absent {
      filter   = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.windows_loaded.name}\""
      duration = "${var.freshness_minutes * 60}s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "missing_trades" {
  display_name          = "CoinPulse: trade ids missing"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "completeness assertion failed"
    condition_threshold {
      filter          = "resource.type=\"bigquery_dts_config\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.missing_trades.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  display_name          = "CoinPulse: dead letters"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "dead letters loaded into crypto_raw.dead_letters"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.dead_letters_loaded.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  conditions {
    display_name = "messages waiting in the undeliverable subscription"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND resource.labels.subscription_id=\"${var.undeliverable_subscription}\" AND metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "300s"
      aggregations {
        alignment_period   = "60s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "loader_failures" {
  display_name          = "CoinPulse: loader errors"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "ERROR lines of the loader"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.loader_errors.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "load_quota" {
  display_name          = "CoinPulse: load jobs approaching the per-table quota"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "loads per table and hour above ${local.loads_per_hour_limit}"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/${google_logging_metric.tables_loaded.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = local.loads_per_hour_limit
      duration        = "0s"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.table"]
      }
    }
  }
}

# The scheduled query behind "trade ids missing": it runs as its own service account,
# which may read crypto_raw and run query jobs, nothing else.
resource "google_service_account" "monitoring" {
  account_id   = "coinpulse-monitoring"
  display_name = "CoinPulse completeness assertion (scheduled query)"
}

resource "google_bigquery_dataset_iam_member" "monitoring_reads_raw" {
  dataset_id = var.raw_dataset
  role       = "roles/bigquery.dataViewer"
  member     = google_service_account.monitoring.member
}

# BigQuery runs queries in a project: jobUser has no narrower resource.
resource "google_project_iam_member" "monitoring_runs_queries" {
  project = data.google_project.this.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.monitoring.member
}

# The transfer service's agent mints the account's tokens for each run.
resource "google_service_account_iam_member" "transfer_agent_acts_as_monitoring" {
  service_account_id = google_service_account.monitoring.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-bigquerydatatransfer.iam.gserviceaccount.com"
}

resource "google_bigquery_data_transfer_config" "missing_trades" {
  display_name         = "coinpulse-missing-trade-ids"
  location             = var.bigquery_location
  data_source_id       = "scheduled_query"
  schedule             = "every 15 minutes"
  service_account_name = google_service_account.monitoring.email
  params = {
    query = templatefile("${path.module}/missing_trades.sql", {
      project        = data.google_project.this.project_id
      dataset        = var.raw_dataset
      lookback_hours = var.completeness_lookback_hours
      settle_minutes = var.completeness_settle_minutes
    })
  }

  depends_on = [
    google_bigquery_dataset_iam_member.monitoring_reads_raw,
    google_project_iam_member.monitoring_runs_queries,
    google_service_account_iam_member.transfer_agent_acts_as_monitoring,
  ]
}

resource "google_billing_budget" "monthly" {
  count           = var.billing_account == "" ? 0 : 1
  billing_account = var.billing_account
  display_name    = "CoinPulse monthly budget"

  budget_filter {
    projects = ["projects/${data.google_project.this.number}"]
  }

  amount {
    specified_amount {
      currency_code = var.budget_currency
      units         = tostring(var.monthly_budget)
    }
  }

  dynamic "threshold_rules" {
    for_each = [0.5, 0.9, 1.0]
    content {
      threshold_percent = threshold_rules.value
    }
  }

  all_updates_rule {
    monitoring_notification_channels = local.channels
    disable_default_iam_recipients   = false
  }
}
