"""The two warehouse tables: exact columns, BigQuery types and modes, derived Arrow types."""

import pyarrow as pa
import pytest

from coinpulse import lake, schemas

pytestmark = pytest.mark.unit

MARKETS_COLUMNS = [
    "snapshot_date", "coin_id", "symbol", "name", "current_price", "market_cap",
    "market_cap_rank", "fully_diluted_valuation", "total_volume", "high_24h", "low_24h",
    "price_change_24h", "price_change_percentage_24h", "market_cap_change_percentage_24h",
    "circulating_supply", "total_supply", "max_supply", "ath", "ath_date", "atl", "atl_date",
    "last_updated", "ingested_at",
]  # fmt: skip
OHLC_COLUMNS = [
    "coin_id", "candle_open_time", "candle_close_time", "open", "high", "low", "close",
    "granularity_minutes", "is_complete", "ingested_at",
]  # fmt: skip


def types(table: str) -> dict[str, tuple[str, str]]:
    return {f["name"]: (f["type"], f["mode"]) for f in schemas.fields(table)}


def test_markets_has_exactly_the_issue_columns_in_order() -> None:
    assert [f["name"] for f in schemas.fields("coingecko_markets")] == MARKETS_COLUMNS


def test_candles_have_the_issue_columns_plus_the_run_date() -> None:
    names = [f["name"] for f in schemas.fields("coingecko_ohlc_candles")]
    assert names == ["snapshot_date", *OHLC_COLUMNS]


def test_market_types_and_modes() -> None:
    fields = types("coingecko_markets")
    required = {name for name, (_, mode) in fields.items() if mode == "REQUIRED"}
    assert required == {"snapshot_date", "coin_id", "symbol", "ingested_at"}
    assert fields["snapshot_date"][0] == "DATE"
    assert {fields[name][0] for name in ("ath_date", "atl_date", "last_updated")} == {"TIMESTAMP"}
    assert fields["market_cap_rank"][0] == "INT64"
    assert fields["name"][0] == fields["coin_id"][0] == fields["symbol"][0] == "STRING"
    floats = [name for name, (kind, _) in fields.items() if kind == "FLOAT64"]
    assert len(floats) == 14 and "current_price" in floats and "max_supply" in floats


def test_candle_types_and_modes() -> None:
    fields = types("coingecko_ohlc_candles")
    assert fields["candle_open_time"] == fields["candle_close_time"] == ("TIMESTAMP", "REQUIRED")
    assert fields["granularity_minutes"] == ("INT64", "REQUIRED")
    assert fields["is_complete"] == ("BOOL", "REQUIRED")
    assert {fields[name] for name in ("open", "high", "low", "close")} == {("FLOAT64", "NULLABLE")}


@pytest.mark.parametrize("table", lake.COINGECKO_ROUTES, ids=lambda t: t.table)
def test_every_field_is_described_and_keys_are_required(table: lake.Route) -> None:
    fields = types(table.table)
    assert all(f.get("description") for f in schemas.fields(table.table))
    assert all(fields[column][1] == "REQUIRED" for column in table.key)


def test_arrow_schema_is_derived_exactly() -> None:
    schema = lake.COINGECKO_OHLC.arrow_schema()
    assert schema.field("candle_close_time").type == pa.timestamp("us", tz="UTC")
    assert not schema.field("candle_close_time").nullable
    assert schema.field("snapshot_date").type == pa.date32()
    assert schema.field("open").type == pa.float64() and schema.field("open").nullable
    assert lake.COINGECKO_MARKETS.arrow_schema().field("market_cap_rank").type == pa.int64()
