"""Every panel's SQL, as Grafana sends it, runs on the BigQuery emulator over the marts.

Each panel's ``rawSql`` is taken from the built dashboard, its variables and macros are
expanded as Grafana and the BigQuery plugin expand them (reference/grafana_bigquery.py),
and the query runs on bqemulator over one dataset holding the raw tables (from the
schema files) and the four marts. The marts are created here with the mart contract's
columns and BigQuery types (dbt's models are not on this branch yet); rows outside the
time range are loaded too, so a query that ignores ``$__timeFilter`` fails.

The emulator has no INFORMATION_SCHEMA.JOBS (it refuses the ``region-US`` qualifier),
so the load-jobs query runs over a table of JOBS's columns put in its place.
"""

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fixtures_bigquery import PROJECT, RAW_TABLES
from fixtures_lake import Samples
from google.cloud import bigquery

from coinpulse import bigquery_client, schemas
from dashboards.grafana import board
from reference.grafana_bigquery import grafana_query

FROM = datetime(2026, 5, 17, 21, tzinfo=UTC)
TO = datetime(2026, 5, 18, 13, tzinfo=UTC)
BEFORE = FROM - timedelta(hours=6)  # rows here are outside the time range
HOURS = [FROM + timedelta(hours=h) for h in range(16)]
MINUTES = [FROM + timedelta(minutes=10 * m) for m in range(16 * 6)]
COINS = {  # symbol: (coin_id, ticker, name, base price, market cap rank)
    "BTCUSDT": ("bitcoin", "BTC", "Bitcoin", 60000, 1),
    "ETHUSDT": ("ethereum", "ETH", "Ethereum", 3000, 2),
}
JOBS_IN_PLACE_OF = "`region-US`.INFORMATION_SCHEMA.JOBS"

# The mart contract's columns with their BigQuery types.
MARTS = {
    "mart_crypto_prices": "symbol:STRING coin_id:STRING ticker:STRING window_start:TIMESTAMP "
    "window_end:TIMESTAMP price_usd:NUMERIC open_price:NUMERIC high_price:NUMERIC "
    "low_price:NUMERIC close_price:NUMERIC avg_price:BIGNUMERIC price_stddev:BIGNUMERIC "
    "vwap:BIGNUMERIC trade_count:INT64 base_volume:NUMERIC quote_volume:BIGNUMERIC "
    "snapshot_date:DATE name:STRING market_cap:FLOAT64 market_cap_rank:INT64 "
    "market_cap_category:STRING total_volume:FLOAT64 fully_diluted_valuation:FLOAT64 "
    "price_change_percentage_24h:FLOAT64",
    "mart_ohlc": "symbol:STRING coin_id:STRING timeframe:STRING bucket_start:TIMESTAMP "
    "bucket_end:TIMESTAMP open_price:NUMERIC high_price:NUMERIC low_price:NUMERIC "
    "close_price:NUMERIC trade_count:INT64 base_volume:NUMERIC quote_volume:BIGNUMERIC "
    "taker_buy_base_volume:NUMERIC vwap:FLOAT64 avg_price:FLOAT64 price_stddev:FLOAT64 "
    "first_trade_id:INT64 last_trade_id:INT64",
    "mart_volatility": "symbol:STRING window_hour:TIMESTAMP hourly_avg_price:FLOAT64 "
    "composite_volatility_score:FLOAT64 realized_volatility_pct:FLOAT64",
    "mart_pipeline_health": "symbol:STRING window_hour:TIMESTAMP windows_present:INT64 "
    "trades:INT64 missing_trade_ids:INT64 trade_ids_counted_twice:INT64 late_trades:INT64 "
    "dead_letters:INT64 max_emit_lag_seconds:FLOAT64 max_load_lag_seconds:FLOAT64",
    "jobs": "creation_time:TIMESTAMP job_type:STRING destination_table:RECORD",
}
JOBS_DESTINATION = [
    bigquery.SchemaField(name, "STRING") for name in ("project_id", "dataset_id", "table_id")
]


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def price_rows() -> Iterator[dict[str, Any]]:
    for symbol, (coin_id, ticker, name, base, rank) in COINS.items():
        for index, start in enumerate([BEFORE, *MINUTES]):
            up = 1 if symbol == "BTCUSDT" else -1
            yield {
                "symbol": symbol, "coin_id": coin_id, "ticker": ticker, "name": name,
                "window_start": stamp(start), "window_end": stamp(start + timedelta(minutes=1)),
                "price_usd": base + index, "open_price": base + index, "high_price": base + index,
                "low_price": base + index, "close_price": base + index,
                "avg_price": base + index, "price_stddev": 0, "vwap": base + index,
                "trade_count": 1, "base_volume": 1, "quote_volume": base + index,
                "snapshot_date": str(start.date()), "market_cap": base * 1e7 + index,
                "market_cap_rank": rank, "market_cap_category": "Large Cap",
                "total_volume": 1e9, "fully_diluted_valuation": None,
                "price_change_percentage_24h": up * (1 + index / 1000),
            }  # fmt: skip


def ohlc_rows() -> Iterator[dict[str, Any]]:
    for symbol, (coin_id, *_, base, _rank) in COINS.items():
        candles = [("1h", h, timedelta(hours=1)) for h in [BEFORE, *HOURS]]
        candles += [("1m", m, timedelta(minutes=1)) for m in MINUTES[:3]]
        for index, (timeframe, start, length) in enumerate(candles):
            open_price = base + 10 * index
            close = open_price + (5 if index % 2 == 0 else -5)  # odd candles are bearish
            yield {
                "symbol": symbol, "coin_id": coin_id, "timeframe": timeframe,
                "bucket_start": stamp(start), "bucket_end": stamp(start + length),
                "open_price": open_price, "high_price": max(open_price, close) + 1,
                "low_price": min(open_price, close) - 1, "close_price": close,
                "trade_count": 10, "base_volume": index + 1, "quote_volume": 1,
                "taker_buy_base_volume": 0, "vwap": open_price, "avg_price": open_price,
                "price_stddev": 0, "first_trade_id": 1, "last_trade_id": 10,
            }  # fmt: skip


def hourly_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    volatility, health = [], []
    for symbol in COINS:
        for index, hour in enumerate([BEFORE, *HOURS]):
            at = {"symbol": symbol, "window_hour": stamp(hour)}
            volatility.append(
                {**at, "hourly_avg_price": 1.0, "composite_volatility_score": index / 10}
            )
            health.append(
                {**at, "windows_present": 60, "trades": 600, "missing_trade_ids": index % 2,
                 "trade_ids_counted_twice": 0, "late_trades": index, "dead_letters": 0,
                 "max_emit_lag_seconds": 20.0, "max_load_lag_seconds": 75.0}
            )  # fmt: skip
    return volatility, health


def raw_rows(dataset: str) -> dict[str, list[dict[str, Any]]]:
    windows = [Samples.window_row(symbol, minute) for symbol in COINS for minute in (0, 1, 2)]
    dead = [
        {"stage": stage, "reason": "bad json", "raw": "{", "received_at": stamp(moment)}
        for stage, moment in [
            ("parse", HOURS[2] + timedelta(minutes=5)),
            ("parse", HOURS[2] + timedelta(minutes=50)),
            ("schema", HOURS[3]),
            ("parse", BEFORE),
        ]
    ]
    jobs = [
        {"creation_time": stamp(moment), "job_type": kind,
         "destination_table": {"project_id": PROJECT, "dataset_id": target, "table_id": table}}
        for moment, kind, target, table in [
            (HOURS[1], "LOAD", dataset, "stream_prices"),
            (HOURS[2], "LOAD", dataset, "stream_prices"),
            (HOURS[14], "LOAD", dataset, "stream_prices"),
            (HOURS[14], "LOAD", dataset, "late_trades"),
            (HOURS[14], "QUERY", dataset, "stream_prices"),
            (HOURS[14], "LOAD", "elsewhere", "stream_prices"),
            (BEFORE, "LOAD", dataset, "stream_prices"),
        ]
    ]  # fmt: skip
    return {"stream_prices": windows, "dead_letters": dead, "jobs": jobs}


@dataclass
class Warehouse:
    client: bigquery.Client
    dataset: str

    def panel(self, title: str, symbol: str = "BTCUSDT", timeframe: str = "1h") -> list[Any]:
        """The rows Grafana's panel ``title`` receives, as (column, value) tuples."""
        [panel] = [p for p in board.dashboards()[0]["panels"] if p.get("title") == title]
        [target] = panel["targets"]
        variables = {
            "mart_dataset": self.dataset, "raw_dataset": self.dataset, "location": "US",
            "timeframe": timeframe, "symbol": symbol,
        }  # fmt: skip
        sql = grafana_query(target["rawSql"], variables, FROM, TO, timedelta(hours=1))
        sql = sql.replace(JOBS_IN_PLACE_OF, f"`{self.dataset}.jobs`")
        return [list(row.items()) for row in self.client.query(sql).result(timeout=60)]


def schema_of(table: str) -> list[bigquery.SchemaField]:
    if table in MARTS:
        fields = [column.split(":") for column in MARTS[table].split()]
        return [
            bigquery.SchemaField(n, t, fields=JOBS_DESTINATION if t == "RECORD" else ())
            if t != "BIGNUMERIC"
            else bigquery.SchemaField(n, t, precision=38, scale=12)
            for n, t in fields
        ]
    return [bigquery.SchemaField.from_api_repr(dict(f)) for f in schemas.fields(table)]


@pytest.fixture(scope="module")
def warehouse(bigquery_endpoint: str) -> Iterator[Warehouse]:
    client = bigquery_client.connect(PROJECT, endpoint=bigquery_endpoint)
    dataset = f"dash_{uuid.uuid4().hex[:12]}"
    client.create_dataset(f"{PROJECT}.{dataset}")
    volatility, health = hourly_rows()
    rows = {
        **raw_rows(dataset),
        "mart_crypto_prices": list(price_rows()),
        "mart_ohlc": list(ohlc_rows()),
        "mart_volatility": volatility,
        "mart_pipeline_health": health,
    }
    for table in {*RAW_TABLES, *MARTS}:
        client.create_table(bigquery.Table(f"{PROJECT}.{dataset}.{table}", schema_of(table)))
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
        create_disposition=bigquery.CreateDisposition.CREATE_NEVER,
    )
    for table, lines in rows.items():
        payload = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        client.load_table_from_file(
            io.BytesIO(payload), f"{PROJECT}.{dataset}.{table}", job_config=config
        ).result(timeout=60)
    yield Warehouse(client, dataset)
    client.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True)


def columns(rows: list[Any]) -> list[str]:
    return [name for name, _ in rows[0]]


def column(rows: list[Any], name: str) -> list[Any]:
    return [dict(row)[name] for row in rows]


@pytest.mark.integration
def test_latest_price_is_a_close_per_coin_and_minute_within_the_range(
    warehouse: Warehouse,
) -> None:
    rows = warehouse.panel("Latest price")
    assert columns(rows) == ["time", "symbol", "price_usd"]
    assert len(rows) == len(COINS) * len(MINUTES)
    times = column(rows, "time")
    assert times == sorted(times) and times[0] >= FROM and times[-1] <= TO
    last_btc = [dict(r) for r in rows if dict(r)["symbol"] == "BTCUSDT"][-1]
    assert last_btc["price_usd"] == Decimal(60000 + len(MINUTES))


@pytest.mark.integration
def test_average_price_is_grouped_by_grafanas_interval(warehouse: Warehouse) -> None:
    rows = warehouse.panel("Average price per minute")  # the interval is an hour here
    assert columns(rows) == ["time", "symbol", "avg_price"]
    assert {t.minute for t in column(rows, "time")} == {0}
    first_btc = next(dict(r) for r in rows if dict(r)["symbol"] == "BTCUSDT")
    assert first_btc["time"] == FROM
    # the six 10-minute rows of the first hour are prices 60001..60006
    assert first_btc["avg_price"] == Decimal("60003.5")


@pytest.mark.integration
def test_volatility_is_a_score_per_coin_and_hour(warehouse: Warehouse) -> None:
    rows = warehouse.panel("Hourly volatility score")
    assert columns(rows) == ["time", "symbol", "composite_volatility_score"]
    assert sorted(set(column(rows, "time"))) == HOURS


@pytest.mark.integration
def test_market_cap_rankings_are_the_latest_row_per_coin_by_rank(warehouse: Warehouse) -> None:
    rows = warehouse.panel("Market cap rankings")
    assert columns(rows) == [
        "market_cap_rank", "name", "ticker", "market_cap", "market_cap_category",
        "total_volume", "fully_diluted_valuation", "snapshot_date",
    ]  # fmt: skip
    assert column(rows, "ticker") == ["BTC", "ETH"]
    assert column(rows, "market_cap") == [60000 * 1e7 + len(MINUTES), 3000 * 1e7 + len(MINUTES)]
    assert column(rows, "snapshot_date") == [date(2026, 5, 18)] * 2


@pytest.mark.integration
def test_todays_candles_are_the_last_days_hours_with_bearish_ones_named(
    warehouse: Warehouse,
) -> None:
    rows = warehouse.panel("Today's candles")
    assert columns(rows) == [
        "bucket_start", "symbol", "open_price", "high_price", "low_price", "close_price",
        "base_volume", "change_pct", "direction",
    ]  # fmt: skip
    today = [h for h in HOURS if h.date() == TO.date()]
    assert sorted(set(column(rows, "bucket_start"))) == today
    for row in map(dict, rows):
        expected = "bearish" if row["close_price"] < row["open_price"] else "bullish"
        assert row["direction"] == expected
    assert {"bearish", "bullish"} == set(column(rows, "direction"))


@pytest.mark.integration
def test_the_24h_change_is_the_latest_per_coin_highest_first(warehouse: Warehouse) -> None:
    rows = warehouse.panel("24 h change %")
    latest = 1 + len(MINUTES) / 1000
    assert rows == [
        [("ticker", "BTC"), ("price_change_percentage_24h", pytest.approx(latest))],
        [("ticker", "ETH"), ("price_change_percentage_24h", pytest.approx(-latest))],
    ]


@pytest.mark.integration
@pytest.mark.parametrize(("timeframe", "expected"), [("1h", len(HOURS)), ("1m", 3)])
def test_candles_are_one_symbols_timeframe(
    warehouse: Warehouse, timeframe: str, expected: int
) -> None:
    rows = warehouse.panel("Candles: ${symbol} ${timeframe}", "ETHUSDT", timeframe)
    assert columns(rows) == ["time", "open", "high", "low", "close", "volume"]
    assert len(rows) == expected
    for row in map(dict, rows):
        assert row["low"] <= min(row["open"], row["close"]) <= row["high"]
        assert row["open"] < 60000  # ETHUSDT's prices, not BTCUSDT's


@pytest.mark.integration
def test_freshness_is_seconds_since_each_coins_newest_window(warehouse: Warehouse) -> None:
    started = datetime.now(UTC)
    rows = warehouse.panel("Data freshness")
    assert column(rows, "symbol") == ["BTCUSDT", "ETHUSDT"]
    newest_end = datetime(2026, 5, 18, 12, 3, tzinfo=UTC)  # minute 2's window ends 12:03
    for seconds in column(rows, "seconds_behind"):
        assert abs(seconds - (started - newest_end).total_seconds()) < 120


@pytest.mark.integration
def test_missing_ids_and_late_trades_are_per_coin_and_hour(warehouse: Warehouse) -> None:
    missing = warehouse.panel("Missing trade ids")
    assert columns(missing) == ["time", "symbol", "missing_trade_ids", "trade_ids_counted_twice"]
    assert len(missing) == len(COINS) * len(HOURS)
    late = warehouse.panel("Late trades")
    assert columns(late) == ["time", "symbol", "late_trades"]
    assert min(column(late, "late_trades")) == 1  # the hour before the range (0) is left out


@pytest.mark.integration
def test_dead_letters_are_counted_per_hour_and_stage(warehouse: Warehouse) -> None:
    rows = warehouse.panel("Dead letters")
    assert rows == [
        [("time", HOURS[2]), ("stage", "parse"), ("dead_letters", 2)],
        [("time", HOURS[3]), ("stage", "schema"), ("dead_letters", 1)],
    ]


@pytest.mark.integration
def test_load_jobs_are_counted_per_raw_table_and_day(warehouse: Warehouse) -> None:
    rows = warehouse.panel("Load jobs per table per day")
    assert rows == [
        [("day", date(2026, 5, 18)), ("table_name", "late_trades"), ("load_jobs", 1),
         ("daily_limit", 1500)],
        [("day", date(2026, 5, 18)), ("table_name", "stream_prices"), ("load_jobs", 1),
         ("daily_limit", 1500)],
        [("day", date(2026, 5, 17)), ("table_name", "stream_prices"), ("load_jobs", 2),
         ("daily_limit", 1500)],
    ]  # fmt: skip
