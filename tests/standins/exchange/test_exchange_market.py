"""The seeded market: reproducible, sequential, plausible, bursty, with same-ms fills."""

from __future__ import annotations

import statistics
from collections import Counter
from decimal import Decimal

import pytest

from standins.exchange.market import (
    KNOWN_PROFILES,
    UNITS,
    GeneratedTrade,
    Market,
    PairMarket,
    format_units,
    normalize_pairs,
    profile_for,
)

pytestmark = pytest.mark.unit

HOUR_MS = 3_600_000


def simulate(
    pair: str = "BTCUSDT",
    *,
    seed: int = 1,
    rate: float = 5.0,
    until_ms: int = HOUR_MS,
    step: int = 10,
    bursts: bool = True,
) -> list[GeneratedTrade]:
    profile = profile_for(pair, seed)
    market = PairMarket(profile, seed=seed, rate=rate, first_id=1, start_ms=0, bursts=bursts)
    trades: list[GeneratedTrade] = []
    for now in range(step, until_ms + 1, step):
        trades += market.advance(now)
    return trades


def test_same_seed_same_trades_however_the_clock_is_sliced() -> None:
    fine = simulate(until_ms=60_000, step=10)
    coarse = simulate(until_ms=60_000, step=997)[: len(fine)]
    assert len(fine) > 100
    assert fine[: len(coarse)] == coarse


def test_other_seed_other_trades() -> None:
    assert simulate(seed=1, until_ms=60_000) != simulate(seed=2, until_ms=60_000)


def test_adding_a_pair_leaves_the_other_pairs_unchanged() -> None:
    def btc(pairs: list[str]) -> list[GeneratedTrade]:
        market = Market(pairs, seed=3, rate=20, start_ms=0, first_trade_id=10)
        return [
            t for now in range(100, 30_001, 100) for t in market.advance(now).get("BTCUSDT", [])
        ]

    assert btc(["BTCUSDT"]) == btc(["ETHUSDT", "BTCUSDT", "SOLUSDT"])


def test_ids_are_consecutive_and_times_never_go_back() -> None:
    trades = simulate(until_ms=600_000)
    assert [t.trade_id for t in trades] == list(range(1, len(trades) + 1))
    times = [t.trade_time for t in trades]
    assert times == sorted(times)
    assert all(0 <= t.event_time - t.trade_time <= 3 for t in trades)


@pytest.mark.parametrize("bursts", [True, False])
def test_long_run_rate_matches_the_configured_rate(bursts: bool) -> None:
    trades = simulate(rate=5.0, bursts=bursts)
    assert len(trades) / 3600 == pytest.approx(5.0, rel=0.1)


def order_dispersion(trades: list[GeneratedTrade]) -> float:
    """Variance over mean of orders per second: 1 for a Poisson process."""
    per_second = Counter(time // 1000 for time in {t.trade_time for t in trades})
    counts = [per_second.get(second, 0) for second in range(3600)]
    return statistics.pvariance(counts) / statistics.mean(counts)


def test_arrivals_are_bursty_not_poisson() -> None:
    assert order_dispersion(simulate()) > 1.5


def test_without_bursts_arrivals_are_poisson() -> None:
    assert order_dispersion(simulate(bursts=False)) == pytest.approx(1.0, abs=0.15)


def test_orders_fill_several_makers_in_the_same_millisecond_on_one_side() -> None:
    trades = simulate(until_ms=600_000)
    by_time: dict[int, list[GeneratedTrade]] = {}
    for trade in trades:
        by_time.setdefault(trade.trade_time, []).append(trade)
    multi = [fills for fills in by_time.values() if len(fills) > 1]
    assert len(multi) > 0.2 * len(by_time)

    def walks_the_book(fills: list[GeneratedTrade]) -> bool:
        prices = [fill.price for fill in fills]
        one_side = len({fill.buyer_maker for fill in fills}) == 1
        return one_side and prices == sorted(prices, reverse=fills[0].buyer_maker)

    # two orders rarely share a millisecond, so nearly every group is one order
    assert sum(map(walks_the_book, multi)) > 0.95 * len(multi)


def test_both_sides_trade() -> None:
    makers = Counter(t.buyer_maker for t in simulate(until_ms=600_000))
    assert makers[True] > 0.4 * makers.total()
    assert makers[False] > 0.4 * makers.total()


@pytest.mark.parametrize(
    ("pair", "low", "high"),
    [
        ("BTCUSDT", 70_000, 110_000),
        ("ETHUSDT", 2_400, 3_600),
        ("SOLUSDT", 110, 190),
        ("BNBUSDT", 480, 720),
        ("ADAUSDT", 0.38, 0.62),
    ],
)
def test_known_coins_trade_near_their_real_level(pair: str, low: float, high: float) -> None:
    prices = [t.price / UNITS for t in simulate(pair)]
    assert low < min(prices) <= max(prices) < high


def test_prices_and_quantities_sit_on_tick_and_step() -> None:
    for pair in ("BTCUSDT", "ADAUSDT", "DOGEUSDT", "FOOBARUSDT"):
        profile = profile_for(pair, 1)
        trades = simulate(pair, until_ms=120_000)
        assert trades
        assert all(t.price % profile.tick == 0 and t.price > 0 for t in trades)
        assert all(t.qty % profile.step == 0 and t.qty > 0 for t in trades)


def test_unknown_pairs_get_a_seeded_level_with_sensible_tick_and_step() -> None:
    profile = profile_for("FOOBARUSDT", 5)
    assert profile == profile_for("FOOBARUSDT", 5)
    assert profile.price != profile_for("FOOBARUSDT", 6).price
    assert 0.01 <= profile.price <= 10_000
    tick_share = profile.tick / UNITS / profile.price
    assert 1e-6 < tick_share <= 1e-3
    assert profile.step * profile.price / UNITS <= 0.01


def test_every_known_coin_has_a_profile() -> None:
    assert profile_for("DOGEUSDT", 0).tick == KNOWN_PROFILES["DOGE"][1]


def test_max_trades_caps_generation_even_inside_an_order() -> None:
    market = PairMarket(
        profile_for("ETHUSDT", 1), seed=1, rate=50, first_id=7, start_ms=0, max_trades=101
    )
    trades = [t for now in range(10, 100_000, 10) for t in market.advance(now)]
    assert len(trades) == 101
    assert trades[-1].trade_id == 107
    assert market.exhausted


def test_a_lagging_market_skips_ahead_only_when_asked() -> None:
    lagging = PairMarket(profile_for("BTCUSDT", 1), seed=1, rate=50, first_id=1, start_ms=0)
    assert all(t.trade_time >= 59_000 for t in lagging.advance(60_000, max_lag_ms=1_000))
    backlog = PairMarket(profile_for("BTCUSDT", 1), seed=1, rate=50, first_id=1, start_ms=0)
    assert len(backlog.advance(60_000)) > 1_000


def test_first_id_defaults_to_start_ms_times_100() -> None:
    assert Market(["BTCUSDT"], seed=0, rate=1, start_ms=1_700_000_000_123.9).first_id == (
        170_000_000_012_300
    )


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate"):
        PairMarket(profile_for("BTCUSDT", 1), seed=1, rate=0, first_id=1, start_ms=0)


def test_normalize_pairs() -> None:
    assert normalize_pairs("btcusdt, ETHUSDT,,btcusdt") == ("BTCUSDT", "ETHUSDT")
    with pytest.raises(ValueError, match="malformed"):
        normalize_pairs(["BTC/USDT"])
    with pytest.raises(ValueError, match="no pairs"):
        normalize_pairs(" , ")


@pytest.mark.parametrize("units", [0, 1, 99_999_999, 100_000_000, 6_501_234_000_000])
def test_format_units_is_exact_with_eight_decimals(units: int) -> None:
    text = format_units(units)
    assert Decimal(text) * UNITS == units
    assert len(text.split(".")[1]) == 8
