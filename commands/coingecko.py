"""``coinpulse coingecko run``: both daily loads once, exactly as Cloud Scheduler runs them.

Prints what it does and a summary on stdout (structured logs go to stderr) and exits
0 when every coin was loaded, 1 when a coin still failed after retries (what
succeeded is written), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from urllib.parse import urlsplit

from functions.coingecko import client as cg
from functions.coingecko.run import (
    LAKE_ENV,
    LOADS,
    OHLC_DAYS,
    Misconfigured,
    RunResult,
    Settings,
    check_date,
    default_lake,
    parse_date,
    run_once,
)
from standins.coingecko import StandIn

DESCRIPTION = """\
Fetch CoinGecko's market snapshot (/coins/markets) and the last day of 30-minute
candles (/coins/{id}/ohlc?days=1) for the coins of the tracked pairs
($COINPULSE_PAIRS, default the five default pairs), and write them
as typed Parquet to the lake under coingecko/markets/ and coingecko/ohlc/,
one file per snapshot_date."""

EPILOG = f"""\
The API key is read from ${cg.API_KEY_ENV} and sent as {cg.DEMO_KEY_HEADER},
or as {cg.PRO_KEY_HEADER} when --base-url is https://{cg.PRO_HOST}/api/v3.
Without a key CoinGecko is called keyless, at lower limits. Requests are spaced
to stay inside the plan's rate limit: {cg.DEMO_CALLS_PER_MINUTE} calls/min with a key, \
{cg.KEYLESS_CALLS_PER_MINUTE} keyless
(${cg.CALLS_PER_MINUTE_ENV} overrides). 429 and 5xx answers are retried.
Running a date again rewrites that date's files; the loader replaces them, and a
coin that failed keeps its rows of the date's previous run. The markets snapshot
exists only for today (CoinGecko keeps no history of /coins/markets): for another
--date run the candles alone, with --only ohlc.
Exit status: 0 all coins loaded, 1 a coin failed (the rest is written), 2 usage.

examples:
  coinpulse coingecko run --standin
  COINGECKO_API_KEY=... coinpulse coingecko run
  coinpulse coingecko run --base-url http://127.0.0.1:8765/api/v3
  coinpulse coingecko run --date 2026-05-18 --only ohlc
  coinpulse coingecko run --lake gs://my-bucket
"""


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="coingecko_command", metavar="COMMAND", required=True)
    command = commands.add_parser(
        "run",
        help="fetch markets and 30-minute candles for a date and write them to the lake",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--base-url",
        help=f"CoinGecko API root (default: {cg.DEFAULT_BASE_URL}); "
        "e.g. a local stand-in's http://127.0.0.1:PORT/api/v3",
    )
    command.add_argument(
        "--lake",
        metavar="DIR_OR_GS_PREFIX",
        help=f"local directory or gs://bucket[/prefix] to write to "
        f"(default: ${LAKE_ENV}, else $COINPULSE_HOME/lake = {default_lake()})",
    )
    command.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="UTC date the run is for (default: today's UTC date); "
        "another date than today's needs --only ohlc",
    )
    command.add_argument(
        "--only",
        choices=list(LOADS),
        help="run one load only: markets or ohlc (default: both)",
    )
    command.add_argument(
        "--standin",
        action="store_true",
        help="start the local CoinGecko stand-in and run against it (no key, no network)",
    )
    command.set_defaults(handler=handle_run)


def plan(base_url: str, api_key: str | None) -> str:
    if urlsplit(base_url).hostname in cg.LOCAL_HOSTS:
        return "local server"
    if not api_key:
        return "keyless"
    return "pro key" if cg.key_header(base_url) == cg.PRO_KEY_HEADER else "demo key"


def print_result(result: RunResult) -> None:
    for load in result.loads:
        where = load.uri or "nothing written"
        print(f"{load.table}: {load.rows} rows -> {where}")
        for coin_id, reason in load.failures.items():
            print(f"  FAILED {coin_id}: {reason}")
        for coin_id in load.kept:
            print(f"  kept {coin_id}: its rows of the date's previous run")
    failed = sorted({coin for load in result.loads for coin in load.failures})
    if failed:
        print(f"CoinGecko run for {result.snapshot_date} incomplete: {', '.join(failed)} failed")
    else:
        print(f"CoinGecko run for {result.snapshot_date} complete")


def handle_run(args: argparse.Namespace) -> int:
    if args.standin and args.base_url:
        print("coingecko run: give --standin or --base-url, not both", file=sys.stderr)
        return 2
    kinds = (args.only,) if args.only else tuple(LOADS)
    try:
        day = parse_date(args.date)
        check_date(day, kinds)
        settings = Settings.from_env()
    except (ValueError, Misconfigured) as error:
        print(f"coingecko run: {error}", file=sys.stderr)
        return 2
    standin = StandIn().start() if args.standin else None
    try:
        base_url = standin.base_url if standin else args.base_url or settings.base_url
        settings = dataclasses.replace(settings, base_url=base_url, lake=args.lake or settings.lake)
        rate = cg.calls_per_minute(base_url, settings.api_key)
        print(
            f"CoinGecko run for {day}: {base_url} ({plan(base_url, settings.api_key)}, "
            f"<= {rate:g} calls/min), candles days={OHLC_DAYS} -> {settings.lake}",
            flush=True,
        )
        result = run_once(settings, day, kinds)
    finally:
        if standin:
            standin.close()
    print_result(result)
    return 0 if result.ok else 1
