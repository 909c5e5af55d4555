import pytest

from relay.gaps import GapTracker

pytestmark = pytest.mark.unit


def test_sequential_ids_open_no_gap() -> None:
    tracker = GapTracker()
    for trade_id in range(100, 110):
        assert tracker.observe(trade_id, 0.0) == (True, None)
    assert tracker.gaps == []
    assert tracker.contiguous_through() == 109


def test_a_jump_opens_a_gap_and_late_ids_close_it_piece_by_piece() -> None:
    tracker = GapTracker(last=10)
    is_new, gap = tracker.observe(15, 1.0)
    assert is_new and gap is not None and (gap.low, gap.high) == (11, 14)
    assert tracker.observe(12, 1.1) == (True, None)
    assert [(g.low, g.high) for g in tracker.gaps] == [(11, 11), (13, 14)]
    assert tracker.contiguous_through() == 10
    for trade_id in (11, 13, 14):
        tracker.observe(trade_id, 1.2)
    assert tracker.gaps == [] and tracker.contiguous_through() == 15


def test_duplicates_are_reported_as_not_new() -> None:
    tracker = GapTracker()
    tracker.observe(5, 0.0)
    tracker.observe(6, 0.0)
    assert tracker.observe(5, 0.0) == (False, None)
    assert tracker.observe(6, 0.0) == (False, None)


def test_gaps_become_due_after_the_grace_period_once() -> None:
    tracker = GapTracker(last=1)
    tracker.observe(5, 10.0)
    assert tracker.due(11.0, grace=2.0) == []
    due = tracker.due(12.0, grace=2.0)
    assert [(g.low, g.high) for g in due] == [(2, 4)]
    assert tracker.due(20.0, grace=2.0) == []


def test_a_piece_left_by_a_backfill_is_due_again_after_its_delay() -> None:
    tracker = GapTracker(last=1)
    tracker.observe(10, 0.0)
    assert [(g.low, g.high) for g in tracker.due(5.0, grace=2.0)] == [(2, 9)]
    for trade_id in (2, 3, 4, 5, 7, 8, 9):  # the backfill brought all but 6
        tracker.observe(trade_id, 5.1)
    [left] = tracker.within(2, 9)
    assert (left.low, left.high, left.claimed) == (6, 6, True)  # inherited from the gap
    left.retry_after(not_before=8.0)
    assert tracker.due(7.9, grace=2.0) == []
    [again] = tracker.due(8.0, grace=2.0)
    assert (again.low, again.high, again.attempts) == (6, 6, 1)


def test_give_up_counts_only_missing_ids() -> None:
    tracker = GapTracker(last=0)
    tracker.observe(10, 0.0)
    tracker.observe(5, 0.0)
    assert tracker.give_up(3, 7) == 4  # 3, 4, 6, 7 (5 arrived)
    assert [(g.low, g.high) for g in tracker.gaps] == [(1, 2), (8, 9)]
    assert [(g.low, g.high) for g in tracker.within(1, 100)] == [(1, 2), (8, 9)]
    assert [(g.low, g.high) for g in tracker.within(9, 9)] == [(8, 9)]
    assert tracker.missing == 4
