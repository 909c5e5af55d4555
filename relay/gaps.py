"""Per-pair trade-id continuity: which trade ids are missing, and since when.

Binance trade ids are sequential per pair, so after trade ``n`` the next one is
``n + 1``. A jump opens a gap; trades that arrive later (reordered frames, an
overlapping connection, the REST backfill) close the part of the gap they cover.
A gap becomes due for REST backfill only after a grace period, so that ordinary
reordering does not cost REST weight. A piece a backfill leaves open is released
with a later ``not_before`` and its ``attempts`` counted, so it is fetched again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass
class Gap:
    low: int  # first missing id
    high: int  # last missing id (inclusive)
    detected_at: float  # monotonic seconds
    claimed: bool = False  # a backfill is working on it
    attempts: int = 0  # backfills that ended with this piece still missing
    not_before: float = 0.0  # monotonic seconds; not due again before then

    @property
    def size(self) -> int:
        return self.high - self.low + 1

    def retry_after(self, not_before: float) -> None:
        """A backfill ended with this piece missing: count it, due again at ``not_before``."""
        self.claimed = False
        self.attempts += 1
        self.not_before = not_before


@dataclass
class GapTracker:
    """Continuity of one pair's trade ids.

    ``last`` is the highest id seen (or the checkpoint a restart resumes from).
    ``gaps`` are disjoint, sorted ranges of ids not seen yet and below ``last``.
    """

    last: int | None = None
    gaps: list[Gap] = field(default_factory=list)

    def observe(self, trade_id: int, now: float) -> tuple[bool, Gap | None]:
        """Record a trade id. Returns (is_new, gap_opened_by_it)."""
        last = self.last
        if last is None:
            self.last = trade_id
            return True, None
        if trade_id == last + 1:
            self.last = trade_id
            return True, None
        if trade_id > last:
            gap = Gap(last + 1, trade_id - 1, now)
            self.gaps.append(gap)
            self.last = trade_id
            return True, gap
        return self._fill(trade_id), None

    def _fill(self, trade_id: int) -> bool:
        for index, gap in enumerate(self.gaps):
            if gap.low <= trade_id <= gap.high:
                pieces = [
                    replace(gap, low=low, high=high)
                    for low, high in ((gap.low, trade_id - 1), (trade_id + 1, gap.high))
                    if low <= high
                ]
                self.gaps[index : index + 1] = pieces
                return True
            if trade_id < gap.low:
                break
        return False

    def due(self, now: float, grace: float) -> list[Gap]:
        """Unclaimed gaps past the grace period and their ``not_before``; marked claimed."""
        ready = [
            gap
            for gap in self.gaps
            if not gap.claimed and now - gap.detected_at >= grace and now >= gap.not_before
        ]
        for gap in ready:
            gap.claimed = True
        return ready

    def within(self, low: int, high: int) -> list[Gap]:
        """The gaps (still-missing pieces) that overlap [low, high]."""
        return [gap for gap in self.gaps if gap.high >= low and gap.low <= high]

    def give_up(self, low: int, high: int) -> int:
        """Stop waiting for ids in [low, high] (the exchange no longer has them).

        Returns how many ids were abandoned.
        """
        abandoned = 0
        kept: list[Gap] = []
        for gap in self.gaps:
            if gap.high < low or gap.low > high:
                kept.append(gap)
                continue
            abandoned += min(gap.high, high) - max(gap.low, low) + 1
            if gap.low < low:
                kept.append(replace(gap, high=low - 1))
            if gap.high > high:
                kept.append(replace(gap, low=high + 1))
        self.gaps = kept
        return abandoned

    @property
    def missing(self) -> int:
        return sum(gap.size for gap in self.gaps)

    def contiguous_through(self) -> int | None:
        """Highest id such that every id up to it has been seen (None before any)."""
        if self.last is None:
            return None
        return self.gaps[0].low - 1 if self.gaps else self.last
