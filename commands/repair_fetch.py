"""Whole minutes of one pair's trades over Binance REST, by trade id (``coinpulse repair``).

A minute's trades are a contiguous block of ids, because ids grow with trade time.
``whole_minutes`` fetches the ids of a span (the first trade of its first minute to
the last trade of its last minute, as the warehouse knows them) and one id beyond
each end; while the trade before the span still falls in the first minute, or the
trade after it still in the last, the span grows by a page that way. So every minute
of the span comes back with all of its trades, or the span is refused with a reason.

What can fail, and what happens then (``Unrepairable``, never a retry forever):
- the exchange refuses a request (RestRejected: 400 unknown pair, 403, 451, ...);
- a page is not answered within PAGE_DEADLINE_SECONDS: the REST client retries
  5xx, 408, network errors and throttling (429/418 Retry-After) inside that time;
- ids of the span are no longer served (older than the endpoint keeps, or below
  the exchange's first id), or a served row is not a valid trade (logged with its
  reason and counted);
- the last minute is still open (no later trade yet and the wall clock before its end).
Fetching is a read: running it twice fetches the same trades.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from coinpulse import binance_frames, logs
from coinpulse.trade import InvalidTrade, Trade
from relay.rest import HISTORICAL_TRADES_MAX_LIMIT, HistoricalTrades, RestRejected

log = logging.getLogger(__name__)

MINUTE_MS = 60_000
# Longest wait for one page: the weight budget's one-minute window, Retry-After of a
# 429 (at most the rest of the minute, rest-api.md) and a few backoffs fit well inside;
# a 418 ban (minutes to days) or an exchange down for longer ends the span instead.
PAGE_DEADLINE_SECONDS = 300.0


class Unrepairable(Exception):
    """The exchange cannot serve a span's minutes whole; the message says why."""


@dataclass
class Fetched:
    """Trades of a span by id, plus what the exchange answered beyond it."""

    trades: dict[int, Trade] = field(default_factory=dict)
    rows: int = 0  # rows served, valid or not, boundary pages included

    def in_minutes(self, first_ms: int, end_ms: int) -> dict[int, list[Trade]]:
        """The trades with first_ms <= trade_time < end_ms, by minute start (ms), in id order."""
        minutes: dict[int, list[Trade]] = {}
        for trade_id in sorted(self.trades):
            trade = self.trades[trade_id]
            if first_ms <= trade.trade_time < end_ms:
                minutes.setdefault(trade.trade_time - trade.trade_time % MINUTE_MS, []).append(
                    trade
                )
        return minutes


async def _page(rest: HistoricalTrades, pair: str, from_id: int, limit: int) -> list[Any]:
    try:
        async with asyncio.timeout(PAGE_DEADLINE_SECONDS):
            return await rest.fetch(pair, from_id, limit)
    except RestRejected as error:
        raise Unrepairable(f"the exchange refused: {error}") from None
    except TimeoutError:
        raise Unrepairable(
            f"no answer for fromId={from_id} within {PAGE_DEADLINE_SECONDS:.0f} s"
        ) from None


async def _collect(
    rest: HistoricalTrades, pair: str, low: int, high: int, into: Fetched
) -> tuple[int | None, int | None]:
    """Fetch ids [low, high] page by page into ``into``; returns the lowest and highest
    id served (None: nothing served). Raises Unrepairable for an invalid row."""
    cursor, lowest, highest = low, None, None
    while cursor <= high:
        rows = await _page(rest, pair, cursor, min(HISTORICAL_TRADES_MAX_LIMIT, high - cursor + 1))
        into.rows += len(rows)
        trades = [trade for trade in _trades(pair, rows) if low <= trade.trade_id <= high]
        into.trades.update((trade.trade_id, trade) for trade in trades)
        served = [trade.trade_id for trade in trades]
        if not served:
            break
        lowest = min(served) if lowest is None else lowest
        highest = max(served)
        if highest < cursor:
            break
        cursor = highest + 1
    return lowest, highest


def _trades(pair: str, rows: list[Any]) -> list[Trade]:
    """Valid trades of an answer. Raises Unrepairable on the first row that is none."""
    received_at = int(time.time() * 1000)
    trades = []
    for row in rows:
        try:
            trades.append(binance_frames.parse_rest_trade(pair, row, received_at))
        except InvalidTrade as error:
            log.error("invalid REST trade row", extra=logs.fields(pair=pair, row=str(row)[:200]))
            raise Unrepairable(f"the exchange answered a row that is no trade: {error}") from None
    return trades


async def whole_minutes(
    rest: HistoricalTrades, pair: str, low: int, high: int, *, first_ms: int, end_ms: int
) -> Fetched:
    """Every trade of the minutes in [first_ms, end_ms) of ids around [low, high].

    Raises Unrepairable (see the module) when the exchange cannot serve them whole.
    """
    fetched = Fetched()
    start = max(low - 1, 0)
    lowest, highest = await _collect(rest, pair, start, high + 1, fetched)
    if lowest is None or highest is None:
        raise Unrepairable(f"ids {low}..{high} are not served")
    if lowest > low:
        raise Unrepairable(f"ids {low}..{min(lowest - 1, high)} are no longer served")
    while lowest > 0 and lowest == start and fetched.trades[lowest].trade_time >= first_ms:
        start = max(lowest - HISTORICAL_TRADES_MAX_LIMIT, 0)
        found, _ = await _collect(rest, pair, start, lowest - 1, fetched)
        if found is None or found > start:  # older ids are not served: the minute begins here
            break
        lowest = found
    if highest < high:
        raise Unrepairable(f"ids {highest + 1}..{high} are not served")
    while fetched.trades[highest].trade_time < end_ms:
        _, found = await _collect(
            rest, pair, highest + 1, highest + HISTORICAL_TRADES_MAX_LIMIT, fetched
        )
        if found is None:
            if time.time() * 1000 < end_ms:
                raise Unrepairable("the last minute is still open")
            break
        highest = found
    missing = [i for i in range(low, high + 1) if i not in fetched.trades]
    if missing:
        raise Unrepairable(f"{len(missing)} ids of {low}..{high} are not served")
    return fetched
