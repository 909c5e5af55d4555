"""A local CoinGecko for tests and the demo: same HTTP protocol, realistic data, faults.

Run it as a process with ``python -m standins.coingecko --port 8765`` (see
``--help``) or in-process with ``StandIn(...).start()``; point the client or
``coinpulse coingecko run --base-url`` at its ``base_url``.
"""

from standins.coingecko.server import Seen, StandIn

__all__ = ["Seen", "StandIn"]
