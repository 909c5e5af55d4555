variable "project_id" {
  description = "Project of the API key's secret."
  type        = string
}

variable "region" {
  description = "Region of the functions and the Scheduler jobs."
  type        = string
}

variable "schedule" {
  description = "Cron (UTC) of both jobs; after CoinGecko's 00:35 UTC publication of the last day."
  type        = string
}

variable "pairs" {
  description = "Pairs whose coins are fetched (COINPULSE_PAIRS)."
  type        = list(string)
}

variable "lake_bucket" {
  description = "The lake bucket the functions write (COINPULSE_LAKE)."
  type        = string
}

variable "api_key_secret" {
  description = "Secret Manager secret (id) holding the CoinGecko key."
  type        = string
}

variable "source_zip" {
  description = "Path of the zip of dist/functions/coingecko that `make package` writes."
  type        = string
}

variable "sources_bucket" {
  description = "Bucket of the functions' source zips."
  type        = string
}

variable "build_service_account" {
  description = "Service account (id) that builds the functions' images."
  type        = string
}

variable "docker_repository" {
  description = "Artifact Registry repository (id) of the functions' images."
  type        = string
}

variable "log_level" {
  description = "LOG_LEVEL of the functions."
  type        = string
}

variable "labels" {
  description = "Labels for every resource."
  type        = map(string)
}
