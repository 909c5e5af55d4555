variable "region" {
  description = "Region of the function."
  type        = string
}

variable "bucket_location" {
  description = "Location of the lake bucket; Eventarc's trigger must be in it."
  type        = string
}

variable "lake_bucket" {
  description = "The lake bucket whose finalized objects are loaded."
  type        = string
}

variable "raw_dataset" {
  description = "The dataset the loader writes (crypto_raw)."
  type        = string
}

variable "bigquery_location" {
  description = "Location of the load jobs (BIGQUERY_LOCATION)."
  type        = string
}

variable "source_zip" {
  description = "Path of the zip of dist/functions/loader that `make package` writes."
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

variable "max_instances" {
  description = "Most concurrent loader instances."
  type        = number
}

variable "log_level" {
  description = "LOG_LEVEL of the function."
  type        = string
}

variable "labels" {
  description = "Labels for every resource."
  type        = map(string)
}
