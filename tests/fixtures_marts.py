"""The dashboard tests' warehouse: the marts written directly with the contract's columns.

commands.bench.marts writes crypto_mart's tables as the dbt models define them (a
deterministic price path per pair); the raw tables come from the schema files, with
one coinpulse verify result per pair and one dead letter. ``add_minute`` appends a
new window with a chosen close, as a load followed by a dbt run would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from commands import warehouse_db
from commands.bench import marts

PAIRS = ("BTCUSDT", "ETHUSDT", "ADAUSDT")
START = datetime(2026, 11, 30, tzinfo=UTC)
MINUTES = 180  # three hours: 180 1m, 36 5m, 12 15m, 3 1h candles and one 1d per pair
# BTCUSDT's verify result: 2 trade ids missing, so the health view has a red cell.
MISSING_BTC_TRADES = 2


def fill(connection: duckdb.DuckDBPyConnection, start: datetime = START) -> None:
    """Marts of PAIRS over MINUTES from ``start``, the raw tables, verify's results."""
    marts.generate(connection, PAIRS, start, MINUTES)
    marts.create_raw(connection)
    for pair in PAIRS:
        missing = MISSING_BTC_TRADES if pair == "BTCUSDT" else 0
        connection.execute(
            "INSERT INTO crypto_raw.completeness_checks "
            "VALUES (?, ?, NULL, NULL, ?, ?, ?, 0, '[]')",
            [start + timedelta(minutes=MINUTES + 5), pair, MINUTES, MINUTES * 100, missing],
        )
    connection.execute(
        "INSERT INTO crypto_raw.dead_letters (stage, reason, raw, source, received_at) "
        "VALUES ('relay', 'unparseable_frame', '{oops', 'websocket', ?)",
        [start + timedelta(minutes=30)],
    )


def add_minute(path: Path, pair: str, minute: datetime, close: float) -> None:
    """A new 1-minute window of ``pair`` in mart_crypto_prices and mart_ohlc, as the
    loader and a dbt run would add it; opens at the previous close."""
    with warehouse_db.transaction(path) as connection:
        previous = connection.execute(
            "SELECT close_price FROM crypto_mart.mart_crypto_prices WHERE symbol = ? "
            "ORDER BY window_start DESC LIMIT 1",
            [pair],
        ).fetchone()
        assert previous is not None
        opening = float(previous[0])
        high, low = max(opening, close), min(opening, close)
        connection.execute(
            "INSERT INTO crypto_mart.mart_crypto_prices (symbol, window_start, open_price, "
            "high_price, low_price, close_price, avg_price, trade_count, base_volume, "
            "price_usd, market_cap_rank) VALUES (?, ?, ?, ?, ?, ?, ?, 10, 1.5, ?, 1)",
            [pair, minute, opening, high, low, close, (opening + close) / 2, close],
        )
        connection.execute(
            "INSERT INTO crypto_mart.mart_ohlc (symbol, timeframe, bucket_start, bucket_end, "
            "open_price, high_price, low_price, close_price, trade_count, base_volume) "
            "VALUES (?, '1m', ?, ?, ?, ?, ?, ?, 10, 1.5)",
            [pair, minute, minute + timedelta(minutes=1), opening, high, low, close],
        )


@pytest.fixture
def marts_warehouse(tmp_path: Path) -> Path:
    """A warehouse file holding the marts of PAIRS over three hours from START."""
    path = tmp_path / "warehouse.duckdb"
    with warehouse_db.transaction(path) as connection:
        fill(connection)
    return path
