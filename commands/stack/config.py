"""What the local stack runs with: ports, names, where its state lives. Flags and defaults."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from coinpulse import paths, symbols
from commands import localproc
from standins.exchange.faults import FAULT_NAMES, FaultConfig

REPLAY, BINANCE = "replay", "binance"
EXCHANGE_ENV = "EXCHANGE"
DEFAULT_PROJECT = "coinpulse-local"
DEFAULT_BUCKET = "coinpulse-lake"
TOPIC, SUBSCRIPTION = "trades", "beam"
# The lake bucket's notifications and the loader trigger's subscription (Eventarc's).
NOTIFICATIONS_TOPIC, TRIGGER_SUBSCRIPTION = "lake-notifications", "loader-trigger"
# Defaults away from the usual 8080; the Pub/Sub one is the gcloud emulator's own.
DEFAULT_PORTS = {
    "pubsub": 8085,
    "gcs": 9023,
    "exchange": 9443,
    "relay": 8089,
    "loader": 8088,
    "dashboard": 8090,
}
NO_FAULTS = "none"  # the replay exchange's default: a clean market
PORT_OWNERS = {
    "pubsub": "the Pub/Sub emulator",
    "gcs": "the GCS emulator",
    "exchange": "the replay exchange (WebSocket and REST)",
    "relay": "the relay's /healthz and /stats",
    "loader": "the loader under functions-framework",
    "dashboard": "the dashboard (coinpulse dashboard)",
}


@dataclass(frozen=True)
class StackConfig:
    home: Path
    exchange: str  # REPLAY or BINANCE
    symbols: tuple[str, ...]
    ports: dict[str, int]
    project: str = DEFAULT_PROJECT
    bucket: str = DEFAULT_BUCKET
    duration: float | None = None
    truth_file: Path | None = None
    exchange_faults: str = NO_FAULTS  # 'none', 'all' or comma-separated FAULT_NAMES

    @property
    def topic(self) -> str:
        return f"projects/{self.project}/topics/{TOPIC}"

    @property
    def subscription(self) -> str:
        return f"projects/{self.project}/subscriptions/{SUBSCRIPTION}"

    @property
    def notifications(self) -> str:
        return f"projects/{self.project}/topics/{NOTIFICATIONS_TOPIC}"

    @property
    def trigger_subscription(self) -> str:
        return f"projects/{self.project}/subscriptions/{TRIGGER_SUBSCRIPTION}"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def url(self, component: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[component]}{path}"

    def check_ports(self) -> None:
        """Every configured port must be free. Raises localproc.PortInUse naming the flag."""
        for component, port in self.ports.items():
            if component == "exchange" and self.exchange == BINANCE:
                continue
            try:
                localproc.ensure_port_free(port)
            except localproc.PortInUse:
                raise localproc.PortInUse(
                    f"port {port} ({component}) is already in use: stop what holds it "
                    f"or choose another with --{component}-port"
                ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duration",
        type=float,
        metavar="SECONDS",
        help="run headless for this long, then stop and print a summary (default: until Ctrl-C)",
    )
    parser.add_argument(
        "--exchange",
        choices=(REPLAY, BINANCE),
        default=os.environ.get(EXCHANGE_ENV, REPLAY),
        help="trades from the local replay exchange or live Binance [env EXCHANGE] "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--symbols",
        default=symbols.pairs_setting(),
        help=f"comma-separated Binance pairs [env {symbols.PAIRS_ENV}] (default: %(default)s)",
    )
    parser.add_argument(
        "--truth-file",
        type=Path,
        metavar="PATH",
        help="replay exchange: also write every generated trade to PATH (JSONL)",
    )
    parser.add_argument(
        "--exchange-faults",
        type=exchange_faults,
        default=NO_FAULTS,
        metavar="all|none|LIST",
        help="replay exchange: faults to inject, 'all', 'none' or a comma-separated subset of "
        f"{','.join(FAULT_NAMES)} at coinpulse exchange's --faults settings (default: %(default)s)",
    )
    for component, port in DEFAULT_PORTS.items():
        parser.add_argument(
            f"--{component}-port",
            type=int,
            default=port,
            metavar="PORT",
            help=f"port of {PORT_OWNERS[component]} (default: %(default)s)",
        )


def exchange_faults(text: str) -> str:
    """--exchange-faults checked as coinpulse exchange checks --faults. Raises ArgumentTypeError."""
    if text.strip() == NO_FAULTS:
        return NO_FAULTS
    try:
        FaultConfig.from_names(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def from_args(args: argparse.Namespace) -> StackConfig:
    """The stack's settings. Raises symbols.UnknownSymbol for an unknown pair."""
    return StackConfig(
        home=paths.home(),
        exchange=args.exchange,
        symbols=tuple(symbols.parse_pairs(args.symbols)),
        ports={component: getattr(args, f"{component}_port") for component in DEFAULT_PORTS},
        duration=args.duration,
        truth_file=args.truth_file.resolve() if args.truth_file else None,
        exchange_faults=args.exchange_faults,
    )
