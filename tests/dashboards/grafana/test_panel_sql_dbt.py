"""Every panel's SQL over marts that dbt's emulator target built from generated trades.

Raw rows (windows of generated trades with skipped ids, CoinGecko markets and candles,
a late trade, dead letters) are loaded into the BigQuery emulator, ``coinpulse
transform --target emulator`` builds the marts, and each panel's query, expanded as
Grafana sends it, must answer rows with the columns the panel reads. (The exact values
are checked over hand-made rows in test_panel_sql.py; the load-jobs panel reads no
mart and is checked there only.)
"""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fixtures_bigquery import PROJECT, RawDataset
from fixtures_dbt import (
    START,
    GeneratedMarket,
    candle_table,
    emulator_env,
    market_table,
    window_rows,
)
from fixtures_panel_marts import Panels

from commands import transform

FROM, TO = START - timedelta(minutes=30), START + timedelta(hours=1)
PANEL_COLUMNS = {
    "Latest price": ["time", "symbol", "price_usd"],
    "Average price per minute": ["time", "symbol", "avg_price"],
    "Hourly volatility score": ["time", "symbol", "composite_volatility_score"],
    "Market cap rankings": [
        "market_cap_rank", "name", "ticker", "market_cap", "market_cap_category",
        "total_volume", "fully_diluted_valuation", "snapshot_date",
    ],
    "Today's candles": [
        "bucket_start", "symbol", "open_price", "high_price", "low_price", "close_price",
        "base_volume", "change_pct", "direction",
    ],
    "24 h change %": ["ticker", "price_change_percentage_24h"],
    "Candles: ${symbol} ${timeframe}": ["time", "open", "high", "low", "close", "volume"],
    "Data freshness": ["symbol", "seconds_behind"],
    "Missing trade ids": ["time", "symbol", "missing_trade_ids", "trade_ids_counted_twice"],
    "Dead letters": ["time", "stage", "dead_letters"],
    "Late trades": ["time", "symbol", "late_trades"],
}  # fmt: skip


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row, default=str).encode() + b"\n" for row in rows)


def stamp(minutes: int) -> str:
    text: str = (START + timedelta(minutes=minutes)).isoformat()
    return text.replace("+00:00", "Z")


@pytest.mark.integration
def test_every_panel_answers_its_columns_over_the_dbt_built_marts(
    bigquery_raw: RawDataset, tmp_path: Path
) -> None:
    trades = GeneratedMarket(5).generate(START, 40, skip_ids=2)
    bigquery_raw.load_jsonl("stream_prices", jsonl(window_rows(trades)))
    for table, rows in [
        ("coingecko_markets", market_table(START.date(), START)),
        ("coingecko_ohlc_candles", candle_table(START.date(), START)),
    ]:
        bigquery_raw.load_jsonl(table, jsonl(rows.to_pylist()))
    late = {
        "symbol": "BTCUSDT", "coin_id": "bitcoin", "trade_id": 1, "trade_time": stamp(3),
        "price": "65000", "quantity": "0.1", "is_buyer_maker": False,
        "window_start": stamp(3), "allowed_lateness_seconds": 300, "detected_at": stamp(10),
    }  # fmt: skip
    bigquery_raw.load_jsonl("late_trades", jsonl([late]))
    dead = [{"stage": "parse", "reason": "not JSON", "raw": "{", "received_at": stamp(m)}
            for m in (5, 6)]  # fmt: skip
    bigquery_raw.load_jsonl("dead_letters", jsonl(dead))
    raw = bigquery_raw.dataset
    env = emulator_env(PROJECT, raw, tmp_path)
    assert transform.run("emulator", ["build"], quiet=True, base_env=env) == 0

    panels = Panels(bigquery_raw.client, f"{raw}_crypto_mart", raw)
    answers = {
        title: panels.panel(title, timeframe="1m", time_from=FROM, time_to=TO)
        for title in PANEL_COLUMNS
    }
    for title, rows in answers.items():
        assert rows, f"{title}: no rows"
        assert [name for name, _ in rows[0]] == PANEL_COLUMNS[title], title
    missing = [dict(row)["missing_trade_ids"] for row in answers["Missing trade ids"]]
    assert sum(missing) == 2 * len({t[0] for t in trades})  # two ids skipped per pair
    assert [dict(row)["dead_letters"] for row in answers["Dead letters"]] == [2]
    assert {dict(row)["direction"] for row in answers["Today's candles"]} <= {
        "bearish",
        "bullish",
        "flat",
    }
