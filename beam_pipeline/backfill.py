# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""``coinpulse backfill``: rebuild the windows of any day from files of history.

    coinpulse backfill --input FILE [FILE ...] --output DIR_OR_GS_PREFIX
                       [--runner {fnapi,flink}] [--flink-master HOST:PORT] [-- PIPELINE_OPTION ...]

The same transforms as the streaming job, in batch: files -> chunks of trades
-> FixedWindows(60) -> the window CombineFn (exact dedupe, exact sums) -> rows.
Inputs are Binance trade archive CSVs (``<PAIR>-trades-<YYYY-MM-DD>.csv``) and
files of recorded WebSocket frames; paths may be globs and gs:// URLs. Output
is one create-only JSONL object per UTC day under ``stream_prices/`` and, for
rows that are not valid trades, ``dead_letters/``. The run always finishes with
a summary; it exits 0 when it completed, dead letters or not, 1 when the
pipeline failed (or Flink's job server could not be fetched) and 2 when the
arguments are refused. ``--runner flink`` runs the same pipeline on Flink
(``beam_pipeline.flink``); its windows are the same objects, byte for byte.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence

import apache_beam as beam
from apache_beam.metrics.metric import Metrics, MetricsFilter
from apache_beam.runners.runner import PipelineResult

from beam_pipeline import options, rows, sinks
from beam_pipeline.flink import jars, runner
from beam_pipeline.sources import archive
from beam_pipeline.sources.files import ReadTradeFiles, expand_inputs
from beam_pipeline.windowing import ComputeWindows
from coinpulse import logs, symbols

log = logging.getLogger("beam_pipeline.backfill")

SUMMARY = (  # (counter, label) in the order the summary prints them
    ("rows_read", "rows read"),
    ("trades", "trades"),
    ("duplicates_dropped", "duplicates dropped"),
    ("dead_letters", "dead letters"),
    ("windows_written", "windows written"),
)


class CountWindows(beam.DoFn):
    """Counts backfill rows and the duplicates they dropped (one pane per window in batch)."""

    def __init__(self) -> None:
        super().__init__()
        self.windows = Metrics.counter("backfill", "windows_written")
        self.duplicates = Metrics.counter("backfill", "duplicates_dropped")

    def process(self, row: rows.Row) -> Iterator[rows.Row]:
        self.windows.inc()
        self.duplicates.inc(row["duplicates_dropped"])
        yield row


def build(pipeline: beam.Pipeline, paths: Sequence[str], output: str) -> None:
    """Add the backfill's transforms to a pipeline."""
    chunks, dead_letters = pipeline | "ReadFiles" >> ReadTradeFiles(paths)
    windows = (
        chunks
        | "Windows" >> ComputeWindows(streaming=False)
        | "Count" >> beam.ParDo(CountWindows())
    )
    windows | "WriteWindows" >> sinks.WriteBatchObjects(output, "stream_prices", "window_start")
    dead_letters | "WriteDeadLetters" >> sinks.WriteBatchObjects(
        output, "dead_letters", "received_at"
    )


def summary(result: PipelineResult) -> dict[str, int]:
    """The backfill's counters by name (committed values, attempted where a runner has none)."""
    counters = result.metrics().query(MetricsFilter().with_namespace("backfill"))["counters"]
    totals = {name: 0 for name, _ in SUMMARY}
    for counter in counters:
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + value
    return totals


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        nargs="+",
        required=True,
        metavar="FILE",
        help="archive CSVs (<PAIR>-trades-<YYYY-MM-DD>.csv) or recorded frame files; "
        "globs and gs:// paths work",
    )
    parser.add_argument(
        "--output", required=True, help="local folder or gs://bucket/prefix for the JSONL objects"
    )
    runner.add_runner_arguments(parser)
    options.add_pipeline_options_argument(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    try:
        output = sinks.check_prefix(args.output)
        paths = expand_inputs(args.input)
        for path in paths:
            archive.archive_pair(os.path.basename(path))
        beam_args = runner.beam_args(args.runner, args.flink_master, args.beam_args)
    except (
        sinks.OutputError,
        FileNotFoundError,
        symbols.UnknownSymbol,
        options.SettingsError,
    ) as error:
        return options.refuse(error)
    except jars.FlinkJarsError as error:
        log.error("%s", error, extra=logs.fields(error=type(error).__name__))
        return 1
    pipeline_options = options.pipeline_options(
        beam_args, default_runner=options.BATCH_RUNNER, streaming=False
    )
    log.info("backfill of %d file(s) into %s", len(paths), output, extra=logs.fields(inputs=paths))
    pipeline = beam.Pipeline(options=pipeline_options)
    build(pipeline, paths, output)
    try:
        result = pipeline.run()
        result.wait_until_finish()
    except Exception:
        log.exception("backfill failed")
        return 1
    totals = summary(result)
    log.info("backfill done", extra=logs.fields(**totals))
    for name, label in SUMMARY:
        print(f"{label}: {totals.pop(name)}")
    for name, value in sorted(totals.items()):
        print(f"{name.replace('skipped_', 'skipped ', 1)}: {value}")
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse argv (default sys.argv[1:]) and run the backfill."""
    parser = argparse.ArgumentParser(prog="coinpulse backfill", description=__doc__)
    configure(parser)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.handler(args))
