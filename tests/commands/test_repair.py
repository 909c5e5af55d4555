"""``coinpulse repair`` against the replay exchange's REST side, over a real lake and warehouse.

The exchange's market generates five minutes of trades for two pairs (its ground
truth); ``coinpulse backfill`` + ``coinpulse load`` build the lake and the warehouse
from them; then windows are damaged the ways verify finds: a minute's rows deleted
(between), a row holding fewer trades than its ids (within), a minute replaced by
a partial pane. A third pair the exchange does not serve has a hole of its own.
When the warehouse has marts, the repair rebuilds them over the repaired days.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from beam_pipeline import backfill
from coinpulse import windows
from commands import main as coinpulse_cli
from commands import transform, warehouse_db
from commands.bench.repair import MINUTE_MS, PastExchange, archive_csv
from commands.duckdb_warehouse import create_tables
from reference import windows_sql

SERVED = ("BTCUSDT", "ETHUSDT")
NOT_SERVED = "SOLUSDT"
MINUTES = 5
RATE = 20.0  # trades per second per pair: about 1,200 a minute, more than one REST page


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The command sets up the root logger; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def exchange() -> Iterator[PastExchange]:
    with PastExchange(SERVED, MINUTES, RATE) as running:
        yield running


def unserved_pair_records(exchange: PastExchange) -> list[dict[str, Any]]:
    """Ten trades in minute 0 and ten in minute 1 with ids 11..19 missing between them."""
    return [
        {
            "trade_id": trade_id,
            "price": "150.25",
            "quantity": "0.5",
            "trade_time": exchange.start_ms + (0 if trade_id <= 10 else MINUTE_MS) + trade_id,
            "is_buyer_maker": trade_id % 2 == 0,
        }
        for trade_id in [*range(1, 11), *range(20, 30)]
    ]


def built_lake(tmp_path: Path, exchange: PastExchange) -> tuple[Path, Path]:
    archives = tmp_path / "archives"
    archives.mkdir()
    paths = [archive_csv(archives, pair, truth.records()) for pair, truth in exchange.truth.items()]
    paths.append(archive_csv(archives, NOT_SERVED, unserved_pair_records(exchange)))
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    assert backfill.run(["--input", *map(str, paths), "--output", str(lake)]) == 0
    assert coinpulse_cli.main(["load", "--lake", str(lake), "--warehouse", str(warehouse)]) == 0
    return lake, warehouse


def damage(warehouse: Path, exchange: PastExchange) -> None:
    """BTCUSDT: minute 1 gone, minute 3 short of 3 trades; ETHUSDT: minute 2 a partial pane."""
    table = windows.STREAM_PRICES
    with warehouse_db.transaction(warehouse) as connection:
        where = "symbol = ? AND window_start = ?"
        connection.execute(f"DELETE FROM {table} WHERE {where}", ["BTCUSDT", exchange.minute(1)])
        connection.execute(
            f"UPDATE {table} SET trade_count = trade_count - 3 WHERE {where}",
            ["BTCUSDT", exchange.minute(3)],
        )
        connection.execute(
            f"CREATE TEMP TABLE partial AS SELECT * FROM {table} WHERE {where}",
            ["ETHUSDT", exchange.minute(2)],
        )
        connection.execute(f"DELETE FROM {table} WHERE {where}", ["ETHUSDT", exchange.minute(2)])
        connection.execute(
            "UPDATE partial SET trade_count = trade_count - 40, "
            "last_trade_id = last_trade_id - 40, pane_index = 1, pane_timing = 'EARLY', "
            "emitted_at = emitted_at + INTERVAL 5 MINUTE"
        )
        connection.execute(f"INSERT INTO {table} SELECT * FROM partial")


def best_windows(warehouse: Path) -> dict[tuple[str, int], dict[str, Any]]:
    with warehouse_db.read(warehouse) as connection:
        cursor = connection.execute(windows.best_windows_sql())
        names = [column[0] for column in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {
        (row["symbol"], int(row["window_start"].timestamp() * 1000)): row
        for row in found
        if row["symbol"] in SERVED
    }


def lake_state(lake: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in lake.rglob("*") if p.is_file()}


def stored_rows(warehouse: Path) -> tuple[int, int]:
    with warehouse_db.read(warehouse) as connection:
        [(windows_count,)] = connection.execute(
            f"SELECT count(*) FROM {windows.STREAM_PRICES}"
        ).fetchall()
        [(loads,)] = connection.execute("SELECT count(*) FROM crypto_raw._load_ledger").fetchall()
    return int(windows_count), int(loads)


def repair(exchange: PastExchange, lake: Path, warehouse: Path, *flags: str) -> int:
    argv = ["repair", "--warehouse", str(warehouse), "--lake", str(lake), *flags]
    return coinpulse_cli.main([*argv, "--rest-url", exchange.url])


@pytest.mark.integration
def test_repair_rebuilds_the_minutes_exactly_reports_what_rest_refuses_and_runs_twice_cleanly(
    tmp_path: Path, exchange: PastExchange, capsys: pytest.CaptureFixture[str]
) -> None:
    lake, warehouse = built_lake(tmp_path, exchange)
    reference = windows_sql.windows_from_records(exchange.records())
    assert len(reference) >= MINUTES * len(SERVED)
    damage(warehouse, exchange)
    assert coinpulse_cli.main(["verify", "--warehouse", str(warehouse)]) == 1
    capsys.readouterr()

    assert repair(exchange, lake, warehouse) == 1
    out = capsys.readouterr().out.splitlines()
    sol = [line for line in out if line.startswith(NOT_SERVED)]
    assert len(sol) == 2  # its range, then verify's line for the pair
    assert "could not repair: the exchange refused: 400" in sol[0]
    assert "ids 1..29" in sol[0]
    repaired = [line for line in out if line.endswith(", repaired")]
    assert [line.split()[0] for line in repaired] == ["BTCUSDT", "BTCUSDT", "ETHUSDT"]
    assert "unrepairable: 1" in next(line for line in out if line.startswith("ranges repaired"))

    best = best_windows(warehouse)
    assert sorted(best) == sorted(reference)
    assert {key: windows_sql.mismatches(best[key], reference[key]) for key in best} == {
        key: [] for key in best
    }
    served = ["--symbols", ",".join(SERVED)]
    assert coinpulse_cli.main(["verify", "--warehouse", str(warehouse), *served]) == 0
    capsys.readouterr()

    before_lake, before_rows = lake_state(lake), stored_rows(warehouse)
    assert repair(exchange, lake, warehouse, *served) == 0
    closing = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("ranges")
    )
    assert closing == (
        "ranges repaired: 0, minutes rewritten: 0, trades fetched: 0, unrepairable: 0"
    )
    assert lake_state(lake) == before_lake
    assert stored_rows(warehouse) == before_rows


@pytest.mark.integration
def test_repair_rebuilds_the_marts_of_the_days_it_repaired(
    tmp_path: Path,
    exchange: PastExchange,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COINPULSE_HOME", str(tmp_path))
    lake, warehouse = built_lake(tmp_path, exchange)
    damage(warehouse, exchange)
    env = {**os.environ, "COINPULSE_WAREHOUSE": str(warehouse)}
    assert transform.run("local", transform.MODELS_ONLY, base_env=env) == 0
    prices = (
        "SELECT symbol, epoch_ms(window_start), trade_count FROM crypto_mart.mart_crypto_prices"
        f" WHERE symbol IN {SERVED}"
    )

    def in_mart() -> dict[tuple[str, int], int]:
        with warehouse_db.read(warehouse) as connection:
            return {(s, int(m)): int(n) for s, m, n in connection.execute(prices).fetchall()}

    truth = {key: int(row["trade_count"]) for key, row in best_windows(warehouse).items()}
    assert in_mart() == truth  # the damage reached the marts
    capsys.readouterr()

    assert repair(exchange, lake, warehouse, "--symbols", ",".join(SERVED)) == 0
    out = capsys.readouterr().out.splitlines()
    day = exchange.minute(0).strftime("%Y-%m-%d")
    assert f"marts: rebuilt the UTC days {day} .. {day}" in out
    reference = windows_sql.windows_from_records(exchange.records())
    assert in_mart() == {key: int(row["trade_count"]) for key, row in reference.items()}


@pytest.mark.unit
def test_without_a_lake_or_a_local_stack_it_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with warehouse_db.transaction(warehouse) as connection:
        create_tables(connection)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")  # the discard port: closed
    assert coinpulse_cli.main(["repair", "--warehouse", str(warehouse)]) == 2
    assert "give --lake" in capsys.readouterr().err
