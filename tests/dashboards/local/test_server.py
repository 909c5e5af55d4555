"""The dashboard's HTTP answers over a real DuckDB warehouse file, busy or not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from fixtures_marts import MINUTES, START, add_minute
from warehouse_lock import hold_write_lock

from commands import dashboard_readers
from dashboards.local import queries
from dashboards.local.answers import Answers
from dashboards.local.server import Dashboard

pytestmark = pytest.mark.integration

Client = TestClient[web.Request, web.Application]
LOCK_WAIT = 0.3  # s: the reader gives up quickly, so a held lock shows at once


async def client_for(path: Path) -> Client:
    reader = dashboard_readers.duckdb_reader(path, wait=LOCK_WAIT)
    dashboard = Dashboard(Answers(reader), queries.DUCKDB, "CoinPulse test")
    client: Client = TestClient(TestServer(dashboard.app()))
    await client.start_server()
    return client


@pytest.fixture
async def client(marts_warehouse: Path) -> AsyncIterator[Client]:
    client = await client_for(marts_warehouse)
    yield client
    await client.close()


async def test_the_page_and_its_library_are_served(client: Client) -> None:
    page = await client.get("/")
    assert page.status == 200 and "lightweight-charts" in await page.text()
    library = await client.get("/static/vendor/lightweight-charts.standalone.production.js")
    assert library.status == 200 and "TradingView" in (await library.text())[:300]


async def test_an_unchanged_answer_is_a_304_and_a_new_window_changes_it(
    client: Client,
    marts_warehouse: Path,
) -> None:
    newest = int((START + timedelta(minutes=MINUTES - 1)).timestamp())
    url = f"/api/candles?symbol=BTCUSDT&timeframe=1m&since={newest}"
    first = await client.get(url)
    assert [c["time"] for c in (await first.json())["rows"]] == [newest]
    etag = first.headers["ETag"]
    again = await client.get(url, headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    await asyncio.sleep(3 * dashboard_readers.IDLE_SECONDS)  # the reader closes its file
    add_minute(marts_warehouse, "BTCUSDT", START + timedelta(minutes=MINUTES), 70_000.0)
    changed = await client.get(url, headers={"If-None-Match": etag})
    assert changed.status == 200
    assert [c["close"] for c in (await changed.json())["rows"]][-1] == 70_000.0


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("/api/candles?symbol=BTCUSDT&timeframe=2h", "timeframe"),
        ("/api/candles?symbol=btc;drop&timeframe=1m", "symbol"),
        ("/api/candles?symbol=BTCUSDT&timeframe=1m&since=noon", "since"),
        ("/api/day-candles", "symbol"),
    ],
)
async def test_bad_parameters_are_a_400_that_says_which(
    client: Client,
    url: str,
    complaint: str,
) -> None:
    response = await client.get(url)
    assert response.status == 400
    assert complaint in (await response.json())["error"]


async def test_a_busy_warehouse_answers_with_the_last_good_rows(
    client: Client,
    marts_warehouse: Path,
) -> None:
    fresh = await (await client.get("/api/latest")).json()
    writer = hold_write_lock(marts_warehouse, 3)
    try:
        busy = await client.get("/api/latest")
        assert busy.status == 200
        assert await busy.json() == {**fresh, "stale": True}
        never_asked = await client.get("/api/day-candles?symbol=ETHUSDT")
        assert never_asked.status == 503
        assert "busy" in (await never_asked.json())["error"]
    finally:
        writer.wait(10)
    assert (await (await client.get("/api/latest")).json())["stale"] is False


async def test_marts_not_built_yet_say_so_and_the_page_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    hold_write_lock(path, 0).wait(10)  # a warehouse file with no marts in it
    client = await client_for(path)
    try:
        assert (await client.get("/")).status == 200
        response = await client.get("/api/candles?symbol=BTCUSDT&timeframe=1m")
        assert response.status == 503
        assert "crypto_mart.mart_ohlc" in (await response.json())["error"]
        health = await (await client.get("/api/health")).json()
        assert "crypto_raw.completeness_checks" in health["completeness"]["error"]
    finally:
        await client.close()


async def test_no_warehouse_file_yet_is_a_503(tmp_path: Path) -> None:
    client = await client_for(tmp_path / "missing.duckdb")
    try:
        response = await client.get("/api/latest")
        assert response.status == 503
        assert "no warehouse" in (await response.json())["error"]
    finally:
        await client.close()
