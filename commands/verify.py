"""``coinpulse verify``: prove from trade ids that no trade is missing or counted twice.

Reads the best row of every window of the local warehouse (coinpulse.windows) and,
per pair, reports the windows checked, the trades they hold and every range of trade
ids that no window holds (within a window, or between two consecutive ones) or that
two windows hold (coinpulse.completeness). The result is also written to
``crypto_raw.completeness_checks``, one row per pair and run, for dashboards and
alerts. Reading waits out a writer (a load in progress); nothing else is changed.

Exit status: 0 nothing missing, 1 something missing or counted twice, 2 usage
(bad flags, no warehouse).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from coinpulse import completeness, schemas, symbols
from commands import warehouse_db

RESULTS_TABLE = "completeness_checks"
EXAMPLES = """\
examples:
  coinpulse verify
  coinpulse verify --symbols BTCUSDT,ETHUSDT --since 2026-05-18T12:00Z --until 2026-05-18T13:00Z
  coinpulse verify --json | jq '.pairs[] | select(.missing_trades > 0)'
"""


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    """--warehouse, --symbols, --since and --until: what a check covers (``scope_from``)."""
    parser.add_argument(
        "--warehouse",
        type=Path,
        metavar="PATH",
        help=f"the DuckDB warehouse (default: {warehouse_db.default_path()})",
    )
    parser.add_argument("--symbols", metavar="PAIRS", help="comma-separated pairs (default: all)")
    parser.add_argument(
        "--since", metavar="TIME", help="first window start, ISO 8601 UTC (default: the first)"
    )
    parser.add_argument(
        "--until", metavar="TIME", help="window starts before this, ISO 8601 UTC (default: all)"
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = __doc__.split("\n\n", 1)[1] + "\n" + EXAMPLES
    add_scope_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=handle)


def parse_time(text: str | None, flag: str) -> datetime | None:
    """ISO 8601 (a date, or a time with Z or an offset; naive means UTC). Raises ValueError."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag} {text!r}: use ISO 8601, e.g. 2026-05-18T12:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def scope_from(args: argparse.Namespace) -> completeness.Scope:
    """The check's scope from the flags. Raises ValueError, symbols.UnknownSymbol."""
    pairs = tuple(symbols.parse_pairs(args.symbols)) if args.symbols else None
    since, until = parse_time(args.since, "--since"), parse_time(args.until, "--until")
    if since and until and since >= until:
        raise ValueError("--since must be before --until")
    return completeness.Scope(pairs, since, until)


def check(path: Path, scope: completeness.Scope) -> list[completeness.PairResult]:
    """Run the check on a warehouse. Raises FileNotFoundError, warehouse_db.WarehouseBusy."""
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run the stack or coinpulse load first")
    with warehouse_db.read(path) as connection:
        try:
            totals = connection.execute(completeness.totals_sql(scope)).fetchall()
            ranges = connection.execute(completeness.ranges_sql(scope)).fetchall()
        except duckdb.CatalogException:  # a warehouse without windows yet
            return []
    return completeness.results(totals, ranges)


def record(
    path: Path,
    scope: completeness.Scope,
    found: list[completeness.PairResult],
    checked_at: datetime,
) -> None:
    """Write one row per pair to crypto_raw.completeness_checks (created if missing)."""
    table = f"{warehouse_db.RAW}.{RESULTS_TABLE}"
    rows = [
        (
            checked_at,
            result.symbol,
            scope.since,
            scope.until,
            result.windows,
            result.trades,
            result.missing,
            result.counted_twice,
            json.dumps([r.as_json() for r in result.ranges]),
        )
        for result in found
    ]
    with warehouse_db.transaction(path) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {warehouse_db.RAW}")
        columns = schemas.duckdb_columns(RESULTS_TABLE)
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        if rows:
            connection.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def as_json(found: list[completeness.PairResult], checked_at: datetime) -> dict[str, Any]:
    return {
        "checked_at": checked_at.isoformat(),
        "complete": all(result.complete for result in found),
        "pairs": [
            {
                "symbol": result.symbol,
                "windows": result.windows,
                "trades": result.trades,
                "missing_trades": result.missing,
                "counted_twice": result.counted_twice,
                "ranges": [r.as_json() for r in result.ranges],
            }
            for result in found
        ],
    }


def lines(found: list[completeness.PairResult]) -> list[str]:
    """The human report: a line per pair, then one per range."""
    if not found:
        return ["no windows to check"]
    out = []
    for result in found:
        state = "complete" if result.complete else "INCOMPLETE"
        out.append(
            f"{result.symbol:<10} {result.windows:>7} windows {result.trades:>10} trades  "
            f"missing {result.missing}  counted twice {result.counted_twice}  {state}"
        )
        for r in result.ranges:
            what = "in two windows" if r.kind == completeness.OVERLAP else "missing"
            minutes = r.as_json()
            out.append(
                f"  ids {r.low_id}..{r.high_id} ({r.trades} trades) {what}, {r.kind} "
                f"{minutes['first_minute']} .. {minutes['last_minute']}"
            )
    return out


def handle(args: argparse.Namespace) -> int:
    try:
        scope = scope_from(args)
        path = args.warehouse or warehouse_db.default_path()
        found = check(path, scope)
    except (ValueError, FileNotFoundError, warehouse_db.WarehouseBusy) as error:
        print(f"coinpulse verify: {error}", file=sys.stderr)
        return 2
    checked_at = datetime.now(UTC)
    record(path, scope, found, checked_at)
    if args.json:
        print(json.dumps(as_json(found, checked_at), indent=2))
    else:
        print("\n".join(lines(found)))
    return 0 if all(result.complete for result in found) else 1
