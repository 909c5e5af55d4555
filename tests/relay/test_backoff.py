import random

import pytest

from relay.backoff import MIN_ATTEMPT_INTERVAL, Backoff

pytestmark = pytest.mark.unit


def test_backoff_grows_to_the_cap_and_never_stops() -> None:
    backoff = Backoff(initial=0.5, cap=10.0, jitter=0.25, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(50)]
    assert all(MIN_ATTEMPT_INTERVAL <= d <= 10.25 for d in delays)
    assert delays[-1] >= 10.0
    assert delays[0] < delays[5]
    backoff.reset()
    assert backoff.next_delay() < 1.5
