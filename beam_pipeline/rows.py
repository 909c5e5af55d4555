"""Output rows: windows, late trades and dead letters, as JSON-ready dicts.

Each row kind has a BigQuery JSON schema in ``coinpulse/schemas`` (the single
source of truth for Terraform, the loader and the local DuckDB warehouse):
``stream_prices`` for windows, ``late_trades`` and ``dead_letters``. Exact
numbers are written as decimal strings (BigQuery loads NUMERIC and BIGNUMERIC
from JSON strings without going through a float), times as RFC 3339 UTC.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from apache_beam.utils.windowed_value import PaneInfo, PaneInfoTiming

from beam_pipeline.combine import WindowStats
from beam_pipeline.trades import WINDOW_MS, TradeTuple, window_start_ms
from coinpulse import symbols
from coinpulse.timefmt import rfc3339_ms

Row = dict[str, Any]

PANE_TIMINGS = {
    PaneInfoTiming.EARLY: "EARLY",
    PaneInfoTiming.ON_TIME: "ON_TIME",
    PaneInfoTiming.LATE: "LATE",
    PaneInfoTiming.UNKNOWN: "UNKNOWN",
}


def _plain(value: Decimal) -> str:
    """A Decimal as a plain decimal string, never in exponent notation."""
    return format(value, "f")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def window_row(
    symbol: str, window_start: int, stats: WindowStats, pane: PaneInfo, emitted_at: int
) -> Row:
    """One pane of one symbol-minute (table stream_prices)."""
    return {
        "symbol": symbol,
        "coin_id": symbols.coin_id_for(symbol),
        "window_start": rfc3339_ms(window_start),
        "window_end": rfc3339_ms(window_start + WINDOW_MS),
        "open_price": _plain(stats.open_price),
        "high_price": _plain(stats.high_price),
        "low_price": _plain(stats.low_price),
        "close_price": _plain(stats.close_price),
        "avg_price": _plain(stats.avg_price),
        "price_stddev": _plain(stats.price_stddev),
        "vwap": _plain(stats.vwap),
        "trade_count": stats.trade_count,
        "base_volume": _plain(stats.base_volume),
        "quote_volume": _plain(stats.quote_volume),
        "taker_buy_base_volume": _plain(stats.taker_buy_base_volume),
        "taker_buy_quote_volume": _plain(stats.taker_buy_quote_volume),
        "price_sum": _plain(stats.price_sum),
        "price_sq_sum": _plain(stats.price_sq_sum),
        "first_trade_id": stats.first_trade_id,
        "first_trade_time": rfc3339_ms(stats.first_trade_time),
        "last_trade_id": stats.last_trade_id,
        "last_trade_time": rfc3339_ms(stats.last_trade_time),
        "duplicates_dropped": stats.duplicates_dropped,
        "pane_index": pane.index,
        "pane_timing": PANE_TIMINGS[pane.timing],
        "emitted_at": rfc3339_ms(emitted_at),
    }


def late_trade_rows(
    symbol: str, trades: Iterable[TradeTuple], allowed_lateness_s: int, detected_at: int
) -> list[Row]:
    """Trades that came after their window closed for good (table late_trades).

    Prices and quantities are written from their decimal values, like the windows'.
    """
    coin_id = symbols.coin_id_for(symbol)
    return [
        {
            "symbol": symbol,
            "coin_id": coin_id,
            "trade_id": trade_id,
            "trade_time": rfc3339_ms(trade_time),
            "price": _plain(Decimal(price)),
            "quantity": _plain(Decimal(quantity)),
            "is_buyer_maker": is_buyer_maker,
            "window_start": rfc3339_ms(window_start_ms(trade_time)),
            "allowed_lateness_seconds": allowed_lateness_s,
            "detected_at": rfc3339_ms(detected_at),
        }
        for trade_id, trade_time, price, quantity, is_buyer_maker in trades
    ]


def to_jsonl(rows: Iterable[Row]) -> bytes:
    """Rows -> newline-delimited JSON, one compact object per line."""
    return b"".join(json.dumps(row, separators=(",", ":")).encode() + b"\n" for row in rows)
