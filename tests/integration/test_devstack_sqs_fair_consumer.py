"""The local pollers deliver in SQS fair queues' order: a quiet group's message before a busy group's backlog."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from chalice import Chalice
from chalice.app import SQSEvent

from devstack.sqs_consumer import SqsConsumer, SqsSource, sqs_sources
from tests.integration.test_devstack_sqs_consumer import QUEUE, MotoSqsClock, counts, make_source, moto_sqs_clock, sqs

__all__ = ["moto_sqs_clock", "sqs"]  # the consumer tests' fixtures: moto's queue and DLQ, and its clock

FAIR_QUEUE = "local-fair-work"


def fair_source(sqs: Any, handler: Callable[[SQSEvent], Any], visibility_timeout: int) -> SqsSource:
    """A batch-size-1 source on a queue of its own with the given visibility timeout."""
    sqs.create_queue(QueueName=FAIR_QUEUE, Attributes={"VisibilityTimeout": str(visibility_timeout)})
    app = Chalice(app_name="fair-queue-test")
    app.on_sqs_message(queue=FAIR_QUEUE, batch_size=1)(handler)
    (source,) = sqs_sources(app)
    return source


def send_grouped(sqs: Any, queue: str, group: str, *numbers: int) -> None:
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    for n in numbers:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"group": group, "n": n}), MessageGroupId=group)


def test_consumer_delivers_a_quiet_groups_message_before_a_busy_groups_backlog(sqs: Any) -> None:
    # Given 30 messages of group A, then 1 of group B, a handler slow for A, and two pollers
    lock = threading.Lock()
    started: list[tuple[str, int]] = []
    receive_counts: set[str] = set()

    def slow_for_a(event: SQSEvent) -> None:
        for record in event:
            body = json.loads(record.body)
            with lock:
                started.append((body["group"], body["n"]))
                receive_counts.add(record.to_dict()["attributes"]["ApproximateReceiveCount"])
            time.sleep(0.15 if body["group"] == "A" else 0)

    source = fair_source(sqs, slow_for_a, visibility_timeout=2)
    send_grouped(sqs, FAIR_QUEUE, "A", *range(30))
    send_grouped(sqs, FAIR_QUEUE, "B", 0)
    consumer = SqsConsumer(sqs, source, workers=2)

    # When the pollers run until every message is handled (longer than the visibility timeout)
    consumer.start()
    deadline = time.monotonic() + 20
    while len(started) < 31 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    consumer.stop()

    # Then B's message was among the first batches, and each message was received and handled exactly once
    assert started.index(("B", 0)) < 3
    assert sorted(started) == sorted([("A", n) for n in range(30)] + [("B", 0)])
    assert receive_counts == {"1"}
    assert counts(sqs, FAIR_QUEUE) == (0, 0)


def test_consumer_leaves_a_failed_message_of_a_group_for_redelivery(sqs: Any, moto_sqs_clock: MotoSqsClock) -> None:
    # Given messages of two groups and a handler that reports B's as failed the first time only
    handled: list[tuple[str, str]] = []

    def fail_b_once(event: SQSEvent) -> dict[str, Any]:
        failures = []
        for record in event:
            body = json.loads(record.body)
            attempt = record.to_dict()["attributes"]["ApproximateReceiveCount"]
            handled.append((body["group"], attempt))
            if body["group"] == "B" and attempt == "1":
                failures.append({"itemIdentifier": record.to_dict()["messageId"]})
        return {"batchItemFailures": failures}

    send_grouped(sqs, QUEUE, "A", 0, 1)
    send_grouped(sqs, QUEUE, "B", 0)
    consumer = SqsConsumer(sqs, make_source(fail_b_once), idle_wait_seconds=0)

    # When polled now, and again after the visibility timeout
    consumer.poll_once()
    moto_sqs_clock.advance(1.1)
    consumer.poll_once()

    # Then B's message came back once more and was then deleted, A's were handled once
    assert sorted(handled) == [("A", "1"), ("A", "1"), ("B", "1"), ("B", "2")]
    assert counts(sqs) == (0, 0)


def test_consumer_stop_makes_the_messages_received_ahead_visible_again(sqs: Any) -> None:
    # Given five messages, of which one batch of one was handled and the rest were received ahead
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}))
    handled: list[int] = []
    consumer = SqsConsumer(sqs, make_source(lambda event: handled.extend(json.loads(r.body)["n"] for r in event),
                                            batch_size=1), idle_wait_seconds=0)
    consumer.poll_once()
    assert handled == [0]
    assert counts(sqs) == (0, 4)

    # When the consumer stops
    consumer.stop()

    # Then the four it held are visible at once, not after their visibility timeout
    assert counts(sqs) == (4, 0)
