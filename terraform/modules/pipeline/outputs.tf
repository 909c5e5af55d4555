output "subscription_id" {
  description = "The pipeline's subscription, projects/P/subscriptions/S (the template's subscription parameter)."
  value       = google_pubsub_subscription.pipeline.id
}

output "subscription_name" {
  description = "The subscription's short name."
  value       = google_pubsub_subscription.pipeline.name
}

output "undeliverable_subscription" {
  description = "Where dead-lettered messages wait for inspection."
  value       = google_pubsub_subscription.undeliverable.name
}

output "service_account" {
  description = "The Dataflow workers' service account email."
  value       = google_service_account.pipeline.email
}
