"""Whole runs against the stand-in: typed files per date, idempotent reruns, partial failure."""

import logging
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from coinpulse import lake
from functions.coingecko.client import HttpCoinGecko
from functions.coingecko.run import DateRefused, Misconfigured, Settings, parse_date, run
from standins.coingecko import StandIn

TRACKED = ("bitcoin", "ethereum", "solana", "dogecoin")  # the coins these runs fetch
COINS = len(TRACKED)


@pytest.fixture
def client(standin: StandIn) -> Iterator[HttpCoinGecko]:
    """A client whose retry waits are recorded instead of slept."""
    waits: list[float] = []
    with HttpCoinGecko(standin.base_url, sleep=waits.append) as http:
        yield http


def stored(tmp_path: Path, table: lake.Route, day: date) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(
        tmp_path / lake.coingecko_object(table, day)
    ).to_pylist()
    return rows


def files(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())


@pytest.mark.integration
def test_a_run_writes_one_typed_file_per_table_for_todays_utc_date(
    client: HttpCoinGecko, tmp_path: Path, now: datetime
) -> None:
    day = parse_date(None, now=lambda: now)
    assert day == date(2026, 5, 18)  # the day of the run, not the day before
    result = run(client, str(tmp_path), day, coin_ids=TRACKED, now=lambda: now)
    assert result.ok
    assert files(tmp_path) == [
        lake.coingecko_object(lake.COINGECKO_MARKETS, day),
        lake.coingecko_object(lake.COINGECKO_OHLC, day),
    ]
    markets, candles = (
        stored(tmp_path, lake.COINGECKO_MARKETS, day),
        stored(tmp_path, lake.COINGECKO_OHLC, day),
    )
    assert len(markets) == COINS and len(candles) == COINS * 48
    assert {row["snapshot_date"] for row in markets + candles} == {day}
    assert result.summary()["tables"] == {
        "coingecko_markets": {
            "rows": COINS,
            "object": str(tmp_path / lake.coingecko_object(lake.COINGECKO_MARKETS, day)),
            "failed": {},
            "kept": [],
            "ok": True,
        },
        "coingecko_ohlc_candles": {
            "rows": COINS * 48,
            "object": str(tmp_path / lake.coingecko_object(lake.COINGECKO_OHLC, day)),
            "failed": {},
            "kept": [],
            "ok": True,
        },
    }


@pytest.mark.integration
def test_running_a_date_again_leaves_row_counts_unchanged(
    client: HttpCoinGecko, tmp_path: Path, now: datetime
) -> None:
    day = date(2026, 5, 18)
    first = run(client, str(tmp_path), day, coin_ids=TRACKED, now=lambda: now)
    again = run(client, str(tmp_path), day, coin_ids=TRACKED, now=lambda: now)
    assert [load.rows for load in first.loads] == [load.rows for load in again.loads]
    assert len(files(tmp_path)) == 2
    candles = stored(tmp_path, lake.COINGECKO_OHLC, day)
    assert len(candles) == COINS * 48
    keys = {(row["coin_id"], row["candle_close_time"]) for row in candles}
    assert len(keys) == len(candles)


@pytest.mark.integration
def test_retried_429_and_5xx_still_load_every_coin(
    client: HttpCoinGecko, standin: StandIn, tmp_path: Path, now: datetime
) -> None:
    standin.retry_after = 0
    standin.rate_limit.update({"markets": 1, "bitcoin": 2})
    standin.server_errors.update({"solana": 1})
    result = run(client, str(tmp_path), now.date(), coin_ids=TRACKED, now=lambda: now)
    assert result.ok
    assert [seen.status for seen in standin.requests_for("bitcoin")] == [429, 429, 200]
    assert len(stored(tmp_path, lake.COINGECKO_OHLC, now.date())) == COINS * 48


@pytest.mark.integration
def test_a_coin_that_keeps_failing_is_reported_and_the_rest_is_written(
    client: HttpCoinGecko, standin: StandIn, tmp_path: Path, now: datetime
) -> None:
    standin.retry_after = 0
    standin.server_errors["solana"] = 100
    result = run(client, str(tmp_path), now.date(), coin_ids=TRACKED, now=lambda: now)
    assert not result.ok
    markets, candles = result.loads
    assert markets.ok and markets.rows == COINS
    assert list(candles.failures) == ["solana"]
    assert "HTTP 503" in candles.failures["solana"]
    written = stored(tmp_path, lake.COINGECKO_OHLC, now.date())
    assert len(written) == (COINS - 1) * 48
    assert "solana" not in {row["coin_id"] for row in written}


@pytest.mark.integration
def test_a_failed_markets_call_keeps_the_dates_previous_file(
    client: HttpCoinGecko, standin: StandIn, tmp_path: Path, now: datetime
) -> None:
    day = now.date()
    run(client, str(tmp_path), day, kinds=("markets",), coin_ids=TRACKED, now=lambda: now)
    before = (tmp_path / lake.coingecko_object(lake.COINGECKO_MARKETS, day)).read_bytes()
    standin.retry_after = 0
    standin.server_errors["markets"] = 100
    result = run(client, str(tmp_path), day, kinds=("markets",), coin_ids=TRACKED, now=lambda: now)
    (markets,) = result.loads
    assert markets.rows == 0 and markets.uri is None
    assert set(markets.failures) == set(TRACKED)
    assert (tmp_path / lake.coingecko_object(lake.COINGECKO_MARKETS, day)).read_bytes() == before


@pytest.mark.integration
@pytest.mark.parametrize("day", [date(2026, 5, 10), date(2026, 5, 19)])
def test_a_markets_run_for_another_date_is_refused_before_any_call(
    client: HttpCoinGecko, standin: StandIn, tmp_path: Path, now: datetime, day: date
) -> None:
    with pytest.raises(DateRefused, match="no history"):
        run(client, str(tmp_path), day, coin_ids=TRACKED, now=lambda: now)
    assert standin.seen == [] and files(tmp_path) == []


@pytest.mark.integration
def test_candles_for_a_past_date_are_fetched_and_labelled_with_it(
    client: HttpCoinGecko, tmp_path: Path, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    result = run(
        client, str(tmp_path), date(2026, 5, 10), kinds=("ohlc",), coin_ids=TRACKED, now=lambda: now
    )
    assert result.ok
    assert "not today's UTC date" in caplog.text
    candles = stored(tmp_path, lake.COINGECKO_OHLC, date(2026, 5, 10))
    assert {row["snapshot_date"] for row in candles} == {date(2026, 5, 10)}


@pytest.mark.unit
@pytest.mark.parametrize("text", ["2026-5-18", "20260518", "2026-02-30", "18/05/2026"])
def test_dates_must_be_real_and_written_yyyy_mm_dd(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.unit
def test_settings_come_from_the_environment_and_hide_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COINGECKO_API_KEY", " CG-secret\n")
    monkeypatch.setenv("COINGECKO_BASE_URL", "http://127.0.0.1:1/api/v3")
    monkeypatch.delenv("COINPULSE_LAKE", raising=False)
    monkeypatch.setenv("COINPULSE_HOME", str(tmp_path))
    settings = Settings.from_env()
    assert settings.api_key == "CG-secret"
    assert settings.lake == str(tmp_path / "lake")
    assert "CG-secret" not in repr(settings)


@pytest.mark.unit
def test_the_coins_fetched_are_those_of_the_tracked_pairs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COINPULSE_LAKE", str(tmp_path))
    monkeypatch.delenv("COINPULSE_PAIRS", raising=False)
    assert Settings.from_env().coin_ids == (
        "bitcoin",
        "ethereum",
        "solana",
        "binancecoin",
        "cardano",
    )
    monkeypatch.setenv("COINPULSE_PAIRS", "SOLUSDT,BTCUSDT")
    assert Settings.from_env().coin_ids == ("solana", "bitcoin")
    monkeypatch.setenv("COINPULSE_PAIRS", "NOPEUSDT")
    with pytest.raises(Misconfigured, match="NOPEUSDT"):
        Settings.from_env()
