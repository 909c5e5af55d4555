variable "project_id" {
  description = "Google Cloud project that holds CoinPulse."
  type        = string
}

variable "region" {
  description = "Region of the regional resources (Cloud Run, functions)."
  type        = string
  default     = "us-central1"
}

variable "bigquery_location" {
  description = "Location of the BigQuery datasets; the lake bucket must be in it too."
  type        = string
  default     = "US"
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

variable "deletion_protection" {
  description = "Refuse to destroy tables that hold data."
  type        = bool
  default     = true
}
