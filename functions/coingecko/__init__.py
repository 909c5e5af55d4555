"""The daily market lane: CoinGecko markets and 30-minute OHLC candles into the lake.

Modules, one job each:

- ``client``: the CoinGecko HTTP client (rate limit, retries, key handling);
- ``rows``: API payloads -> typed rows of the two warehouse tables;
- ``lake``: object names, load semantics and the atomic Parquet writer;
- ``run``: one run of both loads for a date, with its summary;
- ``handlers`` / ``cli``: the Cloud Run functions and ``coinpulse coingecko run``;
- ``schedule``: the daily time (Scheduler's cron) and the local stack's daily loop;
- ``standin``: a local CoinGecko that speaks the same HTTP protocol, with faults.
"""
