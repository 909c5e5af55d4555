"""The dashboard's SQL over the marts, for DuckDB (the local warehouse) and BigQuery.

Every panel is one query built here, with named parameters, so the same text serves
both warehouses: only table names, epoch seconds and interval arithmetic differ
(``Dialect``). Times leave as epoch seconds (what the chart library plots); prices
leave as the warehouse's numbers.

Incremental reads: the candle and average-price queries take ``since`` (epoch
seconds, inclusive). The page passes the start of the newest bucket it already has,
so a refresh reads that bucket again (it may still change while its window is open or
late trades arrive) and the buckets after it, never the history it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

MART, RAW = "crypto_mart", "crypto_raw"
# The mart contract's timeframes (crypto_mart.mart_ohlc.timeframe), shortest first.
TIMEFRAMES = ("1m", "5m", "15m", "1h", "1d")
# Candles of a first read: about a day of 1-minute candles, a year of daily ones;
# lightweight-charts draws this many at once without effort.
MAX_CANDLES = 1500
# The average-price panel's first read: the last day of minutes before the newest.
PRICE_HOURS = 24
# The pipeline-health totals cover the last day of hours before the newest.
HEALTH_HOURS = 24
# Hourly candles in the day's-candles table.
DAY_CANDLES = 24
# The latest-prices panel compares each pair's newest window with the one before it
# within this many hours (a longer gap leaves the direction unknown).
LATEST_LOOKBACK_HOURS = 1

Value = str | int | datetime


class BadRequest(ValueError):
    """A parameter the dashboard cannot query with (unknown timeframe, bad number)."""


@dataclass(frozen=True)
class Query:
    """SQL text and its named parameters; ``tables`` are the tables it reads."""

    sql: str
    params: dict[str, Value] = field(default_factory=dict)
    tables: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dialect:
    """How one warehouse spells table names, epoch seconds, parameters and intervals."""

    name: str
    project: str | None = None  # BigQuery only

    def table(self, dataset: str, name: str) -> str:
        if self.project:
            return f"`{self.project}.{dataset}.{name}`"
        return f"{dataset}.{name}"

    def epoch(self, expression: str) -> str:
        if self.project:
            return f"UNIX_SECONDS({expression})"
        return f"CAST(epoch({expression}) AS BIGINT)"

    def number(self, expression: str) -> str:
        """A float for the page (prices are NUMERIC/DECIMAL in the marts)."""
        kind = "FLOAT64" if self.project else "DOUBLE"
        return f"CAST({expression} AS {kind})"

    def param(self, name: str) -> str:
        return f"@{name}" if self.project else f"${name}"

    def hours_before(self, expression: str, hours: int) -> str:
        if self.project:
            return f"TIMESTAMP_SUB({expression}, INTERVAL {hours} HOUR)"
        return f"({expression} - INTERVAL {hours} HOUR)"


DUCKDB = Dialect("duckdb")


def bigquery(project: str) -> Dialect:
    return Dialect("bigquery", project)


def timeframe(text: str | None) -> str:
    """A timeframe of the contract. Raises BadRequest."""
    if text not in TIMEFRAMES:
        raise BadRequest(f"timeframe {text!r}: use one of {', '.join(TIMEFRAMES)}")
    return text


def since(text: str | None) -> datetime | None:
    """Epoch seconds from a query string, as a UTC time. Raises BadRequest."""
    if text is None or text == "":
        return None
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadRequest(f"since {text!r}: give epoch seconds") from None


def candles(d: Dialect, symbol: str, frame: str, after: datetime | None) -> Query:
    """One pair's candles of one timeframe with their volumes, oldest first: the newest
    MAX_CANDLES, or those from ``after`` on."""
    table = d.table(MART, "mart_ohlc")
    params: dict[str, Value] = {"symbol": symbol, "timeframe": frame}
    window = ""
    if after is not None:
        params["since"] = after
        window = f"AND bucket_start >= {d.param('since')}"
    sql = f"""
SELECT * FROM (
  SELECT {d.epoch("bucket_start")} AS time, {d.number("open_price")} AS open,
         {d.number("high_price")} AS high, {d.number("low_price")} AS low,
         {d.number("close_price")} AS close, {d.number("base_volume")} AS volume,
         {d.number("quote_volume")} AS quote_volume, trade_count
  FROM {table}
  WHERE symbol = {d.param("symbol")} AND timeframe = {d.param("timeframe")} {window}
  ORDER BY bucket_start DESC
  LIMIT {MAX_CANDLES}
) AS newest ORDER BY time"""
    return Query(sql, params, (table,))


def latest(d: Dialect) -> Query:
    """Each pair's newest window: close, the close before it (the direction), and the
    day's market context (market cap, rank, 24 h change) the mart joined to it; by rank."""
    table = d.table(MART, "mart_crypto_prices")
    sql = f"""
WITH newest AS (
  SELECT symbol, max(window_start) AS newest FROM {table} GROUP BY symbol
),
recent AS (
  SELECT p.symbol, p.window_start, p.close_price, p.name, p.ticker, p.market_cap,
         p.market_cap_rank, p.market_cap_category, p.price_change_percentage_24h,
         row_number() OVER (PARTITION BY p.symbol ORDER BY p.window_start DESC) AS recency
  FROM {table} AS p JOIN newest AS n ON p.symbol = n.symbol
  WHERE p.window_start >= {d.hours_before("n.newest", LATEST_LOOKBACK_HOURS)}
)
SELECT cur.symbol, {d.epoch("cur.window_start")} AS time, {d.number("cur.close_price")} AS price,
       {d.number("prev.close_price")} AS previous_price, cur.name, cur.ticker, cur.market_cap,
       cur.market_cap_rank, cur.market_cap_category, cur.price_change_percentage_24h
FROM recent AS cur
LEFT JOIN recent AS prev ON prev.symbol = cur.symbol AND prev.recency = 2
WHERE cur.recency = 1
ORDER BY cur.market_cap_rank IS NULL, cur.market_cap_rank, cur.symbol"""
    return Query(sql, {}, (table,))


def average_prices(d: Dialect, after: datetime | None) -> Query:
    """Every pair's average trade price per minute: the last PRICE_HOURS before the
    newest window, or the minutes from ``after`` on."""
    table = d.table(MART, "mart_crypto_prices")
    params: dict[str, Value] = {}
    if after is None:
        start = d.hours_before(f"(SELECT max(window_start) FROM {table})", PRICE_HOURS)
    else:
        params["since"] = after
        start = d.param("since")
    sql = f"""
SELECT symbol, {d.epoch("window_start")} AS time, {d.number("avg_price")} AS avg_price
FROM {table}
WHERE window_start >= {start}
ORDER BY symbol, window_start"""
    return Query(sql, params, (table,))


def volatility(d: Dialect) -> Query:
    """Each pair's newest hourly volatility: the seed's composite score and the realized
    volatility of its one-minute returns."""
    table = d.table(MART, "mart_volatility")
    sql = f"""
SELECT symbol, {d.epoch("window_hour")} AS time, composite_volatility_score AS score,
       realized_volatility_pct, hourly_range_pct, window_count
FROM {table}
WHERE composite_volatility_score IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY window_hour DESC) = 1
ORDER BY symbol"""
    return Query(sql, {}, (table,))


def day_candles(d: Dialect, symbol: str) -> Query:
    """One pair's last DAY_CANDLES hourly candles, newest first, with the change and the
    direction (a candle that closes at its open counts as bullish)."""
    table = d.table(MART, "mart_ohlc")
    sql = f"""
SELECT {d.epoch("bucket_start")} AS time, {d.number("open_price")} AS open,
       {d.number("high_price")} AS high, {d.number("low_price")} AS low,
       {d.number("close_price")} AS close, trade_count,
       {d.number("round((close_price - open_price) / open_price * 100, 4)")} AS change_pct,
       CASE WHEN close_price >= open_price THEN 'bullish' ELSE 'bearish' END AS direction
FROM {table}
WHERE symbol = {d.param("symbol")} AND timeframe = '1h'
ORDER BY bucket_start DESC
LIMIT {DAY_CANDLES}"""
    return Query(sql, {"symbol": symbol}, (table,))


def freshness(d: Dialect) -> Query:
    """Each pair's newest window in the raw table and in the mart: the pipeline's lag and
    the mart build's lag behind it."""
    raw, mart = d.table(RAW, "stream_prices"), d.table(MART, "mart_crypto_prices")
    sql = f"""
WITH raw AS (SELECT symbol, max(window_start) AS newest FROM {raw} GROUP BY symbol),
mart AS (SELECT symbol, max(window_start) AS newest FROM {mart} GROUP BY symbol)
SELECT coalesce(raw.symbol, mart.symbol) AS symbol,
       {d.epoch("raw.newest")} AS raw_newest, {d.epoch("mart.newest")} AS mart_newest
FROM raw FULL OUTER JOIN mart ON raw.symbol = mart.symbol
ORDER BY symbol"""
    return Query(sql, {}, (raw, mart))


def completeness(d: Dialect) -> Query:
    """Each pair's newest ``coinpulse verify`` result."""
    table = d.table(RAW, "completeness_checks")
    sql = f"""
SELECT symbol, {d.epoch("checked_at")} AS checked_at, windows, trades, missing_trades,
       counted_twice
FROM {table}
WHERE true
QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY checked_at DESC) = 1
ORDER BY symbol"""
    return Query(sql, {}, (table,))


def dead_letters(d: Dialect) -> Query:
    """Dead letters by stage and reason: how many, and the newest."""
    table = d.table(RAW, "dead_letters")
    sql = f"""
SELECT stage, reason, count(*) AS letters, {d.epoch("max(received_at)")} AS newest
FROM {table}
GROUP BY stage, reason
ORDER BY letters DESC, stage, reason"""
    return Query(sql, {}, (table,))


def pipeline_health(d: Dialect) -> Query:
    """Each pair's last HEALTH_HOURS of crypto_mart.mart_pipeline_health: windows, trades,
    missing ids, ids counted twice, late trades, dead letters, the worst load lag."""
    table = d.table(MART, "mart_pipeline_health")
    start = d.hours_before(f"(SELECT max(window_hour) FROM {table})", HEALTH_HOURS)
    sql = f"""
SELECT symbol, count(*) AS hours, sum(windows_present) AS windows, sum(trades) AS trades,
       sum(missing_trade_ids) AS missing_trade_ids,
       sum(trade_ids_counted_twice) AS trade_ids_counted_twice, sum(late_trades) AS late_trades,
       sum(dead_letters) AS dead_letters, max(max_load_lag_seconds) AS max_load_lag_seconds
FROM {table}
WHERE window_hour > {start}
GROUP BY symbol
ORDER BY symbol"""
    return Query(sql, {}, (table,))
