resource "google_bigquery_dataset" "raw" {
  dataset_id  = "crypto_raw"
  location    = var.bigquery_location
  description = "Rows as loaded from the lake by the GCS-finalize loader; append-only except CoinGecko's replace and upsert."
  labels      = local.labels
}

resource "google_bigquery_dataset" "staging" {
  dataset_id  = "crypto_staging"
  location    = var.bigquery_location
  description = "dbt staging models: typed, deduplicated views of crypto_raw."
  labels      = local.labels
}

resource "google_bigquery_dataset" "mart" {
  dataset_id  = "crypto_mart"
  location    = var.bigquery_location
  description = "dbt marts: what dashboards read."
  labels      = local.labels
}

resource "google_bigquery_table" "stream_prices" {
  dataset_id          = google_bigquery_dataset.raw.dataset_id
  table_id            = "stream_prices"
  description         = "One row per pane of a symbol-minute from the streaming pipeline; the highest pane_index is the best answer."
  schema              = file("${path.module}/../coinpulse/schemas/stream_prices.json")
  clustering          = ["symbol"]
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type          = "HOUR"
    field         = "window_start"
    expiration_ms = var.stream_prices_partition_expiration_days * 24 * 3600 * 1000
  }
}

resource "google_bigquery_table" "late_trades" {
  dataset_id          = google_bigquery_dataset.raw.dataset_id
  table_id            = "late_trades"
  description         = "Trades that arrived after their window had closed for good."
  schema              = file("${path.module}/../coinpulse/schemas/late_trades.json")
  clustering          = ["symbol"]
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type  = "DAY"
    field = "window_start"
  }
}

resource "google_bigquery_table" "dead_letters" {
  dataset_id          = google_bigquery_dataset.raw.dataset_id
  table_id            = "dead_letters"
  description         = "Inputs the pipeline could not read, kept whole with the reason."
  schema              = file("${path.module}/../coinpulse/schemas/dead_letters.json")
  clustering          = ["stage"]
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type  = "DAY"
    field = "received_at"
  }
}

resource "google_bigquery_table" "coingecko_markets" {
  dataset_id          = google_bigquery_dataset.raw.dataset_id
  table_id            = "coingecko_markets"
  description         = "CoinGecko market snapshot, one row per coin and snapshot_date; a rerun replaces its date's partition."
  schema              = file("${path.module}/../coinpulse/schemas/coingecko_markets.json")
  clustering          = ["coin_id"]
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type  = "DAY"
    field = "snapshot_date"
  }
}

resource "google_bigquery_table" "coingecko_ohlc_candles" {
  dataset_id          = google_bigquery_dataset.raw.dataset_id
  table_id            = "coingecko_ohlc_candles"
  description         = "CoinGecko 30-minute candles, unique on (coin_id, candle_close_time); later fetches replace forming candles."
  schema              = file("${path.module}/../coinpulse/schemas/coingecko_ohlc_candles.json")
  clustering          = ["coin_id"]
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type  = "DAY"
    field = "candle_close_time"
  }
}
