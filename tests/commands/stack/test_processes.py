"""The restart policy of the stack's children: backoff, then giving up on a crash loop."""

import pytest

from commands.stack.processes import MAX_RESTARTS, RESTART_WINDOW_SECONDS, restart_delay

pytestmark = pytest.mark.unit


def test_restarts_back_off_and_stop_after_a_crash_loop() -> None:
    restarts: list[float] = []
    delays = []
    now = 1000.0
    while (delay := restart_delay(restarts, now)) is not None:
        delays.append(delay)
        now += delay
        restarts.append(now)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0] and len(restarts) == MAX_RESTARTS


def test_old_restarts_are_forgiven() -> None:
    restarts = [0.0, 1.0, 2.0, 3.0, 4.0]
    assert restart_delay(restarts, 5.0) is None
    assert restart_delay(restarts, 4.0 + RESTART_WINDOW_SECONDS) == 1.0
