# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""The relay's Pub/Sub messages -> chunks of trades and dead letters.

The message contract is ``coinpulse.messages``: a trades message is a JSON array
of one pair's trade records whose ``event_ts`` attribute (the smallest trade
time, ms) becomes the element timestamp; heartbeat messages carry no trades and
only exist to move a watermark that follows message arrival, so they are
dropped after reading. Each record is validated with ``Trade.from_record``;
every trade is chunked by its own trade_time, never by the message timestamp.

Delivery: Dataflow drops redelivered copies of a message by its ``dedupe_id``
attribute (``id_label``); the DirectRunner cannot (it raises on id_label) and
acknowledges before processing. Trade-level duplicates of any origin are removed
exactly in the window combine, keyed by (symbol, trade_id).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.gcp.pubsub import PubsubMessage, ReadFromPubSub
from apache_beam.metrics.metric import Metrics
from apache_beam.pvalue import PBegin, PCollection, TaggedOutput
from apache_beam.transforms.window import TimestampedValue

from beam_pipeline import rows
from beam_pipeline.sources import DEAD_LETTERS
from beam_pipeline.trades import Chunk, TradeTuple, chunk_by_window, compact
from coinpulse import jsontext, messages, schemas
from coinpulse.trade import InvalidTrade, Trade

STAGE = "pipeline.pubsub"
DEAD_LETTER_COLUMNS = {field["name"] for field in schemas.fields("dead_letters")}


class ParseTradeMessages(beam.DoFn):
    """PubsubMessage -> timestamped chunks; dead-letter rows on the DEAD_LETTERS tag.

    Counters (namespace ``pipeline``): messages, heartbeats, trades, dead_letters.
    A message whose body is not JSON, or of an unknown kind, is one dead letter;
    in a valid message each invalid record is one dead letter and the rest count.
    A ``dead_letter`` message (rejected upstream) goes to the dead letters as it is.
    """

    def __init__(self, subscription: str) -> None:
        super().__init__()
        self.subscription = subscription
        self.messages = Metrics.counter("pipeline", "messages")
        self.heartbeats = Metrics.counter("pipeline", "heartbeats")
        self.trades = Metrics.counter("pipeline", "trades")
        self.dead_letters = Metrics.counter("pipeline", "dead_letters")

    def process(self, message: PubsubMessage) -> Iterator[TimestampedValue[Chunk] | TaggedOutput]:
        self.messages.inc()
        kind = (message.attributes or {}).get(messages.ATTR_KIND, messages.KIND_TRADES)
        if kind == messages.KIND_HEARTBEAT:
            self.heartbeats.inc()
            return
        if kind == messages.KIND_DEAD_LETTER:
            yield self._passed_on(message.data)
            return
        if kind != messages.KIND_TRADES:
            yield self._dead_letter(f"unknown message kind {kind!r}", message.data)
            return
        try:
            records = messages.decode_trade_records(message.data)
        except (ValueError, UnicodeDecodeError) as error:
            yield self._dead_letter(f"invalid JSON: {error}", message.data)
            return
        trades: list[tuple[str, TradeTuple]] = []
        for record in records:
            try:
                trade = Trade.from_record(record)
                trades.append((trade.symbol, compact(trade)))
            except InvalidTrade as error:
                yield self._dead_letter(str(error), json.dumps(record))
        self.trades.inc(len(trades))
        yield from chunk_by_window(trades)

    def _passed_on(self, body: bytes) -> TaggedOutput:
        """A dead letter rejected upstream (the relay): kept as it is, if it is one."""
        try:
            row = jsontext.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            return self._dead_letter(f"invalid JSON in a dead letter: {error}", body)
        if not isinstance(row, dict) or set(row) != DEAD_LETTER_COLUMNS:
            return self._dead_letter("a dead letter without the dead_letters columns", body)
        self.dead_letters.inc()
        return TaggedOutput(DEAD_LETTERS, row)

    def _dead_letter(self, reason: str, raw: str | bytes) -> TaggedOutput:
        self.dead_letters.inc()
        row = messages.dead_letter_record(STAGE, reason, raw, self.subscription, rows.now_ms())
        return TaggedOutput(DEAD_LETTERS, row)


class ReadTradeMessages(beam.PTransform[PBegin, tuple[PCollection[Chunk], PCollection[rows.Row]]]):
    """A Pub/Sub subscription -> (chunks, dead-letter rows).

    ``with_id_label`` passes the dedupe_id attribute as id_label: only Dataflow
    supports it.
    """

    def __init__(self, subscription: str, *, with_id_label: bool) -> None:
        super().__init__()
        self.subscription, self.with_id_label = subscription, with_id_label

    def expand(self, pbegin: PBegin) -> tuple[PCollection[Chunk], PCollection[rows.Row]]:
        read: dict[str, Any] = {
            "subscription": self.subscription,
            "with_attributes": True,
            "timestamp_attribute": messages.ATTR_EVENT_TS,
        }
        if self.with_id_label:
            read["id_label"] = messages.ATTR_DEDUPE_ID
        parsed = (
            pbegin
            | "Read" >> ReadFromPubSub(**read)
            | "Parse"
            >> beam.ParDo(ParseTradeMessages(self.subscription)).with_outputs(
                DEAD_LETTERS, main="chunks"
            )
        )
        return parsed.chunks, parsed[DEAD_LETTERS]
