output "datasets" {
  description = "BigQuery dataset ids by layer."
  value = {
    raw     = google_bigquery_dataset.raw.dataset_id
    staging = google_bigquery_dataset.staging.dataset_id
    mart    = google_bigquery_dataset.mart.dataset_id
  }
}

output "raw_tables" {
  description = "Fully qualified ids of the tables the loader fills."
  value = {
    for table in [
      google_bigquery_table.stream_prices,
      google_bigquery_table.late_trades,
      google_bigquery_table.dead_letters,
      google_bigquery_table.coingecko_markets,
      google_bigquery_table.coingecko_ohlc_candles,
    ] : table.table_id => "${table.project}.${table.dataset_id}.${table.table_id}"
  }
}
