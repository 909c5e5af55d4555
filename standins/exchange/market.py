"""A seeded, realistic spot market for any pair.

Each pair runs its own generator, seeded by ``(seed, pair)`` so adding a pair never
changes another pair's trades. Taker orders arrive as a Markov-modulated Poisson
process: long quiet stretches alternate with short bursts at several times the quiet
intensity, scaled so the long-run average equals the configured trades per second.
Each order fills against one or more resting orders at the same millisecond
(consecutive trade ids, one ``T``, one side), walking the book a tick at a time.
Between orders the mid price follows a geometric random walk with the coin's
volatility; trades print at the bid (taker sold, buyer is maker) or the ask.
Prices and quantities are integers in units of 1e-8, rounded to the pair's tick and
step size, so formatting them is exact.

Trade times are the virtual schedule of the generator, which the server advances to
the wall clock every tick: ``T`` is the wall-clock millisecond the trade was
generated at, and the same seed and the same start time give the same trades,
however the clock's advances are sliced.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from coinpulse import symbols

UNITS = 100_000_000  # Binance spot prices and quantities carry 8 decimals

# Per ticker: starting price (USD, a recent level), tickSize and stepSize in 1e-8 units
# (Binance exchangeInfo PRICE_FILTER / LOT_SIZE of the USDT pair), annualized volatility.
KNOWN_PROFILES: dict[str, tuple[float, int, int, float]] = {
    "BTC": (90_000.0, 1_000_000, 1_000, 0.55),
    "ETH": (3_000.0, 1_000_000, 10_000, 0.70),
    "SOL": (150.0, 1_000_000, 100_000, 0.90),
    "BNB": (600.0, 1_000_000, 100_000, 0.55),
    "ADA": (0.5, 10_000, 10_000_000, 0.85),
    "XRP": (2.2, 10_000, 10_000_000, 0.85),
    "DOGE": (0.2, 1_000, 100_000_000, 1.00),
    "CRV": (0.6, 100_000, 10_000_000, 1.10),
    "COMP": (50.0, 1_000_000, 100_000, 0.90),
    "OMG": (0.5, 10_000, 10_000_000, 1.00),
    "ZRX": (0.35, 10_000, 100_000_000, 1.00),
}
START_JITTER = 0.02  # the seed moves a known starting price by up to +-2 %
UNKNOWN_VOLATILITY = 1.0  # annualized, for pairs the symbol map does not know
MS_PER_YEAR = 365 * 24 * 3600 * 1000

QUIET_MEAN_MS = 1_500.0  # mean length of a quiet stretch
BURST_MEAN_MS = 200.0  # mean length of a burst
BURST_FACTOR = 8.0  # order intensity in a burst, relative to a quiet stretch
FILL_CONTINUE = 0.4  # chance an order fills one more resting order
MAX_FILLS = 12  # most fills of one taker order
LEVEL_WALK = 0.35  # chance the next fill of an order is one tick further into the book
NOTIONAL_MEDIAN = 150.0  # USD per fill, median of a log-normal
NOTIONAL_SIGMA = 1.4  # log-normal shape: many small fills, a few large ones
MAX_EVENT_DELAY_MS = 3  # E = T + 0..3 ms

MEAN_FILLS = (1 - FILL_CONTINUE**MAX_FILLS) / (1 - FILL_CONTINUE)
_BURST_SHARE = BURST_MEAN_MS / (QUIET_MEAN_MS + BURST_MEAN_MS)
# quiet intensity * QUIET_SCALE averaged over quiet and burst time = 1
QUIET_SCALE = 1 / ((1 - _BURST_SHARE) + BURST_FACTOR * _BURST_SHARE)


class GeneratedTrade(NamedTuple):
    trade_id: int
    price: int  # 1e-8 units
    qty: int  # 1e-8 units
    trade_time: int  # T, ms since epoch
    event_time: int  # E, ms since epoch
    buyer_maker: bool  # m


@dataclass(frozen=True, slots=True)
class PairProfile:
    """How a pair trades: price level, tick and step size, volatility."""

    pair: str
    price: float  # starting price in quote units
    tick: int  # tickSize, 1e-8 units
    step: int  # stepSize, 1e-8 units
    volatility: float  # annualized


def normalize_pairs(pairs: str | Iterable[str]) -> tuple[str, ...]:
    """Pairs as upper-case, de-duplicated names. Raises ValueError on a malformed name."""
    items = pairs.split(",") if isinstance(pairs, str) else list(pairs)
    result: list[str] = []
    for item in items:
        pair = item.strip().upper()
        if not pair:
            continue
        if not pair.isascii() or not pair.isalnum() or len(pair) > 20:
            raise ValueError(f"malformed pair {item!r}: expected letters and digits, e.g. BTCUSDT")
        if pair not in result:
            result.append(pair)
    if not result:
        raise ValueError("no pairs given")
    return tuple(result)


def profile_for(pair: str, seed: int) -> PairProfile:
    """The pair's profile: known coins trade near their real level, others near a seeded one."""
    rng = random.Random(f"{seed}:profile:{pair}")
    try:
        ticker = symbols.by_pair(pair).ticker
    except symbols.UnknownSymbol:
        ticker = ""
    known = KNOWN_PROFILES.get(ticker)
    if known is not None:
        price, tick, step, volatility = known
        jitter = 1 + rng.uniform(-START_JITTER, START_JITTER)
        return PairProfile(pair, price * jitter, tick, step, volatility)
    price = 10 ** rng.uniform(-2.0, 4.0)
    # about five significant digits of price, and a step worth about a thousandth of a dollar
    tick = int(max(1, 10 ** (math.floor(math.log10(price)) - 4 + 8)))
    step = int(min(UNITS * 1000, max(1, 10 ** (math.floor(math.log10(0.001 / price)) + 8))))
    return PairProfile(pair, price, tick, step, UNKNOWN_VOLATILITY)


def format_units(units: int) -> str:
    """1e-8 units as Binance formats them, e.g. 6501234000000 -> '65012.34000000'."""
    return f"{units // UNITS}.{units % UNITS:08d}"


class PairMarket:
    """The trade generator of one pair. Not thread-safe; one owner advances it."""

    def __init__(
        self,
        profile: PairProfile,
        *,
        seed: int,
        rate: float,
        first_id: int,
        start_ms: float,
        max_trades: int | None = None,
        bursts: bool = True,
    ) -> None:
        """Without bursts, orders arrive as a plain Poisson process (steady benchmark load)."""
        if rate <= 0:
            raise ValueError(f"rate must be above zero, got {rate}")
        self.profile = profile
        self.next_id = first_id
        self.max_trades = max_trades
        self.count = 0
        self._rng = random.Random(f"{seed}:market:{profile.pair}")
        self._burst_factor = BURST_FACTOR if bursts else 1.0
        self._quiet_per_ms = rate / MEAN_FILLS * (QUIET_SCALE if bursts else 1.0) / 1000
        self._sigma_per_ms = profile.volatility / math.sqrt(MS_PER_YEAR)
        self._log_mid = math.log(profile.price * UNITS)
        self._bursting = False
        self._state_until = start_ms + self._rng.expovariate(1 / QUIET_MEAN_MS)
        self._last_ms = start_ms
        self._next_ms = self._arrival_after(start_ms)

    @property
    def exhausted(self) -> bool:
        """True once max_trades trades were generated."""
        return self.max_trades is not None and self.count >= self.max_trades

    def reopen(self, start_ms: float) -> None:
        """Move the market's clock to start_ms, keeping its seeded arrival pattern."""
        shift = start_ms - self._last_ms
        self._last_ms = start_ms
        self._next_ms += shift
        self._state_until += shift

    def advance(self, now_ms: float, max_lag_ms: float | None = None) -> list[GeneratedTrade]:
        """Every trade due up to and including now_ms, in id order.

        With max_lag_ms, a generator that fell further behind (an overloaded host)
        skips ahead instead of emitting the backlog with stale trade times.
        """
        trades: list[GeneratedTrade] = []
        if max_lag_ms is not None and self._next_ms < now_ms - max_lag_ms:
            self._next_ms = now_ms  # overloaded: skip the backlog rather than replay it late
            self._state_until = max(self._state_until, now_ms)
        while self._next_ms <= now_ms and not self.exhausted:
            gap = self._next_ms - self._last_ms
            self._log_mid += self._rng.gauss(0.0, self._sigma_per_ms * math.sqrt(gap))
            self._order(int(self._next_ms), trades)
            self._last_ms = self._next_ms
            self._next_ms = self._arrival_after(self._next_ms)
        return trades

    def _arrival_after(self, from_ms: float) -> float:
        """The next order's time: exponential gaps, intensity switching at state changes."""
        rng = self._rng
        at = from_ms
        while True:
            intensity = self._quiet_per_ms * (self._burst_factor if self._bursting else 1.0)
            candidate = at + rng.expovariate(intensity)
            if candidate <= self._state_until:
                return candidate
            at = self._state_until
            self._bursting = not self._bursting
            mean = BURST_MEAN_MS if self._bursting else QUIET_MEAN_MS
            self._state_until = at + rng.expovariate(1 / mean)

    def _order(self, trade_ms: int, out: list[GeneratedTrade]) -> None:
        """One taker order: one to MAX_FILLS fills at trade_ms, walking the book."""
        rng = self._rng
        tick = self.profile.tick
        step = self.profile.step
        sold = rng.random() < 0.5  # the taker sold, so the buyer was the maker
        bid = max(tick, int(math.exp(self._log_mid)) // tick * tick)
        price = bid if sold else bid + tick
        fills = 1
        while fills < MAX_FILLS and rng.random() < FILL_CONTINUE:
            fills += 1
        for fill in range(fills):
            if self.exhausted:
                return
            if fill and rng.random() < LEVEL_WALK:
                price = max(tick, price - tick if sold else price + tick)
            notional = rng.lognormvariate(math.log(NOTIONAL_MEDIAN), NOTIONAL_SIGMA)
            qty = max(1, int(notional * UNITS * UNITS / price) // step) * step
            delay = int(rng.random() * (MAX_EVENT_DELAY_MS + 1))
            out.append(GeneratedTrade(self.next_id, price, qty, trade_ms, trade_ms + delay, sold))
            self.next_id += 1
            self.count += 1


class Market:
    """All pairs of one exchange, advanced together by one clock."""

    def __init__(
        self,
        pairs: Iterable[str],
        *,
        seed: int,
        rate: float,
        start_ms: float,
        first_trade_id: int | None = None,
        max_trades: int | None = None,
        bursts: bool = True,
    ) -> None:
        first_id = int(start_ms) * 100 if first_trade_id is None else first_trade_id
        self.pairs: dict[str, PairMarket] = {
            pair: PairMarket(
                profile_for(pair, seed),
                seed=seed,
                rate=rate,
                first_id=first_id,
                start_ms=start_ms,
                max_trades=max_trades,
                bursts=bursts,
            )
            for pair in normalize_pairs(pairs)
        }
        self.first_id = first_id

    @property
    def exhausted(self) -> bool:
        """True once every pair generated its max_trades."""
        return all(market.exhausted for market in self.pairs.values())

    def reopen(self, start_ms: float) -> None:
        """Open every pair's market at start_ms (trade ids are unchanged)."""
        for market in self.pairs.values():
            market.reopen(start_ms)

    def advance(
        self, now_ms: float, max_lag_ms: float | None = None
    ) -> dict[str, list[GeneratedTrade]]:
        """The trades each pair generated up to now_ms; pairs without new trades are left out."""
        batches: dict[str, list[GeneratedTrade]] = {}
        for pair, market in self.pairs.items():
            trades = market.advance(now_ms, max_lag_ms)
            if trades:
                batches[pair] = trades
        return batches
