variable "region" {
  description = "Cloud Run region of the relay; never a US region (Binance answers 451 there)."
  type        = string

  validation {
    condition     = !startswith(var.region, "us-")
    error_message = "Binance refuses connections from US regions (HTTP 451): choose a region outside the US."
  }
}

variable "image" {
  description = "The relay image (Artifact Registry), built from dist/relay."
  type        = string
}

variable "pairs" {
  description = "Binance pairs the relay streams (COINPULSE_PAIRS)."
  type        = list(string)
}

variable "topic_name" {
  description = "Name of the trades topic."
  type        = string
}

variable "topic_retention" {
  description = "How long the topic keeps messages, so a new subscription can seek back (Pub/Sub: 10 minutes to 31 days)."
  type        = string
}

variable "state_bucket" {
  description = "Bucket holding the relay's checkpoint object."
  type        = string
}

variable "log_level" {
  description = "LOG_LEVEL of the relay."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to destroy the Cloud Run service."
  type        = bool
}

variable "labels" {
  description = "Labels for every resource."
  type        = map(string)
}
