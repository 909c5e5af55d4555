"""``coinpulse repair`` against the replay exchange's REST side, over a real lake and warehouse.

The exchange's market generates five minutes of trades for two pairs (its ground
truth); ``coinpulse backfill`` + ``coinpulse load`` build the lake and the warehouse
from them; then windows are damaged the ways verify finds: a minute's rows deleted
(between), a row holding fewer trades than its ids (within), a minute replaced by
a partial pane. A third pair the exchange does not serve has a hole of its own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from beam_pipeline import backfill
from coinpulse import windows
from commands import main as coinpulse_cli
from commands import warehouse_db
from commands.duckdb_warehouse import create_tables
from reference import windows_sql
from standins.exchange import FaultConfig
from standins.exchange.market import Market
from standins.exchange.rest import RestApi
from standins.exchange.truth import PairTruth

SERVED = ("BTCUSDT", "ETHUSDT")
NOT_SERVED = "SOLUSDT"
FIRST_ID = 7_000_000
MINUTES = 5
RATE = 20.0  # trades per second per pair: about 1,200 a minute, more than one REST page
MINUTE_MS = 60_000


class Exchange:
    """The replay exchange's market, truth and REST API over past minutes, on a thread."""

    def __init__(self) -> None:
        self.start_ms = (int(time.time() * 1000) // MINUTE_MS - MINUTES - 1) * MINUTE_MS
        market = Market(SERVED, seed=11, rate=RATE, start_ms=self.start_ms, first_trade_id=FIRST_ID)
        self.truth = {pair: PairTruth(pair, FIRST_ID) for pair in SERVED}
        for pair, trades in market.advance(self.start_ms + MINUTES * MINUTE_MS).items():
            self.truth[pair].extend(trades)
        self.api = RestApi(market, self.truth, faults=FaultConfig(), seed=11)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.url = ""

    def __enter__(self) -> Exchange:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        self.api.add_routes(app)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    def records(self) -> list[dict[str, Any]]:
        return [record for truth in self.truth.values() for record in truth.records()]

    def minute(self, index: int) -> datetime:
        return datetime.fromtimestamp((self.start_ms + index * MINUTE_MS) / 1000, UTC)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The command sets up the root logger; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def exchange() -> Iterator[Exchange]:
    with Exchange() as running:
        yield running


def archive_csv(folder: Path, pair: str, records: list[dict[str, Any]]) -> Path:
    """Trade records as one Binance archive CSV (every record falls on one UTC day here)."""
    day = datetime.fromtimestamp(records[0]["trade_time"] / 1000, UTC).strftime("%Y-%m-%d")
    path = folder / f"{pair}-trades-{day}.csv"
    path.write_text(
        "".join(
            f"{r['trade_id']},{r['price']},{r['quantity']},0,{r['trade_time']},"
            f"{r['is_buyer_maker']},True\n"
            for r in records
        )
    )
    return path


def unserved_pair_records(exchange: Exchange) -> list[dict[str, Any]]:
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


def built_lake(tmp_path: Path, exchange: Exchange) -> tuple[Path, Path]:
    archives = tmp_path / "archives"
    archives.mkdir()
    paths = [archive_csv(archives, pair, truth.records()) for pair, truth in exchange.truth.items()]
    paths.append(archive_csv(archives, NOT_SERVED, unserved_pair_records(exchange)))
    lake, warehouse = tmp_path / "lake", tmp_path / "warehouse.duckdb"
    assert backfill.run(["--input", *map(str, paths), "--output", str(lake)]) == 0
    assert coinpulse_cli.main(["load", "--lake", str(lake), "--warehouse", str(warehouse)]) == 0
    return lake, warehouse


def damage(warehouse: Path, exchange: Exchange) -> None:
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


def repair(exchange: Exchange, lake: Path, warehouse: Path, *flags: str) -> int:
    argv = ["repair", "--warehouse", str(warehouse), "--lake", str(lake), *flags]
    return coinpulse_cli.main([*argv, "--rest-url", exchange.url])


@pytest.mark.integration
def test_repair_rebuilds_the_minutes_exactly_reports_what_rest_refuses_and_runs_twice_cleanly(
    tmp_path: Path, exchange: Exchange, capsys: pytest.CaptureFixture[str]
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
