"""The ``coinpulse`` command: one entry point, one subcommand per job.

Subcommand modules are imported only when chosen, so ``coinpulse --help`` stays
fast even though the pipeline subcommands pull in Apache Beam. Each module
exposes ``configure(parser)``, which adds its arguments and sets ``handler``
(and ``default_log_level`` when the command logs less than INFO by default).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Callable, Sequence

from coinpulse import __version__, logs

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "relay": ("relay.main", "forward Binance's live trade stream to Pub/Sub (or a file)"),
    "exchange": (
        "standins.exchange.main",
        "run the local replay exchange that speaks Binance's protocol",
    ),
    "pipeline": (
        "beam_pipeline.streaming",
        "run the streaming Beam job: Pub/Sub trades to 1-minute windows",
    ),
    "backfill": (
        "beam_pipeline.backfill",
        "rebuild 1-minute windows from trade archives or recordings",
    ),
    "bench": ("commands.bench.main", "measure throughput, latency and freshness on this machine"),
    "coingecko": (
        "commands.coingecko",
        "load CoinGecko markets and OHLC candles into the lake",
    ),
    "load": (
        "commands.load",
        "load every object under a lake prefix into the warehouse, exactly once",
    ),
    "demo": ("commands.demo", "run the whole streaming lane locally"),
    "dashboard": (
        "commands.dashboard",
        "serve live candles and the market panels over the warehouse's marts",
    ),
    "repair": (
        "commands.repair",
        "refill missing trade ids from Binance REST and rewrite their minutes",
    ),
    "package": ("commands.package", "build every deployable artifact under dist/"),
    "deploy": (
        "commands.deploy",
        "build, apply and deploy everything into a Google Cloud project",
    ),
    "grafana": ("commands.grafana", "build the Grafana Cloud dashboards, or publish them"),
    "transform": ("commands.transform", "build the dbt marts on DuckDB (local) or BigQuery"),
    "verify": (
        "commands.verify",
        "prove from trade ids that no trade is missing or counted twice",
    ),
}

Handler = Callable[[argparse.Namespace], int]


def root_options() -> argparse.ArgumentParser:
    """The options that come before COMMAND (parsed first to find the command)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--log-level",
        help="DEBUG, INFO, WARNING or ERROR (default: INFO; WARNING for coinpulse load)",
    )
    return parser


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coinpulse",
        parents=[root_options()],
        description="CoinPulse: real-time crypto market pipeline. "
        "Run 'coinpulse COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"coinpulse {__version__}")
    parser.set_defaults(default_log_level="INFO")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _, rest = root_options().parse_known_args(argv)
    chosen = next((arg for arg in rest if not arg.startswith("-")), None)
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(
            name, help=help_text, description=help_text[0].upper() + help_text[1:] + "."
        )
        if name == chosen:
            importlib.import_module(module).configure(command)
    return parser


# Google's client libraries warn on import about this runtime (Python 3.11's end of
# support in 2027; grpcio below 1.83, which Beam 2.62 requires, without post-quantum
# TLS): notices for whoever chooses the pins in requirements.lock, not for a command's user.
RUNTIME_NOTICES = r"google\.(api_core|auth)\."


def main(argv: Sequence[str] | None = None) -> int:
    warnings.filterwarnings("ignore", category=FutureWarning, module=RUNTIME_NOTICES)
    args_list = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(args_list).parse_args(args_list)
    logs.setup(args.log_level or args.default_log_level)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
