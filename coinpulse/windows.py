"""One answer per window: the rule that picks the best stream_prices row of a minute.

The pipeline writes several rows per (symbol, window_start) and never replaces one:
early, on-time and late panes (each restates the whole window), panes of a restarted
job (whose pane_index starts at 0 again), backfills of the same minutes, and copies
of any of them. Each row deduplicates its trades by trade id, and panes accumulate,
so the row that covers the most distinct trades is the most complete answer; a
complete recomputation covers at least as many as any pane. The rule, written once
here for every reader (the local stack, tests, the dbt staging model):

1. the highest ``trade_count`` wins;
2. on a tie, the latest ``emitted_at`` (the freshest restatement of the same trades);
3. then the highest ``pane_index``.

Rows equal on all three are copies of one pane. The SQL is plain enough for DuckDB
and BigQuery alike (QUALIFY after a WHERE, which BigQuery requires).
"""

from __future__ import annotations

STREAM_PRICES = "crypto_raw.stream_prices"

BEST_WINDOWS_SQL = """
SELECT * FROM {source}
WHERE TRUE
QUALIFY row_number() OVER (
    PARTITION BY symbol, window_start
    ORDER BY trade_count DESC, emitted_at DESC, pane_index DESC
) = 1
"""


def best_windows_sql(source: str = STREAM_PRICES) -> str:
    """The query of the best row of every (symbol, window_start) of ``source``."""
    return BEST_WINDOWS_SQL.format(source=source)
