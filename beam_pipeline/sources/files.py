# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""Files of history -> chunks of trades and dead letters, for the backfill.

Each input file is one element; a DoFn streams its lines (through Beam's
FileSystems, so local paths and gs:// work alike, and .gz is decompressed),
validates every row, and emits chunks of at most CHUNK_TRADES trades of one
symbol-minute as soon as they are full: memory stays flat on a day of trades,
and Beam handles a few hundred chunks instead of a million elements. A bad row
becomes a dead letter with its file and line number; the run goes on.

A row's ``received_at`` (and a dead letter's) is the time its file was last
written, not the time of the run: a rerun over the same files produces the same
rows, hence the same create-only objects, and writes nothing new.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import Metrics
from apache_beam.pvalue import PBegin, PCollection, TaggedOutput
from apache_beam.transforms.window import TimestampedValue

from beam_pipeline import rows
from beam_pipeline.sources import DEAD_LETTERS, archive, frames
from beam_pipeline.trades import Chunk, TradeTuple, compact, timestamped_chunk, window_start_ms
from coinpulse import messages
from coinpulse.trade import InvalidTrade, Trade

CHUNK_TRADES = 5000  # trades per emitted chunk; bounds memory per open symbol-minute


def expand_inputs(patterns: Sequence[str]) -> list[str]:
    """Paths or glob patterns -> the sorted files they match. Raises FileNotFoundError."""
    paths: list[str] = []
    for pattern in patterns:
        matched = [meta.path for meta in FileSystems.match([pattern])[0].metadata_list]
        if not matched:
            raise FileNotFoundError(f"no input file matches {pattern!r}")
        paths += matched
    return sorted(set(paths))


def file_time_ms(path: str) -> int:
    """When a file (or gs:// object) was last written, in epoch milliseconds."""
    [metadata] = FileSystems.match([path])[0].metadata_list
    seconds: float = metadata.last_updated_in_seconds
    return round(seconds * 1000)


class ParseTradeFile(beam.DoFn):
    """A file path -> timestamped chunks; dead-letter rows on the DEAD_LETTERS tag.

    Archive CSVs are recognised by their name (``<PAIR>-trades-<day>.csv``), any
    other file is read as recorded frames. Counters (namespace ``backfill``):
    rows_read, trades, dead_letters and skipped_<kind> for lines that are not
    trades (headers, other streams).
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows_read = Metrics.counter("backfill", "rows_read")
        self.trades = Metrics.counter("backfill", "trades")
        self.dead_letters = Metrics.counter("backfill", "dead_letters")

    def process(self, path: str) -> Iterator[TimestampedValue[Chunk] | TaggedOutput]:
        pair = archive.archive_pair(os.path.basename(path))
        stage = "backfill.archive" if pair else "backfill.frames"
        received_at = file_time_ms(path)
        open_chunks: dict[tuple[str, int], list[TradeTuple]] = {}
        lines = trades = 0
        with FileSystems.open(path) as raw:
            for lines, line in enumerate(io.TextIOWrapper(raw, encoding="utf-8"), start=1):
                try:
                    parsed = self._parse(pair, line, received_at)
                    if isinstance(parsed, str):
                        Metrics.counter("backfill", f"skipped_{parsed}").inc()
                        continue
                    trade = compact(parsed)
                except InvalidTrade as error:
                    self.dead_letters.inc()
                    source = f"{path}:{lines}"
                    raw_line = line.rstrip("\r\n")
                    yield TaggedOutput(
                        DEAD_LETTERS,
                        messages.dead_letter_record(
                            stage, str(error), raw_line, source, received_at
                        ),
                    )
                    continue
                trades += 1
                key = (parsed.symbol, window_start_ms(trade[1]))
                chunk = open_chunks.setdefault(key, [])
                chunk.append(trade)
                if len(chunk) >= CHUNK_TRADES:
                    yield timestamped_chunk(parsed.symbol, chunk)
                    del open_chunks[key]
        self.rows_read.inc(lines)
        self.trades.inc(trades)
        for (symbol, _), chunk in open_chunks.items():
            yield timestamped_chunk(symbol, chunk)

    @staticmethod
    def _parse(pair: str | None, line: str, received_at: int) -> Trade | str:
        if pair is None:
            return frames.parse_line(line, received_at)
        if archive.is_header(line):
            return "header"
        return archive.parse_row(pair, line, received_at)


class ReadTradeFiles(beam.PTransform[PBegin, tuple[PCollection[Chunk], PCollection[rows.Row]]]):
    """File paths -> (chunks, dead-letter rows)."""

    def __init__(self, paths: Sequence[str]) -> None:
        super().__init__()
        self.paths = list(paths)

    def expand(self, pbegin: PBegin) -> tuple[PCollection[Chunk], PCollection[rows.Row]]:
        parsed = (
            pbegin
            | "Files" >> beam.Create(self.paths)
            | "Parse" >> beam.ParDo(ParseTradeFile()).with_outputs(DEAD_LETTERS, main="chunks")
        )
        return parsed.chunks, parsed[DEAD_LETTERS]
