"""CoinPulse's Cloud Run functions, one directory per family, each deployable on its own.

``loader/`` (``on_finalize``) and ``coingecko/`` (``coingecko_markets``,
``coingecko_ohlc``) each have a ``main.py`` declaring their entry points and a
``requirements.txt``; ``make package`` assembles each into ``dist/functions/<name>/``
with the core package beside it.
"""
