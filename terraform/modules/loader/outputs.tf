output "function_name" {
  description = "The loader function."
  value       = google_cloudfunctions2_function.loader.name
}

output "service_account" {
  description = "The loader's service account email."
  value       = google_service_account.loader.email
}
