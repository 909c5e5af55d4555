"""Eventarc for the local stack: Cloud Storage notifications -> finalize CloudEvents.

    python -m commands.stack.eventarc --subscription projects/P/subscriptions/S --target URL

fake-gcs-server publishes every finalized object to a Pub/Sub emulator topic in
Cloud Storage's notification format (attributes ``bucketId``, ``objectId``,
``objectGeneration``, ``eventType``, ``eventTime``; the object's JSON resource as
data). This process pulls them and POSTs each to the loader under functions-framework
as the binary-mode CloudEvent Eventarc delivers: ``ce-type``
``google.cloud.storage.object.v1.finalized``, ``ce-source``, ``ce-subject``,
``ce-time``, ``ce-id`` (the message id, the same on every redelivery), and the object
resource as the JSON body, int64 values as strings (``functions.loader.events.finalize_event``
builds it, as it does for ``coinpulse load``).

Delivery is at least once, as Eventarc's: a message is acknowledged only after the
loader answered 2xx; a failed POST (refused, timeout, non-2xx) is retried with
capped exponential backoff, other messages still flowing meanwhile. Pub/Sub itself
may deliver a message twice; the loader deduplicates by object generation.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

import requests
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.subscriber.message import Message

from coinpulse import logs
from functions.loader import events

log = logging.getLogger("commands.stack.eventarc")

FINALIZE_NOTIFICATION = "OBJECT_FINALIZE"  # cloud.google.com/storage/docs/pubsub-notifications
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# The loader may wait up to a minute for the warehouse lock (commands.warehouse_db).
POST_TIMEOUT_SECONDS = 90.0
# Deliveries in flight at once: loads serialize on the warehouse anyway.
MAX_IN_FLIGHT = 4


def cloud_event(
    message_id: str, attributes: dict[str, str], data: bytes
) -> tuple[dict[str, str], Any]:
    """(headers, body) of the finalize CloudEvent for one notification. Raises ValueError."""
    body = json.loads(data)
    time = attributes.get("eventTime") or body.get("updated") or ""
    event = events.finalize_event(
        message_id, attributes["bucketId"], attributes["objectId"], time, body
    )
    headers = {f"ce-{key}": str(value) for key, value in event.get_attributes().items()}
    return {**headers, "Content-Type": "application/json"}, event.get_data()


class Deliveries:
    """Delivers notifications to the loader; counts attempts per message for the backoff."""

    def __init__(self, target: str, stop: threading.Event) -> None:
        self.target, self.stop = target, stop
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()

    def post(self, message_id: str, attributes: dict[str, str], data: bytes) -> bool:
        """POST one notification's CloudEvent; True when the loader answered 2xx."""
        fields = {
            "object": attributes.get("objectId"),
            "generation": attributes.get("objectGeneration"),
        }
        headers, body = cloud_event(message_id, attributes, data)
        try:
            response = requests.post(
                self.target, json=body, headers=headers, timeout=POST_TIMEOUT_SECONDS
            )
        except requests.RequestException as error:
            log.warning("delivery failed", extra=logs.fields(**fields, error=str(error)))
            return False
        if response.ok:
            log.info("delivered", extra=logs.fields(**fields, status=response.status_code))
            return True
        log.warning(
            "loader refused the event", extra=logs.fields(**fields, status=response.status_code)
        )
        return False

    def __call__(self, message: Message) -> None:
        """The subscriber's callback: deliver, then ack; or wait out the backoff and nack."""
        attributes = dict(message.attributes)
        if attributes.get("eventType") != FINALIZE_NOTIFICATION:
            message.ack()  # Eventarc's trigger filters on the finalized type
            return
        try:
            delivered = self.post(message.message_id, attributes, message.data)
        except (KeyError, ValueError) as error:
            log.error(
                "malformed notification dropped",
                extra=logs.fields(message_id=message.message_id, error=repr(error)),
            )
            message.ack()
            return
        if delivered:
            with self.lock:
                self.attempts.pop(message.message_id, None)
            message.ack()
            return
        with self.lock:
            attempt = self.attempts[message.message_id] = (
                self.attempts.get(message.message_id, 0) + 1
            )
        self.stop.wait(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempt - 1)))
        message.nack()


def main(argv: Sequence[str] | None = None) -> int:
    logs.setup()
    parser = argparse.ArgumentParser(prog="python -m commands.stack.eventarc", description=__doc__)
    parser.add_argument(
        "--subscription", required=True, help="projects/P/subscriptions/S of the notifications"
    )
    parser.add_argument("--target", required=True, help="the loader's URL")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    with pubsub_v1.SubscriberClient() as subscriber:
        future = subscriber.subscribe(
            args.subscription,
            Deliveries(args.target, stop),
            flow_control=pubsub_v1.types.FlowControl(max_messages=MAX_IN_FLIGHT),
        )
        log.info(
            "delivering", extra=logs.fields(subscription=args.subscription, target=args.target)
        )
        while not stop.wait(1.0):
            if future.done():
                log.error(
                    "the subscription stopped", extra=logs.fields(error=repr(future.exception()))
                )
                return 1
        future.cancel()
        future.result(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
