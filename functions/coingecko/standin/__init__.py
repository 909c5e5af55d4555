"""A local CoinGecko for tests and the demo: same HTTP protocol, realistic data, faults.

Run it as a process with ``python -m functions.coingecko.standin --port 8765`` (see
``--help``) or in-process with ``StandIn(...).start()``; point the client or
``coinpulse coingecko run --base-url`` at its ``base_url``.
"""

from functions.coingecko.standin.server import Seen, StandIn

__all__ = ["Seen", "StandIn"]
