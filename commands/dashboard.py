"""``coinpulse dashboard``: live candles and the market panels over the warehouse's marts.

Serves the page of dashboards/local on 127.0.0.1 (docs/dashboards.md): candles of
crypto_mart.mart_ohlc by pair and timeframe with their volumes, the six market
panels, and the pipeline's health (freshness, coinpulse verify's results, dead
letters). The page refreshes itself every few seconds and reads only what is new.

The local DuckDB warehouse is read with short read-only connections, so loads and
dbt builds keep writing; while one holds the file the dashboard shows its last good
answer. ``--warehouse bigquery://PROJECT`` reads the production marts
(PROJECT.crypto_mart, PROJECT.crypto_raw) with the caller's Google credentials
(Application Default Credentials; BIGQUERY_API_ENDPOINT points at an emulator).
No credentials live in the dashboard.

Exit status: 0 after Ctrl-C or SIGTERM, 2 usage (bad flags, the port taken).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aiohttp import web

from coinpulse import bigquery_client, symbols
from commands import dashboard_readers, localproc, warehouse_db
from dashboards.local import queries
from dashboards.local.answers import Answers
from dashboards.local.server import Dashboard

DEFAULT_PORT = 8090  # beside the local stack's 8085-8089
HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 60.0  # imports on two busy cores, then the first answer
SCHEME = "bigquery://"
EXAMPLES = """\
examples:
  coinpulse dashboard                       # the local warehouse, http://127.0.0.1:8090
  coinpulse dashboard --warehouse /tmp/w.duckdb --port 8100
  coinpulse dashboard --warehouse bigquery://my-project
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1] + "\n" + EXAMPLES
    parser.add_argument(
        "--warehouse",
        metavar="PATH",
        help=f"the DuckDB warehouse (default: {warehouse_db.default_path()}), "
        "or bigquery://PROJECT for the production marts",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port on 127.0.0.1 (default: %(default)s)"
    )
    parser.set_defaults(handler=handle)


def bigquery_project(uri: str) -> str:
    """``bigquery://PROJECT`` -> PROJECT. Raises ValueError."""
    project = uri.removeprefix(SCHEME).strip("/")
    if not uri.startswith(SCHEME) or not project or "/" in project:
        raise ValueError(f"{uri!r}: give bigquery://PROJECT (its crypto_mart and crypto_raw)")
    return project


def dashboard_for(warehouse: str | None) -> Dashboard:
    """The dashboard over a DuckDB file or ``bigquery://PROJECT``. Raises ValueError
    (symbols.UnknownSymbol for an unknown pair in COINPULSE_PAIRS)."""
    pairs = symbols.parse_pairs(symbols.pairs_setting())
    if warehouse and warehouse.startswith(SCHEME):
        project = bigquery_project(warehouse)
        reader = dashboard_readers.bigquery_reader(bigquery_client.from_env(project))
        title = f"CoinPulse · {project}"
        return Dashboard(Answers(reader), queries.bigquery(project), title, pairs)
    path = Path(warehouse) if warehouse else warehouse_db.default_path()
    reader = dashboard_readers.duckdb_reader(path.resolve())
    return Dashboard(Answers(reader), queries.DUCKDB, "CoinPulse", pairs)


async def serve(dashboard: Dashboard, port: int) -> None:
    """Serve until SIGINT or SIGTERM."""
    runner = web.AppRunner(dashboard.app(), access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await web.TCPSite(runner, HOST, port).start()
        print(f"CoinPulse dashboard: http://{HOST}:{port}/ (Ctrl-C stops it)", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def handle(args: argparse.Namespace) -> int:
    try:
        dashboard = dashboard_for(args.warehouse)
        localproc.ensure_port_free(args.port, HOST)
    except (ValueError, localproc.PortInUse) as error:
        print(f"coinpulse dashboard: {error}", file=sys.stderr)
        return 2
    asyncio.run(serve(dashboard, args.port))
    return 0


def command(warehouse: Path | str, port: int) -> list[str]:
    """``coinpulse dashboard`` over ``warehouse`` on ``port``, with this interpreter."""
    return [
        sys.executable,
        "-m",
        "commands.main",
        "dashboard",
        "--warehouse",
        str(warehouse),
        "--port",
        str(port),
    ]


@contextmanager
def serving(warehouse: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``coinpulse dashboard`` as a child process, answering, until exit.

    Raises RuntimeError when it exits while starting, TimeoutError when it does not answer.
    """
    process = localproc.spawn(command(warehouse, port), log)
    try:
        localproc.wait_until(f"http://{HOST}:{port}/api/config", process, START_TIMEOUT_SECONDS)
        yield process
    finally:
        localproc.stop(process)
