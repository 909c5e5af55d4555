output "alert_policies" {
  description = "Alert policy names by signal."
  value = {
    relay_down      = google_monitoring_alert_policy.relay_down.name
    windows_stale   = google_monitoring_alert_policy.windows_stale.name
    missing_trades  = google_monitoring_alert_policy.missing_trades.name
    dead_letters    = google_monitoring_alert_policy.dead_letters.name
    loader_failures = google_monitoring_alert_policy.loader_failures.name
    load_quota      = google_monitoring_alert_policy.load_quota.name
  }
}
