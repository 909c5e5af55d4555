"""The soak's kill schedule and its verdict: pure parts, no stack."""

from __future__ import annotations

import itertools

import pytest

from commands.bench import soak
from commands.bench.ground_truth import Comparison

pytestmark = pytest.mark.unit


def test_the_relay_is_killed_twice_and_the_pipeline_once_away_from_the_edges() -> None:
    for seed in range(50):
        schedule = soak.kill_schedule(seed, 240.0)
        assert sorted(kill.process for kill in schedule) == ["pipeline", "relay", "relay"]
        moments = [kill.at for kill in schedule]
        assert moments == sorted(moments)
        assert moments[0] >= 60.0 and moments[-1] <= 240.0 - 60.0
        assert all(later - earlier >= 20.0 for earlier, later in itertools.pairwise(moments))


def test_a_seed_gives_one_schedule_and_seeds_differ() -> None:
    assert soak.kill_schedule(7, 1200.0) == soak.kill_schedule(7, 1200.0)
    schedules = {tuple(soak.kill_schedule(seed, 1200.0)) for seed in range(10)}
    assert len(schedules) == 10
    orders = {tuple(kill.process for kill in schedule) for schedule in schedules}
    assert len(orders) > 1  # the pipeline's kill is not always in the same place


def test_a_run_too_short_for_its_kills_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        soak.kill_schedule(1, 150.0)  # 30 s left: 10 s a kill


def test_an_exact_run_that_ended_by_itself_is_not_short_of_anything() -> None:
    exact = Comparison(generated=10, after_stop=3, in_windows=10)
    drained = "drained: every trade the relay published is in the warehouse"
    assert soak.bounds(0, exact, drained) == []


def test_falling_short_names_what_bounds_it() -> None:
    short = Comparison(generated=10, after_stop=0, in_windows=8, missing=2)
    output = "not drained: the last trades of BTCUSDT are not in the warehouse\nrepair: ran: exit 1"
    found = soak.bounds(0, short, output)
    assert any("drain timed out" in line for line in found)
    assert any("repair.log" in line for line in found)
    assert any("exited 1" in line for line in soak.bounds(1, short, ""))
    assert any("did not end" in line for line in soak.bounds(None, None, ""))
    assert any("unreadable" in line for line in soak.bounds(0, None, ""))


def test_the_demo_s_restarts_drain_and_repair_lines_come_once_before_its_summary() -> None:
    output = "\n".join(
        [
            "CoinPulse local stack: state in /tmp/home",
            "coinpulse demo: relay exited with -9; restarting it in 1 s (log: relay.log)",
            "draining: still waiting for BTCUSDT up to id 9",
            "drained: every trade the relay published is in the warehouse",
            "repair: not needed: verify found no trade id missing or counted twice",
            "stopping the stack ...",
            "CoinPulse demo summary after 300 s:",
            "  repair                 not needed: verify found no trade id missing",
        ]
    )
    assert soak.outcome_lines(output) == [
        "coinpulse demo: relay exited with -9; restarting it in 1 s (log: relay.log)",
        "drained: every trade the relay published is in the warehouse",
        "repair: not needed: verify found no trade id missing or counted twice",
        "CoinPulse demo summary after 300 s:",
        "  repair                 not needed: verify found no trade id missing",
    ]
