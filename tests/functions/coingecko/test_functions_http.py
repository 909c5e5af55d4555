"""The functions under functions-framework, called over HTTP the way Cloud Scheduler calls them.

Both processes are real: the stand-in (``python -m standins.coingecko``) and
``functions-framework --target ... --source functions/coingecko/main.py``.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import requests

from coinpulse import lake

pytestmark = pytest.mark.integration

KEY = "CG-integration-secret-4711"
SCHEDULER = {"User-Agent": "Google-Cloud-Scheduler", "Content-Type": "application/json"}


def post(url: str, body: str = "", **params: str) -> requests.Response:
    return requests.post(url, data=body, params=params, headers=SCHEDULER, timeout=120)


def rows_in(lake_dir: Path, table: lake.Route, day: str) -> list[dict[str, Any]]:
    path = lake_dir / lake.coingecko_object(table, datetime.fromisoformat(day).date())
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def test_markets_function_loads_today_reruns_replace_it_and_past_dates_are_refused(
    tmp_path: Path, spawn_standin: Any, spawn_function: Any
) -> None:
    lake_dir = tmp_path / "lake"
    flags = ("--api-key", KEY, "--fail-429", "markets:1", "--retry-after", "0")
    with spawn_standin(tmp_path / "standin.log", *flags) as base_url:
        env = {
            "COINGECKO_BASE_URL": base_url,
            "COINPULSE_LAKE": str(lake_dir),
            "COINGECKO_API_KEY": KEY,
        }
        with spawn_function("coingecko_markets", tmp_path / "function.log", env) as url:
            first = post(url)
            assert first.status_code == 200, first.text
            summary = first.json()
            today = summary["snapshot_date"]
            assert summary["ok"] and today == datetime.now(UTC).date().isoformat()
            assert summary["tables"]["coingecko_markets"]["rows"] == 5  # default pairs
            again = post(url, f'{{"date": "{today}"}}')
            assert again.status_code == 200
            assert again.json()["tables"] == summary["tables"]
            past = post(url, '{"date": "2026-05-18"}')
            assert past.status_code == 400 and "no history" in past.json()["error"]
            bad = post(url, '{"date": "18.05.2026"}')
            assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]
    markets = rows_in(lake_dir, lake.COINGECKO_MARKETS, today)
    assert len(markets) == 5
    assert {row["snapshot_date"].isoformat() for row in markets} == {today}
    assert next(r for r in markets if r["coin_id"] == "ethereum")["max_supply"] is None
    assert len(list(lake_dir.rglob("*.parquet"))) == 1  # today's, written twice
    log = (tmp_path / "function.log").read_text()
    assert "retrying" in log and '"status": 429' in log
    assert KEY not in log


def test_ohlc_function_answers_502_on_a_failed_coin_and_200_on_schedulers_retry(
    tmp_path: Path, spawn_standin: Any, spawn_function: Any
) -> None:
    lake_dir = tmp_path / "lake"
    flags = ("--fail-5xx", "solana:4", "--retry-after", "0")  # 4 = every attempt of one run
    with spawn_standin(tmp_path / "standin.log", *flags) as base_url:
        env = {"COINGECKO_BASE_URL": base_url, "COINPULSE_LAKE": str(lake_dir)}
        with spawn_function("coingecko_ohlc", tmp_path / "function.log", env) as url:
            failed = post(url, date="2026-05-18")
            assert failed.status_code == 502
            candles = failed.json()["tables"]["coingecko_ohlc_candles"]
            assert list(candles["failed"]) == ["solana"] and candles["rows"] == 4 * 48
            written = rows_in(lake_dir, lake.COINGECKO_OHLC, "2026-05-18")
            assert len(written) == 4 * 48
            assert "solana" not in {row["coin_id"] for row in written}
            retried = post(url, date="2026-05-18")
            assert retried.status_code == 200, retried.text
    written = rows_in(lake_dir, lake.COINGECKO_OHLC, "2026-05-18")
    assert len(written) == 5 * 48
    assert len({(row["coin_id"], row["candle_close_time"]) for row in written}) == len(written)
    assert sum(not row["is_complete"] for row in written) >= 5  # each coin's newest
