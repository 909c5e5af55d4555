# The warehouse: three datasets and the raw tables. Each raw table's schema is its JSON
# file in coinpulse/schemas/, shared with the loader and the local DuckDB warehouse
# (tests/terraform checks that the three agree). dbt owns the tables of crypto_staging
# and crypto_mart; Terraform creates only those datasets and grants the transform on them.

locals {
  datasets = {
    raw = {
      id          = "crypto_raw"
      description = "Rows as loaded from the lake by the GCS-finalize loader; append-only except CoinGecko's replace and upsert."
    }
    staging = {
      id          = "crypto_staging"
      description = "dbt staging models: typed, deduplicated views of crypto_raw."
    }
    mart = {
      id          = "crypto_mart"
      description = "dbt marts: what dashboards read."
    }
  }

  # Partitioning and clustering of each raw table, as coinpulse/lake.py routes them
  # (completeness_checks: coinpulse verify's results, one row per pair and run).
  raw_tables = {
    stream_prices = {
      description     = "One row per pane of a symbol-minute from the streaming pipeline; the highest pane_index is the best answer."
      partition_unit  = "HOUR"
      partition_field = "window_start"
      expiration_days = var.stream_prices_partition_expiration_days
      clustering      = ["symbol"]
    }
    late_trades = {
      description     = "Trades that arrived after their window had closed for good."
      partition_unit  = "DAY"
      partition_field = "window_start"
      expiration_days = null
      clustering      = ["symbol"]
    }
    dead_letters = {
      description     = "Inputs the pipeline could not read, kept whole with the reason."
      partition_unit  = "DAY"
      partition_field = "received_at"
      expiration_days = null
      clustering      = ["stage"]
    }
    coingecko_markets = {
      description     = "CoinGecko market snapshot, one row per coin and snapshot_date; a rerun replaces its date's partition."
      partition_unit  = "DAY"
      partition_field = "snapshot_date"
      expiration_days = null
      clustering      = ["coin_id"]
    }
    coingecko_ohlc_candles = {
      description     = "CoinGecko 30-minute candles, unique on (coin_id, candle_close_time); later fetches replace forming candles."
      partition_unit  = "DAY"
      partition_field = "candle_close_time"
      expiration_days = null
      clustering      = ["coin_id"]
    }
    completeness_checks = {
      description     = "coinpulse verify's results: one row per pair and run, missing and twice-counted trade ids with their ranges."
      partition_unit  = "DAY"
      partition_field = "checked_at"
      expiration_days = null
      clustering      = ["symbol"]
    }
  }
}

resource "google_bigquery_dataset" "datasets" {
  #checkov:skip=CKV_GCP_81:Google-managed encryption; customer-supplied or -managed keys would add a KMS key ring, its rotation and its cost for market data that is public.
  for_each    = local.datasets
  dataset_id  = each.value.id
  location    = local.bigquery_location
  description = each.value.description
  labels      = local.labels

  depends_on = [google_project_service.apis]
}

resource "google_bigquery_table" "raw" {
  #checkov:skip=CKV_GCP_80:Google-managed encryption; customer-supplied or -managed keys would add a KMS key ring, its rotation and its cost for market data that is public.
  for_each            = local.raw_tables
  dataset_id          = google_bigquery_dataset.datasets["raw"].dataset_id
  table_id            = each.key
  description         = each.value.description
  schema              = file("${path.module}/../coinpulse/schemas/${each.key}.json")
  clustering          = each.value.clustering
  deletion_protection = var.deletion_protection
  labels              = local.labels

  time_partitioning {
    type          = each.value.partition_unit
    field         = each.value.partition_field
    expiration_ms = each.value.expiration_days == null ? null : each.value.expiration_days * 24 * 3600 * 1000
  }
}

moved {
  from = google_bigquery_dataset.raw
  to   = google_bigquery_dataset.datasets["raw"]
}

moved {
  from = google_bigquery_dataset.staging
  to   = google_bigquery_dataset.datasets["staging"]
}

moved {
  from = google_bigquery_dataset.mart
  to   = google_bigquery_dataset.datasets["mart"]
}

moved {
  from = google_bigquery_table.stream_prices
  to   = google_bigquery_table.raw["stream_prices"]
}

moved {
  from = google_bigquery_table.late_trades
  to   = google_bigquery_table.raw["late_trades"]
}

moved {
  from = google_bigquery_table.dead_letters
  to   = google_bigquery_table.raw["dead_letters"]
}

moved {
  from = google_bigquery_table.coingecko_markets
  to   = google_bigquery_table.raw["coingecko_markets"]
}

moved {
  from = google_bigquery_table.coingecko_ohlc_candles
  to   = google_bigquery_table.raw["coingecko_ohlc_candles"]
}
