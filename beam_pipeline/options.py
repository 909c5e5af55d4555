"""Settings shared by ``coinpulse pipeline`` and ``coinpulse backfill``, and runner choice.

CoinPulse's own flags come first; Beam pipeline options (runner, Dataflow or
Flink settings) follow a ``--`` and pass through untouched. Without --runner,
streaming uses the BundleBasedDirectRunner (the only local runner that executes
Python's ReadFromPubSub) and batch the FnApiRunner: naming them avoids the
DirectRunner's attempt to download Prism, which fails offline.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from coinpulse import logs

STREAMING_RUNNER = "BundleBasedDirectRunner"
# By class path: Beam 2.62 knows no short name "FnApiRunner" (runners/runner.py _RUNNER_MAP).
BATCH_RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"
# Runners that execute the pipeline in this process; their Pub/Sub reader sets
# the watermark to the wall clock at every pull (apache_beam/runners/direct).
DIRECT_RUNNERS = frozenset({"DirectRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner"})
# Portable runners cannot run Python's ReadFromPubSub (apache/beam#27443, #20143).
PORTABLE_RUNNERS = frozenset({"PortableRunner", "FlinkRunner", "SparkRunner", "PrismRunner"})
DATAFLOW_RUNNER = "DataflowRunner"

log = logging.getLogger("beam_pipeline")


class SettingsError(ValueError):
    """A command-line setting CoinPulse refuses; the message says what to change."""


def add_pipeline_options_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "beam_args",
        nargs=argparse.REMAINDER,
        metavar="-- PIPELINE_OPTION",
        help="Beam pipeline options after '--', e.g. -- --runner=DataflowRunner "
        "--project=P --region=R --temp_location=gs://B/tmp (see docs/pipeline.md)",
    )


def pipeline_options(
    beam_args: Sequence[str], *, default_runner: str, streaming: bool
) -> PipelineOptions:
    """Beam options from the pass-through arguments, with CoinPulse's runner default."""
    args = list(beam_args)
    if args[:1] == ["--"]:
        args = args[1:]
    options = PipelineOptions(args)
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = default_runner
    if streaming:
        standard.streaming = True
    return options


def runner_name(options: PipelineOptions) -> str:
    """The runner's short name, e.g. BundleBasedDirectRunner (also for a dotted class path)."""
    runner = options.view_as(StandardOptions).runner
    return str(runner).rsplit(".", 1)[-1]


def non_negative(value: int, flag: str) -> int:
    if value < 0:
        raise SettingsError(f"{flag} must be 0 or more, got {value}")
    return value


def refuse(error: Exception) -> int:
    """Log a refused setting as one structured line and return exit status 2."""
    log.error("%s", error, extra=logs.fields(error=type(error).__name__))
    return 2
