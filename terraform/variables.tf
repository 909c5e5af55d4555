variable "project_id" {
  description = "Google Cloud project that holds CoinPulse."
  type        = string
}

variable "region" {
  description = "Region of every regional resource. Not a US region: Binance answers 451 to the relay there."
  type        = string

  validation {
    condition     = !startswith(var.region, "us-")
    error_message = "Binance refuses connections from US regions (HTTP 451): choose a region outside the US, e.g. europe-west1."
  }
}

variable "bigquery_location" {
  description = "Location of the BigQuery datasets; null: the region (the lake bucket is there too, and BigQuery loads from a bucket of its location)."
  type        = string
  default     = null
}

variable "bucket_prefix" {
  description = "Bucket names are <prefix>-lake, -state, -dataflow and -sources; globally unique, e.g. the project id."
  type        = string
}

variable "pairs" {
  description = "Binance pairs tracked by the relay and the CoinGecko lane (COINPULSE_PAIRS); each must be in coinpulse/symbols.py."
  type        = list(string)
  default     = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"]
}

variable "image_tag" {
  description = "Tag of the relay and transform images in the repository (the commit's short sha)."
  type        = string
}

variable "repository" {
  description = "Artifact Registry repository of the images."
  type        = string
  default     = "coinpulse"
}

variable "images_kept" {
  description = "Most recent versions of each image that the repository's cleanup keeps (rollback targets)."
  type        = number
  default     = 10
}

variable "trades_topic" {
  description = "Pub/Sub topic of the relay's trades."
  type        = string
  default     = "coinpulse-trades"
}

variable "topic_retention" {
  description = "How long the trades topic keeps messages (a new subscription can seek back that far)."
  type        = string
  default     = "86400s"
}

variable "pipeline_subscription" {
  description = "The Beam job's subscription to the trades topic."
  type        = string
  default     = "coinpulse-pipeline"
}

variable "subscription_retention" {
  description = "How long the subscription keeps unacknowledged trades: the longest pipeline outage without loss (Pub/Sub allows up to 31 days)."
  type        = string
  default     = "604800s"
}

variable "max_delivery_attempts" {
  description = "Deliveries of a message before it goes to the undeliverable topic (Pub/Sub: 5 to 100)."
  type        = number
  default     = 10
}

variable "dataflow_machine_type" {
  description = "Machine type of the streaming job's workers (coinpulse deploy and Cloud Build launch it with this)."
  type        = string
  default     = "n1-standard-2"
}

variable "dataflow_max_workers" {
  description = "Most workers of the streaming job."
  type        = number
  default     = 1
}

variable "coingecko_schedule" {
  description = "Cron (UTC) of the CoinGecko functions; after CoinGecko's 00:35 UTC publication of the last day."
  type        = string
  default     = "40 0 * * *"
}

variable "transform_schedule" {
  description = "Cron (UTC) of the dbt transform job."
  type        = string
  default     = "*/10 * * * *"
}

variable "transform_full_test_schedule" {
  description = "Cron (UTC) of the daily dbt test over every row of the marts and the windows."
  type        = string
  default     = "20 3 * * *"
}

variable "transform_timeout_seconds" {
  description = "Longest dbt run; below the schedule's interval, so runs never overlap."
  type        = number
  default     = 540
}

variable "loader_max_instances" {
  description = "Most concurrent loader instances."
  type        = number
  default     = 5
}

variable "lake_nearline_after_days" {
  description = "Days after which a lake object moves to Nearline storage."
  type        = number
  default     = 30
}

variable "lake_noncurrent_days" {
  description = "Days an overwritten or deleted lake object's version is kept."
  type        = number
  default     = 30
}

variable "stream_prices_partition_expiration_days" {
  description = "Days an hourly partition of crypto_raw.stream_prices is kept. A table holds at most 10,000 partitions, i.e. 416 days of hours; beyond that, loads into new hours fail."
  type        = number
  default     = 400

  validation {
    condition     = var.stream_prices_partition_expiration_days > 0 && var.stream_prices_partition_expiration_days * 24 <= 10000
    error_message = "Hourly partitions: at most 416 days (10,000 partitions per table)."
  }
}

variable "alert_email" {
  description = "E-mail address of the alerts' notification channel."
  type        = string
}

variable "freshness_minutes" {
  description = "Alert when no window was loaded for this long."
  type        = number
  default     = 10
}

variable "completeness_lookback_hours" {
  description = "Hours of windows the missing-trade-id check covers."
  type        = number
  default     = 3
}

variable "completeness_settle_minutes" {
  description = "Newest minutes the missing-trade-id check leaves out (panes still arriving; allowed lateness is 5 minutes)."
  type        = number
  default     = 15
}

variable "billing_account" {
  description = "Billing account id for the budget alert (XXXXXX-XXXXXX-XXXXXX); empty: no budget."
  type        = string
  default     = ""
}

variable "monthly_budget" {
  description = "Monthly budget of the project, in budget_currency (docs/deploy.md estimates about 190 USD for five pairs)."
  type        = number
  default     = 200
}

variable "budget_currency" {
  description = "Currency of the billing account."
  type        = string
  default     = "USD"
}

variable "github_repository" {
  description = "owner/name of the GitHub repository whose Cloud Build triggers and Workload Identity Federation are set up; empty: neither."
  type        = string
  default     = ""
}

variable "log_level" {
  description = "LOG_LEVEL of every component."
  type        = string
  default     = "INFO"
}

variable "deletion_protection" {
  description = "Refuse to destroy tables that hold data, the relay service and the transform job."
  type        = bool
  default     = true
}
