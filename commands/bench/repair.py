"""How long ``coinpulse repair`` takes per missing minute, against the replay exchange's REST.

The replay exchange's market (standins.exchange) generates REPAIR_MINUTES past
minutes of one pair at once (its ground truth), served by the exchange's own REST
API on a thread (``PastExchange``); ``coinpulse backfill`` + ``coinpulse load``
build a lake folder and a warehouse from those trades; every other minute's rows
are then deleted and ``coinpulse repair`` is timed refilling them. The figure is
the wall time over the missing minutes: REST pages (weight 25 each, within the
relay's budget of 3,000 a minute), one backfill pipeline run (FnApiRunner start-up
dominates at this size) and the load.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from beam_pipeline import backfill
from commands import main as coinpulse_cli
from commands import warehouse_db
from standins.exchange import FaultConfig
from standins.exchange.market import Market
from standins.exchange.rest import RestApi
from standins.exchange.truth import PairTruth

MINUTE_MS = 60_000
REPAIR_MINUTES = 20
REPAIR_RATE = 20.0  # trades per second: about 1,200 a minute, two REST pages
FIRST_ID = 7_000_000
START_TIMEOUT = 10.0  # s for the REST server to bind and to stop


class PastExchange:
    """The replay exchange's market, truth and REST API over past minutes, on a thread.

    The minutes end at least a minute before now, so each is closed. Usable as a
    context manager; raises OSError when the server cannot bind.
    """

    def __init__(self, pairs: tuple[str, ...], minutes: int, rate: float, seed: int = 11):
        self.start_ms = (int(time.time() * 1000) // MINUTE_MS - minutes - 1) * MINUTE_MS
        market = Market(
            pairs, seed=seed, rate=rate, start_ms=self.start_ms, first_trade_id=FIRST_ID
        )
        self.truth = {pair: PairTruth(pair, FIRST_ID) for pair in pairs}
        for pair, trades in market.advance(self.start_ms + minutes * MINUTE_MS).items():
            self.truth[pair].extend(trades)
        self._api = RestApi(market, self.truth, faults=FaultConfig(), seed=seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def __enter__(self) -> PastExchange:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(START_TIMEOUT)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            cleanup = self._runner.cleanup()
            asyncio.run_coroutine_threadsafe(cleanup, self._loop).result(START_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)

    async def _start(self) -> None:
        app = web.Application()
        self._api.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    def records(self) -> list[dict[str, Any]]:
        """Every pair's ground-truth trade records."""
        return [record for truth in self.truth.values() for record in truth.records()]

    def minute(self, index: int) -> datetime:
        """The start of the index-th minute of the market."""
        return datetime.fromtimestamp((self.start_ms + index * MINUTE_MS) / 1000, UTC)


def archive_csv(folder: Path, pair: str, records: list[dict[str, Any]]) -> Path:
    """Trade records as one Binance archive CSV, named after the first record's UTC day."""
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


def bench_repair(folder: Path, minutes: int) -> list[str]:
    with PastExchange(("BTCUSDT",), minutes, REPAIR_RATE) as exchange:
        archives = [archive_csv(folder, p, t.records()) for p, t in exchange.truth.items()]
        lake, warehouse = folder / "lake", folder / "warehouse.duckdb"
        if backfill.run(["--input", *map(str, archives), "--output", str(lake)]) != 0:
            return ["repair: the backfill that builds the lake failed"]
        coinpulse_cli.main(["load", "--lake", str(lake), "--warehouse", str(warehouse)])
        missing = [exchange.minute(index) for index in range(1, minutes - 1, 2)]
        with warehouse_db.transaction(warehouse) as connection:
            for minute in missing:
                connection.execute(
                    "DELETE FROM crypto_raw.stream_prices WHERE window_start = ?", [minute]
                )
        argv = ["repair", "--warehouse", str(warehouse), "--lake", str(lake)]
        started = time.perf_counter()
        status = coinpulse_cli.main([*argv, "--rest-url", exchange.url])
        seconds = time.perf_counter() - started
    return [
        f"repair: {len(missing)} missing minutes of {REPAIR_RATE * 60:,.0f} trades each "
        f"refilled in {seconds:.1f} s = {seconds / len(missing):.2f} s per missing minute "
        f"(exit {status}; REST pages, one backfill pipeline run, the load)"
    ]


def run(quick: bool) -> list[str]:
    """The repair figure (fewer minutes when quick); human-readable result lines."""
    with tempfile.TemporaryDirectory(prefix="coinpulse-bench-") as folder:
        return bench_repair(Path(folder), REPAIR_MINUTES // 2 if quick else REPAIR_MINUTES)
