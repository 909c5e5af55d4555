"""Fault knobs and the stream and connection faults, without sockets."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from coinpulse import binance_frames
from coinpulse.trade import InvalidTrade
from standins.exchange import wire
from standins.exchange.faults import (
    ALL_FAULTS,
    FAULT_NAMES,
    ConnectionFaults,
    FaultConfig,
    StreamFaults,
    malformed,
    rest_fault,
)
from standins.exchange.market import GeneratedTrade

pytestmark = pytest.mark.unit

PAYLOADS = [
    wire.trade_payload(
        "BTCUSDT", GeneratedTrade(i, 9_000_000_000_000, 100_000, 1_000 + i, 1_001 + i, False)
    )
    for i in range(1, 2001)
]


def test_defaults_switch_every_fault_off() -> None:
    assert FaultConfig().active == []
    assert FaultConfig.from_names("").active == []


def test_all_switches_every_fault_on() -> None:
    assert FaultConfig.from_names("all") == ALL_FAULTS
    assert ALL_FAULTS.active == list(FAULT_NAMES)


def test_names_switch_on_exactly_those_faults() -> None:
    config = FaultConfig.from_names("drop, rest429")
    assert config.active == ["drop", "rest429"]
    assert config.drop_every == ALL_FAULTS.drop_every
    assert config.duplicate_probability == 0


def test_unknown_fault_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault latency"):
        FaultConfig.from_names("drop,latency")


def test_settings_tune_knobs_and_are_validated() -> None:
    config = FaultConfig().with_settings(["drop_every=2", "duplicate_probability = 0.5"])
    assert (config.drop_every, config.duplicate_probability) == (2.0, 0.5)
    assert ALL_FAULTS.with_settings(["shutdown_every=off"]).shutdown_every is None
    with pytest.raises(ValueError, match="bad fault setting"):
        FaultConfig().with_settings(["speed=3"])
    with pytest.raises(ValueError, match="not a number"):
        FaultConfig().with_settings(["drop_every=soon"])
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        FaultConfig().with_settings(["reorder_probability=2"])
    with pytest.raises(ValueError, match="above zero"):
        FaultConfig(drop_every=0)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("invalid_json", "invalid JSON"),
        ("unknown_event", "unknown event type 'depthUpdate'"),
        ("missing_field", "missing field"),
        ("non_numeric_price", "price is not numeric"),
        ("non_positive_price", "price must be positive"),
    ],
)
def test_each_malformed_kind_is_rejected_with_its_reason(kind: str, reason: str) -> None:
    rng = random.Random(1)
    for payload in PAYLOADS[:20]:
        bad = malformed(payload, kind, rng)
        for frame in (bad, wire.envelope("btcusdt@trade", bad)):
            with pytest.raises(InvalidTrade, match=reason):
                binance_frames.parse_frame(frame, 0)


def test_missing_field_removes_each_field_sometimes() -> None:
    rng = random.Random(2)
    removed = Counter(
        next(f for f in ('"s"', '"t"', '"p"', '"q"', '"T"', '"m"') if f + ":" not in bad)
        for bad in (malformed(PAYLOADS[0], "missing_field", rng) for _ in range(300))
    )
    assert len(removed) == 6


def test_unknown_malformed_kind() -> None:
    with pytest.raises(ValueError, match="unknown malformed kind"):
        malformed(PAYLOADS[0], "huge", random.Random(0))


def run_ticks(faults: StreamFaults, size: int = 7) -> list[str]:
    sent: list[str] = []
    for start in range(0, len(PAYLOADS), size):
        sent += faults.apply(PAYLOADS[start : start + size])
    return sent + faults.apply([])


def test_no_faults_pass_payloads_through_untouched() -> None:
    assert run_ticks(StreamFaults(FaultConfig(), random.Random(0))) == PAYLOADS


def test_duplicates_follow_their_original() -> None:
    sent = run_ticks(StreamFaults(FaultConfig(duplicate_probability=0.1), random.Random(0)))
    doubled = [a for a, b in itertools.pairwise(sent) if a == b]
    assert 100 < len(doubled) < 300
    assert list(dict.fromkeys(sent)) == PAYLOADS


def test_reorders_swap_neighbours_across_ticks_and_lose_nothing() -> None:
    sent = run_ticks(StreamFaults(FaultConfig(reorder_probability=0.1), random.Random(0)), size=1)
    assert sorted(sent) == sorted(PAYLOADS) and len(sent) == len(PAYLOADS)
    positions = {payload: index for index, payload in enumerate(sent)}
    moved = [i for i, payload in enumerate(PAYLOADS) if positions[payload] != i]
    assert len(moved) > 200
    assert all(abs(positions[PAYLOADS[i]] - i) == 1 for i in moved)


def test_a_held_frame_leaves_with_the_next_tick_even_without_a_successor() -> None:
    faults = StreamFaults(FaultConfig(reorder_probability=1.0), random.Random(0))
    assert faults.apply(PAYLOADS[:1]) == []
    assert faults.apply([]) == PAYLOADS[:1]


def test_malformed_frames_come_in_addition_to_every_trade() -> None:
    sent = run_ticks(StreamFaults(FaultConfig(malformed_probability=0.05), random.Random(0)))
    real = [frame for frame in sent if frame in set(PAYLOADS)]
    assert real == PAYLOADS
    reasons: Counter[str] = Counter()
    for frame in sent:
        if frame not in set(PAYLOADS):
            with pytest.raises(InvalidTrade) as error:
                binance_frames.parse_frame(frame, 0)
            reasons[str(error.value).split(":")[0].split(" ")[0]] += 1
    assert 50 < reasons.total() < 150
    assert len(reasons) >= 4


def test_connection_lives_spread_around_the_configured_time() -> None:
    config = FaultConfig(drop_every=10.0, shutdown_every=4.0)
    lives = [ConnectionFaults(config, random.Random(seed), 100.0) for seed in range(200)]
    drops = [faults.drop_at - 100 for faults in lives if faults.drop_at is not None]
    shutdowns = [faults.shutdown_at - 100 for faults in lives if faults.shutdown_at is not None]
    assert len(drops) == len(shutdowns) == 200
    assert min(drops) >= 5 and max(drops) <= 15 and max(drops) - min(drops) > 5
    assert min(shutdowns) >= 2 and max(shutdowns) <= 6
    assert ConnectionFaults(FaultConfig(), random.Random(0), 0).drop_at is None


def test_per_frame_drop_chance() -> None:
    never = ConnectionFaults(FaultConfig(), random.Random(0), 0)
    assert never.drop_after(1_000) is None
    faults = ConnectionFaults(FaultConfig(drop_probability=0.01), random.Random(0), 0)
    outcomes = [faults.drop_after(10) for _ in range(2_000)]
    drops = [cut for cut in outcomes if cut is not None]
    assert 100 < len(drops) < 300  # 1 - 0.99**10 ~ 9.6 %
    assert all(0 <= cut < 10 for cut in drops)


def test_rest_fault_share() -> None:
    rng = random.Random(0)
    assert not any(rest_fault(FaultConfig(), rng) for _ in range(100))
    hits = sum(rest_fault(FaultConfig(rest429_probability=0.25), rng) for _ in range(2_000))
    assert 400 < hits < 600
