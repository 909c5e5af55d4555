"""Binance's public trade archive: ``<PAIR>-trades-<YYYY-MM-DD>.csv`` rows -> trades.

Columns: id, price, qty, quote_qty, time, is_buyer_maker, is_best_match, with or
without a header row. ``time`` is in milliseconds in older files and in
microseconds in files from 2025 on; the unit is told apart per row by magnitude
(10^14 ms is the year 5138, 10^14 µs is 1973). ``quote_qty`` is not used:
quote volumes are computed exactly as price * qty.
Source: data.binance.vision spot/daily/trades (README of binance-public-data).
"""

from __future__ import annotations

import re

from coinpulse import symbols
from coinpulse.trade import SOURCE_ARCHIVE, InvalidTrade, Trade, build

ARCHIVE_NAME = re.compile(r"^(?P<pair>[A-Z0-9]+)-trades-(?P<day>\d{4}-\d{2}-\d{2})\.csv$")
COLUMNS = ("id", "price", "qty", "quote_qty", "time", "is_buyer_maker", "is_best_match")
MICROSECONDS_FROM = 10**14  # a larger time value is in microseconds
_BOOLEANS = {"true": True, "false": False}


def archive_pair(file_name: str) -> str | None:
    """The pair of an archive file name, None if the name is not an archive's.

    Raises symbols.UnknownSymbol for an archive of a pair the symbol map lacks.
    """
    match = ARCHIVE_NAME.match(file_name)
    if match is None:
        return None
    return symbols.by_pair(match["pair"]).pair


def is_header(line: str) -> bool:
    return line.startswith(COLUMNS[0] + ",")


def parse_row(pair: str, line: str, received_at: int) -> Trade:
    """One data row of an archive CSV -> Trade. Raises InvalidTrade with the reason."""
    cells = line.rstrip("\r\n").split(",")
    if len(cells) != len(COLUMNS):
        raise InvalidTrade(
            f"expected {len(COLUMNS)} columns ({', '.join(COLUMNS)}), got {len(cells)}"
        )
    trade_id, price, quantity, _, time, is_buyer_maker, _ = cells
    try:
        trade_time = int(time)
        number = int(trade_id)
    except ValueError:
        raise InvalidTrade(f"id and time must be integers, got {trade_id!r} and {time!r}") from None
    if trade_time >= MICROSECONDS_FROM:
        trade_time //= 1000
    buyer_maker = _BOOLEANS.get(is_buyer_maker.lower())
    if buyer_maker is None:
        raise InvalidTrade(f"is_buyer_maker must be True or False, got {is_buyer_maker!r}")
    return build(
        pair=pair,
        trade_id=number,
        price=price,
        quantity=quantity,
        trade_time=trade_time,
        event_time=None,
        is_buyer_maker=buyer_maker,
        received_at=received_at,
        source=SOURCE_ARCHIVE,
    )
