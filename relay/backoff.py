"""Reconnect pacing: capped, jittered exponential backoff that never gives up.

Numbers follow nautilus_trader's Binance adapter (initial 500 ms, factor 2, 250 ms
jitter) with a higher cap, plus a floor of one connection attempt per second per
process, well inside Binance's 300 connection attempts per 5 minutes per IP
(binance-spot-api-docs CHANGELOG 2023-02-17).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

INITIAL_DELAY = 0.5  # s, nautilus_trader reconnect_delay_initial_ms
MAX_DELAY = 10.0  # s, cap: reconnect quickly, but never hammer the exchange
FACTOR = 2.0  # nautilus_trader reconnect_backoff_factor
JITTER = 0.25  # s, nautilus_trader reconnect_jitter_ms
MIN_ATTEMPT_INTERVAL = 1.0  # s, nautilus BINANCE_WS_CONNECTION_QUOTA (1/s)


@dataclass
class Backoff:
    initial: float = INITIAL_DELAY
    cap: float = MAX_DELAY
    factor: float = FACTOR
    jitter: float = JITTER
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next_delay(self) -> float:
        """The wait before the next attempt; grows until the cap, forever."""
        base = min(self.cap, self.initial * self.factor**self.attempts)
        self.attempts += 1
        return max(MIN_ATTEMPT_INTERVAL, base + self.rng.uniform(0, self.jitter))

    def reset(self) -> None:
        self.attempts = 0
