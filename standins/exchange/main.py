"""``coinpulse exchange``: run the replay exchange as a process.

Prints one structured log line (stderr, JSON) and one human line (stdout) with
the WebSocket and REST base URLs once it listens, then serves until SIGINT or
SIGTERM, on which it closes every connection and exits 0. Exit 2 means bad
options, 1 that the port could not be bound.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from coinpulse import logs, symbols
from standins.exchange.faults import FAULT_NAMES, FaultConfig
from standins.exchange.rest import REQUEST_WEIGHT_LIMIT
from standins.exchange.server import (
    DEFAULT_RATE,
    PING_INTERVAL,
    PONG_TIMEOUT,
    ExchangeConfig,
    ReplayExchange,
)

log = logging.getLogger(__name__)

DEFAULT_PORT = 9443  # Binance's stream port, wss://stream.binance.com:9443

EXAMPLE = """\
examples:
  coinpulse exchange --symbols BTCUSDT,ETHUSDT --seed 7 --rate 20
  coinpulse exchange --port 0 --max-trades 1000 --truth-file truth.jsonl
  coinpulse exchange --rate 10000 --no-bursts        # 50,000 trades/s over 5 pairs
  coinpulse exchange --faults drop,malformed --fault-setting drop_every=3

point the relay at it to run offline:
  coinpulse relay --ws-url ws://127.0.0.1:9443 --rest-url http://127.0.0.1:9443 ...
"""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the exchange's options to parser and make run() its handler."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXAMPLE
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    add(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port for both WebSocket and REST; 0 picks a free one (default: %(default)s)",
    )
    add(
        "--symbols",
        default=",".join(symbols.DEFAULT_PAIRS),
        help="comma-separated pairs to trade; any pair works, known coins trade near their "
        "real price (default: %(default)s)",
    )
    add(
        "--seed",
        type=int,
        default=0,
        help="market seed: the same seed gives the same prices, sizes and arrivals "
        "(default: %(default)s)",
    )
    add(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help="average trades per second per pair, bursts included; raise it for benchmarks "
        "(default: %(default)s)",
    )
    add(
        "--max-trades",
        type=int,
        metavar="N",
        help="stop generating after N trades per pair and keep serving (default: no cap)",
    )
    add(
        "--no-bursts",
        dest="bursts",
        action="store_false",
        help="steady arrivals without quiet stretches and bursts, so a benchmark sees the same "
        "load every second (default: bursty, like a real market)",
    )
    add(
        "--open-immediately",
        dest="open_on_subscribe",
        action="store_false",
        help="start trading at once (default: the market opens when the first client subscribes, "
        "so the ground truth holds only trades a client could see)",
    )
    add(
        "--first-trade-id",
        type=int,
        metavar="ID",
        help="id of each pair's first trade (default: start time in ms * 100, so a restarted "
        "exchange never reuses an id)",
    )
    add(
        "--ping-interval",
        type=float,
        default=PING_INTERVAL,
        metavar="S",
        help="seconds between WebSocket pings (default: %(default)s, as Binance)",
    )
    add(
        "--pong-timeout",
        type=float,
        default=PONG_TIMEOUT,
        metavar="S",
        help="seconds a ping may stay unanswered before the client is closed "
        "(default: %(default)s, as Binance)",
    )
    add(
        "--weight-limit",
        type=int,
        default=REQUEST_WEIGHT_LIMIT,
        help="REST request weight per minute per IP (default: %(default)s, as Binance)",
    )
    add(
        "--faults",
        default="",
        metavar="LIST",
        help=f"faults to inject: 'all' or a comma-separated subset of {','.join(FAULT_NAMES)} "
        "(default: none)",
    )
    add(
        "--fault-setting",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="tune one fault knob, repeatable, e.g. drop_every=3, drop_probability=0.001, "
        "shutdown_every=5, shutdown_grace=2, duplicate_probability=0.05, "
        "reorder_probability=0.05, malformed_probability=0.02, rest429_probability=0.2",
    )
    add(
        "--truth-file",
        type=Path,
        metavar="PATH",
        help="also append every generated trade to PATH as JSONL trade records",
    )
    parser.set_defaults(handler=run)


def config_from_args(args: argparse.Namespace) -> ExchangeConfig:
    """The exchange configuration the options describe. Raises ValueError."""
    faults = FaultConfig.from_names(args.faults).with_settings(args.fault_setting)
    return ExchangeConfig(
        pairs=args.symbols.split(","),
        seed=args.seed,
        rate=args.rate,
        max_trades=args.max_trades,
        bursts=args.bursts,
        open_on_subscribe=args.open_on_subscribe,
        first_trade_id=args.first_trade_id,
        ping_interval=args.ping_interval,
        pong_timeout=args.pong_timeout,
        weight_limit=args.weight_limit,
        faults=faults,
        truth_file=args.truth_file,
        host=args.host,
        port=args.port,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM. Returns the exit code."""
    try:
        config = config_from_args(args)
    except ValueError as error:
        print(f"coinpulse exchange: {error}", file=sys.stderr)
        return 2
    return asyncio.run(serve(config))


async def serve(config: ExchangeConfig) -> int:
    """Run one exchange until a stop signal; 1 when it cannot start."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    exchange = ReplayExchange(config)
    try:
        try:
            await exchange.start()
        except OSError as error:
            print(
                f"coinpulse exchange: cannot listen on {config.host}:{config.port}: {error}",
                file=sys.stderr,
            )
            return 1
        print(
            f"replay exchange serving {','.join(exchange.pairs)}: "
            f"ws-url {exchange.ws_url}  rest-url {exchange.rest_url}",
            flush=True,
        )
        await stop.wait()
        log.info("stopping", extra=logs.fields(frames_sent=exchange.frames_sent))
    finally:
        await exchange.stop()
    return 0
