"""The one symbol map: Binance pair <-> CoinGecko id <-> ticker.

Every stage (relay, Beam, loaders, dbt seeds, dashboards) names coins through this
module. The seed pipeline broke because its stream spoke CoinGecko ids ("BITCOIN")
while its market snapshots spoke tickers ("BTC"); here there is exactly one table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Coin:
    """One tradable pair and the names other sources use for its base asset."""

    pair: str  # Binance pair, upper case, e.g. BTCUSDT
    ticker: str  # base asset ticker, upper case, e.g. BTC
    quote: str  # quote asset, e.g. USDT
    coin_id: str  # CoinGecko id, e.g. bitcoin
    name: str  # display name


COINS: tuple[Coin, ...] = (
    Coin("BTCUSDT", "BTC", "USDT", "bitcoin", "Bitcoin"),
    Coin("ETHUSDT", "ETH", "USDT", "ethereum", "Ethereum"),
    Coin("SOLUSDT", "SOL", "USDT", "solana", "Solana"),
    Coin("BNBUSDT", "BNB", "USDT", "binancecoin", "BNB"),
    Coin("ADAUSDT", "ADA", "USDT", "cardano", "Cardano"),
    Coin("XRPUSDT", "XRP", "USDT", "ripple", "XRP"),
    Coin("DOGEUSDT", "DOGE", "USDT", "dogecoin", "Dogecoin"),
    # Pairs of the recorded Binance.US stream in the test data.
    Coin("CRVUSDT", "CRV", "USDT", "curve-dao-token", "Curve DAO"),
    Coin("COMPUSDT", "COMP", "USDT", "compound-governance-token", "Compound"),
    Coin("OMGBUSD", "OMG", "BUSD", "omisego", "OMG Network"),
    Coin("ZRXUSDT", "ZRX", "USDT", "0x", "0x Protocol"),
)

DEFAULT_PAIRS: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "ADAUSDT")

_BY_PAIR = {coin.pair: coin for coin in COINS}
_BY_COIN_ID = {coin.coin_id: coin for coin in COINS}


class UnknownSymbol(ValueError):
    """A pair or coin id that the symbol map does not define."""


def by_pair(pair: str) -> Coin:
    """The coin for a Binance pair (case-insensitive). Raises UnknownSymbol."""
    coin = _BY_PAIR.get(pair.upper())
    if coin is None:
        raise UnknownSymbol(f"unknown pair {pair!r}; known pairs: {', '.join(_BY_PAIR)}")
    return coin


def by_coin_id(coin_id: str) -> Coin:
    """The coin for a CoinGecko id. Raises UnknownSymbol."""
    coin = _BY_COIN_ID.get(coin_id)
    if coin is None:
        raise UnknownSymbol(f"unknown CoinGecko id {coin_id!r}")
    return coin


def coin_id_for(pair: str) -> str | None:
    """The CoinGecko id of a pair, or None when the pair is not mapped (hot path)."""
    coin = _BY_PAIR.get(pair)
    return coin.coin_id if coin else None


def parse_pairs(text: str | Iterable[str]) -> list[str]:
    """Comma-separated or listed pairs -> validated, de-duplicated upper-case pairs."""
    items = text.split(",") if isinstance(text, str) else list(text)
    pairs: list[str] = []
    for item in items:
        pair = item.strip().upper()
        if pair and pair not in pairs:
            by_pair(pair)
            pairs.append(pair)
    if not pairs:
        raise UnknownSymbol("no pairs given")
    return pairs
