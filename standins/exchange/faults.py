"""Faults the exchange can inject, each off unless switched on.

Stream faults act on a pair's frame sequence before it fans out, so every
subscriber of the pair sees the same damage: duplicated frames (sent twice in a
row), reordered frames (a frame swapped with its successor, across ticks if need
be) and malformed frames sent in addition to the real trade they imitate (same
trade id, so a client must validate a frame before it trusts its id).
Connection faults act on one connection: an abrupt drop (the TCP transport is
closed without a close frame, after a random life around ``drop_every`` seconds
or with ``drop_probability`` per frame sent) and a ``serverShutdown`` event
followed by a clean close ``shutdown_grace`` seconds later. REST faults answer a
fraction of REST requests 429 with ``Retry-After: 1``.

No fault ever removes a trade from the ground truth: what a client misses it
must recover over REST.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any, Final

FAULT_NAMES: Final = ("drop", "shutdown", "duplicate", "reorder", "malformed", "rest429")
MALFORMED_KINDS: Final = (
    "invalid_json",
    "unknown_event",
    "missing_field",
    "non_numeric_price",
    "non_positive_price",
)
MISSABLE_FIELDS: Final = ("s", "t", "p", "q", "T", "m")
LIFE_SPREAD = 0.5  # a connection's drop/shutdown time is uniform in every * (1 +- 0.5)


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Fault knobs; the defaults switch every fault off."""

    drop_every: float | None = None  # s, mean connection life before an abrupt drop
    drop_probability: float = 0.0  # per frame sent, chance of an abrupt drop
    shutdown_every: float | None = None  # s, mean connection life before serverShutdown
    shutdown_grace: float = 3.0  # s between serverShutdown and the close
    duplicate_probability: float = 0.0  # per frame, chance it is sent twice
    reorder_probability: float = 0.0  # per frame, chance it swaps with its successor
    malformed_probability: float = 0.0  # per trade, chance a bad frame follows it
    rest429_probability: float = 0.0  # per REST request, chance of a 429

    def __post_init__(self) -> None:
        for name in ("drop_every", "shutdown_every"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be above zero, got {value}")
        if self.shutdown_grace < 0:
            raise ValueError(f"shutdown_grace must not be negative, got {self.shutdown_grace}")
        for name in ("drop", "duplicate", "reorder", "malformed", "rest429"):
            value = getattr(self, f"{name}_probability")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}_probability must be within 0..1, got {value}")

    @property
    def active(self) -> list[str]:
        """Names of the faults that are on."""
        on = {
            "drop": self.drop_every is not None or self.drop_probability > 0,
            "shutdown": self.shutdown_every is not None,
            "duplicate": self.duplicate_probability > 0,
            "reorder": self.reorder_probability > 0,
            "malformed": self.malformed_probability > 0,
            "rest429": self.rest429_probability > 0,
        }
        return [name for name in FAULT_NAMES if on[name]]

    @classmethod
    def from_names(cls, text: str) -> FaultConfig:
        """'all', or comma-separated FAULT_NAMES, at the ALL_FAULTS settings. Raises ValueError."""
        names = {name.strip() for name in text.split(",") if name.strip()}
        if "all" in names:
            names = set(FAULT_NAMES)
        unknown = sorted(names - set(FAULT_NAMES))
        if unknown:
            raise ValueError(f"unknown fault {', '.join(unknown)}; choose all or {FAULT_NAMES}")
        full = ALL_FAULTS
        return cls(
            drop_every=full.drop_every if "drop" in names else None,
            drop_probability=full.drop_probability if "drop" in names else 0.0,
            shutdown_every=full.shutdown_every if "shutdown" in names else None,
            shutdown_grace=full.shutdown_grace,
            duplicate_probability=full.duplicate_probability if "duplicate" in names else 0.0,
            reorder_probability=full.reorder_probability if "reorder" in names else 0.0,
            malformed_probability=full.malformed_probability if "malformed" in names else 0.0,
            rest429_probability=full.rest429_probability if "rest429" in names else 0.0,
        )

    def with_settings(self, settings: Iterable[str]) -> FaultConfig:
        """Override knobs from 'name=value' strings, e.g. 'drop_every=2'. Raises ValueError."""
        knobs = [field.name for field in fields(self)]
        changes: dict[str, Any] = {}
        for setting in settings:
            name, sep, value = (part.strip() for part in setting.partition("="))
            if not sep or name not in knobs:
                raise ValueError(f"bad fault setting {setting!r}; knobs: {', '.join(knobs)}")
            try:
                changes[name] = None if value in ("none", "off") else float(value)
            except ValueError:
                raise ValueError(f"fault setting {setting!r} is not a number") from None
        return replace(self, **changes)


# '--faults all': every fault on, frequent enough to show within seconds in a test.
ALL_FAULTS: Final = FaultConfig(
    drop_every=6.0,
    drop_probability=0.0,
    shutdown_every=6.0,
    shutdown_grace=2.0,
    duplicate_probability=0.02,
    reorder_probability=0.02,
    malformed_probability=0.01,
    rest429_probability=0.1,
)


def malformed(payload: str, kind: str, rng: random.Random) -> str:
    """A broken imitation of a trade payload. Raises ValueError for an unknown kind."""
    if kind == "invalid_json":
        return payload[: len(payload) // 2]
    if kind == "unknown_event":
        return payload.replace('"e":"trade"', '"e":"depthUpdate"', 1)
    if kind == "missing_field":
        field = rng.choice(MISSABLE_FIELDS)
        return re.sub(rf',"{field}":("[^"]*"|[^,}}]*)', "", payload, count=1)
    if kind == "non_numeric_price":
        return re.sub(r'"p":"[^"]*"', '"p":"n/a"', payload, count=1)
    if kind == "non_positive_price":
        price = rng.choice(("0.00000000", "-1.00000000"))
        return re.sub(r'"p":"[^"]*"', f'"p":"{price}"', payload, count=1)
    raise ValueError(f"unknown malformed kind {kind!r}")


class StreamFaults:
    """Duplicate, malformed and reorder faults on one pair's payload sequence."""

    def __init__(self, config: FaultConfig, rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        self._held: str | None = None  # a frame waiting for its successor to pass it
        chances = (config.duplicate_probability, config.reorder_probability)
        self.enabled = any(chances) or config.malformed_probability > 0

    def apply(self, payloads: list[str]) -> list[str]:
        """The payloads of one tick as they go out. A held frame leaves with the next tick."""
        if not self.enabled and self._held is None:
            return payloads
        config, rng = self._config, self._rng
        out: list[str] = []
        held, self._held = self._held, None
        for payload in payloads:
            frames = [payload]
            if rng.random() < config.duplicate_probability:
                frames.append(payload)
            if rng.random() < config.malformed_probability:
                frames.append(malformed(payload, rng.choice(MALFORMED_KINDS), rng))
            for frame in frames:
                if held is not None:
                    out += (frame, held)
                    held = None
                elif rng.random() < config.reorder_probability:
                    held = frame
                else:
                    out.append(frame)
        if held is not None:
            if payloads:
                self._held = held
            else:
                out.append(held)
        return out


class ConnectionFaults:
    """When one connection is dropped or told to shut down."""

    def __init__(self, config: FaultConfig, rng: random.Random, connected_at: float) -> None:
        self._config = config
        self._rng = rng
        self.drop_at = self._life(config.drop_every, connected_at)
        self.shutdown_at = self._life(config.shutdown_every, connected_at)

    def _life(self, every: float | None, start: float) -> float | None:
        if every is None:
            return None
        return start + every * self._rng.uniform(1 - LIFE_SPREAD, 1 + LIFE_SPREAD)

    def drop_after(self, frames: int) -> int | None:
        """Of the next `frames` frames, how many go out before a random drop; None: no drop."""
        chance = self._config.drop_probability
        if chance <= 0 or frames <= 0:
            return None
        if self._rng.random() >= 1 - (1 - chance) ** frames:
            return None
        return self._rng.randrange(frames)


def rest_fault(config: FaultConfig, rng: random.Random) -> bool:
    """True when this REST request is to be answered 429."""
    return config.rest429_probability > 0 and rng.random() < config.rest429_probability
