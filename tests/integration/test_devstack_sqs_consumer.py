"""The local SQS event source mapping against moto: deletes, retries, redrive, parallel pollers."""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from chalice import Chalice
from chalice.app import SQSEvent
from moto import mock_aws
from moto.core.utils import unix_time, unix_time_millis
from moto.sqs import models as sqs_models

from devstack.lambda_runtime import LambdaContext
from devstack.sqs_consumer import SqsConsumer, SqsSource, sqs_sources

QUEUE = "local-consumer-work"
MAX_RECEIVE = 2


class MotoSqsClock:
    """moto's SQS clock (visibility timeouts, delays, long polls) is the wall clock plus what a test `advance`s."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = 0.0
        monkeypatch.setattr(sqs_models, "unix_time", lambda: unix_time() + self.offset)
        monkeypatch.setattr(sqs_models, "unix_time_millis", lambda: unix_time_millis() + self.offset * 1000)

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def moto_sqs_clock(monkeypatch: pytest.MonkeyPatch) -> MotoSqsClock:
    """Waits for a visibility timeout to pass without the wall time: moto's SQS sees the time move on."""
    return MotoSqsClock(monkeypatch)


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """In-process moto (fake credentials, no emulator endpoint) with a work queue redriving to a DLQ."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("sqs")
        dlq_url = client.create_queue(QueueName=f"{QUEUE}-dlq")["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        client.create_queue(QueueName=QUEUE, Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE}),
        })
        yield client


def make_source(handler: Callable[[SQSEvent], Any], batch_size: int = 10, window: int = 0) -> SqsSource:
    """A source discovered from a real Chalice app whose SQS handler is `handler`."""
    app = Chalice(app_name="consumer-test")
    app.on_sqs_message(queue=QUEUE, batch_size=batch_size, maximum_batching_window_in_seconds=window)(handler)
    (source,) = sqs_sources(app)
    return source


def send(sqs: Any, *bodies: dict[str, Any], **attributes: str) -> list[str]:
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    message_attributes = {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}
    return [sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body), MessageAttributes=message_attributes)
            ["MessageId"] for body in bodies]


def counts(sqs: Any, queue: str = QUEUE) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def body_ids(sqs: Any, queue: str) -> list[int]:
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(json.loads(message["Body"])["n"] for message in messages)


def fail_odd_numbers(event: SQSEvent) -> dict[str, Any]:
    failures = [{"itemIdentifier": record.to_dict()["messageId"]}
                for record in event if json.loads(record.body)["n"] % 2]
    return {"batchItemFailures": failures}


def test_consumer_deletes_only_records_not_reported_as_failures(sqs: Any, moto_sqs_clock: MotoSqsClock) -> None:
    # Given five messages, of which the handler reports the odd ones as failed
    send(sqs, *({"n": n} for n in range(5)))
    consumer = SqsConsumer(sqs, make_source(fail_odd_numbers), idle_wait_seconds=0)

    # When one batch is polled and handled
    handled = consumer.poll_once()

    # Then the even ones are deleted and only the two failures come back after the visibility timeout
    assert handled == 5
    assert counts(sqs) == (0, 2)
    moto_sqs_clock.advance(1.1)
    assert body_ids(sqs, QUEUE) == [1, 3]


def test_consumer_deletes_nothing_when_the_handler_raises(sqs: Any) -> None:
    # Given a handler that raises
    def explode(event: SQSEvent) -> None:
        raise RuntimeError("boom")

    send(sqs, {"n": 1}, {"n": 2})
    consumer = SqsConsumer(sqs, make_source(explode))

    # When a batch is handled
    consumer.poll_once()

    # Then the whole batch is kept, in flight until its visibility timeout
    assert counts(sqs) == (0, 2)


def test_consumer_retries_the_whole_batch_when_failures_name_an_unknown_message(sqs: Any) -> None:
    # Given a handler reporting an id that is not in the batch (Lambda then fails the whole batch)
    def bogus(event: SQSEvent) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "not-a-message-id"}]}

    send(sqs, {"n": 1}, {"n": 2})

    # When a batch is handled
    SqsConsumer(sqs, make_source(bogus)).poll_once()

    # Then nothing is deleted
    assert counts(sqs) == (0, 2)


def test_consumer_moves_an_always_failing_message_to_the_dlq_after_max_receive_count(
        sqs: Any, moto_sqs_clock: MotoSqsClock) -> None:
    # Given a message whose handling always fails
    send(sqs, {"n": 7})
    consumer = SqsConsumer(sqs, make_source(fail_odd_numbers), idle_wait_seconds=0)

    # When it has been received maxReceiveCount times and is polled once more
    for _ in range(MAX_RECEIVE):
        assert consumer.poll_once() == 1
        moto_sqs_clock.advance(1.1)
    last = consumer.poll_once()

    # Then the queue's redrive policy has moved it to the DLQ
    assert last == 0
    assert counts(sqs) == (0, 0)
    assert body_ids(sqs, f"{QUEUE}-dlq") == [7]


def test_consumer_builds_lambda_format_records_with_unique_ids_and_a_context(sqs: Any) -> None:
    # Given a handler that records what Lambda would pass it
    seen: list[tuple[dict[str, Any], Any]] = []

    def capture(event: SQSEvent) -> None:
        seen.append((event.to_dict(), event.context))

    sent_ids = send(sqs, {"n": 1}, {"n": 2}, tenant="acme")

    # When a batch is handled
    SqsConsumer(sqs, make_source(capture)).poll_once()

    # Then the event has Lambda's SQS record shape and the context Lambda's attributes
    (event, context), = seen
    records = event["Records"]
    assert sorted(record["messageId"] for record in records) == sorted(sent_ids)
    assert len(set(sent_ids)) == 2
    record = records[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(f":{QUEUE}")
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert "SentTimestamp" in record["attributes"]
    assert record["messageAttributes"]["tenant"]["stringValue"] == "acme"
    assert record["messageAttributes"]["tenant"]["dataType"] == "String"
    assert record["md5OfBody"] and record["receiptHandle"]
    assert isinstance(context, LambdaContext)
    uuid.UUID(context.aws_request_id)
    assert 0 < context.get_remaining_time_in_millis() <= 900_000
    assert counts(sqs) == (0, 0)


def test_consumer_caps_a_batch_at_the_handlers_batch_size(sqs: Any) -> None:
    # Given seven messages and a handler taking batches of at most three
    sizes: list[int] = []
    send(sqs, *({"n": n} for n in range(7)))
    consumer = SqsConsumer(sqs, make_source(lambda event: sizes.append(len(list(event))), batch_size=3),
                           idle_wait_seconds=0)

    # When polled until the queue is empty
    while consumer.poll_once():
        pass

    # Then every batch respected the size and every message was handled once
    assert max(sizes) == 3
    assert sum(sizes) == 7


def test_consumer_pollers_process_batches_in_parallel(sqs: Any) -> None:
    # Given four single-message batches, a slow handler and two pollers
    lock = threading.Lock()
    active, peak, done = [0], [0], []

    def slow(event: SQSEvent) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.3)
        with lock:
            active[0] -= 1
            done.extend(json.loads(record.body)["n"] for record in event)

    send(sqs, *({"n": n} for n in range(4)))
    consumer = SqsConsumer(sqs, make_source(slow, batch_size=1), workers=2)

    # When the pollers run until everything is handled
    consumer.start()
    deadline = time.monotonic() + 5
    while len(done) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    consumer.stop()

    # Then two batches were in the handler at once and each message was handled exactly once
    assert peak[0] == 2
    assert sorted(done) == [0, 1, 2, 3]
    assert counts(sqs) == (0, 0)


def test_consumer_stop_finishes_the_batch_in_flight(sqs: Any) -> None:
    # Given a poller inside a handler that is still working
    entered, release = threading.Event(), threading.Event()

    def blocking(event: SQSEvent) -> None:
        entered.set()
        release.wait(5)

    send(sqs, {"n": 1})
    consumer = SqsConsumer(sqs, make_source(blocking), workers=1)
    consumer.start()
    assert entered.wait(5)

    # When the consumer is stopped while the handler runs, and the handler then finishes
    stopper = threading.Thread(target=consumer.stop)
    stopper.start()
    time.sleep(0.1)
    release.set()
    stopper.join(5)

    # Then the stop waited for the batch, which was completed and deleted
    assert not stopper.is_alive()
    assert counts(sqs) == (0, 0)


def test_consumer_waits_out_the_batching_window_to_fill_a_batch(sqs: Any) -> None:
    # Given a handler with a three-second batching window (room for a loaded machine's timer), shorter than
    # the queue's visibility timeout as on AWS, one message now and another 0.3 s later
    sizes: list[int] = []
    sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"],
                             Attributes={"VisibilityTimeout": "30"})
    consumer = SqsConsumer(sqs, make_source(lambda event: sizes.append(len(list(event))), window=3),
                           idle_wait_seconds=0)
    send(sqs, {"n": 1})
    threading.Timer(0.3, send, args=(sqs, {"n": 2})).start()

    # When one batch is polled
    consumer.poll_once()

    # Then both messages arrived in the same invocation
    assert sizes == [2]
