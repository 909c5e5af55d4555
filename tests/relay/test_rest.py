"""The REST backfill client against a local server that answers like Binance."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from relay.rest import HistoricalTrades, RestRejected, WeightBudget
from relay.stats import RelayStats


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, list[dict[str, str]]]]:
    calls: list[dict[str, str]] = []

    async def historical(request: web.Request) -> web.Response:
        calls.append(dict(request.query))
        if len(calls) == 1:
            return web.json_response(
                {"code": -1003, "msg": "Too many requests"},
                status=429,
                headers={"Retry-After": "0.2"},
            )
        if request.query["symbol"].startswith("REFUSED"):
            status = int(request.query["symbol"].removeprefix("REFUSED"))
            return web.json_response({"code": -1121, "msg": "Invalid symbol."}, status=status)
        if request.query["symbol"] == "FLAKY" and len(calls) < 4:
            status = 503 if len(calls) == 2 else 408
            return web.json_response({"code": -1001, "msg": "Internal error."}, status=status)
        if request.query["symbol"] == "TRUNCATED" and len(calls) == 2:
            return web.Response(text='[{"id": 5, "pri', content_type="application/json")
        start = int(request.query["fromId"])
        rows = [
            {
                "id": i,
                "price": "1.5",
                "qty": "2",
                "quoteQty": "3",
                "time": 1000 + i,
                "isBuyerMaker": False,
                "isBestMatch": True,
            }
            for i in range(start, start + int(request.query["limit"]))
        ]
        return web.json_response(rows, headers={"X-MBX-USED-WEIGHT-1M": "25"})

    app = web.Application()
    app.router.add_get("/api/v3/historicalTrades", historical)
    test_server = TestServer(app)
    await test_server.start_server()
    try:
        yield test_server, calls
    finally:
        await test_server.close()


@pytest.mark.integration
async def test_429_waits_retry_after_then_succeeds(
    server: tuple[TestServer, list[dict[str, str]]],
) -> None:
    test_server, calls = server
    stats = RelayStats()
    async with aiohttp.ClientSession() as session:
        client = HistoricalTrades(session, str(test_server.make_url("/")), stats)
        rows = await client.fetch("BTCUSDT", 100, 5000)
    assert [row["id"] for row in rows][:2] == [100, 101] and len(
        rows
    ) == 1000  # limit capped at 1000
    assert stats.rest_throttled == 1 and stats.rest_requests == 2
    assert calls[-1] == {"symbol": "BTCUSDT", "fromId": "100", "limit": "1000"}


@pytest.mark.integration
@pytest.mark.parametrize("status", [400, 401, 403, 404, 451])
async def test_a_refusal_is_permanent_and_counted(
    status: int, server: tuple[TestServer, list[dict[str, str]]]
) -> None:
    test_server, calls = server
    calls.append({})  # skip the first-call 429
    stats = RelayStats()
    async with aiohttp.ClientSession() as session:
        client = HistoricalTrades(session, str(test_server.make_url("/")), stats)
        with pytest.raises(RestRejected, match=str(status)):
            await client.fetch(f"REFUSED{status}", 1, 10)
    assert len(calls) == 2 and stats.rest_rejected == 1


@pytest.mark.integration
@pytest.mark.parametrize(
    ("symbol", "from_id", "limit", "calls_made"),
    [
        ("FLAKY", 7, 2, 4),  # 503, then 408, then the rows
        ("TRUNCATED", 5, 1, 3),  # a cut-off body, then the rows
    ],
)
async def test_a_server_error_a_request_timeout_or_a_truncated_answer_is_retried(
    server: tuple[TestServer, list[dict[str, str]]],
    symbol: str,
    from_id: int,
    limit: int,
    calls_made: int,
) -> None:
    test_server, calls = server
    calls.append({})  # skip the first-call 429
    async with aiohttp.ClientSession() as session:
        client = HistoricalTrades(session, str(test_server.make_url("/")), RelayStats())
        rows = await client.fetch(symbol, from_id, limit)
    assert [row["id"] for row in rows] == list(range(from_id, from_id + limit))
    assert len(calls) == calls_made


@pytest.mark.unit
def test_weight_budget_waits_for_the_oldest_spend_to_age_out() -> None:
    budget = WeightBudget(per_minute=50)
    assert budget.wait_time(25, now=0.0) == 0
    budget.spend(25, now=0.0)
    budget.spend(25, now=10.0)
    assert budget.wait_time(25, now=20.0) == pytest.approx(40.0)
    assert budget.wait_time(25, now=60.0) == 0
