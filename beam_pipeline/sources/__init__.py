"""Sources: raw input -> timestamped (symbol, trades) chunks, plus dead-letter rows.

``pubsub`` reads the relay's trade messages; ``files`` reads history (Binance
trade archive CSVs via ``archive``, recorded WebSocket frames via ``frames``).
Every source validates each record with ``coinpulse.trade`` and sends what fails
to the DEAD_LETTERS output with the reason, so a bad record never stops a run.
"""

DEAD_LETTERS = "dead_letters"  # tag of every source's dead-letter output
