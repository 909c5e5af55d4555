"""The local dashboard over a year of minute windows: its queries' p95 and its first render.

A warehouse of YEAR_MINUTES minute windows for the five default pairs is written with
DuckDB SQL (commands.bench.marts: about 2.6 million rows of mart_crypto_prices and 3.4
million of mart_ohlc). Each panel's query then runs QUERY_RUNS times through the
dashboard's own DuckDB reader, so a figure includes what the server pays per query:
opening the file read-only, running, fetching, closing. The incremental reads (the
candles and prices after the newest held one) are timed as a refresh asks them.

Time to first render is the browser's: ``coinpulse dashboard`` serves the warehouse,
headless Chromium opens the page, and the page's own ``performance.now()`` at the
moment its first candles are drawn (``window.coinpulse.firstRender``, from navigation
start) is read, RENDER_RUNS times in fresh tabs. Target: p95 <= 100 ms per query.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from coinpulse import symbols
from commands import browser, dashboard, dashboard_readers, localproc, warehouse_db
from commands.bench import marts
from dashboards.local import queries
from dashboards.local.queries import DUCKDB, Query

YEAR_MINUTES = 365 * 1440
QUICK_MINUTES = 30 * 1440
QUERY_RUNS, QUICK_RUNS = 100, 20
RENDER_RUNS = 5
TARGET_P95_MS = 100.0  # the target per query
START = datetime(2025, 12, 1, tzinfo=UTC)
PAIR = "BTCUSDT"


def build(path: Path, minutes: int) -> float:
    """The warehouse; seconds it took."""
    started = time.perf_counter()
    with warehouse_db.transaction(path) as connection:
        marts.generate(connection, symbols.DEFAULT_PAIRS, START, minutes)
        marts.create_raw(connection)
    return time.perf_counter() - started


def panel_queries(minutes: int) -> dict[str, Query]:
    last_minute = START + timedelta(minutes=minutes - 1)
    last_hour = START + timedelta(minutes=minutes - 60)
    return {
        "latest prices": queries.latest(DUCKDB),
        "candles 1m, first read": queries.candles(DUCKDB, PAIR, "1m", None),
        "candles 1m, refresh": queries.candles(DUCKDB, PAIR, "1m", last_minute),
        "candles 1h, first read": queries.candles(DUCKDB, PAIR, "1h", None),
        "candles 1d, first read": queries.candles(DUCKDB, PAIR, "1d", None),
        "average prices, first read": queries.average_prices(DUCKDB, None),
        "average prices, refresh": queries.average_prices(DUCKDB, last_hour),
        "volatility": queries.volatility(DUCKDB),
        "day's hourly candles": queries.day_candles(DUCKDB, PAIR),
        "freshness": queries.freshness(DUCKDB),
        "verify's results": queries.completeness(DUCKDB),
        "pipeline health": queries.pipeline_health(DUCKDB),
        "dead letters": queries.dead_letters(DUCKDB),
    }


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_query(read: Callable[[Query], object], query: Query, runs: int) -> list[float]:
    read(query)  # the first run warms the file cache; a dashboard's refreshes find it warm
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        read(query)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def first_renders(url: str, runs: int) -> list[float]:
    """The page's own time to its first drawn candles, in ms from navigation start."""
    renders = []
    for _ in range(runs):
        async with browser.open_page() as page:
            await page.goto(url)
            renders.append(
                float(await page.wait_for("window.coinpulse && window.coinpulse.firstRender", 120))
            )
    return renders


def run(quick: bool) -> list[str]:
    minutes, runs = (QUICK_MINUTES, QUICK_RUNS) if quick else (YEAR_MINUTES, QUERY_RUNS)
    lines = []
    with tempfile.TemporaryDirectory(prefix="coinpulse-bench-dashboard-") as folder:
        path = Path(folder) / "warehouse.duckdb"
        seconds = build(path, minutes)
        with warehouse_db.read(path) as connection:
            counts = connection.execute(
                "SELECT (SELECT count(*) FROM crypto_mart.mart_crypto_prices), "
                "(SELECT count(*) FROM crypto_mart.mart_ohlc)"
            ).fetchone()
        assert counts is not None
        lines.append(
            f"warehouse: {minutes // 1440} days of minutes x {len(symbols.DEFAULT_PAIRS)} pairs = "
            f"{counts[0]:,} mart_crypto_prices rows, {counts[1]:,} mart_ohlc rows "
            f"(all timeframes), written in {seconds:.0f} s"
        )
        read = dashboard_readers.duckdb_reader(path)
        worst = 0.0
        for name, query in panel_queries(minutes).items():
            samples = time_query(read, query, runs)
            p95 = percentile(samples, 0.95)
            worst = max(worst, p95)
            lines.append(
                f"query {name}: p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms "
                f"over {runs} runs (target p95 <= {TARGET_P95_MS:.0f} ms)"
            )
        verdict = "met" if worst <= TARGET_P95_MS else "NOT met"
        lines.append(f"worst query p95 {worst:.1f} ms: target {verdict}")
        port = localproc.free_port()
        with dashboard.serving(path, port, Path(folder) / "dashboard.log"):
            renders = asyncio.run(first_renders(f"http://127.0.0.1:{port}/", RENDER_RUNS))
        lines.append(
            f"time to first render (the page's performance.now() at its first candles, "
            f"{RENDER_RUNS} fresh tabs): median {statistics.median(renders):.0f} ms, "
            f"worst {max(renders):.0f} ms"
        )
    return lines
