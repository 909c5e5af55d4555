variable "region" {
  description = "Region of the job and its Scheduler job."
  type        = string
}

variable "image" {
  description = "The transform image (Artifact Registry), built from dist/transform."
  type        = string
}

variable "schedule" {
  description = "Cron (UTC) of the transform runs."
  type        = string
}

variable "full_test_schedule" {
  description = "Cron (UTC) of the daily `dbt test` over every row (the periodic builds test their rebuilt range)."
  type        = string
}

variable "timeout_seconds" {
  description = "Longest run of one dbt build; below the schedule's interval so runs never overlap."
  type        = number
}

variable "raw_dataset" {
  description = "The dataset dbt reads (crypto_raw)."
  type        = string
}

variable "model_datasets" {
  description = "The datasets whose tables dbt owns (crypto_staging, crypto_mart)."
  type        = list(string)
}

variable "bigquery_location" {
  description = "Location of the datasets (BIGQUERY_LOCATION)."
  type        = string
}

variable "log_level" {
  description = "LOG_LEVEL of the job."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to destroy the Cloud Run job."
  type        = bool
}

variable "labels" {
  description = "Labels for every resource."
  type        = map(string)
}

variable "pairs" {
  description = "Binance pairs the marts cover (COINPULSE_PAIRS), the relay's."
  type        = list(string)
}
