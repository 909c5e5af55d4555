"""``python -m standins.coingecko``: serve the stand-in until stopped."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from coinpulse import logs
from standins.coingecko.server import StandIn

DEFAULT_PORT = 8765


def fault(text: str) -> tuple[str, int]:
    """TARGET:N -> (target, n), e.g. bitcoin:2 or markets:1."""
    target, _, count = text.rpartition(":")
    if not target or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected TARGET:N, e.g. bitcoin:2, got {text!r}")
    return target, int(count)


def seconds_or_none(text: str) -> int | None:
    return None if text == "none" else int(text)


def fixed_clock(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"--now needs a UTC offset, e.g. {text}Z")
    return moment.astimezone(UTC)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m standins.coingecko",
        description="A local CoinGecko API (v3 /coins/markets and /coins/{id}/ohlc) "
        "with realistic data and switchable faults.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0: any free one)")
    parser.add_argument("--api-key", help="require this key in x-cg-demo-api-key")
    parser.add_argument(
        "--fail-429",
        type=fault,
        action="append",
        default=[],
        metavar="TARGET:N",
        help="answer the first N requests for TARGET (markets or a coin id) with 429",
    )
    parser.add_argument(
        "--fail-5xx",
        type=fault,
        action="append",
        default=[],
        metavar="TARGET:N",
        help="answer the first N requests for TARGET with 503",
    )
    parser.add_argument(
        "--retry-after",
        type=seconds_or_none,
        default=1,
        metavar="SECONDS",
        help="Retry-After of the fault answers, or 'none' to send none (default: 1)",
    )
    parser.add_argument(
        "--now", type=fixed_clock, help="serve data as of this ISO time instead of the clock"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logs.setup()
    fixed = args.now
    standin = StandIn(
        api_key=args.api_key,
        rate_limit=dict(args.fail_429),
        server_errors=dict(args.fail_5xx),
        retry_after=args.retry_after,
        now=(lambda: fixed) if fixed else (lambda: datetime.now(UTC)),
        host=args.host,
        port=args.port,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"CoinGecko stand-in serving {standin.base_url}", flush=True)
    try:
        standin.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        standin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
