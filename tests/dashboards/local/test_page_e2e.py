"""The dashboard as a person uses it: Debian's Chromium over ``coinpulse dashboard``.

The warehouse is built by the test (fixtures_marts.py); the dashboard runs as its own
process, as ``make demo`` starts it; the page is driven over the DevTools protocol
(commands.browser). What a person sees is read from the page: the tiles' text, the
chart's candles and background, the requests it makes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb
import pytest
from fixtures_marts import MINUTES, MISSING_BTC_TRADES, PAIRS, START, add_minute

from commands import browser, dashboard, localproc

pytestmark = pytest.mark.e2e

RENDER_TIMEOUT = 30.0  # s: Chromium, the page and its first queries on two busy cores
REFRESH_TIMEOUT = 30.0  # s: a few of the page's 5 s refreshes
DARK, LIGHT = "rgb(26, 26, 26)", "rgb(255, 255, 255)"  # #1a1a1a and #ffffff


@pytest.fixture
def url(marts_warehouse: Path, tmp_path: Path) -> Iterator[str]:
    port = localproc.free_port()
    with dashboard.serving(marts_warehouse, port, tmp_path / "dashboard.log"):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture
async def page(url: str, tmp_path: Path) -> AsyncIterator[browser.Page]:
    async with browser.open_page(log=tmp_path / "chromium.log") as page:
        await page.goto(url)
        await page.wait_for("window.coinpulse && window.coinpulse.firstRender", RENDER_TIMEOUT)
        yield page


def stored(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def shown_price(price: float) -> str:
    """USDT prices as the page writes them: two decimals from 100, six below 1."""
    return f"{price:,.2f} USDT" if price >= 100 else f"{price:,.6f} USDT"


async def tile_text(page: browser.Page, pair: str) -> str:
    text: str = await page.evaluate(
        f"document.querySelector('#latest .tile[data-symbol=\"{pair}\"]')?.innerText ?? ''"
    )
    return text


async def test_the_page_shows_every_pair_s_latest_price(
    page: browser.Page, marts_warehouse: Path
) -> None:
    for pair in PAIRS:
        ((close,),) = stored(
            marts_warehouse,
            "SELECT close_price FROM crypto_mart.mart_crypto_prices WHERE symbol = ? "
            "ORDER BY window_start DESC LIMIT 1",
            pair,
        )
        assert shown_price(float(close)) in await tile_text(page, pair)


async def test_switching_timeframe_changes_the_candles(
    page: browser.Page, marts_warehouse: Path
) -> None:
    pair = await page.evaluate("window.coinpulse.state.symbol")
    minutes = await page.evaluate("window.coinpulse.candles()")
    assert len(minutes) == MINUTES
    await page.evaluate("document.querySelector('#timeframes [data-timeframe=\"1h\"]').click()")
    await page.wait_for("window.coinpulse.candles().length === 3", RENDER_TIMEOUT)
    hours = await page.evaluate("window.coinpulse.candles()")
    expected = stored(
        marts_warehouse,
        "SELECT CAST(epoch(bucket_start) AS BIGINT), open_price, close_price "
        "FROM crypto_mart.mart_ohlc WHERE symbol = ? AND timeframe = '1h' ORDER BY bucket_start",
        pair,
    )
    assert [(c["time"], c["open"], c["close"]) for c in hours] == [
        (t, float(o), float(c)) for t, o, c in expected
    ]
    assert "1h" in await page.evaluate("document.getElementById('legend').innerText")


async def test_switching_theme_changes_the_background(page: browser.Page, tmp_path: Path) -> None:
    body = "getComputedStyle(document.body).backgroundColor"
    assert await page.evaluate(body) == DARK
    assert await page.evaluate("window.coinpulse.background()") == "#1a1a1a"
    await page.screenshot(tmp_path / "dark.png")
    await page.evaluate("document.getElementById('theme').click()")
    assert await page.evaluate(body) == LIGHT
    assert await page.evaluate("window.coinpulse.background()") == "#ffffff"
    await page.screenshot(tmp_path / "light.png")
    assert (tmp_path / "dark.png").read_bytes() != (tmp_path / "light.png").read_bytes()


async def test_the_colour_pickers_start_at_the_defaults_and_recolour_the_candles(
    page: browser.Page,
) -> None:
    options = await page.evaluate("window.coinpulse.candleOptions()")
    assert (options["upColor"], options["borderUpColor"], options["wickUpColor"]) == (
        "#00ff88",
        "#00cc66",
        "#00cc66",
    )
    assert (options["downColor"], options["borderDownColor"], options["wickDownColor"]) == (
        "#ff4444",
        "#cc3333",
        "#cc3333",
    )
    await page.evaluate(
        "(() => { const input = document.getElementById('bull-body');"
        " input.value = '#3366ff'; input.dispatchEvent(new Event('input')); })()"
    )
    assert (await page.evaluate("window.coinpulse.candleOptions()"))["upColor"] == "#3366ff"


async def test_the_page_updates_by_itself_and_asks_only_for_what_is_new(
    page: browser.Page, marts_warehouse: Path
) -> None:
    pair = await page.evaluate("window.coinpulse.state.symbol")
    newest_held = int((START + timedelta(minutes=MINUTES - 1)).timestamp())
    new_minute = START + timedelta(minutes=MINUTES)
    add_minute(marts_warehouse, pair, new_minute, 99_999.5)
    await page.wait_for(
        f"window.coinpulse.candles().at(-1).time === {int(new_minute.timestamp())}",
        REFRESH_TIMEOUT,
    )
    assert (await page.evaluate("window.coinpulse.candles().at(-1)"))["close"] == 99_999.5
    await page.wait_for(
        f"document.querySelector('#latest .tile[data-symbol=\"{pair}\"]')"
        ".innerText.includes('99,999.50 USDT')",
        REFRESH_TIMEOUT,
    )
    assert len(await page.evaluate("window.coinpulse.candles()")) == MINUTES + 1
    candle_requests = [parse_qs(urlparse(u).query) for u in page.requested("/api/candles")]
    first, *refreshes = candle_requests
    assert "since" not in first
    assert refreshes, "the page never refreshed its candles"
    sinces = [int(request["since"][0]) for request in refreshes]
    assert sinces[0] == newest_held
    assert set(sinces) <= {newest_held, int(new_minute.timestamp())}


async def test_the_health_tab_shows_verify_s_results_and_the_dead_letters(
    page: browser.Page,
) -> None:
    await page.evaluate("document.querySelector('nav [data-tab=\"health\"]').click()")
    await page.wait_for("document.querySelector('#completeness table') !== null", RENDER_TIMEOUT)
    flagged = await page.evaluate(
        "[...document.querySelectorAll('#completeness td.bad')].map((cell) =>"
        " cell.parentElement.firstChild.innerText + ' ' + cell.innerText)"
    )
    assert flagged == [f"BTCUSDT {MISSING_BTC_TRADES}"]
    hours = await page.evaluate(
        "[...document.querySelectorAll('#pipeline tbody tr')].map((row) => row.innerText)"
    )
    assert [row.split("\t")[0] for row in hours] == sorted(PAIRS)
    letters = await page.evaluate("document.getElementById('dead-letters').innerText")
    assert "unparseable_frame" in letters
    shown = "(id) => getComputedStyle(document.getElementById(id)).display"
    assert await page.evaluate(f"({shown})('market')") == "none"
    assert await page.evaluate(f"({shown})('health')") != "none"


async def test_candles_show_before_the_price_mart_is_built(
    marts_warehouse: Path, tmp_path: Path
) -> None:
    with duckdb.connect(str(marts_warehouse)) as connection:
        connection.execute("DROP TABLE crypto_mart.mart_crypto_prices")
    port = localproc.free_port()
    with dashboard.serving(marts_warehouse, port, tmp_path / "dashboard.log"):
        async with browser.open_page(log=tmp_path / "chromium.log") as page:
            await page.goto(f"http://127.0.0.1:{port}/")
            await page.wait_for("window.coinpulse && window.coinpulse.firstRender", RENDER_TIMEOUT)
            assert await page.evaluate("window.coinpulse.state.symbol") == "BTCUSDT"
            assert len(await page.evaluate("window.coinpulse.candles()")) == MINUTES
            # The status line is written once every panel of a refresh has answered or failed.
            await page.wait_for("window.coinpulse.refreshes >= 1", RENDER_TIMEOUT)
            status = await page.evaluate("document.getElementById('status').innerText")
            assert "crypto_mart.mart_crypto_prices: not in the warehouse yet" in status
