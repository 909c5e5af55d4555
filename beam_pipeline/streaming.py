# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""``coinpulse pipeline``: the streaming job, Pub/Sub -> 1-minute windows -> GCS.

    coinpulse pipeline --subscription SUB [--topic TOPIC] --output PREFIX [-- PIPELINE_OPTION ...]

Reads a durable subscription of the relay's topic (created, with its topic, if
missing), sets late trades aside, windows the rest per symbol and minute with
early, on-time and late panes, and writes three outputs under the prefix, one
create-only JSONL object per flush period each: ``stream_prices/`` (window
rows), ``late_trades/`` and ``dead_letters/``.

Runners: the BundleBasedDirectRunner by default (in this process, until
interrupted or --duration), DataflowRunner through pipeline options (the job is
submitted and the command returns). Portable runners (Flink, PortableRunner)
cannot run Python's ReadFromPubSub and are refused; docs/pipeline.md says how a
Flink deployment gets its input.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

import apache_beam as beam
from apache_beam.runners.runner import PipelineResult, PipelineState
from google.api_core.exceptions import AlreadyExists, NotFound
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient

from beam_pipeline import options, sinks
from beam_pipeline.lateness import SetAsideLateTrades
from beam_pipeline.sources.pubsub import ReadTradeMessages
from beam_pipeline.windowing import ComputeWindows
from coinpulse import logs

log = logging.getLogger("beam_pipeline.streaming")

# Allowed lateness: 5 minutes. Trades normally arrive within a second of their
# trade time, but after a dropped connection the relay backfills the gap over
# REST (reconnect backoff capped at 10 s, then paged requests), and Pub/Sub redelivers
# unacknowledged messages after the ack deadline (10 s by default, up to 600 s).
# Five minutes covers those and costs only five more symbol-minutes of state.
DEFAULT_ALLOWED_LATENESS_SECONDS = 300
# Early panes every 20 s of processing time while a minute is open: three
# restatements a minute keep the current minute fresh without recomputing it
# on every bundle.
DEFAULT_EARLY_FIRING_SECONDS = 20
DEFAULT_PROJECT = "coinpulse-local"


@dataclass(frozen=True)
class Settings:
    subscription: str  # projects/P/subscriptions/S
    topic: str | None  # projects/P/topics/T, to create the subscription from
    output: str
    allowed_lateness_seconds: int
    early_firing_seconds: int
    flush_seconds: int


def resource_path(project: str, kind: str, name: str) -> str:
    """A short Pub/Sub name or a full path -> projects/<project>/<kind>/<name>."""
    return name if name.startswith("projects/") else f"projects/{project}/{kind}/{name}"


def settings_from(args: argparse.Namespace) -> Settings:
    """Validated settings. Raises options.SettingsError or sinks.OutputError."""
    return Settings(
        subscription=resource_path(args.project, "subscriptions", args.subscription),
        topic=resource_path(args.project, "topics", args.topic) if args.topic else None,
        output=sinks.check_prefix(args.output),
        allowed_lateness_seconds=options.non_negative(args.allowed_lateness, "--allowed-lateness"),
        early_firing_seconds=options.non_negative(args.early_firing, "--early-firing"),
        flush_seconds=sinks.check_flush_seconds(args.flush_seconds),
    )


def ensure_subscription(subscription: str, topic: str | None) -> None:
    """Create the durable subscription (and its topic) if missing. Raises SettingsError."""
    subscriber = SubscriberClient()
    try:
        subscriber.get_subscription(subscription=subscription)
        log.info("reading subscription %s", subscription)
        return
    except NotFound:
        if topic is None:
            raise options.SettingsError(
                f"subscription {subscription} does not exist; pass --topic to create it"
            ) from None
    try:
        PublisherClient().create_topic(name=topic)
        log.info("created topic %s", topic)
    except AlreadyExists:
        pass
    try:
        subscriber.create_subscription(name=subscription, topic=topic)
        log.info(
            "created subscription %s on %s: it keeps messages while the pipeline is stopped",
            subscription,
            topic,
        )
    except AlreadyExists:
        pass


def build(pipeline: beam.Pipeline, settings: Settings, runner: str) -> None:
    """Add the streaming transforms to a pipeline for the given runner."""
    chunks, dead_letters = pipeline | "ReadPubSub" >> ReadTradeMessages(
        settings.subscription, with_id_label=runner == options.DATAFLOW_RUNNER
    )
    in_time, late = chunks | "Lateness" >> SetAsideLateTrades(
        settings.allowed_lateness_seconds,
        watermark_is_wall_clock=runner in options.DIRECT_RUNNERS,
    )
    windows = in_time | "Windows" >> ComputeWindows(
        streaming=True,
        early_firing_seconds=settings.early_firing_seconds,
        allowed_lateness_seconds=settings.allowed_lateness_seconds,
    )
    for output, rows in (
        ("stream_prices", windows),
        ("late_trades", late),
        ("dead_letters", dead_letters),
    ):
        rows | f"Write_{output}" >> sinks.WriteStreamingObjects(
            settings.output, output, settings.flush_seconds
        )


def wait(result: PipelineResult, duration: float | None) -> int:
    """Run a local pipeline until it fails, is interrupted or --duration passes; then cancel."""
    deadline = None if duration is None else time.monotonic() + duration
    try:
        while result.state == PipelineState.RUNNING and (
            deadline is None or time.monotonic() < deadline
        ):
            time.sleep(0.5)
    except KeyboardInterrupt:
        log.info("interrupted")
    if result.state == PipelineState.RUNNING:
        log.info("stopping the pipeline (waits for the Pub/Sub pull in flight)")
        result.cancel()
        return 0
    result.wait_until_finish()  # raises the pipeline's error
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--subscription", required=True, help="subscription name or projects/P/subscriptions/S"
    )
    parser.add_argument(
        "--topic", help="topic name or path: creates the subscription (and topic) if missing"
    )
    parser.add_argument(
        "--project",
        default=os.environ.get("GOOGLE_CLOUD_PROJECT", DEFAULT_PROJECT),
        help="project of short names (default: $GOOGLE_CLOUD_PROJECT or coinpulse-local)",
    )
    parser.add_argument(
        "--output", required=True, help="local folder or gs://bucket/prefix for the JSONL objects"
    )
    parser.add_argument(
        "--allowed-lateness",
        type=int,
        default=DEFAULT_ALLOWED_LATENESS_SECONDS,
        metavar="SECONDS",
        help="trades later than this after their window are set aside (default: %(default)s)",
    )
    parser.add_argument(
        "--early-firing",
        type=int,
        default=DEFAULT_EARLY_FIRING_SECONDS,
        metavar="SECONDS",
        help="early pane interval while a minute is open, 0 for none (default: %(default)s)",
    )
    parser.add_argument(
        "--flush-seconds",
        type=int,
        default=sinks.DEFAULT_FLUSH_SECONDS,
        metavar="SECONDS",
        help="one object per output per period; at least "
        f"{-(-sinks.SECONDS_PER_DAY // sinks.OBJECT_BUDGET_PER_DAY)} (default: %(default)s)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="local runners: stop after this long (default: until interrupted)",
    )
    options.add_pipeline_options_argument(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    pipeline_options = options.pipeline_options(
        args.beam_args, default_runner=options.STREAMING_RUNNER, streaming=True
    )
    runner = options.runner_name(pipeline_options)
    try:
        settings = settings_from(args)
        if runner in options.PORTABLE_RUNNERS:
            raise options.SettingsError(
                f"{runner} cannot run Python's ReadFromPubSub (it runs only on Dataflow and "
                "the BundleBasedDirectRunner); see docs/pipeline.md for Flink"
            )
        ensure_subscription(settings.subscription, settings.topic)
    except (options.SettingsError, sinks.OutputError) as error:
        return options.refuse(error)
    pipeline = beam.Pipeline(options=pipeline_options)
    build(pipeline, settings, runner)
    log.info(
        "starting the streaming pipeline on %s",
        runner,
        extra=logs.fields(output=settings.output, subscription=settings.subscription),
    )
    if runner not in options.DIRECT_RUNNERS:
        result = pipeline.run()
        log.info("submitted to %s, state %s", runner, result.state)
        return 0
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return wait(pipeline.run(), args.duration)
    except Exception:
        log.exception("the streaming pipeline failed")
        return 1


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse argv (default sys.argv[1:]) and run the streaming job."""
    parser = argparse.ArgumentParser(prog="coinpulse pipeline", description=__doc__)
    configure(parser)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return int(args.handler(args))
