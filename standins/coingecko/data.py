"""Realistic, deterministic CoinGecko answers for the coins of its own catalogue.

Like CoinGecko it knows coins whatever a deployment tracks: the production coins of
``coinpulse.symbols`` and the coins of the recorded test stream.

Prices follow a smooth daily wave plus per-slot noise seeded by (coin, time slot), so
the same clock always gives the same answer: a rerun sees identical candles, and the
markets snapshot agrees with the candles (current price = close of the newest one,
24-hour high/low and change taken from them).

Like the real API the answers hold nulls (``max_supply`` for ethereum and dogecoin,
``fully_diluted_valuation`` and ``roi`` for several coins, most change figures for a
stale listing), fields the tables do not use (``image``, ``roi``,
``market_cap_rank_with_rehypothecated``), integer-valued market caps and ISO times
with milliseconds, e.g. ``2026-05-18T12:49:21.599Z``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.coingecko.rows import granularity_minutes


@dataclass(frozen=True, slots=True)
class Profile:
    symbol: str  # CoinGecko's lower-case symbol
    name: str
    price: float
    circulating: float
    total: float | None
    max: float | None
    rank: int | None


# fmt: off
PROFILES: dict[str, Profile] = {
    "bitcoin": Profile("btc", "Bitcoin", 77671.0, 19.87e6, 19.87e6, 21e6, 1),
    "ethereum": Profile("eth", "Ethereum", 3050.12, 120.7e6, 120.7e6, None, 2),
    "solana": Profile("sol", "Solana", 172.31, 520.4e6, 605.1e6, None, 5),
    "binancecoin": Profile("bnb", "BNB", 612.4, 140.9e6, 140.9e6, 200e6, 4),
    "cardano": Profile("ada", "Cardano", 0.2543, 36.1e9, 45e9, 45e9, 11),
    "ripple": Profile("xrp", "XRP", 0.5231, 59.9e9, 99.98e9, 100e9, 3),
    "dogecoin": Profile("doge", "Dogecoin", 0.1234, 150.3e9, 150.3e9, None, 9),
    "curve-dao-token": Profile("crv", "Curve DAO", 0.4213, 1.41e9, 2.2e9, 3.03e9, 120),
    "compound-governance-token": Profile("comp", "Compound", 45.2, 9.6e6, 10e6, 10e6, 190),
    "omisego": Profile("omg", "OMG Network", 0.2101, 140.2e6, 140.2e6, 140.2e6, None),
    "0x": Profile("zrx", "0x Protocol", 0.3114, 847.5e6, 1e9, None, 240),
}
# coin id -> (ath, ath_date, atl, atl_date)
RECORDS: dict[str, tuple[float, str, float, str]] = {
    "bitcoin": (126080.0, "2025-10-06T18:57:42.558Z", 67.81, "2013-07-06T00:00:00.000Z"),
    "ethereum": (4946.05, "2025-08-24T19:21:03.333Z", 0.432979, "2015-10-20T00:00:00.000Z"),
    "solana": (293.31, "2025-01-19T11:15:27.957Z", 0.500801, "2020-05-11T19:35:23.449Z"),
    "binancecoin": (1369.99, "2025-10-13T08:41:24.131Z", 0.0398177, "2017-10-19T00:00:00.000Z"),
    "cardano": (3.09, "2021-09-02T06:00:10.474Z", 0.01925275, "2020-03-13T02:22:55.044Z"),
    "ripple": (3.65, "2025-07-18T03:40:53.808Z", 0.00268621, "2014-05-22T00:00:00.000Z"),
    "dogecoin": (0.731578, "2021-05-08T05:08:23.458Z", 0.0000869, "2015-05-06T00:00:00.000Z"),
    "curve-dao-token": (60.4, "2020-08-14T00:00:00.000Z", 0.180354, "2024-08-05T06:30:36.435Z"),
    "compound-governance-token": (910.54, "2021-05-12T02:29:08.794Z", 25.55,
                                  "2024-08-05T06:36:05.478Z"),
    "omisego": (36.03, "2018-01-08T00:00:00.000Z", 0.08, "2025-06-22T11:40:13.013Z"),
    "0x": (2.5, "2018-01-13T00:00:00.000Z", 0.120667, "2020-03-13T02:24:39.059Z"),
}
# fmt: on
# Listings whose change figures and rank CoinGecko no longer computes.
STALE = frozenset({"omisego"})
NO_FDV = frozenset({"ethereum", "dogecoin", "omisego"})
SLOT = timedelta(minutes=30)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """CoinGecko's time format: UTC, milliseconds, Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def significant(value: float, digits: int = 8) -> float:
    return float(f"{value:.{digits}g}")


def slot_price(coin_id: str, slot_end: datetime) -> float:
    """The price at a half-hour mark: a 3-day wave with per-slot noise."""
    profile = PROFILES[coin_id]
    hours = (slot_end - EPOCH).total_seconds() / 3600
    phase = (sum(map(ord, coin_id)) % 17) / 17 * 2 * math.pi
    noise = random.Random(f"{coin_id}:{slot_end.isoformat()}").uniform(-1.0, 1.0)
    return profile.price * (1 + 0.03 * math.sin(2 * math.pi * hours / 72 + phase) + 0.004 * noise)


def price_at(coin_id: str, moment: datetime) -> float:
    """The price at any moment: linear between the surrounding half-hour marks."""
    since = (moment - EPOCH) % SLOT
    start = moment - since
    fraction = since / SLOT
    before, after = slot_price(coin_id, start), slot_price(coin_id, start + SLOT)
    return before + (after - before) * fraction


def candles(coin_id: str, days: int, now: datetime) -> list[list[float]]:
    """``[close_ms, open, high, low, close]`` rows; the newest closes after ``now``."""
    step = timedelta(minutes=granularity_minutes(days))
    count = int(timedelta(days=days) / step)
    newest = now - (now - EPOCH) % step + step
    rows = []
    for index in range(count - 1, -1, -1):
        close_time = newest - index * step
        open_price = price_at(coin_id, close_time - step)
        close_price = price_at(coin_id, min(close_time, now))
        spread = random.Random(f"{coin_id}:{close_time.isoformat()}:spread").uniform(0, 0.002)
        rows.append(
            [
                int((close_time - EPOCH) / timedelta(milliseconds=1)),
                significant(open_price),
                significant(max(open_price, close_price) * (1 + spread)),
                significant(min(open_price, close_price) * (1 - spread)),
                significant(close_price),
            ]
        )
    return rows


def market(coin_id: str, now: datetime) -> dict[str, Any]:
    """One /coins/markets object, consistent with ``candles(coin_id, 1, now)``."""
    profile = PROFILES[coin_id]
    ath, ath_date, atl, atl_date = RECORDS[coin_id]
    day = candles(coin_id, 1, now)
    price = day[-1][4]
    price_24h_ago = day[0][1]
    market_cap = round(price * profile.circulating)
    change_pct = significant((price / price_24h_ago - 1) * 100, 6)
    changes: dict[str, float | None] = {
        "price_change_24h": significant(price - price_24h_ago),
        "price_change_percentage_24h": change_pct,
        "market_cap_change_24h": round(market_cap * change_pct / 100),
        "market_cap_change_percentage_24h": change_pct,
    }
    if coin_id in STALE:
        changes = dict.fromkeys(changes, None)
    supply_cap = profile.max or profile.total
    return {
        "id": coin_id,
        "symbol": profile.symbol,
        "name": profile.name,
        "image": f"https://coin-images.coingecko.com/coins/images/1/large/{coin_id}.png",
        "current_price": price,
        "market_cap": market_cap,
        "market_cap_rank": profile.rank,
        "fully_diluted_valuation": None
        if coin_id in NO_FDV or supply_cap is None
        else round(price * supply_cap),
        "total_volume": round(market_cap * 0.031),
        "high_24h": max(row[2] for row in day),
        "low_24h": min(row[3] for row in day),
        **changes,
        "circulating_supply": profile.circulating,
        "total_supply": profile.total,
        "max_supply": profile.max,
        "ath": ath,
        "ath_change_percentage": significant((price / ath - 1) * 100, 6),
        "ath_date": ath_date,
        "atl": atl,
        "atl_change_percentage": significant((price / atl - 1) * 100, 6),
        "atl_date": atl_date,
        "roi": {"times": 35.21, "currency": "btc", "percentage": 3521.4}
        if coin_id == "ethereum"
        else None,
        "last_updated": iso(now - timedelta(seconds=41, milliseconds=401)),
        "market_cap_rank_with_rehypothecated": profile.rank,
    }
