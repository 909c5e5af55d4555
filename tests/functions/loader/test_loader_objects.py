"""Objects are checked as BigQuery checks a load with an explicit schema, no unknown values."""

import io
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from coinpulse import lake, schemas
from coinpulse.lake import Target
from functions.loader import objects

pytestmark = pytest.mark.unit

WINDOWS = Target(lake.STREAM_PRICES)


def test_window_rows_read_exactly_with_the_schema_s_types(samples: Any) -> None:
    rows = (samples.window_row(), samples.window_row("ETHUSDT", 1))
    table = objects.read_table(samples.jsonl(*rows), WINDOWS)
    assert table.schema.equals(schemas.arrow_schema("stream_prices"))
    first = table.to_pylist()[0]
    assert first["close_price"] == Decimal("100.000000001")
    assert first["price_sq_sum"] == Decimal("30351.3125002010000001")
    assert first["window_start"].isoformat() == "2026-05-18T12:00:00+00:00"


def test_an_empty_object_is_zero_rows() -> None:
    assert objects.read_table(b"", WINDOWS).num_rows == 0


MISSING = object()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"extra_column": 1}, "unexpected field"),
        ({"trade_count": MISSING}, "required field was absent"),
        ({"symbol": None}, "required field was null"),
        ({"trade_count": "three"}, "changed from number to string"),
        ({"window_start": "yesterday"}, "couldn't parse"),
        ({"open_price": "1.1234567891"}, "requires scale"),
        ({"open_price": "123456789012345678901234567890.5"}, "precision"),
    ],
)
def test_rows_that_do_not_fit_the_schema_make_a_bad_object(
    samples: Any, change: dict[str, Any], why: str
) -> None:
    row = samples.window_row()
    row.update(change)
    payload = samples.jsonl({key: value for key, value in row.items() if value is not MISSING})
    with pytest.raises(objects.BadObject, match=why):
        objects.read_table(payload, WINDOWS)


@pytest.mark.parametrize("payload", [b'{"symbol": "BTCUSDT", \n', b"[1, 2]\n", b"\x00\xff"])
def test_unparseable_jsonl_is_a_bad_object(payload: bytes) -> None:
    with pytest.raises(objects.BadObject, match="JSON parse error"):
        objects.read_table(payload, WINDOWS)


def test_parquet_files_of_the_coingecko_lane_read_as_written(samples: Any) -> None:
    markets = lake.resolve("coingecko/markets/snapshot_date=2026-05-18/markets.parquet")
    candles = lake.resolve("coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet")
    assert markets and candles
    assert objects.read_table(samples.markets_parquet(), markets).num_rows == 2
    assert objects.read_table(samples.candles_parquet(("bitcoin",)), candles).num_rows == 48


def rewritten(payload: bytes, change: Any) -> bytes:
    sink = io.BytesIO()
    pq.write_table(change(pq.read_table(io.BytesIO(payload))), sink)
    return sink.getvalue()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda t: t.drop_columns(["ath"]), "missing \\['ath'\\]"),
        (lambda t: t.append_column("extra", pa.array([1, 2])), "unknown \\['extra'\\]"),
        (lambda t: t.set_column(4, "current_price", t.column(4).cast(pa.string())), "string"),
        (
            lambda t: t.set_column(1, "coin_id", pa.array([None, "x"], pa.string())),
            "REQUIRED column coin_id",
        ),
    ],
)
def test_parquet_of_another_schema_is_a_bad_object(samples: Any, change: Any, why: str) -> None:
    target = lake.resolve("coingecko/markets/snapshot_date=2026-05-18/markets.parquet")
    assert target
    with pytest.raises(objects.BadObject, match=why):
        objects.read_table(rewritten(samples.markets_parquet(), change), target)


def test_a_markets_object_may_only_hold_its_own_date(samples: Any) -> None:
    other_day = lake.resolve("coingecko/markets/snapshot_date=2026-05-19/markets.parquet")
    assert other_day
    with pytest.raises(objects.BadObject, match="2026-05-18"):
        objects.read_table(samples.markets_parquet(), other_day)


def test_garbage_is_a_bad_object_in_either_format() -> None:
    target = lake.resolve("coingecko/ohlc/snapshot_date=2026-05-18/ohlc.parquet")
    assert target
    with pytest.raises(objects.BadObject):
        objects.read_table(b"PAR1 not really", target)
