"""The local stack behind ``coinpulse demo``: the streaming lane with local stand-ins for the cloud.

exchange (or Binance) -> relay -> Pub/Sub emulator -> Beam (DirectRunner) -> JSONL in
the GCS emulator -> watcher (finalize CloudEvents) -> loader under functions-framework
-> DuckDB warehouse; the CoinGecko lane writes to the same bucket.
"""
