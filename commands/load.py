"""``coinpulse load --lake DIR_OR_GS_PREFIX [--warehouse PATH]``: a lake into the warehouse, once.

Every object under the lake prefix, at its live generation, goes through the
loader's own handler (``functions.loader.handler.handle``) as the finalize CloudEvent
Eventarc would deliver for it, over the local DuckDB warehouse: the same routes
(``coinpulse.lake.resolve``, ``skip_reason``), the same ledger
(``crypto_raw._load_ledger``: a generation already loaded writes nothing), the same
quarantine and logs. So it rebuilds a warehouse from the lake, or loads a backfill
or a repair, without the stack running; a second run, or a run after one killed
midway, loads only what is not loaded yet.

An object that fails to load (quarantined, or the load raised) is counted and
reported, and the others still load. Progress and a closing summary go to stdout;
structured logs to stderr, WARNING and above unless --log-level says otherwise.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cloudevents.http import CloudEvent
from google.api_core.exceptions import GoogleAPIError
from google.auth.exceptions import GoogleAuthError

from coinpulse import lake, logs
from commands import lakes, warehouse_db
from commands.duckdb_warehouse import DuckDBWarehouse
from functions.loader import events, handler

log = logging.getLogger(__name__)

EPILOG = """\
A local folder's objects are its files; a file's generation is its modification
time, so a file rewritten since the last run loads again. Bad objects are copied
under quarantine/ of the lake with an .error.json beside them.
Exit status: 0 every object loaded, already loaded or skipped as not data;
1 an object was quarantined or failed to load (the others are loaded); 2 usage.

examples:
  coinpulse load --lake .coinpulse/lake
  coinpulse load --lake backfill-out --warehouse /tmp/rebuilt.duckdb
  coinpulse load --lake gs://my-lake-bucket
"""
# One progress line per this many objects: a backfill of a year writes thousands.
PROGRESS_EVERY = 100
# How each of the handler's outcomes is counted; any other outcome is a failure.
COUNTED = {
    handler.LOADED: "loaded",
    handler.ALREADY_LOADED: "already loaded",
    handler.SKIPPED: "skipped",
    handler.SUPERSEDED: "skipped",
    handler.QUARANTINED: "quarantined",
}
SUMMARY = ("loaded", "already loaded", "skipped", "quarantined", "failed")


@dataclass
class Tally:
    """What a run did so far, and the objects to report."""

    seen: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    quarantined: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        counted = ", ".join(f"{key}: {self.counts[key]}" for key in SUMMARY)
        return f"objects seen: {self.seen}, {counted}"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--lake",
        required=True,
        metavar="DIR_OR_GS_PREFIX",
        help="local lake folder or gs://bucket[/prefix] to load",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        metavar="PATH",
        help=f"DuckDB file to load into (default: $COINPULSE_HOME/{warehouse_db.FILE_NAME})",
    )
    parser.set_defaults(handler=handle, default_log_level="WARNING")


def finalize_event(bucket: str, listed: lakes.LakeObject, now: datetime) -> CloudEvent:
    """The finalize event of one listed object generation, issued now."""
    resource = {
        "bucket": bucket,
        "name": listed.name,
        "generation": str(listed.generation),
        "size": str(listed.size),
        "updated": listed.updated.isoformat(),
    }
    event_id = f"load:{bucket}/{listed.name}#{listed.generation}"
    return events.finalize_event(event_id, bucket, listed.name, now.isoformat(), resource)


def load_all(source: lakes.Lake, listed: list[lakes.LakeObject], warehouse: Path) -> Tally:
    """Hand each object to the loader in turn; a failure is counted, never the end."""
    loader = handler.Loader(DuckDBWarehouse(warehouse, source.store), source.store)
    tally = Tally()
    for item in listed:
        tally.seen += 1
        try:
            outcome = handler.handle(finalize_event(source.bucket, item, datetime.now(UTC)), loader)
        except Exception as error:  # any error of one object: report it, load the others
            log.exception(
                "load failed",
                extra=logs.fields(
                    bucket=source.bucket, object=item.name, generation=str(item.generation)
                ),
            )
            outcome, reason = "failed", f"{type(error).__name__}: {error}"
        else:
            reason = f"the loader answered {outcome}"
        counted = COUNTED.get(outcome, "failed")
        tally.counts[counted] += 1
        if counted == "quarantined":
            tally.quarantined.append(item.name)
        elif counted == "failed":
            tally.failed.append((item.name, reason))
        if tally.seen % PROGRESS_EVERY == 0:
            print(tally.line(), flush=True)
    return tally


def handle(args: argparse.Namespace) -> int:
    try:
        source = lakes.open_lake(args.lake)
        listed = source.objects()
    except lakes.BadLake as error:
        print(f"coinpulse load: {error}", file=sys.stderr)
        return 2
    except (GoogleAPIError, GoogleAuthError, OSError) as error:
        print(f"coinpulse load: cannot list {args.lake}: {error}", file=sys.stderr)
        return 1
    warehouse = args.warehouse or warehouse_db.default_path()
    print(f"loading {len(listed)} objects of {args.lake} into {warehouse}", flush=True)
    tally = load_all(source, listed, warehouse)
    for name in tally.quarantined:
        report = lake.QUARANTINE_PREFIX + name + lake.QUARANTINE_ERROR_SUFFIX
        print(f"QUARANTINED {name}: see {report}")
    for name, reason in tally.failed:
        print(f"FAILED {name}: {reason}")
    print(tally.line())
    return 1 if tally.quarantined or tally.failed else 0
