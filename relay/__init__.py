"""The relay: Binance's live trade stream -> Pub/Sub, without losing a trade.

It runs as a Cloud Run service (instance-based billing, one instance) and locally.
Frames arrive over one or more combined-stream WebSockets (sharded at Binance's
1024 streams per connection), are normalized into trade records, batched per pair
and published with flow control. Per-pair trade-id continuity reveals gaps (after
reconnects, restarts, or any jump), which are backfilled over REST. Connections are
rotated before Binance's 24-hour limit and on ``serverShutdown``, opening the new
connection before closing the old one. Duplicates are possible and always carry the
same trade id; downstream dedupes on (symbol, trade_id).
"""
