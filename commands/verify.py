"""``coinpulse verify``: prove from trade ids that no trade is missing or counted twice.

Reads the best row of every window of the local warehouse, or of BigQuery's production
tables with ``--warehouse bigquery://PROJECT[/DATASET]`` (commands/verify_bigquery.py,
the same SQL), and,
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
from google.api_core.exceptions import GoogleAPIError
from google.auth.exceptions import GoogleAuthError

from coinpulse import bigquery_client, completeness, schemas, symbols
from commands import verify_bigquery, warehouse_db

RESULTS_TABLE = "completeness_checks"
EXAMPLES = """\
examples:
  coinpulse verify
  coinpulse verify --symbols BTCUSDT,ETHUSDT --since 2026-05-18T12:00Z --until 2026-05-18T13:00Z
  coinpulse verify --json | jq '.pairs[] | select(.missing_trades > 0)'
  coinpulse verify --warehouse bigquery://my-project --since 2026-05-18
"""


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    """--warehouse, --symbols, --since and --until: what a check covers (``scope_from``)."""
    parser.add_argument(
        "--warehouse",
        metavar="PATH",
        help=f"the DuckDB warehouse (default: {warehouse_db.default_path()}); "
        "verify also reads BigQuery: bigquery://PROJECT[/DATASET]",
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


def local_path(args: argparse.Namespace) -> Path:
    """The DuckDB warehouse of --warehouse (default: the local one). Raises ValueError
    for a BigQuery dataset, which only verify reads."""
    if args.warehouse and args.warehouse.startswith(verify_bigquery.SCHEME):
        raise ValueError(f"--warehouse {args.warehouse}: only verify reads BigQuery")
    return Path(args.warehouse) if args.warehouse else warehouse_db.default_path()


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


def result_rows(
    scope: completeness.Scope, found: list[completeness.PairResult], checked_at: datetime
) -> list[dict[str, Any]]:
    """One completeness_checks row per pair, by column name."""
    return [
        {
            "checked_at": checked_at,
            "symbol": result.symbol,
            "since": scope.since,
            "until": scope.until,
            "windows": result.windows,
            "trades": result.trades,
            "missing_trades": result.missing,
            "counted_twice": result.counted_twice,
            "ranges": json.dumps([r.as_json() for r in result.ranges]),
        }
        for result in found
    ]


def record(
    path: Path,
    scope: completeness.Scope,
    found: list[completeness.PairResult],
    checked_at: datetime,
) -> None:
    """Write one row per pair to crypto_raw.completeness_checks (created if missing)."""
    table = f"{warehouse_db.RAW}.{RESULTS_TABLE}"
    names = [field["name"] for field in schemas.fields(RESULTS_TABLE)]
    rows = [[row[name] for name in names] for row in result_rows(scope, found, checked_at)]
    with warehouse_db.transaction(path) as connection:
        connection.execute(f"CREATE SCHEMA IF NOT EXISTS {warehouse_db.RAW}")
        columns = schemas.duckdb_columns(RESULTS_TABLE)
        connection.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
        if rows:
            marks = ", ".join("?" for _ in names)
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


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


Found = list[completeness.PairResult]


def verify_local(args: argparse.Namespace, scope: completeness.Scope, at: datetime) -> Found:
    """Check and record on the DuckDB warehouse. Raises FileNotFoundError, WarehouseBusy."""
    path = local_path(args)
    found = check(path, scope)
    record(path, scope, found, at)
    return found


def verify_dataset(args: argparse.Namespace, scope: completeness.Scope, at: datetime) -> Found:
    """Check and record on BigQuery. Raises ValueError and Google API errors."""
    where = verify_bigquery.parse(args.warehouse)
    client = bigquery_client.from_env(where.project)
    found = verify_bigquery.check(where, scope, client)
    verify_bigquery.record(where, result_rows(scope, found, at), client)
    return found


def handle(args: argparse.Namespace) -> int:
    on_bigquery = bool(args.warehouse and args.warehouse.startswith(verify_bigquery.SCHEME))
    checked_at = datetime.now(UTC)
    try:
        scope = scope_from(args)
        found = (verify_dataset if on_bigquery else verify_local)(args, scope, checked_at)
    except (ValueError, FileNotFoundError, warehouse_db.WarehouseBusy) as error:
        print(f"coinpulse verify: {error}", file=sys.stderr)
        return 2
    except (GoogleAPIError, GoogleAuthError, verify_bigquery.InsertRefused) as error:
        print(f"coinpulse verify: BigQuery: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(as_json(found, checked_at), indent=2))
    else:
        print("\n".join(lines(found)))
    return 0 if all(result.complete for result in found) else 1
