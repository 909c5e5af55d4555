output "topic_id" {
  description = "The trades topic, projects/P/topics/T."
  value       = google_pubsub_topic.trades.id
}

output "topic_name" {
  description = "The trades topic's short name."
  value       = google_pubsub_topic.trades.name
}

output "service_name" {
  description = "The relay's Cloud Run service."
  value       = google_cloud_run_v2_service.relay.name
}

output "service_account" {
  description = "The relay's service account email."
  value       = google_service_account.relay.email
}
