output "function_names" {
  description = "The CoinGecko functions by table family."
  value       = { for family, function in google_cloudfunctions2_function.coingecko : family => function.name }
}

output "scheduler_jobs" {
  description = "The Cloud Scheduler jobs (gcloud scheduler jobs run NAME runs one now)."
  value       = { for family, job in google_cloud_scheduler_job.coingecko : family => job.name }
}

output "service_account" {
  description = "The CoinGecko functions' service account email."
  value       = google_service_account.coingecko.email
}
