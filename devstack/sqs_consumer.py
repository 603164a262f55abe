"""A local SQS event source mapping: pollers that drive the app's real `@app.on_sqs_message` handler.

Each poller does what Lambda's mapping does: long-polls up to the handler's
`batch_size` within its batching window, invokes the handler with a Lambda-format
SQS event and a context, then deletes only the messages not reported in
`batchItemFailures` (ReportBatchItemFailures). If the handler raises, nothing is
deleted and the batch comes back after the visibility timeout; moto's queue
applies the RedrivePolicy, so a message received `maxReceiveCount` times moves
to the DLQ. The pollers of a source take their messages through one
`devstack.fair_queue.FairQueue`, which delivers them in SQS fair queues' order
(a quiet tenant's message before a noisy tenant's backlog). Stopping lets the
in-flight batches finish and makes the messages received ahead visible again.
"""
from __future__ import annotations

import base64
import logging
import math
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from chalice.app import Chalice, SQSEventConfig

from devstack.embedded_aws import REGION
from devstack.fair_queue import MAX_RECEIVE, FairQueue
from devstack.lambda_runtime import ContextFactory, Handler, default_context, event_handler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SqsSource:
    """One `@app.on_sqs_message` registration: which queue, how it batches, which entry point."""

    name: str
    queue_name: str
    batch_size: int
    window_seconds: float
    handler: Handler


def sqs_sources(app: Chalice) -> list[SqsSource]:
    sources = []
    for config in app.event_sources:
        if not isinstance(config, SQSEventConfig):
            continue
        queue_name = config.queue or (config.queue_arn or "").rsplit(":", 1)[-1]
        sources.append(SqsSource(
            name=config.name,
            queue_name=queue_name,
            batch_size=config.batch_size,
            window_seconds=float(config.maximum_batching_window_in_seconds or 0),
            handler=event_handler(app, config.name),
        ))
    return sources


def lambda_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """A received SQS message as Lambda puts it in `event["Records"]`."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: _lambda_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _lambda_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": [base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def messages_to_delete(records: Sequence[Mapping[str, Any]], response: Any) -> list[Mapping[str, Any]]:
    """The records Lambda deletes after a successful invocation with ReportBatchItemFailures."""
    if not isinstance(response, Mapping) or response.get("batchItemFailures") in (None, []):
        return list(records)
    failures = response["batchItemFailures"]
    known = {record["messageId"] for record in records}
    failed = {item.get("itemIdentifier") if isinstance(item, Mapping) else None for item in failures}
    if not failed <= known:
        # Lambda treats an empty or unknown itemIdentifier as a failure of the whole batch.
        logger.error("invalid batchItemFailures %r: the whole batch is retried", failures)
        return []
    return [record for record in records if record["messageId"] not in failed]


class SqsConsumer:
    """`workers` pollers for one SQS source, each invoking the handler with its own batches."""

    def __init__(self, sqs: Any, source: SqsSource, *, workers: int = 2, region: str = "us-east-1",
                 new_context: ContextFactory = default_context, idle_wait_seconds: int = 1) -> None:
        self._sqs = sqs
        self._source = source
        self._workers = workers
        self._region = region
        self._new_context = new_context
        self._idle_wait_seconds = idle_wait_seconds
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._queue_url: str = sqs.get_queue_url(QueueName=source.queue_name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=self._queue_url, AttributeNames=["QueueArn", "VisibilityTimeout"])["Attributes"]
        self._queue_arn: str = attributes["QueueArn"]
        self._visibility_timeout = int(attributes["VisibilityTimeout"])
        self._queue = FairQueue(sqs, self._queue_url, self._visibility_timeout)

    def start(self) -> None:
        for number in range(self._workers):
            thread = threading.Thread(target=self._run, name=f"sqs-{self._source.name}-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        keeper = threading.Thread(target=self._keep_invisible, name=f"sqs-{self._source.name}-keeper", daemon=True)
        keeper.start()
        self._threads.append(keeper)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop polling; each poller finishes the batch it holds, then what was received ahead is released."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        if self._threads:
            logger.warning("%d poller(s) still busy after %.0fs", len(self._threads), timeout)
        self._queue.release_all()

    def _keep_invisible(self) -> None:
        # Sweeps even while every poller is inside a long handler, which is when the held messages wait longest.
        while not self._stopping.wait(min(1.0, self._visibility_timeout / 4)):
            try:
                self._queue.keep_invisible()
            except Exception:
                logger.exception("visibility of the messages held for %s not extended", self._source.queue_name)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                # A poller survives emulator hiccups, as the managed mapping does.
                logger.exception("poller of %s failed; retrying", self._source.queue_name)
                self._stopping.wait(1.0)

    def poll_once(self) -> int:
        """Receive one batch, invoke the handler, delete what succeeded; returns the batch size."""
        messages = self._receive_batch()
        if messages:
            try:
                self._invoke(messages)
            finally:
                self._queue.finished(messages)
        return len(messages)

    def _receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        try:
            return self._fill_batch(batch)
        except Exception:
            self._queue.finished(batch)  # taken but never handled: back after their visibility timeout
            raise

    def _fill_batch(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        source = self._source
        window_ends: float | None = None
        while len(batch) < source.batch_size:
            if not batch:
                wait = self._idle_wait_seconds
            elif window_ends is None:
                wait = 0  # no batching window: take what is already there, then invoke
            else:
                wait = max(0, min(20, math.ceil(window_ends - time.monotonic())))  # whole seconds only
            received = self._queue.take(min(MAX_RECEIVE, source.batch_size - len(batch)), wait)
            if not batch and not received:
                return []
            if not batch and source.window_seconds:
                window_ends = time.monotonic() + source.window_seconds
            batch.extend(received)
            window_over = window_ends is None or time.monotonic() >= window_ends
            if (not received and window_over) or self._stopping.is_set():
                break
        return batch

    def _invoke(self, messages: Sequence[Mapping[str, Any]]) -> None:
        records = [lambda_record(message, self._queue_arn, self._region) for message in messages]
        context = self._new_context(self._source.name)
        try:
            response = self._source.handler({"Records": records}, context)
        except Exception:
            logger.exception("handler %s raised: batch of %d left for retry", self._source.name, len(records))
            return
        self._delete(messages_to_delete(records, response))

    def _delete(self, records: Iterable[Mapping[str, Any]]) -> None:
        pending = list(records)
        for start in range(0, len(pending), MAX_RECEIVE):
            chunk = pending[start:start + MAX_RECEIVE]
            response = self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=[
                {"Id": str(index), "ReceiptHandle": record["receiptHandle"]} for index, record in enumerate(chunk)
            ])
            for failed in response.get("Failed", []):
                logger.error("delete of %s failed: %s", chunk[int(failed["Id"])]["messageId"], failed.get("Message"))


def polling_client(workers: int) -> Any:
    """An SQS client with one connection per long-polling worker, plus room for deletes."""
    return boto3.client("sqs", region_name=os.environ.get("AWS_REGION") or REGION,
                        config=BotoConfig(max_pool_connections=workers + 10))


def fair_share(workers: int) -> int:
    """TENANT_MAX_WORKERS as on AWS (half the mapping's MaximumConcurrency), scaled to `workers` pollers."""
    return max(1, workers // 2)


def start_pollers(app: Chalice, sqs: Any, workers: int, new_context: ContextFactory) -> list[SqsConsumer]:
    """`workers` started pollers for each of the app's SQS sources; the caller stops them."""
    consumers = [SqsConsumer(sqs, source, workers=workers, region=REGION, new_context=new_context)
                 for source in sqs_sources(app)]
    for consumer in consumers:
        consumer.start()
    return consumers
