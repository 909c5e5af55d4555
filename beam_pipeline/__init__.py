"""CoinPulse's Beam pipeline: trades in, exact 1-minute windows per symbol out.

The story, in the order the data flows:

1. Sources turn raw input into trades. Live: Pub/Sub messages that each carry a
   small batch of one pair's trade records (``coinpulse.messages``). History:
   Binance's public trade archive CSVs and files of recorded WebSocket frames.
   Every record is validated with ``coinpulse.trade``; what fails becomes a
   dead letter with its reason, nothing is dropped silently.
2. Trades travel as compact tuples, chunked per (symbol, minute) so that a
   message of a hundred trades is one element, not a hundred: each chunk's
   timestamp is the earliest trade time in it, and every trade in a chunk
   belongs to the same event-time window, so windowing stays exact per trade.
3. Streaming only: a lateness gate sends trades that come after their window's
   allowed lateness to a late-data output instead of letting Beam drop them.
4. FixedWindows(60) with accumulating panes (early, on time, late) and one
   CombineFn that keeps each window's trades by trade id: duplicates (same
   symbol and trade id) are removed exactly, whatever order or bundle they
   arrive in, and every exact quantity is summed with ``decimal.Decimal``.
5. Rows (``coinpulse/schemas/stream_prices.json``) are written as JSONL objects
   with deterministic, create-only names: no later pane, retry or restart can
   overwrite an object, and the object count stays inside BigQuery's load-job
   budget.

Entry points: ``streaming.run`` (``coinpulse pipeline``) and ``backfill.run``
(``coinpulse backfill``); ``bench.run`` measures both paths.
"""
