"""The Parquet writer: exact schemas, atomic rewrites, refusals."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from coinpulse import lake, schemas
from functions.coingecko import rows, writer
from standins.coingecko import data

pytestmark = pytest.mark.unit

DAY = date(2026, 5, 18)
NOW = datetime(2026, 5, 18, 12, 49, 21, 599000, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _recorded_coins(recorded_pairs: list[str]) -> None:
    """Every coin of the stand-in's catalogue mapped: omisego, a recorded pair, is the
    stale listing whose rank and change figures CoinGecko sends as null."""


def candle_rows(coin_ids: tuple[str, ...] = ("bitcoin", "ethereum")) -> list[rows.Row]:
    return [
        row
        for coin_id in coin_ids
        for row in rows.ohlc_rows(data.candles(coin_id, 1, NOW), coin_id, 1, DAY, NOW)
    ]


def market_rows() -> list[rows.Row]:
    payload = [data.market(coin_id, NOW) for coin_id in data.PROFILES]
    return rows.market_rows(payload, list(data.PROFILES), DAY, NOW)[0]


def test_written_files_have_exactly_the_table_schema(tmp_path: Path) -> None:
    for table, built in (
        (lake.COINGECKO_MARKETS, market_rows()),
        (lake.COINGECKO_OHLC, candle_rows()),
    ):
        uri = writer.write(str(tmp_path), table, DAY, writer.to_arrow(built, table))
        assert uri == str(tmp_path / lake.coingecko_object(table, DAY))
        stored = pq.read_table(uri)
        assert stored.schema.equals(table.arrow_schema())
        assert stored.num_rows == len(built)


def test_duckdb_reads_the_files_with_the_warehouse_types(tmp_path: Path) -> None:
    connection = duckdb.connect()
    for table, built in (
        (lake.COINGECKO_MARKETS, market_rows()),
        (lake.COINGECKO_OHLC, candle_rows()),
    ):
        uri = writer.write(str(tmp_path), table, DAY, writer.to_arrow(built, table))
        connection.execute(f"create table {table.table} ({schemas.duckdb_columns(table.table)})")
        warehouse = connection.execute(f"describe {table.table}").fetchall()
        query = f"describe select * from read_parquet('{uri}')"
        parquet = connection.execute(query).fetchall()
        assert [column[:2] for column in parquet] == [column[:2] for column in warehouse]
        connection.execute(f"insert into {table.table} select * from read_parquet('{uri}')")
        count = connection.execute(f"select count(*) from {table.table}").fetchone()
        assert count == (len(built),)


def test_nulls_survive_the_file(tmp_path: Path) -> None:
    uri = writer.write(
        str(tmp_path),
        lake.COINGECKO_MARKETS,
        DAY,
        writer.to_arrow(market_rows(), lake.COINGECKO_MARKETS),
    )
    stored = {row["coin_id"]: row for row in pq.read_table(uri).to_pylist()}
    assert stored["ethereum"]["max_supply"] is None
    assert stored["omisego"]["market_cap_rank"] is None
    assert stored["bitcoin"]["max_supply"] == 21e6


def test_rewriting_a_date_replaces_its_file_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    first = writer.to_arrow(candle_rows(("bitcoin", "ethereum")), lake.COINGECKO_OHLC)
    second = writer.to_arrow(candle_rows(("bitcoin",)), lake.COINGECKO_OHLC)
    writer.write(str(tmp_path), lake.COINGECKO_OHLC, DAY, first)
    uri = writer.write(str(tmp_path), lake.COINGECKO_OHLC, DAY, second)
    assert pq.read_table(uri).num_rows == 48
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["ohlc.parquet"]


def test_an_empty_file_is_never_written_over_a_date(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        writer.write(
            str(tmp_path), lake.COINGECKO_OHLC, DAY, writer.to_arrow([], lake.COINGECKO_OHLC)
        )
    assert not any(tmp_path.iterdir())


def change(row: rows.Row, **values: Any) -> rows.Row:
    return {**row, **values}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: {k: v for k, v in r.items() if k != "is_complete"}, "missing"),
        (lambda r: change(r, volume=1.0), "unknown"),
        (lambda r: change(r, granularity_minutes=None), "REQUIRED column granularity_minutes"),
        (lambda r: change(r, open="1.5"), "coingecko_ohlc_candles"),
    ],
)
def test_rows_that_do_not_fit_the_schema_are_refused(edit: Any, message: str) -> None:
    built = candle_rows(("bitcoin",))
    built[3] = edit(built[3])
    with pytest.raises(ValueError, match=message):
        writer.to_arrow(built, lake.COINGECKO_OHLC)


def test_a_key_twice_in_one_file_is_refused() -> None:
    built = candle_rows(("bitcoin",))
    with pytest.raises(ValueError, match="occurs twice"):
        writer.to_arrow([*built, change(built[0], close=1.0)], lake.COINGECKO_OHLC)
