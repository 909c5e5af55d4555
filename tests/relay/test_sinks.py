import json
from pathlib import Path

import pytest
from google.cloud import pubsub_v1

from coinpulse import messages
from coinpulse.trade import Trade
from relay.sinks import FileSink, NullSink, dead_letter_spec, open_sink


def trade(trade_id: int) -> Trade:
    return Trade(
        "BTCUSDT",
        "bitcoin",
        trade_id,
        "65000.5",
        "0.01",
        1_700_000_000_000 + trade_id,
        None,
        True,
        0,
    )


@pytest.mark.unit
async def test_file_sink_writes_data_and_attributes_per_message(tmp_path: Path) -> None:
    sink = open_sink(f"file:{tmp_path / 'out.jsonl'}")
    assert isinstance(sink, FileSink)
    body, attributes = messages.encode_trades([trade(1), trade(2)])
    future = await sink.submit(body, attributes)
    assert future.done() and future.exception() is None
    await sink.close(1.0)
    [line] = (tmp_path / "out.jsonl").read_text().splitlines()
    written = json.loads(line)
    assert [record["trade_id"] for record in written["data"]] == [1, 2]
    assert written["attributes"]["event_ts"] == str(1_700_000_000_001)
    assert written["attributes"]["symbol"] == "BTCUSDT"


@pytest.mark.unit
def test_sink_specs() -> None:
    assert isinstance(open_sink("null"), NullSink)
    with pytest.raises(ValueError, match="unknown sink"):
        open_sink("kafka:trades")
    assert (
        dead_letter_spec("pubsub:projects/p/topics/t") == "pubsub:projects/p/topics/t-dead-letter"
    )
    assert dead_letter_spec("file:/x/out.jsonl") == "file:/x/out.dead-letter.jsonl"
    assert dead_letter_spec("null") == "null"


@pytest.mark.integration
async def test_pubsub_sink_publishes_to_the_emulator(pubsub_env: str) -> None:
    topic = "projects/coinpulse-test/topics/sink-test"
    sink = open_sink(f"pubsub:{topic}")  # creates the topic on the emulator
    subscriber = pubsub_v1.SubscriberClient()
    subscription = "projects/coinpulse-test/subscriptions/sink-test"
    subscriber.create_subscription(name=subscription, topic=topic)
    body, attributes = messages.encode_trades([trade(7)])
    await (await sink.submit(body, attributes))
    await sink.close(5.0)
    response = subscriber.pull(subscription=subscription, max_messages=10, timeout=10)
    [received] = response.received_messages
    assert json.loads(received.message.data)[0]["trade_id"] == 7
    assert dict(received.message.attributes) == attributes


@pytest.mark.unit
async def test_file_sink_acknowledges_a_line_only_once_another_reader_sees_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "out.jsonl"
    sink = open_sink(f"file:{path}")
    body, attributes = messages.encode_trades([trade(3)])
    future = await sink.submit(body, attributes)
    await future
    # Acknowledged: a process killed now must not lose it, so it has left our buffers.
    [line] = path.read_text().splitlines()
    assert [record["trade_id"] for record in json.loads(line)["data"]] == [3]
    await sink.close(1.0)


@pytest.mark.unit
async def test_file_sink_fails_the_acknowledgement_when_the_disk_is_full() -> None:
    sink = FileSink(Path("/dev/full"))  # every write ends in ENOSPC
    body, attributes = messages.encode_trades([trade(4)])
    future = await sink.submit(body, attributes)
    with pytest.raises(OSError, match="No space left"):
        await future
