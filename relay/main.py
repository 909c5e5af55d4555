"""``coinpulse relay``: run the relay from the command line or as the Cloud Run container.

The flags a deployment sets (pairs, URLs, sinks, checkpoint, host, port, log level)
each have an environment variable, so the container is configured without a command
line (Cloud Run sets PORT); the tuning flags keep their defaults unless given.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Sequence
from urllib.parse import urlsplit

from coinpulse import logs, paths, symbols
from relay import batching, checkpoint, sinks
from relay.feed import DEFAULT_ROTATE_AFTER, MAX_STREAMS_PER_CONNECTION
from relay.health import serve
from relay.rest import DEFAULT_WEIGHT_BUDGET
from relay.service import Relay, RelaySettings

log = logging.getLogger(__name__)

BINANCE_WS = "wss://stream.binance.com:9443"  # also wss://stream.binance.us:9443, wss://data-stream.binance.vision
BINANCE_REST = "https://api.binance.com"  # also https://api.binance.us
# Set in every Cloud Run container (cloud.google.com/run/docs/container-contract#env-vars).
CLOUD_RUN_SERVICE_ENV = "K_SERVICE"

EXAMPLES = """examples:
  coinpulse relay --sink pubsub:projects/my-project/topics/trades
  coinpulse relay --symbols BTCUSDT,ETHUSDT --ws-url ws://127.0.0.1:9443 \\
      --rest-url http://127.0.0.1:9443 --sink file:trades.jsonl
  PUBSUB_EMULATOR_HOST=127.0.0.1:8085 coinpulse relay --sink pubsub:projects/demo/topics/trades

Binance.US: --ws-url wss://stream.binance.us:9443 --rest-url https://api.binance.us
"""


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXAMPLES
    add = parser.add_argument
    add(
        "--symbols",
        default=symbols.pairs_setting(),
        help=f"comma-separated Binance pairs [env {symbols.PAIRS_ENV}] (default: %(default)s)",
    )
    add(
        "--ws-url",
        default=_env("BINANCE_WS_URL", BINANCE_WS),
        help="WebSocket base URL; /stream?streams=... is appended [env BINANCE_WS_URL] "
        "(default: %(default)s)",
    )
    add(
        "--rest-url",
        default=_env("BINANCE_REST_URL", BINANCE_REST),
        help="REST base URL for gap backfill; /api/v3/... is appended [env BINANCE_REST_URL] "
        "(default: %(default)s)",
    )
    add(
        "--sink",
        default=_env("RELAY_SINK"),
        help="where trades go: pubsub:projects/P/topics/T, file:PATH or null "
        "[env RELAY_SINK] (required)",
    )
    add(
        "--dead-letter-sink",
        default=_env("RELAY_DEAD_LETTER_SINK"),
        help="where bad frames go, with the reason [env RELAY_DEAD_LETTER_SINK] "
        "(default: topic T-dead-letter, or PATH.dead-letter.jsonl beside a file sink)",
    )
    add(
        "--checkpoint",
        default=_env("RELAY_CHECKPOINT"),
        help="last acknowledged trade id per pair, so a restart backfills what it missed: a file, "
        "gs://bucket/object, or 'none' [env RELAY_CHECKPOINT] "
        "(default: $COINPULSE_HOME/relay/checkpoint-<ws host>_<port>.json)",
    )
    add(
        "--host",
        default=_env("RELAY_HOST", "0.0.0.0" if "PORT" in os.environ else "127.0.0.1"),
        help="address of the /healthz and /stats server "
        "(default: 0.0.0.0 on Cloud Run, else 127.0.0.1)",
    )
    add(
        "--port",
        type=int,
        default=int(_env("PORT", "0") or 0),
        help="port of the /healthz and /stats server [env PORT] "
        "(default: $PORT, else any free port)",
    )
    add(
        "--batch-max-trades",
        type=int,
        default=batching.DEFAULT_MAX_TRADES,
        help="trades per Pub/Sub message at most (default: %(default)s)",
    )
    add(
        "--batch-max-delay-ms",
        type=float,
        default=batching.DEFAULT_MAX_DELAY * 1000,
        help="longest wait of a trade for its batch to fill, in ms (default: %(default)s)",
    )
    add(
        "--heartbeat-seconds",
        type=float,
        default=5.0,
        help="publish a heartbeat after this much silence so idle minutes still close; 0 disables "
        "(default: %(default)s)",
    )
    add(
        "--gap-grace-seconds",
        type=float,
        default=2.0,
        help="how long a trade-id gap may wait for reordered frames before REST backfill "
        "(default: %(default)s)",
    )
    add(
        "--rotate-after-seconds",
        type=float,
        default=DEFAULT_ROTATE_AFTER,
        help="open a replacement connection after this long; Binance ends connections at 24 h "
        "(default: %(default)s)",
    )
    add(
        "--max-streams-per-connection",
        type=int,
        default=MAX_STREAMS_PER_CONNECTION,
        help="shard pairs over connections past this many streams; Binance allows 1024 "
        "(default: %(default)s)",
    )
    add(
        "--rest-weight-per-minute",
        type=int,
        default=DEFAULT_WEIGHT_BUDGET,
        help="REST request weight the backfill may spend per minute; Binance allows 6000 per IP "
        "(default: %(default)s)",
    )
    add(
        "--max-in-flight",
        type=int,
        default=sinks.DEFAULT_MAX_IN_FLIGHT,
        help="Pub/Sub messages awaiting acknowledgement before reading pauses "
        "(default: %(default)s)",
    )
    add(
        "--duration",
        type=float,
        default=None,
        help="stop after this many seconds (default: run until SIGTERM or Ctrl-C)",
    )
    parser.set_defaults(handler=run)


def default_checkpoint(ws_url: str) -> str:
    parts = urlsplit(ws_url)
    return str(paths.home() / "relay" / f"checkpoint-{parts.hostname}_{parts.port or 443}.json")


def checkpoint_spec(args: argparse.Namespace) -> str:
    """Where the checkpoint lives. Raises ValueError on Cloud Run for anything but gs://.

    A Cloud Run instance starts with an empty disk, so a file (or no checkpoint) there
    would make every restart lose its place.
    """
    spec: str = args.checkpoint or default_checkpoint(args.ws_url)
    service = os.environ.get(CLOUD_RUN_SERVICE_ENV)
    if service and not spec.startswith("gs://"):
        raise ValueError(
            f"on Cloud Run (service {service}) the checkpoint must be a gs:// object, "
            f"not {spec!r}: set RELAY_CHECKPOINT=gs://BUCKET/relay/checkpoint.json"
        )
    if spec == "none":
        log.warning(
            "starting with no checkpoint: a restart will not know what it missed",
            extra=logs.fields(checkpoint=spec),
        )
    return spec


def build(args: argparse.Namespace) -> Relay:
    """A relay from parsed arguments. Raises ValueError with a readable message."""
    if not args.sink:
        raise ValueError("--sink is required (pubsub:projects/P/topics/T, file:PATH or null)")
    checkpoint_at = checkpoint_spec(args)
    settings = RelaySettings(
        pairs=symbols.parse_pairs(args.symbols),
        ws_url=args.ws_url,
        rest_url=args.rest_url,
        rotate_after=args.rotate_after_seconds,
        max_streams_per_connection=args.max_streams_per_connection,
        batch_max_trades=args.batch_max_trades,
        batch_max_delay=args.batch_max_delay_ms / 1000,
        heartbeat_every=args.heartbeat_seconds,
        gap_grace=args.gap_grace_seconds,
        rest_weight_budget=args.rest_weight_per_minute,
        api_key=os.environ.get("BINANCE_API_KEY") or None,
    )
    return Relay(
        settings,
        sinks.open_sink(args.sink, args.max_in_flight),
        sinks.open_sink(
            args.dead_letter_sink or sinks.dead_letter_spec(args.sink), args.max_in_flight
        ),
        checkpoint.open_checkpoint(checkpoint_at),
    )


async def serve_relay(relay: Relay, host: str, port: int, duration: float | None) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, relay.stop)
    runner, bound = await serve(relay, host, port)
    log.info(
        "relay started",
        extra=logs.fields(
            pairs=relay.settings.pairs,
            ws_url=relay.settings.ws_url,
            sink=relay.sink.name,
            dead_letters=relay.dead_letters.name,
            checkpoint=relay.checkpoint.location,
            health=f"http://{host}:{bound}/healthz",
            stats=f"http://{host}:{bound}/stats",
        ),
    )
    if duration is not None:
        loop.call_later(duration, relay.stop)
    try:
        await relay.run()
    finally:
        await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    """Run the relay; 0 after a stop, 1 when a task could not continue, 2 on bad settings."""
    try:
        relay = build(args)
    except (ValueError, symbols.UnknownSymbol) as error:
        log.error(str(error))
        return 2
    asyncio.run(serve_relay(relay, args.host, args.port, args.duration))
    if relay.failed is not None:
        log.error(
            "relay stopped: a background task could not continue",
            extra=logs.fields(task=relay.failed),
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m relay``: the relay alone, as its container runs it (no other unit loaded)."""
    parser = argparse.ArgumentParser(prog="python -m relay", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--log-level",
        default=_env("LOG_LEVEL", "INFO"),
        help="DEBUG, INFO, WARNING or ERROR (default: $LOG_LEVEL, else INFO)",
    )
    configure(parser)
    args = parser.parse_args(argv)
    logs.setup(args.log_level)
    return run(args)
