"""CoinGecko payloads -> typed rows of coingecko_markets and coingecko_ohlc_candles.

Nothing is coerced: a null stays null (never 0), integers stay integers, timestamps
become timezone-aware UTC datetimes (never strings), and fields the tables do not
name are ignored, so CoinGecko can add fields without breaking a run. A value of
the wrong type raises ``InvalidPayload`` naming the coin and field; it fails that
coin only.

Candles: CoinGecko stamps each candle with its close time; the open time is the close
time minus the granularity, which ``days`` decides. A candle counts as complete only
when its close time lies at least one cache period before the fetch, because the
newest candle of a response may still be forming. Each response holds a candle at
most once (the last occurrence wins), so the loader's upsert key stays unique.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from coinpulse import logs, symbols

log = logging.getLogger(__name__)

Row = dict[str, Any]

MARKET_FLOATS = (
    "current_price",
    "market_cap",
    "fully_diluted_valuation",
    "total_volume",
    "high_24h",
    "low_24h",
    "price_change_24h",
    "price_change_percentage_24h",
    "market_cap_change_percentage_24h",
    "circulating_supply",
    "total_supply",
    "max_supply",
    "ath",
    "atl",
)
MARKET_TIMESTAMPS = ("ath_date", "atl_date", "last_updated")
# docs.coingecko.com/reference/coins-id-ohlc, "Cache / Update Frequency: every 15 minutes".
OHLC_CACHE = timedelta(minutes=15)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidPayload(ValueError):
    """A response or one of its values is not what CoinGecko documents."""


def number(value: Any, field: str) -> float | None:
    """A JSON number -> float; null stays None. Raises InvalidPayload."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPayload(f"{field} is not a number: {value!r}")
    if not math.isfinite(value):
        raise InvalidPayload(f"{field} is not finite: {value!r}")
    return float(value)


def integer(value: Any, field: str) -> int | None:
    """A JSON whole number (1 or 1.0) -> int; null stays None. Raises InvalidPayload."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPayload(f"{field} is not a whole number: {value!r}")
    return int(value)


def timestamp(value: Any, field: str) -> datetime | None:
    """An ISO-8601 time with offset (e.g. 2026-05-18T12:49:21.599Z) -> UTC datetime."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidPayload(f"{field} is not an ISO timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidPayload(f"{field} is not an ISO timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise InvalidPayload(f"{field} has no UTC offset: {value!r}")
    return parsed.astimezone(UTC)


def market_row(item: dict[str, Any], snapshot_date: date, ingested_at: datetime) -> Row:
    """One /coins/markets object -> one coingecko_markets row. Raises InvalidPayload."""
    coin = symbols.by_coin_id(item["id"])
    api_symbol = item.get("symbol")
    if isinstance(api_symbol, str) and api_symbol.upper() != coin.ticker:
        log.warning(
            "CoinGecko symbol differs from the symbol map; keeping the map's ticker",
            extra=logs.fields(coin_id=coin.coin_id, api_symbol=api_symbol, ticker=coin.ticker),
        )
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidPayload(f"name is not a string: {name!r}")
    row: Row = {
        "snapshot_date": snapshot_date,
        "coin_id": coin.coin_id,
        "symbol": coin.ticker,
        "name": name,
        "market_cap_rank": integer(item.get("market_cap_rank"), "market_cap_rank"),
        "ingested_at": ingested_at,
    }
    row.update({field: number(item.get(field), field) for field in MARKET_FLOATS})
    row.update({field: timestamp(item.get(field), field) for field in MARKET_TIMESTAMPS})
    return row


def market_rows(
    payload: Any, coin_ids: Sequence[str], snapshot_date: date, ingested_at: datetime
) -> tuple[list[Row], dict[str, str]]:
    """A /coins/markets response -> (rows, failures by coin id).

    A requested coin fails when it is missing from the response or one of its values
    is invalid; coins that were not requested are ignored. Raises InvalidPayload when
    the response is not a list of objects at all.
    """
    if not isinstance(payload, list):
        raise InvalidPayload(f"/coins/markets answered {type(payload).__name__}, not a list")
    wanted = set(coin_ids)
    rows: dict[str, Row] = {}
    failures: dict[str, str] = {}
    for item in payload:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise InvalidPayload(f"/coins/markets item without an id: {item!r:.200}")
        coin_id = item["id"]
        if coin_id not in wanted or coin_id in rows or coin_id in failures:
            continue
        try:
            rows[coin_id] = market_row(item, snapshot_date, ingested_at)
        except InvalidPayload as error:
            failures[coin_id] = f"invalid /coins/markets entry: {error}"
    for coin_id in coin_ids:
        if coin_id not in rows and coin_id not in failures:
            failures[coin_id] = "missing from the /coins/markets response"
    return [rows[coin_id] for coin_id in coin_ids if coin_id in rows], failures


def granularity_minutes(days: int) -> int:
    """CoinGecko's automatic OHLC granularity: 1-2 days 30 min, 3-30 days 4 h, else 4 days."""
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if days <= 2:
        return 30
    if days <= 30:
        return 4 * 60
    return 4 * 24 * 60


def ohlc_rows(
    payload: Any, coin_id: str, days: int, snapshot_date: date, ingested_at: datetime
) -> list[Row]:
    """A /coins/{id}/ohlc response -> candle rows sorted by close time. Raises InvalidPayload.

    An empty response is invalid: CoinGecko always has candles for a listed coin.
    """
    if not isinstance(payload, list) or not payload:
        raise InvalidPayload(f"/coins/{coin_id}/ohlc answered no candles: {payload!r:.200}")
    granularity = granularity_minutes(days)
    candles: dict[datetime, Row] = {}
    for candle in payload:
        if not isinstance(candle, list) or len(candle) != 5:
            raise InvalidPayload(f"candle is not [time, open, high, low, close]: {candle!r:.200}")
        close_ms = integer(candle[0], "candle time")
        if close_ms is None or close_ms <= 0:
            raise InvalidPayload(f"candle time is not a positive ms timestamp: {candle[0]!r}")
        close_time = EPOCH + timedelta(milliseconds=close_ms)
        candles[close_time] = {
            "snapshot_date": snapshot_date,
            "coin_id": coin_id,
            "candle_open_time": close_time - timedelta(minutes=granularity),
            "candle_close_time": close_time,
            "open": number(candle[1], "open"),
            "high": number(candle[2], "high"),
            "low": number(candle[3], "low"),
            "close": number(candle[4], "close"),
            "granularity_minutes": granularity,
            "is_complete": close_time + OHLC_CACHE <= ingested_at,
            "ingested_at": ingested_at,
        }
    return [candles[close_time] for close_time in sorted(candles)]
