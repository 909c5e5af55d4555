variable "region" {
  description = "Region of the Dataflow job and the image repository."
  type        = string
}

variable "topic_id" {
  description = "The trades topic the subscription reads."
  type        = string
}

variable "subscription_name" {
  description = "Name of the pipeline's subscription."
  type        = string
}

variable "message_retention" {
  description = "How long unacknowledged messages are kept: the longest pipeline outage without loss (Pub/Sub: at most 31 days)."
  type        = string
}

variable "max_delivery_attempts" {
  description = "Deliveries of a message before it is dead-lettered (Pub/Sub: 5 to 100)."
  type        = number
}

variable "lake_bucket" {
  description = "The lake bucket the job writes."
  type        = string
}

variable "dataflow_bucket" {
  description = "Bucket of the template spec, staging and temp files."
  type        = string
}

variable "repository" {
  description = "Artifact Registry repository of the Flex Template image."
  type        = string
}

variable "labels" {
  description = "Labels for every resource."
  type        = map(string)
}
