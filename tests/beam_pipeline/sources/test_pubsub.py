# mypy: disable-error-code="no-untyped-call"
# (Apache Beam's API carries no type annotations.)
"""The relay's messages -> chunks per symbol-minute, heartbeats dropped, dead letters kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apache_beam.io.gcp.pubsub import PubsubMessage
from apache_beam.pvalue import TaggedOutput

from beam_pipeline.sources import DEAD_LETTERS
from beam_pipeline.sources.pubsub import ParseTradeMessages
from coinpulse import messages
from coinpulse.trade import build

pytestmark = pytest.mark.unit

T0 = 1_767_225_600_000  # a minute boundary


def trade(trade_id: int, time: int, pair: str = "BTCUSDT") -> Any:
    return build(
        pair=pair, trade_id=trade_id, price="10.0", quantity="1.0", trade_time=time,
        event_time=time, is_buyer_maker=False, received_at=time, source="ws",
    )  # fmt: skip


def parse(data: bytes, attributes: dict[str, str]) -> tuple[list[Any], list[dict[str, Any]]]:
    outputs = list(ParseTradeMessages("projects/p/subscriptions/s").process(
        PubsubMessage(data, attributes)
    ))  # fmt: skip
    dead = [o.value for o in outputs if isinstance(o, TaggedOutput)]
    assert all(o.tag == DEAD_LETTERS for o in outputs if isinstance(o, TaggedOutput))
    return [o for o in outputs if not isinstance(o, TaggedOutput)], dead


def test_a_batch_across_a_minute_boundary_becomes_one_chunk_per_minute() -> None:
    batch = [trade(1, T0 - 10), trade(2, T0 + 5), trade(3, T0 - 1)]
    chunks, dead = parse(*messages.encode_trades(batch))
    assert dead == []
    by_timestamp = sorted((c.timestamp.micros // 1000, c.value) for c in chunks)
    assert [(ts, symbol, [t[0] for t in trades]) for ts, (symbol, trades) in by_timestamp] == [
        (T0 - 10, "BTCUSDT", [1, 3]),
        (T0 + 5, "BTCUSDT", [2]),
    ]


def test_heartbeats_are_dropped() -> None:
    assert parse(*messages.encode_heartbeat(T0)) == ([], [])


def test_invalid_records_become_dead_letters_and_the_rest_still_counts() -> None:
    good = trade(1, T0).to_record()
    bad = {**good, "trade_id": 2, "price": "-1"}
    chunks, dead = parse(json.dumps([good, bad]).encode(), {"kind": "trades"})
    assert [t[0] for c in chunks for t in c.value[1]] == [1]
    assert [d["reason"] for d in dead] == ["price must be positive: '-1'"]
    assert json.loads(dead[0]["raw"])["trade_id"] == 2
    assert (dead[0]["stage"], dead[0]["source"]) == (
        "pipeline.pubsub",
        "projects/p/subscriptions/s",
    )


@pytest.mark.parametrize(
    ("data", "attributes", "reason"),
    [
        (b"{oops", {"kind": "trades"}, "invalid JSON"),
        (b"[]", {"kind": "orders"}, "unknown message kind 'orders'"),
        (b"[42]", {"kind": "trades"}, "trade record is int, not an object"),
    ],
)
def test_malformed_messages_are_dead_letters(
    data: bytes, attributes: dict[str, str], reason: str
) -> None:
    chunks, dead = parse(data, attributes)
    assert chunks == []
    assert [d["reason"][: len(reason)] for d in dead] == [reason]


def test_dead_letters_rejected_upstream_pass_through_unchanged() -> None:
    body, attributes = messages.encode_dead_letter(
        "relay", "price must be positive: '-1'", '{"e":"trade","p":"-1"}', "ws://x", T0
    )
    chunks, dead = parse(body, attributes)
    assert chunks == [] and dead == [json.loads(body)]
    chunks, dead = parse(b'{"reason": "only one column"}', attributes)
    assert chunks == [] and dead[0]["reason"] == "a dead letter without the dead_letters columns"


RECORD = trade(1, T0).to_record()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000, "nested deeper than"),
        (json.dumps([{**RECORD, "trade_time": T0 * 1000}]).encode(), "trade_time"),
        (json.dumps([{**RECORD, "trade_id": 2**64}]).encode(), "trade_id"),
        (json.dumps([{**RECORD, "price": "1_000"}]).encode(), "price is not numeric"),
    ],
)
def test_values_no_column_can_hold_are_dead_letters_not_crashes(body: bytes, reason: str) -> None:
    chunks, dead = parse(body, {messages.ATTR_KIND: messages.KIND_TRADES})
    assert chunks == []
    assert len(dead) == 1
    assert reason in dead[0]["reason"]
