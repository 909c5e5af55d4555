"""The relay streams the tracked pairs: COINPULSE_PAIRS, unless --symbols says otherwise."""

import argparse

import pytest

from relay import main

pytestmark = pytest.mark.unit


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    main.configure(parser)
    return parser.parse_args(["--sink", "null", *argv])


def test_the_tracked_pairs_come_from_coinpulse_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COINPULSE_PAIRS", raising=False)
    assert parse().symbols == "BTCUSDT,ETHUSDT,SOLUSDT,BNBUSDT,ADAUSDT"
    monkeypatch.setenv("COINPULSE_PAIRS", "SOLUSDT,BTCUSDT")
    assert parse().symbols == "SOLUSDT,BTCUSDT"
    assert parse("--symbols", "ETHUSDT").symbols == "ETHUSDT"
