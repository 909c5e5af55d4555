"""Symbol fixtures: the pairs of the recorded Binance.US stream, brought by the tests.

The production symbol map holds only the coins CoinPulse tracks; tests that replay
``tests/data/binance_us_ws_recording.txt`` add its pairs through COINPULSE_SYMBOL_MAP,
in this process and in the processes it starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coinpulse import symbols

RECORDED_MAP = Path(__file__).resolve().parent / "data" / "recorded_pairs.json"


@pytest.fixture
def recorded_pairs() -> Iterator[list[str]]:
    """The map extended by the recording's pairs for one test; yields those pairs."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(symbols.SYMBOL_MAP_ENV, str(RECORDED_MAP))
        symbols.load()
        yield [coin.pair for coin in symbols.read_map_file(RECORDED_MAP)]
    symbols.load()
