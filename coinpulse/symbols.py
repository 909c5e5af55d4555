"""The one symbol map: Binance pair <-> CoinGecko id <-> ticker, and the tracked pairs.

Every stage (relay, Beam, loaders, dbt seeds, dashboards) names coins through this
module. The seed pipeline broke because its stream spoke CoinGecko ids ("BITCOIN")
while its market snapshots spoke tickers ("BTC"); here there is exactly one table.

Two settings, read from the environment:

- ``COINPULSE_PAIRS``: the pairs a deployment tracks, comma-separated (default the
  five ``DEFAULT_PAIRS``). The relay streams them, the CoinGecko lane fetches their
  coins, dbt selects them; ``configured_pairs`` parses and validates it.
- ``COINPULSE_SYMBOL_MAP``: a JSON file of extra coins added to the production map
  ``COINS`` when this module is imported (``load``), e.g. the pairs of a recorded
  stream in tests: ``[{"pair": "OMGBUSD", "ticker": "OMG", "quote": "BUSD",
  "coin_id": "omisego", "name": "OMG Network"}]``. A bad file raises SymbolMapError
  at import, so a process refuses to start instead of misnaming coins.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

PAIRS_ENV = "COINPULSE_PAIRS"
SYMBOL_MAP_ENV = "COINPULSE_SYMBOL_MAP"


@dataclass(frozen=True, slots=True)
class Coin:
    """One tradable pair and the names other sources use for its base asset."""

    pair: str  # Binance pair, upper case, e.g. BTCUSDT
    ticker: str  # base asset ticker, upper case, e.g. BTC
    quote: str  # quote asset, e.g. USDT
    coin_id: str  # CoinGecko id, e.g. bitcoin
    name: str  # display name


# Real, current Binance spot pairs (https://api.binance.com/api/v3/exchangeInfo) and
# their CoinGecko ids (https://api.coingecko.com/api/v3/coins/list).
COINS: tuple[Coin, ...] = (
    Coin("BTCUSDT", "BTC", "USDT", "bitcoin", "Bitcoin"),
    Coin("ETHUSDT", "ETH", "USDT", "ethereum", "Ethereum"),
    Coin("SOLUSDT", "SOL", "USDT", "solana", "Solana"),
    Coin("BNBUSDT", "BNB", "USDT", "binancecoin", "BNB"),
    Coin("ADAUSDT", "ADA", "USDT", "cardano", "Cardano"),
    Coin("XRPUSDT", "XRP", "USDT", "ripple", "XRP"),
    Coin("DOGEUSDT", "DOGE", "USDT", "dogecoin", "Dogecoin"),
)

DEFAULT_PAIRS: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "ADAUSDT")

_BY_PAIR: dict[str, Coin] = {}
_BY_COIN_ID: dict[str, Coin] = {}


class UnknownSymbol(ValueError):
    """A pair or coin id that the symbol map does not define."""


class SymbolMapError(ValueError):
    """A COINPULSE_SYMBOL_MAP file that cannot extend the map."""


def read_map_file(path: str | Path) -> list[Coin]:
    """The coins of a symbol map file. Raises SymbolMapError with the reason."""
    try:
        entries = json.loads(Path(path).read_text())
    except OSError as error:
        raise SymbolMapError(f"symbol map {path} cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise SymbolMapError(f"symbol map {path} is not JSON: {error}") from None
    if not isinstance(entries, list):
        raise SymbolMapError(f"symbol map {path} must be a list of coins")
    names = [field.name for field in fields(Coin)]
    coins = []
    for entry in entries:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(name), str) for name in names
        ):
            raise SymbolMapError(f"symbol map {path}: {entry!r} has missing fields of {names}")
        coin = Coin(**{name: entry[name] for name in names})
        if coin.pair != coin.pair.upper() or coin.pair != coin.ticker + coin.quote:
            raise SymbolMapError(
                f"symbol map {path}: pair {coin.pair!r} must be upper case ticker + quote"
            )
        coins.append(coin)
    return coins


def load(extra_path: str | None = None) -> None:
    """(Re)build the map: ``COINS`` plus the coins of ``extra_path``, by default the
    file named by COINPULSE_SYMBOL_MAP. Raises SymbolMapError for a bad file or a
    pair or coin id that is already mapped."""
    path = extra_path or os.environ.get(SYMBOL_MAP_ENV)
    coins = [*COINS, *(read_map_file(path) if path else [])]
    by_pair: dict[str, Coin] = {}
    by_coin_id: dict[str, Coin] = {}
    for coin in coins:
        if coin.pair in by_pair or coin.coin_id in by_coin_id:
            raise SymbolMapError(f"symbol map {path}: {coin.pair} / {coin.coin_id} is mapped twice")
        by_pair[coin.pair] = by_coin_id[coin.coin_id] = coin
    _BY_PAIR.clear()
    _BY_PAIR.update(by_pair)
    _BY_COIN_ID.clear()
    _BY_COIN_ID.update(by_coin_id)


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


def pairs_setting() -> str:
    """COINPULSE_PAIRS as written, else the default pairs, comma-separated (unchecked)."""
    return os.environ.get(PAIRS_ENV) or ",".join(DEFAULT_PAIRS)


def configured_pairs() -> list[str]:
    """The tracked pairs of COINPULSE_PAIRS (default DEFAULT_PAIRS). Raises UnknownSymbol."""
    return parse_pairs(pairs_setting())


def coin_ids(pairs: Iterable[str]) -> list[str]:
    """The CoinGecko ids of mapped pairs, in order. Raises UnknownSymbol."""
    return [by_pair(pair).coin_id for pair in pairs]


load()
