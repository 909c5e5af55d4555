"""Gap backfill against a local server answering like Binance's historicalTrades."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from coinpulse.trade import Trade
from relay.backfill import Backfiller
from relay.gaps import GapTracker
from relay.rest import HistoricalTrades
from relay.stats import RelayStats

pytestmark = pytest.mark.integration

PAIR = "BTCUSDT"
Answer = Callable[[int, int, int], web.Response]  # (call number, fromId, limit) -> answer


def rows(ids: range, bad: Collection[int] = ()) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "price": "n/a" if i in bad else "1.5",
            "qty": "2",
            "quoteQty": "3",
            "time": 1000 + i,
            "isBuyerMaker": False,
            "isBestMatch": True,
        }
        for i in ids
    ]


class Recorder:
    """The relay's side of a backfill: a tracker and what was accepted or dead-lettered."""

    def __init__(self, last: int, first_live: int) -> None:
        self.tracker = GapTracker(last=last)
        self.tracker.observe(first_live, 0.0)  # opens the gap last+1 .. first_live-1
        self.accepted: list[int] = []
        self.dead: list[tuple[str, str]] = []
        self.stats = RelayStats()

    async def accept(self, trade: Trade) -> None:
        self.tracker.observe(trade.trade_id, 0.0)
        self.accepted.append(trade.trade_id)

    async def dead_letter(self, reason: str, raw: str, received_at: int) -> None:
        self.dead.append((reason, raw))


@asynccontextmanager
async def backfilling(
    recorder: Recorder, answer: Answer, **options: Any
) -> AsyncIterator[list[int]]:
    """Runs a Backfiller against a server giving ``answer``; yields the fromIds requested."""
    requested: list[int] = []

    async def historical(request: web.Request) -> web.Response:
        requested.append(int(request.query["fromId"]))
        return answer(len(requested), requested[-1], int(request.query["limit"]))

    app = web.Application()
    app.router.add_get("/api/v3/historicalTrades", historical)
    server = TestServer(app)
    await server.start_server()
    stopping = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        rest = HistoricalTrades(session, str(server.make_url("/")), recorder.stats)
        backfiller = Backfiller(
            rest,
            {PAIR: recorder.tracker},
            recorder.stats,
            accept=recorder.accept,
            dead_letter=recorder.dead_letter,
            grace=0.0,
            **options,
        )
        task = asyncio.create_task(backfiller.run(stopping))
        try:
            yield requested
        finally:
            stopping.set()
            await asyncio.wait_for(task, 10)
            await server.close()


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_hole_left_by_a_dead_lettered_row_is_fetched_again() -> None:
    recorder = Recorder(last=1, first_live=10)  # gap 2..9

    def answer(call: int, from_id: int, limit: int) -> web.Response:
        bad = {6} if call == 1 else set()  # the first answer carries a broken row 6
        return web.json_response(rows(range(from_id, from_id + limit), bad))

    async with backfilling(recorder, answer) as requested:
        await eventually(lambda: not recorder.tracker.gaps)
    assert requested == [2, 6]
    assert sorted(recorder.accepted) == list(range(2, 10))
    assert recorder.tracker.contiguous_through() == 10
    assert [reason.startswith("price is not numeric") for reason, _ in recorder.dead] == [True]
    assert recorder.stats.gaps_filled == 1


async def test_a_hole_that_stays_broken_is_abandoned_with_a_dead_letter() -> None:
    recorder = Recorder(last=1, first_live=10)

    def answer(call: int, from_id: int, limit: int) -> web.Response:
        return web.json_response(rows(range(from_id, from_id + limit), bad={6}))

    async with backfilling(recorder, answer, retry_initial=0.05, max_attempts=3) as requested:
        await eventually(lambda: not recorder.tracker.gaps)
    assert requested == [2, 6, 6]
    assert recorder.tracker.contiguous_through() == 10
    abandoned = [json.loads(raw) for reason, raw in recorder.dead if "abandoned" in reason]
    assert abandoned == [{"symbol": PAIR, "missing_ids": [[6, 6]], "attempts": 3}]
    assert recorder.stats.gaps_abandoned == 1 and recorder.stats.gap_trades_abandoned == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_a_permanent_refusal_ends_the_gap_with_a_dead_letter(status: int) -> None:
    recorder = Recorder(last=1, first_live=10)

    def answer(call: int, from_id: int, limit: int) -> web.Response:
        return web.json_response({"code": -2015, "msg": "Invalid API-key."}, status=status)

    async with backfilling(recorder, answer) as requested:
        await eventually(lambda: not recorder.tracker.gaps)
        await asyncio.sleep(0.6)  # two more looks for due gaps: nothing is asked again
    assert requested == [2]
    [(reason, raw)] = recorder.dead
    assert reason.startswith("backfill abandoned:") and str(status) in reason
    assert "Invalid API-key." in reason
    assert json.loads(raw) == {"symbol": PAIR, "missing_ids": [[2, 9]], "attempts": 1}
    assert recorder.stats.gaps_abandoned == 1 and recorder.stats.gap_trades_abandoned == 8
    assert recorder.tracker.contiguous_through() == 10
