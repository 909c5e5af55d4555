"""``coinpulse coingecko run`` end to end against the stand-in process."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.integration


def paths() -> tuple[str, str, str]:
    """Today's date and its markets and ohlc_object objects, read when a test starts (a run
    refuses a past date for markets, and a suite can cross midnight UTC)."""
    date = datetime.now(UTC).date().isoformat()
    markets = f"coingecko/markets/snapshot_date={date}/markets.parquet"
    return date, markets, f"coingecko/ohlc/snapshot_date={date}/ohlc.parquet"


def counts(lake_dir: Path) -> dict[str, int]:
    return {
        str(path.relative_to(lake_dir)): pq.read_metadata(path).num_rows
        for path in sorted(lake_dir.rglob("*"))
        if path.is_file()
    }


def test_run_loads_both_tables_and_a_rerun_changes_no_counts(
    tmp_path: Path, spawn_standin: Any, run_cli: Any
) -> None:
    lake_dir = tmp_path / "lake"
    day, markets_object, ohlc_object = paths()
    key = "CG-cli-secret-9001"
    with spawn_standin(tmp_path / "standin.log", "--api-key", key) as base_url:
        args = ("coingecko", "run", "--base-url", base_url, "--lake", str(lake_dir), "--date", day)
        env = {"COINPULSE_HOME": str(tmp_path), "COINGECKO_API_KEY": key}
        first = run_cli(*args, **env)
        assert first.returncode == 0, first.stderr
        assert counts(lake_dir) == {markets_object: 5, ohlc_object: 5 * 48}
        again = run_cli(*args, **env)
        assert again.returncode == 0, again.stderr
        assert counts(lake_dir) == {markets_object: 5, ohlc_object: 5 * 48}
    assert f"coingecko_markets: 5 rows -> {lake_dir / markets_object}" in first.stdout
    assert f"CoinGecko run for {day} complete" in first.stdout
    for output in (first.stdout, first.stderr, again.stdout, again.stderr):
        assert key not in output


def test_a_coin_that_keeps_failing_exits_non_zero_after_writing_the_rest(
    tmp_path: Path, spawn_standin: Any, run_cli: Any
) -> None:
    lake_dir = tmp_path / "lake"
    day, markets_object, ohlc_object = paths()
    flags = ("--fail-5xx", "cardano:100", "--fail-429", "bitcoin:1", "--retry-after", "0")
    with spawn_standin(tmp_path / "standin.log", *flags) as base_url:
        args = ("--base-url", base_url, "--lake", str(lake_dir), "--date", day)
        result = run_cli("coingecko", "run", *args)
    assert result.returncode == 1
    assert "FAILED cardano: cardano: HTTP 503" in result.stdout
    assert f"CoinGecko run for {day} incomplete: cardano failed" in result.stdout
    assert counts(lake_dir) == {markets_object: 5, ohlc_object: 4 * 48}


def test_standin_flag_runs_offline_into_the_default_lake(tmp_path: Path, run_cli: Any) -> None:
    result = run_cli("coingecko", "run", "--standin", COINPULSE_HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr
    written = counts(tmp_path / "lake")
    assert sorted(written.values()) == [5, 5 * 48]  # the coins of the five default pairs
    assert "(local server" in result.stdout


def test_only_the_coins_of_the_tracked_pairs_are_fetched(tmp_path: Path, run_cli: Any) -> None:
    day, markets_object, ohlc_object = paths()
    env = {"COINPULSE_HOME": str(tmp_path), "COINPULSE_PAIRS": "ETHUSDT,SOLUSDT"}
    result = run_cli("coingecko", "run", "--standin", "--date", day, **env)
    assert result.returncode == 0, result.stderr
    assert counts(tmp_path / "lake") == {markets_object: 2, ohlc_object: 2 * 48}
    markets = pq.read_table(tmp_path / "lake" / markets_object).column("coin_id").to_pylist()
    assert sorted(markets) == ["ethereum", "solana"]


def test_an_unknown_tracked_pair_is_a_usage_error(tmp_path: Path, run_cli: Any) -> None:
    env = {"COINPULSE_HOME": str(tmp_path), "COINPULSE_PAIRS": "BTCUSDT,NOPEUSDT"}
    result = run_cli("coingecko", "run", "--standin", **env)
    assert result.returncode == 2
    assert result.stderr.startswith("coingecko run: ") and "NOPEUSDT" in result.stderr
    assert not (tmp_path / "lake").exists()


def test_candles_alone_run_for_a_past_date(tmp_path: Path, run_cli: Any) -> None:
    args = ("--standin", "--date", "2026-05-10", "--only", "ohlc")
    result = run_cli("coingecko", "run", *args, COINPULSE_HOME=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert list(counts(tmp_path / "lake")) == [
        "coingecko/ohlc/snapshot_date=2026-05-10/ohlc.parquet"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ("--date", "18.05.2026"),
        ("--standin", "--date", "2026-05-10"),
        ("--standin", "--date", "2026-05-10", "--only", "markets"),
        ("--standin", "--base-url", "http://127.0.0.1:9/api/v3"),
    ],
)
def test_usage_errors_exit_2_without_writing(
    tmp_path: Path, run_cli: Any, args: tuple[str, ...]
) -> None:
    result = run_cli("coingecko", "run", *args, COINPULSE_HOME=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("coingecko run: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "lake").exists()
