"""The ground truth store: id-indexed windows, REST rows, trade records, the JSONL file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from coinpulse import binance_frames
from coinpulse.trade import Trade
from standins.exchange.market import GeneratedTrade
from standins.exchange.truth import PairTruth, TruthFile

pytestmark = pytest.mark.unit

FIRST = 1_000


def trades(count: int) -> list[GeneratedTrade]:
    return [
        GeneratedTrade(
            FIRST + i, 9_000_000_000_000 + i * 1_000_000, 150_000 + i, 50 + i, 52 + i, i % 2 == 0
        )
        for i in range(count)
    ]


@pytest.fixture
def truth() -> PairTruth:
    store = PairTruth("BTCUSDT", FIRST)
    store.extend(trades(10))
    return store


def ids(rows: list[dict[str, object]], key: str = "id") -> list[object]:
    return [row[key] for row in rows]


def test_window_from_id_limit_and_most_recent(truth: PairTruth) -> None:
    assert ids(truth.rest_rows(FIRST + 3, 4)) == [1003, 1004, 1005, 1006]
    assert ids(truth.rest_rows(FIRST + 8, 500)) == [1008, 1009]
    assert truth.rest_rows(FIRST + 10, 500) == []
    assert ids(truth.rest_rows(0, 2)) == [1000, 1001]  # before the first trade: from the first
    assert ids(truth.rest_rows(None, 3)) == [1007, 1008, 1009]
    assert ids(truth.records(), "trade_id") == list(range(1000, 1010))


def test_rest_row_fields(truth: PairTruth) -> None:
    row = truth.rest_rows(FIRST + 1, 1)[0]
    assert row == {
        "id": 1001,
        "price": "90000.01000000",
        "qty": "0.00150001",
        "quoteQty": str(
            (Decimal("90000.01") * Decimal("0.00150001")).quantize(Decimal("1e-8"), "ROUND_DOWN")
        ),
        "time": 51,
        "isBuyerMaker": False,
        "isBestMatch": True,
    }
    parsed = binance_frames.parse_rest_trade("BTCUSDT", row, received_at=0)
    assert (parsed.trade_id, parsed.price, parsed.quantity) == (
        1001,
        "90000.01000000",
        "0.00150001",
    )


def test_records_round_trip_through_the_trade_record(truth: PairTruth) -> None:
    record = truth.records(FIRST, 1)[0]
    assert record == {
        "symbol": "BTCUSDT",
        "coin_id": "bitcoin",
        "trade_id": 1000,
        "price": "90000.00000000",
        "quantity": "0.00150000",
        "trade_time": 50,
        "event_time": 52,
        "is_buyer_maker": True,
        "received_at": 52,
        "source": "ws",
    }
    assert Trade.from_record(record).to_record() == record


def test_ids_must_continue_the_sequence(truth: PairTruth) -> None:
    with pytest.raises(ValueError, match="breaks the sequence"):
        truth.extend([trades(12)[11]])
    assert truth.last_id == 1009
    assert PairTruth("BTCUSDT", 5).last_id is None


def test_unknown_pairs_have_no_coin_id() -> None:
    store = PairTruth("FOOBARUSDT", FIRST)
    store.extend(trades(1))
    assert store.records()[0]["coin_id"] is None


def test_truth_file_appends_one_record_per_line(tmp_path: Path, truth: PairTruth) -> None:
    path = tmp_path / "deep" / "truth.jsonl"
    writer = TruthFile(path)
    writer.write(truth, trades(3))
    writer.write(truth, trades(4)[3:])
    assert [json.loads(line) for line in path.read_text().splitlines()] == truth.records(FIRST, 4)
    writer.close()
