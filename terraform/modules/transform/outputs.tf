output "job_name" {
  description = "The transform's Cloud Run job (gcloud run jobs execute NAME runs it now)."
  value       = google_cloud_run_v2_job.transform.name
}

output "service_account" {
  description = "The transform's service account email."
  value       = google_service_account.transform.email
}
