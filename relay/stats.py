"""Relay counters and publish-lag percentiles, served as JSON on /stats."""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

LAG_SAMPLES = 20_000  # recent per-trade lags kept for percentiles (~160 KB)


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class RelayStats:
    started_at: float = field(default_factory=time.time)
    frames_in: int = 0
    trades_received: int = 0
    duplicates_received: int = 0
    trades_published: int = 0
    messages_published: int = 0
    heartbeats_published: int = 0
    publish_errors: int = 0
    gaps_found: int = 0
    gaps_filled: int = 0
    trades_backfilled: int = 0
    gap_trades_unavailable: int = 0
    gaps_abandoned: int = 0
    gap_trades_abandoned: int = 0
    rest_requests: int = 0
    rest_throttled: int = 0
    rest_rejected: int = 0
    reconnects: int = 0
    rotations: int = 0
    server_shutdowns: int = 0
    open_connections: int = 0
    last_frame_at: float = 0.0
    checkpoint_save_errors: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    task_failures: Counter[str] = field(default_factory=Counter)  # per background task
    lags_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LAG_SAMPLES))

    def snapshot(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        lags = list(self.lags_ms)
        data: dict[str, Any] = {
            key: value
            for key, value in vars(self).items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        data["dead_letters"] = dict(self.dead_letters)
        data["dead_letters_total"] = sum(self.dead_letters.values())
        data["task_failures"] = dict(self.task_failures)
        data["publish_lag_ms"] = {
            "p50": percentile(lags, 0.50),
            "p99": percentile(lags, 0.99),
            "max": max(lags) if lags else None,
            "samples": len(lags),
        }
        data["uptime_s"] = round(time.time() - self.started_at, 3)
        data.update(extra or {})
        return data
