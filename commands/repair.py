"""``coinpulse repair``: refill missing trade ids from Binance REST and rewrite their minutes.

For every range ``coinpulse verify`` finds in the scope, the trades of the minutes
it touches are fetched by id over historicalTrades (relay.rest: within the request
weight budget, waiting out 429/418 Retry-After; commands.repair_fetch makes every
minute whole), and those minutes are recomputed from all of their trades by the
backfill pipeline into the lake, then loaded (commands.repair_write). The new rows
are complete, so they win under the one rule (coinpulse.windows). When the
warehouse has marts, ``dbt build`` rebuilds the UTC days of the repaired minutes
(``coinpulse transform --since/--until``: older than the lookback, they would stay
as they were). Finally verify runs again over the same scope and its result is
recorded as ``coinpulse verify`` records it.

Idempotent: a second run after a successful one finds nothing to fetch, writes no
object and loads nothing; a run killed at any point is finished by the next one
(same trades, same object names, the loader's ledger). Ranges the exchange cannot
serve (refused, too old, unanswered, invalid rows) are reported with the reason,
never retried forever; ``coinpulse backfill`` from Binance's archive rebuilds days.

Exit status: 0 the scope is complete afterwards, 1 something could not be repaired,
2 usage (bad flags, no warehouse, no lake).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from google.api_core.exceptions import GoogleAPIError
from google.auth.exceptions import GoogleAuthError

from coinpulse import completeness, logs, symbols
from coinpulse.trade import Trade
from commands import (
    lakes,
    repair_fetch,
    repair_plan,
    repair_write,
    transform,
    verify,
    warehouse_db,
)
from commands.stack import config as stack_config
from relay.main import BINANCE_REST
from relay.rest import HistoricalTrades
from relay.stats import RelayStats

log = logging.getLogger(__name__)

REST_URL_ENV = "BINANCE_REST_URL"  # the relay's variable (relay.main)
API_KEY_ENV = "BINANCE_API_KEY"  # the relay's variable, sent as X-MBX-APIKEY when set
STORAGE_ENV = "STORAGE_EMULATOR_HOST"  # the google-cloud-storage client's emulator variable
STACK_STORAGE = f"http://127.0.0.1:{stack_config.DEFAULT_PORTS['gcs']}"
STACK_LAKE = f"gs://{stack_config.DEFAULT_BUCKET}"
PROBE_TIMEOUT_SECONDS = 2.0  # a local emulator answers in milliseconds
EPILOG = """\
Without --lake, the lake is the running local stack's bucket (gs://coinpulse-lake on
the GCS emulator at $STORAGE_EMULATOR_HOST, else http://127.0.0.1:9023); when no stack
answers, --lake is required: a local folder or gs://bucket[/prefix], as for coinpulse load.

examples:
  coinpulse repair
  coinpulse repair --lake backfill-out --warehouse /tmp/rebuilt.duckdb --symbols BTCUSDT
  coinpulse repair --since 2026-05-18T12:00Z --until 2026-05-18T13:00Z --lake gs://my-lake
"""


@dataclass
class Outcome:
    """What happened to one span."""

    span: repair_plan.Span
    fetched: int = 0
    trades: tuple[Trade, ...] = ()  # of the minutes to rewrite
    minutes: int = 0
    reason: str | None = None  # why it could not be repaired


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1] + "\n" + EPILOG
    verify.add_scope_arguments(parser)
    parser.add_argument(
        "--rest-url",
        default=os.environ.get(REST_URL_ENV, BINANCE_REST),
        metavar="URL",
        help=f"REST base URL; /api/v3/... is appended [env {REST_URL_ENV}] (default: %(default)s)",
    )
    parser.add_argument(
        "--lake",
        metavar="DIR_OR_GS_PREFIX",
        help="the lake to write the rewritten minutes to (default: the local stack's)",
    )
    parser.set_defaults(handler=handle)


def stack_lake() -> str | None:
    """The running local stack's lake, pointing the storage client at its emulator; or None."""
    host = os.environ.get(STORAGE_ENV, STACK_STORAGE)
    url = f"{host}/storage/v1/b/{stack_config.DEFAULT_BUCKET}"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_SECONDS):
            pass
    except (urllib.error.URLError, OSError):
        return None
    os.environ[STORAGE_ENV] = host
    return STACK_LAKE


async def fetch_all(
    planned: list[repair_plan.Span], rest_url: str, stats: RelayStats
) -> list[Outcome]:
    """Fetch every span's whole minutes in turn, sharing one weight budget."""
    outcomes = []
    async with aiohttp.ClientSession() as session:
        rest = HistoricalTrades(session, rest_url, stats, api_key=os.environ.get(API_KEY_ENV))
        for span in planned:
            outcome = Outcome(span)
            try:
                fetched = await repair_fetch.whole_minutes(
                    rest,
                    span.symbol,
                    span.low_id,
                    span.high_id,
                    first_ms=span.first_ms,
                    end_ms=span.end_ms,
                )
            except repair_fetch.Unrepairable as error:
                outcome.reason = str(error)
            else:
                outcome.fetched = fetched.rows
                minutes = fetched.in_minutes(span.first_ms, span.end_ms)
                chosen, outcome.reason = repair_plan.minutes_to_write(span, minutes)
                outcome.minutes = len(chosen)
                outcome.trades = tuple(t for trades in chosen.values() for t in trades)
            if outcome.reason:
                log.error(
                    "range not repaired",
                    extra=logs.fields(
                        pair=span.symbol, low=span.low_id, high=span.high_id, reason=outcome.reason
                    ),
                )
            outcomes.append(outcome)
    return outcomes


def line(outcome: Outcome) -> str:
    span = outcome.span
    first = repair_plan.minute_text(span.first_ms)
    last = repair_plan.minute_text(span.end_ms - repair_plan.MINUTE_MS)
    state = (
        f"could not repair: {outcome.reason}"
        if outcome.reason
        else "repaired"
        if outcome.minutes
        else "repaired (every minute already whole)"
    )
    return (
        f"{span.symbol:<10} ids {span.low_id}..{span.high_id} ({span.kinds}) "
        f"minutes {first} .. {last}: {outcome.fetched} trades fetched, "
        f"{outcome.minutes} minutes rewritten, {state}"
    )


def rebuild_marts(path: Path, days: set[str]) -> bool:
    """``dbt build`` over the repaired UTC days when the warehouse has marts; whether
    the marts are up to date (a warehouse without them has none to rebuild)."""
    with warehouse_db.read(path) as connection:
        [(marts,)] = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ?",
            [warehouse_db.MART],
        ).fetchall()
    if not marts:
        return True
    first, last = min(days), max(days)
    env = {**os.environ, "COINPULSE_WAREHOUSE": str(path)}
    code = transform.run("local", ["build"], since=first, until=last, base_env=env)
    print(
        f"marts: rebuilt the UTC days {first} .. {last}"
        if code == 0
        else f"marts: dbt build over {first} .. {last} failed (exit {code}); see the log above"
    )
    return code == 0


def run(args: argparse.Namespace, scope: completeness.Scope, path: Path, lake_uri: str) -> int:
    """Verify, fetch, rewrite, load, verify again. Raises WarehouseBusy."""
    source = lakes.open_lake(lake_uri)
    planned = repair_plan.spans(path, verify.check(path, scope))
    stats = RelayStats()
    outcomes = asyncio.run(fetch_all(planned, args.rest_url, stats)) if planned else []
    for outcome in outcomes:
        print(line(outcome), flush=True)
    trades = [trade for outcome in outcomes for trade in outcome.trades]
    failed = 0  # objects that did not load, and a mart rebuild that failed
    if trades:
        try:
            days = repair_write.recompute(trades, lake_uri)
        except Exception as error:  # the pipeline's errors are many kinds: report, exit 1
            log.exception("rewriting minutes failed", extra=logs.fields(lake=lake_uri))
            print(f"coinpulse repair: rewriting the minutes into {lake_uri} failed: {error}")
            return 1
        tally = repair_write.load_days(source, days, path)
        failed = len(tally.quarantined) + len(tally.failed)
        print(f"lake: {tally.line()}")
        if not rebuild_marts(path, days):
            failed += 1
    unrepaired = sum(1 for outcome in outcomes if outcome.reason)
    print(
        f"ranges repaired: {len(outcomes) - unrepaired}, "
        f"minutes rewritten: {sum(o.minutes for o in outcomes)}, "
        f"trades fetched: {sum(o.fetched for o in outcomes)}, unrepairable: {unrepaired}"
    )
    found = verify.check(path, scope)
    verify.record(path, scope, found, datetime.now(UTC))
    print("\n".join(verify.lines(found)))
    complete = all(result.complete for result in found)
    return 0 if complete and not failed else 1


def handle(args: argparse.Namespace) -> int:
    try:
        scope = verify.scope_from(args)
        path = verify.local_path(args)
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: run the stack or coinpulse load")
        lake_uri = args.lake or stack_lake()
        if lake_uri is None:
            raise ValueError("no local stack answers: give --lake DIR_OR_GS_PREFIX")
        return run(args, scope, path, lake_uri)
    except (ValueError, FileNotFoundError, symbols.UnknownSymbol) as error:
        print(f"coinpulse repair: {error}", file=sys.stderr)
        return 2
    except (warehouse_db.WarehouseBusy, GoogleAPIError, GoogleAuthError, OSError) as error:
        print(f"coinpulse repair: {error}", file=sys.stderr)
        return 1
