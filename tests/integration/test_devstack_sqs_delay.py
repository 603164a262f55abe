"""The local SQS event source mapping honours DelaySeconds as AWS does (a throttled worker's give-back)."""
from __future__ import annotations

import json
import time
from typing import Any

from chalice.app import SQSEvent

from chalicelib.queue import send as send_work
from devstack.sqs_consumer import SqsConsumer
from tests.integration.test_devstack_sqs_consumer import QUEUE, make_source, sqs

__all__ = ["sqs"]  # the consumer tests' fixture: moto's queue and DLQ


def test_consumer_invokes_a_delayed_message_only_once_its_delay_is_over(sqs: Any, monkeypatch: Any) -> None:
    # Given a message the work queue adapter sent with a two-second delay
    monkeypatch.setenv("WORK_QUEUE_URL", sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"])
    seen: list[float] = []

    def handler(event: SQSEvent) -> dict[str, Any]:
        seen.extend(time.monotonic() for record in event if json.loads(record.body)["n"] == 1)
        return {"batchItemFailures": []}
    sent = time.monotonic()
    send_work([{"n": 1}], delay_seconds=2)
    consumer = SqsConsumer(sqs, make_source(handler), idle_wait_seconds=0)
    # When the consumer polls for three seconds
    polled_early = consumer.poll_once()
    deadline = time.monotonic() + 3
    while not seen and time.monotonic() < deadline:
        consumer.poll_once()
        time.sleep(0.1)
    # Then nothing was received at once, and the message was handled once, after its delay
    assert polled_early == 0
    assert len(seen) == 1 and seen[0] - sent >= 2.0
