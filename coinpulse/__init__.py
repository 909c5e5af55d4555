"""CoinPulse: real-time crypto market pipeline (shared core: symbols, records, logging, CLI)."""

__version__ = "0.1.0"
