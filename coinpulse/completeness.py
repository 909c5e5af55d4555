"""Completeness from trade ids: which trades no window holds, and which two windows hold.

Binance numbers each pair's trades with consecutive ids, so the warehouse can prove
that no trade was lost or counted twice without trusting any process. Over the best
row of every window (coinpulse.windows, the one rule):

- within a window, ``trade_count`` must equal ``last_trade_id - first_trade_id + 1``;
  fewer means trades of that minute are missing (``within``);
- between consecutive windows of a pair (minutes without trades are simply absent),
  the next ``first_trade_id`` must follow the previous ``last_trade_id``; a jump
  means the trades in between are missing (``between``: somewhere from the earlier
  minute to the later one), and an id at or below the previous last means a trade
  sits in two windows (``overlap``, counted twice).

The SQL is the same for DuckDB and BigQuery; bounds are literals that ``check_sql``
builds from validated values only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coinpulse import symbols, windows

WITHIN, BETWEEN, OVERLAP = "within", "between", "overlap"

CHECKED_SQL = """
with best as ({best}),
checked as (
    select
        symbol,
        window_start,
        first_trade_id,
        last_trade_id,
        trade_count,
        lag(last_trade_id) over (partition by symbol order by window_start) as previous_last_id,
        lag(window_start) over (partition by symbol order by window_start) as previous_start
    from best
    where {where}
)
"""

TOTALS_SQL = (
    CHECKED_SQL
    + """
select symbol, count(*) as windows, sum(trade_count) as trades
from checked
group by symbol
order by symbol
"""
)

RANGES_SQL = (
    CHECKED_SQL
    + """
select
    symbol,
    '{within}' as kind,
    window_start as first_minute,
    window_start as last_minute,
    first_trade_id as low_id,
    last_trade_id as high_id,
    last_trade_id - first_trade_id + 1 - trade_count as trades
from checked
where last_trade_id - first_trade_id + 1 > trade_count
union all
select
    symbol,
    '{between}' as kind,
    previous_start as first_minute,
    window_start as last_minute,
    previous_last_id + 1 as low_id,
    first_trade_id - 1 as high_id,
    first_trade_id - previous_last_id - 1 as trades
from checked
where first_trade_id > previous_last_id + 1
union all
select
    symbol,
    '{overlap}' as kind,
    previous_start as first_minute,
    window_start as last_minute,
    first_trade_id as low_id,
    previous_last_id as high_id,
    previous_last_id - first_trade_id + 1 as trades
from checked
where first_trade_id <= previous_last_id
order by symbol, low_id
"""
)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a check covers: pairs (None: every pair) and a window_start range [since, until)."""

    pairs: tuple[str, ...] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> str:
        """The SQL condition; pairs are validated by the symbol map, times are UTC."""
        conditions = ["true"]
        if self.pairs is not None:
            listed = ", ".join(f"'{pair}'" for pair in symbols.parse_pairs(self.pairs))
            conditions.append(f"symbol in ({listed})")
        if self.since is not None:
            conditions.append(f"window_start >= {_timestamp(self.since)}")
        if self.until is not None:
            conditions.append(f"window_start < {_timestamp(self.until)}")
        return " and ".join(conditions)


@dataclass(frozen=True, slots=True)
class Range:
    """Trade ids of one pair that no window holds (or two windows hold: OVERLAP)."""

    symbol: str
    kind: str
    first_minute: datetime
    last_minute: datetime
    low_id: int
    high_id: int
    trades: int

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "low_id": self.low_id,
            "high_id": self.high_id,
            "trades": self.trades,
            "first_minute": _iso(self.first_minute),
            "last_minute": _iso(self.last_minute),
        }


@dataclass(frozen=True, slots=True)
class PairResult:
    """One pair's check: the windows and trades covered and every range found."""

    symbol: str
    windows: int
    trades: int
    ranges: tuple[Range, ...]

    @property
    def missing(self) -> int:
        return sum(r.trades for r in self.ranges if r.kind != OVERLAP)

    @property
    def counted_twice(self) -> int:
        return sum(r.trades for r in self.ranges if r.kind == OVERLAP)

    @property
    def complete(self) -> bool:
        return not self.ranges


def gaps(found: Sequence[PairResult]) -> tuple[int, int]:
    """Trade ids missing and counted twice, over every pair of a check."""
    return sum(r.missing for r in found), sum(r.counted_twice for r in found)


def totals_sql(scope: Scope, source: str = windows.STREAM_PRICES) -> str:
    return TOTALS_SQL.format(best=windows.best_windows_sql(source), where=scope.where())


def ranges_sql(scope: Scope, source: str = windows.STREAM_PRICES) -> str:
    return RANGES_SQL.format(
        best=windows.best_windows_sql(source),
        where=scope.where(),
        within=WITHIN,
        between=BETWEEN,
        overlap=OVERLAP,
    )


def results(totals: Sequence[Sequence[Any]], ranges: Sequence[Sequence[Any]]) -> list[PairResult]:
    """Rows of ``totals_sql`` and ``ranges_sql`` -> one result per pair, by symbol."""
    found: dict[str, list[Range]] = {}
    for symbol, kind, first, last, low, high, trades in ranges:
        found.setdefault(str(symbol), []).append(
            Range(str(symbol), str(kind), _utc(first), _utc(last), int(low), int(high), int(trades))
        )
    return [
        PairResult(str(symbol), int(count), int(trades or 0), tuple(found.get(str(symbol), ())))
        for symbol, count, trades in totals
    ]


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    return f"timestamp '{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}+00'"


def _utc(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {value!r}")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
