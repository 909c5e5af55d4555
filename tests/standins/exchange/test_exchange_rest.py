"""The REST endpoints over real sockets: pagination, weights, limits, errors, the 429 fault."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy

from coinpulse import binance_frames
from standins.exchange import ExchangeConfig, FaultConfig, ReplayExchange
from standins.exchange.rest import USED_WEIGHT_HEADER, WeightLimiter, split_pair

FIRST_ID = 5_000
TRADES = 1_500


@pytest.fixture
async def ex() -> AsyncIterator[ReplayExchange]:
    config = ExchangeConfig(
        open_on_subscribe=False,
        pairs=("BTCUSDT", "ADAUSDT"),
        seed=4,
        rate=5_000,
        max_trades=TRADES,
        first_trade_id=FIRST_ID,
    )
    async with ReplayExchange(config) as exchange:
        async with asyncio.timeout(20):
            while not exchange.exhausted:
                await asyncio.sleep(0.05)
        yield exchange


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def get(
    session: aiohttp.ClientSession, url: str, **params: str
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    async with session.get(url, params=params) as response:
        return response.status, await response.json(), response.headers


def wait_out_minute_end() -> None:
    """Weight windows are wall-clock minutes; keep a test inside one."""
    if time.time() % 60 > 57:
        time.sleep(60 - time.time() % 60 + 0.1)


@pytest.mark.integration
async def test_historical_trades_page_by_from_id_and_limit(
    ex: ReplayExchange, session: aiohttp.ClientSession
) -> None:
    url = f"{ex.rest_url}/api/v3/historicalTrades"
    collected: list[int] = []
    from_id = FIRST_ID
    while True:
        status, rows, _ = await get(
            session, url, symbol="BTCUSDT", fromId=str(from_id), limit="400"
        )
        assert status == 200
        if not rows:
            break
        assert len(rows) <= 400
        collected += [row["id"] for row in rows]
        from_id = rows[-1]["id"] + 1
    assert collected == list(range(FIRST_ID, FIRST_ID + TRADES))


@pytest.mark.integration
async def test_rows_are_the_ground_truth(
    ex: ReplayExchange, session: aiohttp.ClientSession
) -> None:
    _, rows, _ = await get(
        session,
        f"{ex.rest_url}/api/v3/historicalTrades",
        symbol="ADAUSDT",
        fromId="5100",
        limit="50",
    )
    trades = [binance_frames.parse_rest_trade("ADAUSDT", row, 0).to_record() for row in rows]
    truth = ex.truth("ADAUSDT", from_id=5100, limit=50)
    drop = ("event_time", "received_at", "source")
    assert [{k: v for k, v in t.items() if k not in drop} for t in trades] == [
        {k: v for k, v in t.items() if k not in drop} for t in truth
    ]
    assert set(rows[0]) == {"id", "price", "qty", "quoteQty", "time", "isBuyerMaker", "isBestMatch"}


@pytest.mark.integration
async def test_limits_default_500_cap_1000_and_recent_without_from_id(
    ex: ReplayExchange, session: aiohttp.ClientSession
) -> None:
    last = FIRST_ID + TRADES - 1
    for path in ("historicalTrades", "trades"):
        url = f"{ex.rest_url}/api/v3/{path}"
        _, rows, _ = await get(session, url, symbol="BTCUSDT")
        assert [row["id"] for row in rows] == list(range(last - 499, last + 1))
        _, rows, _ = await get(session, url, symbol="BTCUSDT", limit="5000")
        assert len(rows) == 1000 and rows[-1]["id"] == last
    historical = f"{ex.rest_url}/api/v3/historicalTrades"
    _, rows, _ = await get(session, historical, symbol="BTCUSDT", fromId=str(last + 1))
    assert rows == []


@pytest.mark.integration
async def test_bad_requests_get_binance_error_codes(
    ex: ReplayExchange, session: aiohttp.ClientSession
) -> None:
    url = f"{ex.rest_url}/api/v3/historicalTrades"
    cases = [
        ({"symbol": "DOGEUSDT"}, -1121, "Invalid symbol."),
        ({}, -1102, None),
        ({"symbol": "BTCUSDT", "fromId": "-3"}, -1100, None),
        ({"symbol": "BTCUSDT", "limit": "0"}, -1130, None),
    ]
    for params, code, msg in cases:
        status, body, headers = await get(session, url, **params)
        assert status == 400 and body["code"] == code
        assert msg is None or body["msg"] == msg
        assert USED_WEIGHT_HEADER in headers
    status, body, _ = await get(session, f"{ex.rest_url}/_replay/truth", symbol="NOPE")
    assert (status, body["code"]) == (400, -1121)


@pytest.mark.integration
async def test_every_answer_carries_the_used_weight(
    ex: ReplayExchange, session: aiohttp.ClientSession
) -> None:
    wait_out_minute_end()
    base = f"{ex.rest_url}/api/v3"
    weights = []
    for path, params in [
        ("ping", {}),
        ("time", {}),
        ("exchangeInfo", {}),
        ("trades", {"symbol": "BTCUSDT"}),
    ]:
        _, _, headers = await get(session, f"{base}/{path}", **params)
        weights.append(int(headers[USED_WEIGHT_HEADER]))
    assert weights == [1, 2, 22, 47]


@pytest.mark.integration
async def test_exchange_info_states_the_rate_limits_and_filters(
    ex: ReplayExchange, session: aiohttp.ClientSession
) -> None:
    _, info, _ = await get(session, f"{ex.rest_url}/api/v3/exchangeInfo")
    weight = next(
        limit for limit in info["rateLimits"] if limit["rateLimitType"] == "REQUEST_WEIGHT"
    )
    assert (weight["interval"], weight["intervalNum"], weight["limit"]) == ("MINUTE", 1, 6000)
    btc = next(symbol for symbol in info["symbols"] if symbol["symbol"] == "BTCUSDT")
    assert (btc["baseAsset"], btc["quoteAsset"]) == ("BTC", "USDT")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00001000"


@pytest.mark.integration
async def test_past_the_weight_limit_429_with_retry_after() -> None:
    wait_out_minute_end()
    config = ExchangeConfig(open_on_subscribe=False, pairs=("BTCUSDT",), weight_limit=60)
    async with ReplayExchange(config) as ex, aiohttp.ClientSession() as session:
        url = f"{ex.rest_url}/api/v3/trades"
        answers = [await get(session, url, symbol="BTCUSDT") for _ in range(3)]
        _status, body, headers = answers[2]
        assert [answer[0] for answer in answers] == [200, 200, 429]
        assert body["code"] == -1003
        assert 1 <= int(headers["Retry-After"]) <= 60
        assert headers[USED_WEIGHT_HEADER] == "50"
        ping_status, _, ping_headers = await get(session, f"{ex.rest_url}/api/v3/ping")
        assert (ping_status, ping_headers[USED_WEIGHT_HEADER]) == (200, "51")


@pytest.mark.integration
async def test_rest429_fault_answers_a_share_with_retry_after_1() -> None:
    config = ExchangeConfig(
        open_on_subscribe=False, pairs=("BTCUSDT",), faults=FaultConfig(rest429_probability=0.3)
    )
    async with ReplayExchange(config) as ex, aiohttp.ClientSession() as session:
        answers = [await get(session, f"{ex.rest_url}/api/v3/ping") for _ in range(100)]
    refused = [answer for answer in answers if answer[0] == 429]
    assert 10 < len(refused) < 55
    assert all(
        headers["Retry-After"] == "1" and body["code"] == -1003 for _, body, headers in refused
    )
    assert all(answer[0] == 200 for answer in answers if answer not in refused)


@pytest.mark.integration
async def test_status_reports_counts(ex: ReplayExchange, session: aiohttp.ClientSession) -> None:
    _, status, _ = await get(session, f"{ex.rest_url}/_replay/status")
    assert status["exhausted"] is True
    assert status["pairs"]["BTCUSDT"] == {
        "first_id": FIRST_ID,
        "last_id": FIRST_ID + TRADES - 1,
        "count": TRADES,
    }


@pytest.mark.unit
def test_weight_limiter_resets_each_minute() -> None:
    limiter = WeightLimiter(50)
    assert limiter.charge("a", 25, 120.0) and limiter.charge("a", 25, 130.0)
    assert not limiter.charge("a", 1, 179.9)
    assert limiter.charge("b", 25, 179.9)  # per IP
    assert limiter.charge("a", 50, 180.0) and limiter.used("a", 180.5) == 50


@pytest.mark.unit
def test_split_pair() -> None:
    assert split_pair("OMGBUSD") == ("OMG", "BUSD")
    assert split_pair("FOOBARUSDC") == ("FOOBAR", "USDC")
    assert split_pair("WEIRD") == ("WEIRD", "")
