"""The local DuckDB warehouse file: short connections, bounded waits for its lock.

    python -m commands.warehouse_db [--path FILE] "SELECT ..."   # one query, printed

DuckDB lets one process open a database file for writing, or any number of
processes open it read-only, never both at once. So nobody keeps the warehouse
open: every writer (the loader, dbt runs) opens a read-write connection, runs one
transaction and closes it; every reader (dashboards, ``coinpulse demo``'s summary,
the benchmark) opens a read-only connection for one query and closes it. A
process that meets the other side's lock retries with backoff for a bounded
time, then raises ``WarehouseBusy``; the loader lets that error fail the event,
so the event is delivered again and no load is lost.

Inside one process DuckDB shares one database instance between connections to
the same file; ``transaction`` also serializes this process's writers, so two
threads of the loader never conflict with each other.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from coinpulse import paths

FILE_NAME = "warehouse.duckdb"
# The same dataset names as BigQuery's, as DuckDB schemas.
RAW, STAGING, MART = "crypto_raw", "crypto_staging", "crypto_mart"
DATASETS = (RAW, STAGING, MART)
# How long to wait for the other side's lock. A dbt build of the local models
# holds it for a few seconds (docs: dbt-duckdb, 0.5 s of execution in 4.6 s
# wall); readers hold it for one query. A minute covers both with a wide margin
# and is still far below the Eventarc stand-in's redelivery patience.
LOCK_TIMEOUT_SECONDS = 60.0
FIRST_BACKOFF_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 1.0
# DuckDB's message when another process holds a conflicting lock on the file.
LOCK_CONFLICT = "Could not set lock on file"

_writers = threading.Lock()


class WarehouseBusy(RuntimeError):
    """The warehouse file stayed locked by another process for the whole wait."""


def default_path() -> Path:
    """$COINPULSE_HOME/warehouse.duckdb."""
    return paths.home() / FILE_NAME


def _open(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout
    backoff = FIRST_BACKOFF_SECONDS
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if LOCK_CONFLICT not in str(error):
                raise
            if time.monotonic() >= deadline:
                mode = "read-only" if read_only else "read-write"
                raise WarehouseBusy(
                    f"{path} stayed locked for {timeout:.0f} s ({mode} open): {error}"
                ) from error
        time.sleep(backoff * random.uniform(0.5, 1.0))
        backoff = min(MAX_BACKOFF_SECONDS, backoff * 2)


def open_read_only(path: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> duckdb.DuckDBPyConnection:
    """A read-only connection that the caller closes soon (a dashboard shares one between
    the few queries of a page refresh). Raises WarehouseBusy; a missing file, IOException."""
    return _open(path, True, timeout)


@contextmanager
def read(
    path: Path | None = None, timeout: float = LOCK_TIMEOUT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit. Raises WarehouseBusy; a missing file, IOException."""
    connection = open_read_only(path or default_path(), timeout)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def transaction(
    path: Path | None = None, timeout: float = LOCK_TIMEOUT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One read-write transaction: committed on normal exit, rolled back on an exception.

    Creates the file (and its folder) if missing. Raises WarehouseBusy when another
    process keeps the file locked for ``timeout`` seconds.
    """
    target = path or default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _writers:
        connection = _open(target, False, timeout)
        try:
            connection.begin()
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
        finally:
            connection.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one query read-only (waiting out a writer) and print its result."""
    parser = argparse.ArgumentParser(
        prog="python -m commands.warehouse_db", description=main.__doc__
    )
    parser.add_argument("sql", help="the query, e.g. SELECT count(*) FROM crypto_raw.stream_prices")
    parser.add_argument("--path", type=Path, help=f"default: {default_path()}")
    parser.add_argument("--max-rows", type=int, default=100, help="rows to show (default: 100)")
    args = parser.parse_args(argv)
    with read(args.path) as connection:
        connection.sql(args.sql).show(max_rows=args.max_rows, max_width=10_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
