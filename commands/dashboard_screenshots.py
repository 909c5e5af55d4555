"""The dashboard's screenshots in docs/: both themes and the health tab, from a fresh warehouse.

    python -m commands.dashboard_screenshots [FOLDER]     # make screenshots: docs/images

Builds a warehouse of three days of the five default pairs (commands.bench.marts,
the same data every time), with verify results and a dead letter, serves
``coinpulse dashboard`` over it and has headless Chromium (commands.browser) take
dashboard-dark.png, dashboard-light.png and dashboard-health.png. Fails with
MissingPrerequisite without Chromium, TimeoutError when the page does not render.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from coinpulse import symbols
from commands import browser, dashboard, localproc, warehouse_db
from commands.bench import marts

DAYS = 3
END = datetime(2026, 12, 1, 12, tzinfo=UTC)  # a fixed end: the same pictures every time
RENDER_TIMEOUT_SECONDS = 60.0
SETTLE_SECONDS = 2.0  # the charts' first paint after the data arrived
WIDTH, HEIGHT = 1400, 1100


def build(path: Path) -> None:
    """Three days of minutes of the default pairs, each pair's verify result, a dead letter."""
    start = END - timedelta(days=DAYS)
    with warehouse_db.transaction(path) as connection:
        marts.generate(connection, symbols.DEFAULT_PAIRS, start, DAYS * 1440)
        marts.create_raw(connection)
        for index, pair in enumerate(symbols.DEFAULT_PAIRS):
            connection.execute(
                "INSERT INTO crypto_raw.completeness_checks "
                "VALUES (?, ?, NULL, NULL, ?, ?, ?, 0, '[]')",
                [END, pair, DAYS * 1440, DAYS * 1440 * (120 + index), 3 if index == 2 else 0],
            )
        connection.execute(
            "INSERT INTO crypto_raw.dead_letters (stage, reason, raw, source, received_at) "
            "VALUES ('relay', 'unparseable_frame', '{', 'websocket', ?)",
            [END - timedelta(hours=5)],
        )


async def shoot(url: str, folder: Path) -> None:
    async with browser.open_page(WIDTH, HEIGHT) as page:
        await page.goto(url)
        await page.wait_for("window.coinpulse && window.coinpulse.firstRender", 60)
        await asyncio.sleep(SETTLE_SECONDS)
        await page.screenshot(folder / "dashboard-dark.png", whole_page=True)
        await page.evaluate("document.getElementById('theme').click()")
        await asyncio.sleep(SETTLE_SECONDS)
        await page.screenshot(folder / "dashboard-light.png", whole_page=True)
        await page.evaluate("document.getElementById('theme').click()")
        await page.evaluate("document.querySelector('nav [data-tab=\"health\"]').click()")
        await page.wait_for("document.querySelector('#completeness table') !== null", 30)
        await page.screenshot(folder / "dashboard-health.png")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m commands.dashboard_screenshots", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("folder", nargs="?", type=Path, default=Path("docs/images"))
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="coinpulse-screenshots-") as scratch:
        path = Path(scratch) / "warehouse.duckdb"
        build(path)
        port = localproc.free_port()
        with dashboard.serving(path, port, Path(scratch) / "dashboard.log"):
            asyncio.run(shoot(f"http://127.0.0.1:{port}/", args.folder))
    print(f"screenshots in {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
