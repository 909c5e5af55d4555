"""The Pub/Sub message contract between the relay and the Beam pipeline.

A trades message carries a small batch of trades of ONE pair as a JSON array of
trade records. Its attributes let Beam read event time and let Dataflow drop
redelivered copies of the very same message:

- ``event_ts``: the smallest trade_time in the batch, in ms since epoch. Used as
  ReadFromPubSub(timestamp_attribute=...); every trade in the message is at or
  after it, so exploding the batch only moves timestamps forward.
- ``dedupe_id``: pair, first and last trade id, and a hash of every trade id in
  the batch, so two messages share it only if they carry the same trades (safe
  for Dataflow's id_label). Exact trade-level dedupe happens in the pipeline on
  (symbol, trade_id).
- ``kind``: ``trades``, ``heartbeat`` or ``dead_letter``. Heartbeats (empty body)
  keep a watermark that only advances when messages arrive (the local Beam Pub/Sub
  reader) moving through idle minutes. Dead letters published on the trades topic
  (the relay's ``--dead-letter-sink`` may point there) pass through the pipeline
  into its dead-letter output unchanged.

Dead letters are rows of the ``dead_letters`` table (``dead_letter_record``), the same
whether the relay publishes them or the pipeline writes them, with the reason also as
an attribute (truncated to Pub/Sub's attribute value limit).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from coinpulse import jsontext
from coinpulse.timefmt import rfc3339_ms
from coinpulse.trade import Trade

ATTR_EVENT_TS = "event_ts"
ATTR_DEDUPE_ID = "dedupe_id"
ATTR_KIND = "kind"
ATTR_SYMBOL = "symbol"
ATTR_COUNT = "count"
ATTR_REASON = "reason"
KIND_TRADES = "trades"
KIND_HEARTBEAT = "heartbeat"
KIND_DEAD_LETTER = "dead_letter"
# Pub/Sub attribute values are limited to 1024 bytes (cloud.google.com/pubsub/quotas).
MAX_ATTRIBUTE_BYTES = 1024

Attributes = dict[str, str]


def encode_trades(trades: Sequence[Trade]) -> tuple[bytes, Attributes]:
    """A non-empty batch of one pair's trades -> (body, attributes)."""
    ids = [trade.trade_id for trade in trades]
    digest = hashlib.sha1(",".join(map(str, ids)).encode(), usedforsecurity=False)
    symbol = trades[0].symbol
    body = json.dumps([trade.to_record() for trade in trades], separators=(",", ":"))
    return body.encode(), {
        ATTR_KIND: KIND_TRADES,
        ATTR_SYMBOL: symbol,
        ATTR_EVENT_TS: str(min(trade.trade_time for trade in trades)),
        ATTR_COUNT: str(len(trades)),
        ATTR_DEDUPE_ID: f"{symbol}-{ids[0]}-{ids[-1]}-{digest.hexdigest()[:16]}",
    }


def encode_heartbeat(now_ms: int) -> tuple[bytes, Attributes]:
    """An empty message whose event time is now: it moves an idle watermark."""
    return b"[]", {
        ATTR_KIND: KIND_HEARTBEAT,
        ATTR_EVENT_TS: str(now_ms),
        ATTR_DEDUPE_ID: f"heartbeat-{now_ms}",
    }


def dead_letter_record(
    stage: str, reason: str, raw: str | bytes, source: str | None, received_at: int
) -> dict[str, Any]:
    """A rejected input, kept whole with the reason: one row of the dead_letters table."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return {
        "stage": stage,
        "reason": reason,
        "raw": text,
        "source": source,
        "received_at": rfc3339_ms(received_at),
    }


def encode_dead_letter(
    stage: str, reason: str, raw: str | bytes, source: str | None, received_at: int
) -> tuple[bytes, Attributes]:
    """A dead-letter record as a Pub/Sub message."""
    body = dead_letter_record(stage, reason, raw, source, received_at)
    short_reason = reason.encode()[:MAX_ATTRIBUTE_BYTES].decode("utf-8", errors="ignore")
    return json.dumps(body).encode(), {ATTR_KIND: KIND_DEAD_LETTER, ATTR_REASON: short_reason}


def decode_trade_records(body: bytes | str) -> list[dict[str, Any]]:
    """A trades message body -> its trade records (a single object is accepted too).

    Raises ValueError (UnicodeDecodeError included) for a body that is not JSON or is
    nested too deeply.
    """
    payload = jsontext.loads(body)
    return payload if isinstance(payload, list) else [payload]
