"""Marts on the BigQuery emulator, for the dashboards' SQL tests.

One dataset holds the raw tables (from the schema files) and the four marts, created
with the columns and BigQuery types of the marts' enforced dbt contracts
(dbt/models/marts/*.yml) and filled with rows made here, on both sides of the panels'
time range [FROM, TO], so a query that ignores ``$__timeFilter`` shows it
(test_panel_sql_dbt.py runs the same queries over marts that dbt builds). The emulator
has no INFORMATION_SCHEMA.JOBS (it refuses the ``region-us`` qualifier), so a ``jobs``
table of JOBS's columns holds load-job rows to run that query on in its place.
"""

import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
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

ROOT = Path(__file__).resolve().parents[1]
MARTS = ("mart_crypto_prices", "mart_ohlc", "mart_volatility", "mart_pipeline_health")
# A dbt column's type, e.g. "{{ 'numeric' if target.type == 'bigquery' else ... }}".
BIGQUERY_TYPE = re.compile(r"'(\w+)' if target\.type == 'bigquery'")
# The emulator keeps BIGNUMERIC in DuckDB decimals (at most 38 digits) and refuses it
# without a precision: (precision, scale) for its BIGNUMERIC columns.
BIGNUMERIC = (38, 12)
# The columns of INFORMATION_SCHEMA.JOBS that the load-jobs panel reads.
JOBS = [
    bigquery.SchemaField("creation_time", "TIMESTAMP"),
    bigquery.SchemaField("job_type", "STRING"),
    bigquery.SchemaField(
        "destination_table",
        "RECORD",
        fields=[
            bigquery.SchemaField(f, "STRING") for f in ("project_id", "dataset_id", "table_id")
        ],
    ),
]


def mart_schema(mart: str) -> list[bigquery.SchemaField]:
    """The columns and BigQuery types of a mart's enforced dbt contract (its .yml)."""
    [model] = yaml.safe_load((ROOT / "dbt" / "models" / "marts" / f"{mart}.yml").read_text())[
        "models"
    ]
    fields = []
    for column in model["columns"]:
        match = BIGQUERY_TYPE.search(column["data_type"])
        kind = (match[1] if match else column["data_type"]).upper()
        if kind == "BIGNUMERIC":
            precision, scale = BIGNUMERIC
            field = bigquery.SchemaField(column["name"], kind, precision=precision, scale=scale)
        else:
            field = bigquery.SchemaField(column["name"], kind)
        fields.append(field)
    return fields


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


JOBS_IN_PLACE_OF = "`region-us`.INFORMATION_SCHEMA.JOBS"


@dataclass
class Panels:
    """What each panel of the built dashboard receives from BigQuery (the emulator) over
    [FROM, TO]: its rawSql with Grafana's variables and the plugin's macros expanded,
    INFORMATION_SCHEMA.JOBS read from ``RAW.jobs``."""

    client: bigquery.Client
    mart_dataset: str
    raw_dataset: str

    def panel(
        self, title: str, symbol: str = "BTCUSDT", timeframe: str = "1h", **time: datetime
    ) -> list[list[tuple[str, Any]]]:
        """The rows of panel ``title`` as (column, value) pairs; ``time_from``/``time_to``
        move the range."""
        [panel] = [p for p in board.dashboards()[0]["panels"] if p.get("title") == title]
        [target] = panel["targets"]
        variables = {
            "mart_dataset": self.mart_dataset, "raw_dataset": self.raw_dataset,
            "location": "us", "timeframe": timeframe, "symbol": symbol,
        }  # fmt: skip
        start, end = time.get("time_from", FROM), time.get("time_to", TO)
        sql = grafana_query(target["rawSql"], variables, start, end, timedelta(hours=1))
        sql = sql.replace(JOBS_IN_PLACE_OF, f"`{self.raw_dataset}.jobs`")
        return [list(row.items()) for row in self.client.query(sql).result(timeout=60)]


def schema_of(table: str) -> list[bigquery.SchemaField]:
    if table in MARTS:
        return mart_schema(table)
    if table == "jobs":
        return JOBS
    return [bigquery.SchemaField.from_api_repr(dict(f)) for f in schemas.fields(table)]


@pytest.fixture(scope="module")
def mart_panels(bigquery_endpoint: str) -> Iterator[Panels]:
    """The panels over a dataset of the raw tables and the marts, filled here."""
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
    for table in {*RAW_TABLES, *MARTS, "jobs"}:
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
    yield Panels(client, dataset, dataset)
    client.delete_dataset(f"{PROJECT}.{dataset}", delete_contents=True)
