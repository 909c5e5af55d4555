-- Fails (ASSERT) when a trade id of the last closed hours is in no window: the best
-- pane of each symbol-minute (highest pane_index) must hold every id from its first to
-- its last trade, and consecutive minutes must leave no id between them. The same two
-- checks as `coinpulse verify` (within and between windows; docs/completeness.md),
-- over crypto_raw.stream_prices in BigQuery. The newest minutes are left out: their
-- panes are still arriving.
ASSERT (
  WITH best AS (
    SELECT symbol, window_start, first_trade_id, last_trade_id, trade_count
    FROM `${project}.${dataset}.stream_prices`
    WHERE window_start >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL ${lookback_hours} HOUR)
      AND window_start < TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL ${settle_minutes} MINUTE)
      AND trade_count > 0
    QUALIFY ROW_NUMBER() OVER (PARTITION BY symbol, window_start ORDER BY pane_index DESC) = 1
  ),
  gaps AS (
    SELECT
      (last_trade_id - first_trade_id + 1 - trade_count)
      + GREATEST(COALESCE(LEAD(first_trade_id) OVER (PARTITION BY symbol ORDER BY window_start) - last_trade_id - 1, 0), 0)
      AS missing
    FROM best
  )
  SELECT COALESCE(SUM(missing), 0) FROM gaps
) = 0 AS 'coinpulse: trade ids missing from crypto_raw.stream_prices';
