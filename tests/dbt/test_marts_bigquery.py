"""The same dbt project on the BigQuery adapter: built against the BigQuery API
emulator over generated trades, and parsed for production without credentials.

The emulator target differs from prod only in its endpoint, its datasets (a
prefix keeps tests apart) and in building without contract enforcement, which
the emulator cannot run (dbt_project.yml).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fixtures_bigquery import PROJECT, RawDataset
from fixtures_dbt import (
    DERIVED,
    EXACT,
    RELATIVE_TOLERANCE,
    START,
    GeneratedMarket,
    candle_table,
    emulator_env,
    market_table,
    truth,
    window_rows,
)

from commands import transform

pytestmark = pytest.mark.integration


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row, default=str).encode() + b"\n" for row in rows)


def table_jsonl(table: pa.Table) -> bytes:
    return jsonl(table.to_pylist())


def test_marts_build_on_the_bigquery_adapter(bigquery_raw: RawDataset, tmp_path: Path) -> None:
    trades = GeneratedMarket(5).generate(START, 20, skip_ids=2)
    bigquery_raw.load_jsonl("stream_prices", jsonl(window_rows(trades)))
    bigquery_raw.load_jsonl("coingecko_markets", table_jsonl(market_table(START.date(), START)))
    bigquery_raw.load_jsonl(
        "coingecko_ohlc_candles", table_jsonl(candle_table(START.date(), START))
    )
    dataset = bigquery_raw.dataset
    env = emulator_env(PROJECT, dataset, tmp_path)

    assert transform.run("emulator", ["build"], quiet=False, base_env=env) == 0

    expected = truth(trades)
    rows = bigquery_raw.rows(f"select * from `{PROJECT}.{dataset}_crypto_mart.mart_ohlc`")
    assert {(r["symbol"], r["timeframe"], r["bucket_start"]) for r in rows} == set(expected)
    for row in rows:
        reference = expected[(row["symbol"], row["timeframe"], row["bucket_start"])]
        for column in EXACT:
            assert Decimal(row[column]) == Decimal(reference[column]), (row, column)
        for column in DERIVED:
            scale = RELATIVE_TOLERANCE * float(reference["avg_price"])
            assert abs(row[column] - reference[column]) <= scale, (row, column)
    prices = bigquery_raw.rows(
        f"select count(*) as n, countif(market_cap is null) as without_market"
        f" from `{PROJECT}.{dataset}_crypto_mart.mart_crypto_prices`"
    )
    assert prices == [{"n": len({(t[0], t[2] // 60_000) for t in trades}), "without_market": 0}]


def test_the_prod_target_parses_without_credentials(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "BIGQUERY_", "CLOUDSDK_"))
    }
    env.update(COINPULSE_HOME=str(tmp_path), BIGQUERY_PROJECT="coinpulse-prod")

    assert transform.run("prod", ["parse"], quiet=False, base_env=env) == 0

    manifest = json.loads((tmp_path / "dbt/prod/target/manifest.json").read_text())
    schemas = {
        node["name"]: node["schema"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    assert schemas["mart_ohlc"] == "crypto_mart"
    assert schemas["stg_binance__windows"] == "crypto_staging"
    sources = {s["name"]: s["schema"] for s in manifest["sources"].values()}
    assert set(sources.values()) == {"crypto_raw"}
    assert all(s["freshness"]["error_after"]["count"] for s in manifest["sources"].values())
