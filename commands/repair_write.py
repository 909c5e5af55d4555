# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""Rewrite minutes from their trades: archive CSVs -> the backfill pipeline -> the lake -> load.

``coinpulse repair`` never computes a window row itself. The trades of the minutes
to rewrite are written as Binance archive CSVs (``<PAIR>-trades-YYYY-MM-DD.csv``,
beam_pipeline/sources/archive.py) in a temporary folder, and the backfill pipeline
(``beam_pipeline.backfill.build``: the streaming job's transforms, exact Decimal
sums) writes their windows into the lake: complete recomputations with emitted_at
the window end, as create-only objects named by their content, so a rerun over the
same trades writes nothing new. Then ``coinpulse load``'s ``load_all`` loads the
backfill objects of the days touched, each generation once (the loader's ledger):
a repair killed between writing and loading loads them on its next run.

What can fail: the pipeline raises (nothing, or some days' objects, written; a
rerun writes the rest); listing the lake raises google.api_core errors or OSError;
an object that does not load is counted in the load's tally.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import apache_beam as beam

from beam_pipeline import backfill, options
from coinpulse.trade import Trade
from commands import lakes, load

# Objects a backfill writes (coinpulse.lake.backfill_object), under any lake root.
BACKFILL_OBJECT = re.compile(
    r"^(?:.+/)?(?P<output>stream_prices|dead_letters)/dt=(?P<day>\d{4}-\d{2}-\d{2})/"
    r"(?P=output)-backfill-[0-9a-f]+\.jsonl$"
)


def archive_lines(trades: Iterable[Trade]) -> str:
    """Trades as archive CSV rows: id,price,qty,quote_qty,time,is_buyer_maker,is_best_match.

    quote_qty is left empty: the pipeline computes quote volumes as price * qty.
    """
    return "".join(
        f"{t.trade_id},{t.price},{t.quantity},,{t.trade_time},{t.is_buyer_maker},True\n"
        for t in trades
    )


def write_archives(folder: Path, trades: Iterable[Trade]) -> list[Path]:
    """One archive CSV per pair and UTC day of the trades, in folder; returns their paths."""
    files: dict[tuple[str, str], list[Trade]] = {}
    for trade in trades:
        files.setdefault((trade.symbol, _day(trade.trade_time)), []).append(trade)
    paths = []
    for (pair, day), day_trades in sorted(files.items()):
        path = folder / f"{pair}-trades-{day}.csv"
        path.write_text(archive_lines(sorted(day_trades, key=lambda t: t.trade_id)))
        paths.append(path)
    return paths


def recompute(trades: list[Trade], lake_uri: str) -> set[str]:
    """Windows of the trades' minutes into the lake via the backfill pipeline.

    Returns the UTC days written. Raises whatever the pipeline raises.
    """
    with tempfile.TemporaryDirectory(prefix="coinpulse-repair-") as folder:
        paths = write_archives(Path(folder), trades)
        settings = options.pipeline_options(
            [], default_runner=options.BATCH_RUNNER, streaming=False
        )
        pipeline = beam.Pipeline(options=settings)
        backfill.build(pipeline, [str(path) for path in paths], lake_uri)
        pipeline.run().wait_until_finish()
    return {_day(trade.trade_time) for trade in trades}


def load_days(source: lakes.Lake, days: set[str], warehouse: Path) -> load.Tally:
    """Load the lake's backfill objects of these days (each generation once) into warehouse."""
    listed = [
        item
        for item in source.objects()
        if (match := BACKFILL_OBJECT.match(item.name)) and match["day"] in days
    ]
    return load.load_all(source, listed, warehouse)


def _day(time_ms: int) -> str:
    return datetime.fromtimestamp(time_ms / 1000, UTC).strftime("%Y-%m-%d")
