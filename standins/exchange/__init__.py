"""The replay exchange: a local stand-in for Binance's spot market-data protocol.

It generates a seeded, realistic market for any set of pairs, serves it over the
same WebSocket streams and REST endpoints the production relay uses, keeps every
trade as ground truth, and can switch on the faults the real exchange shows
(dropped connections, serverShutdown, duplicated, reordered and malformed frames,
429s), so the whole pipeline runs and is tested offline.

    async with ReplayExchange(ExchangeConfig(pairs=("BTCUSDT",), seed=1)) as exchange:
        exchange.ws_url, exchange.rest_url, exchange.truth("BTCUSDT")

Run it as a process with ``coinpulse exchange`` (see exchange.main).
"""

from standins.exchange.faults import ALL_FAULTS, FaultConfig
from standins.exchange.server import ExchangeConfig, ReplayExchange

__all__ = ["ALL_FAULTS", "ExchangeConfig", "FaultConfig", "ReplayExchange"]
