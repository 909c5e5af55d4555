"""The ground truth: every trade the exchange ever generated, whatever faults did to it.

Trades are kept column-wise in typed arrays (about 26 bytes a trade), indexed by
``trade_id - first_id`` because ids are consecutive per pair, so a REST page by
``fromId`` is a slice, not a search. The same store answers
``GET /api/v3/historicalTrades`` rows and the trade records of
``coinpulse.trade.Trade.to_record`` (source ``ws``; ``received_at`` is the event
time, the moment the exchange published the trade). Optionally every trade is
also appended to a JSONL file as it is generated.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from coinpulse import symbols
from coinpulse.trade import SOURCE_WS
from standins.exchange.market import UNITS, GeneratedTrade, format_units


class PairTruth:
    """The trades of one pair, in id order."""

    def __init__(self, pair: str, first_id: int) -> None:
        self.pair = pair
        self.coin_id = symbols.coin_id_for(pair)
        self.first_id = first_id
        self._prices = array("q")
        self._qtys = array("q")
        self._times = array("q")
        self._delays = bytearray()  # E - T
        self._makers = bytearray()

    def __len__(self) -> int:
        return len(self._prices)

    @property
    def last_id(self) -> int | None:
        """The id of the newest trade, None before the first one."""
        return self.first_id + len(self) - 1 if len(self) else None

    def extend(self, trades: Iterable[GeneratedTrade]) -> None:
        """Append trades; they must continue the id sequence. Raises ValueError otherwise."""
        for trade in trades:
            if trade.trade_id != self.first_id + len(self._prices):
                raise ValueError(f"{self.pair}: trade id {trade.trade_id} breaks the sequence")
            self._prices.append(trade.price)
            self._qtys.append(trade.qty)
            self._times.append(trade.trade_time)
            self._delays.append(trade.event_time - trade.trade_time)
            self._makers.append(trade.buyer_maker)

    def window(self, from_id: int | None, limit: int | None) -> range:
        """Indexes of up to limit trades from from_id on; without from_id, the newest ones."""
        size = len(self)
        if from_id is None:
            start = 0 if limit is None else max(0, size - limit)
        else:
            start = min(size, max(0, from_id - self.first_id))
        stop = size if limit is None else min(size, start + limit)
        return range(start, stop)

    def trade(self, index: int) -> GeneratedTrade:
        """The trade at an index of window()."""
        trade_time = self._times[index]
        return GeneratedTrade(
            self.first_id + index,
            self._prices[index],
            self._qtys[index],
            trade_time,
            trade_time + self._delays[index],
            bool(self._makers[index]),
        )

    def rest_rows(self, from_id: int | None, limit: int) -> list[dict[str, Any]]:
        """Rows as GET /api/v3/historicalTrades answers them (rest-api.md)."""
        rows = []
        for index in self.window(from_id, limit):
            price, qty = self._prices[index], self._qtys[index]
            rows.append(
                {
                    "id": self.first_id + index,
                    "price": format_units(price),
                    "qty": format_units(qty),
                    "quoteQty": format_units(price * qty // UNITS),
                    "time": self._times[index],
                    "isBuyerMaker": bool(self._makers[index]),
                    "isBestMatch": True,
                }
            )
        return rows

    def records(self, from_id: int | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Trade records (coinpulse.trade.Trade.to_record layout, source ws)."""
        return [self.record(self.trade(index)) for index in self.window(from_id, limit)]

    def record(self, trade: GeneratedTrade) -> dict[str, Any]:
        """One trade as a coinpulse trade record."""
        return {
            "symbol": self.pair,
            "coin_id": self.coin_id,
            "trade_id": trade.trade_id,
            "price": format_units(trade.price),
            "quantity": format_units(trade.qty),
            "trade_time": trade.trade_time,
            "event_time": trade.event_time,
            "is_buyer_maker": trade.buyer_maker,
            "received_at": trade.event_time,
            "source": SOURCE_WS,
        }


class TruthFile:
    """Appends trade records to a JSONL file, one line per trade, flushed per batch."""

    def __init__(self, path: Path) -> None:
        """Opens path for appending. Raises OSError when it cannot be created."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] = path.open("a", encoding="utf-8")

    def write(self, truth: PairTruth, trades: Iterable[GeneratedTrade]) -> None:
        """Append the records of trades; raises OSError when the disk refuses."""
        self._file.writelines(
            json.dumps(truth.record(trade), separators=(",", ":")) + "\n" for trade in trades
        )
        self._file.flush()

    def close(self) -> None:
        self._file.close()
