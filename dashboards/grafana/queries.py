"""The SQL every Grafana panel runs on BigQuery, one constant per panel.

The text is what the panel's target carries (``rawSql``): GoogleSQL with the BigQuery
data source's macros and the dashboard's variables, which Grafana and the plugin expand
before the query runs. Three rules hold for every query:

- Tables are named ``${mart_dataset}.TABLE`` or ``${raw_dataset}.TABLE``, without a
  project, so they resolve in the data source's project and the datasets stay variables.
- Every time-bounded query filters its table's partition column with
  ``$__timeFilter(column)`` (the plugin writes ``column >= 'FROM' AND column <= 'TO'``
  with constant timestamps), so BigQuery prunes partitions and scans only the range.
- Every query names its output columns; the tests run each one on the BigQuery emulator
  and check the columns each panel reads.
"""

from __future__ import annotations

# BigQuery's limit on load jobs per table per day; failed jobs count too
# (cloud.google.com/bigquery/quotas, "Load jobs per table per day").
LOAD_JOBS_PER_TABLE_PER_DAY = 1500

LATEST_PRICE = """
SELECT window_start AS time, symbol, close_price AS price_usd
FROM `${mart_dataset}.mart_crypto_prices`
WHERE $__timeFilter(window_start)
ORDER BY time
"""

AVERAGE_PRICE_PER_MINUTE = """
SELECT $__timeGroup(window_start, $__interval) AS time, symbol, AVG(avg_price) AS avg_price
FROM `${mart_dataset}.mart_crypto_prices`
WHERE $__timeFilter(window_start)
GROUP BY time, symbol
ORDER BY time
"""

HOURLY_VOLATILITY = """
SELECT window_hour AS time, symbol, composite_volatility_score
FROM `${mart_dataset}.mart_volatility`
WHERE $__timeFilter(window_hour)
ORDER BY time
"""

MARKET_CAP_RANKINGS = """
SELECT market_cap_rank, name, ticker, market_cap, market_cap_category, total_volume,
  fully_diluted_valuation, snapshot_date
FROM `${mart_dataset}.mart_crypto_prices`
WHERE $__timeFilter(window_start) AND market_cap_rank IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY coin_id ORDER BY window_start DESC) = 1
ORDER BY market_cap_rank
"""

# The hourly candles of the day the time range ends in, newest first.
DAY_CANDLES = """
SELECT bucket_start, symbol, open_price, high_price, low_price, close_price, base_volume,
  ROUND(100 * SAFE_DIVIDE(close_price - open_price, open_price), 3) AS change_pct,
  CASE
    WHEN close_price < open_price THEN 'bearish'
    WHEN close_price > open_price THEN 'bullish'
    ELSE 'flat'
  END AS direction
FROM `${mart_dataset}.mart_ohlc`
WHERE $__timeFilter(bucket_start) AND timeframe = '1h'
  AND bucket_start >= TIMESTAMP_TRUNC($__timeTo(), DAY)
ORDER BY bucket_start DESC, symbol
"""

CHANGE_24H = """
SELECT ticker, price_change_percentage_24h
FROM `${mart_dataset}.mart_crypto_prices`
WHERE $__timeFilter(window_start) AND price_change_percentage_24h IS NOT NULL
QUALIFY ROW_NUMBER() OVER (PARTITION BY coin_id ORDER BY window_start DESC) = 1
ORDER BY price_change_percentage_24h DESC
"""

CANDLES = """
SELECT bucket_start AS time, open_price AS open, high_price AS high, low_price AS low,
  close_price AS close, base_volume AS volume
FROM `${mart_dataset}.mart_ohlc`
WHERE $__timeFilter(bucket_start) AND timeframe = '${timeframe}' AND symbol = '${symbol}'
ORDER BY time
"""

DATA_FRESHNESS = """
SELECT symbol, TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), MAX(window_end), SECOND) AS seconds_behind
FROM `${raw_dataset}.stream_prices`
WHERE $__timeFilter(window_start)
GROUP BY symbol
ORDER BY symbol
"""

MISSING_TRADE_IDS = """
SELECT window_hour AS time, symbol, missing_trade_ids, trade_ids_counted_twice
FROM `${mart_dataset}.mart_pipeline_health`
WHERE $__timeFilter(window_hour)
ORDER BY time
"""

DEAD_LETTERS = """
SELECT $__timeGroup(received_at, 1h) AS time, stage, COUNT(*) AS dead_letters
FROM `${raw_dataset}.dead_letters`
WHERE $__timeFilter(received_at)
GROUP BY time, stage
ORDER BY time
"""

LATE_TRADES = """
SELECT window_hour AS time, symbol, late_trades
FROM `${mart_dataset}.mart_pipeline_health`
WHERE $__timeFilter(window_hour)
ORDER BY time
"""

# INFORMATION_SCHEMA.JOBS is region-qualified and partitioned by creation_time.
LOAD_JOBS_PER_TABLE = f"""
SELECT DATE(creation_time) AS day, destination_table.table_id AS table_name,
  COUNT(*) AS load_jobs, {LOAD_JOBS_PER_TABLE_PER_DAY} AS daily_limit
FROM `region-${{location}}`.INFORMATION_SCHEMA.JOBS
WHERE $__timeFilter(creation_time) AND job_type = 'LOAD'
  AND destination_table.dataset_id = '${{raw_dataset}}'
GROUP BY day, table_name
ORDER BY day DESC, table_name
"""
