"""The local stack behind ``coinpulse demo``: the streaming lane with local stand-ins for the cloud.

exchange (or Binance) -> relay -> Pub/Sub emulator -> Beam (DirectRunner) -> JSONL in
fake-gcs-server -> its finalize notifications on Pub/Sub -> the Eventarc stand-in
(CloudEvents) -> loader under functions-framework -> DuckDB warehouse; the CoinGecko
lane writes to the same bucket.
"""
