"""What ``coinpulse repair`` fetches and rewrites: spans of minutes from verify's ranges.

Every range of ``coinpulse verify`` (coinpulse.completeness) names the minutes it
touches: a ``within`` range its window's minute, a ``between`` or ``overlap`` range
the minutes of the two windows around it (and the silent minutes in between). A
pair's ranges whose minutes meet are merged into one span, so no minute is rebuilt
twice. A span's ids run from the first trade of its first window to the last trade
of its last one, both read from the best rows (coinpulse.windows, the one rule).

Which fetched minutes are written (``minutes_to_write``): a minute whose trades the
best row already holds exactly (same count, same first and last id) is left alone;
one with more trades than its best row wins under the rule once loaded, so it is
written; one with fewer (or as many, other ids) would lose to the row it should
replace, so the span is reported as unrepairable rather than written in vain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from coinpulse import completeness, windows
from coinpulse.trade import Trade
from commands import warehouse_db

MINUTE_MS = 60_000

BEST_IN_SPAN_SQL = """
select window_start, first_trade_id, last_trade_id, trade_count
from ({best})
where symbol = $symbol and window_start >= $first and window_start <= $last
order by window_start
"""


@dataclass(frozen=True, slots=True)
class BestRow:
    """What the warehouse's best row of a minute holds."""

    first_trade_id: int
    last_trade_id: int
    trade_count: int


@dataclass(frozen=True, slots=True)
class Span:
    """Merged ranges of one pair: the minutes [first_minute, last_minute] and their ids."""

    symbol: str
    ranges: tuple[completeness.Range, ...]
    low_id: int
    high_id: int
    best: dict[int, BestRow]  # by minute start (ms)

    @property
    def first_ms(self) -> int:
        return _ms(self.ranges[0].first_minute)

    @property
    def end_ms(self) -> int:
        """The end of the last minute (exclusive)."""
        return max(_ms(r.last_minute) for r in self.ranges) + MINUTE_MS

    @property
    def kinds(self) -> str:
        return ", ".join(sorted({r.kind for r in self.ranges}))


def merged(ranges: list[completeness.Range]) -> list[tuple[completeness.Range, ...]]:
    """Ranges grouped per pair so that groups share no minute, in pair and minute order."""
    groups: list[list[completeness.Range]] = []
    for found in sorted(ranges, key=lambda r: (r.symbol, r.first_minute, r.last_minute)):
        last = groups[-1] if groups else None
        if (
            last
            and last[0].symbol == found.symbol
            and found.first_minute <= max(r.last_minute for r in last)
        ):
            last.append(found)
        else:
            groups.append([found])
    return [tuple(group) for group in groups]


def spans(path: Path, found: list[completeness.PairResult]) -> list[Span]:
    """The spans of every range found, ids from the warehouse's best rows.

    Raises warehouse_db.WarehouseBusy when a writer holds the warehouse too long.
    """
    groups = merged([r for result in found for r in result.ranges])
    planned = []
    with warehouse_db.read(path) as connection:
        for group in groups:
            first = group[0].first_minute
            last = max(r.last_minute for r in group)
            sql = BEST_IN_SPAN_SQL.format(best=windows.best_windows_sql())
            rows = connection.execute(
                sql, {"symbol": group[0].symbol, "first": first, "last": last}
            ).fetchall()
            best = {_ms(start): BestRow(int(a), int(b), int(n)) for start, a, b, n in rows}
            planned.append(
                Span(
                    group[0].symbol,
                    group,
                    best[_ms(first)].first_trade_id,
                    best[_ms(last)].last_trade_id,
                    best,
                )
            )
    return planned


def minutes_to_write(
    span: Span, minutes: dict[int, list[Trade]]
) -> tuple[dict[int, list[Trade]], str | None]:
    """The fetched minutes that win once written, and why the others cannot (None: none)."""
    chosen: dict[int, list[Trade]] = {}
    refused: list[str] = []
    for start, trades in sorted(minutes.items()):
        held = span.best.get(start)
        exact = (len(trades), trades[0].trade_id, trades[-1].trade_id)
        if held is not None and exact == (
            held.trade_count,
            held.first_trade_id,
            held.last_trade_id,
        ):
            continue
        if held is None or len(trades) > held.trade_count:
            chosen[start] = trades
        else:
            refused.append(
                f"{minute_text(start)} holds {held.trade_count} trades "
                f"({held.first_trade_id}..{held.last_trade_id}), the exchange {len(trades)}"
            )
    if not refused:
        return chosen, None
    return chosen, "the rule keeps the warehouse's row of " + "; ".join(refused)


def _ms(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp() * 1000)


def minute_text(start_ms: int) -> str:
    """A minute start as 2026-05-18T12:03Z."""
    return datetime.fromtimestamp(start_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")
