# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""The clock gate, used where the watermark is the wall clock (the DirectRunner's reader).

The timer gate is exercised with TestStream in test_windowing.py.
"""

from __future__ import annotations

import pytest
from apache_beam.pvalue import TaggedOutput

from beam_pipeline.lateness import LATE, ClockLatenessGate
from beam_pipeline.trades import Chunk

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000  # a minute boundary
CHUNK: Chunk = ("BTCUSDT", ((1, T0 + 30_000, "1", "1", False),))


@pytest.mark.parametrize(
    ("now", "late"),
    [
        (T0 + 59_999, False),  # window still open
        (T0 + 60_000 + 120_000, False),  # exactly at window end + lateness: Beam keeps it
        (T0 + 60_000 + 120_001, True),  # past it: Beam would drop it, the gate sets it aside
    ],
)
def test_late_exactly_when_the_clock_passes_window_end_plus_lateness(now: int, late: bool) -> None:
    gate = ClockLatenessGate(120, clock=lambda: now)
    (output,) = list(gate.process(CHUNK))
    if late:
        assert isinstance(output, TaggedOutput)
        assert (output.tag, output.value) == (LATE, CHUNK)
    else:
        assert output == CHUNK
