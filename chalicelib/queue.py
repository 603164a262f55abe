"""The work queue adapter (SQS): what the API and the reconciler enqueue for the worker."""
from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Sequence
from typing import Any

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.messages import tenant_of

_SEND_BATCH = 10  # SendMessageBatch's limit


@functools.cache
def _url_for(name: str, endpoint: str) -> str:
    return aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def queue_url() -> str:
    """`WORK_QUEUE_URL` when the deployment passes it; otherwise looked up once by name."""
    given = os.environ.get("WORK_QUEUE_URL")
    if given:
        return given
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL", "")
    return _url_for(get_settings().work_queue_name, endpoint)


def _entry(number: int, body: dict[str, Any], delay_seconds: int) -> dict[str, Any]:
    entry = {"Id": str(number), "MessageBody": json.dumps(body), "DelaySeconds": delay_seconds}
    if "tenant" in body:
        # SQS fair queues: a standard queue's message group is its tenant, so one tenant's backlog does not
        # delay the others' messages (an emulator, or a region without fair queues, just ignores it).
        entry["MessageGroupId"] = tenant_of(body).key
    return entry


def send(messages: Sequence[dict[str, Any]], delay_seconds: int = 0) -> None:
    """Enqueue JSON messages, ten a call; raises if any entry is refused."""
    client = aws.client("sqs")
    url = queue_url()
    for start in range(0, len(messages), _SEND_BATCH):
        entries = [_entry(i, body, delay_seconds) for i, body in enumerate(messages[start:start + _SEND_BATCH])]
        result = client.send_message_batch(QueueUrl=url, Entries=entries)
        if result.get("Failed"):
            retry = [entries[int(f["Id"])] for f in result["Failed"]]
            again = client.send_message_batch(QueueUrl=url, Entries=[{**e, "Id": uuid.uuid4().hex} for e in retry])
            if again.get("Failed"):
                raise RuntimeError(f"SQS refused {len(again['Failed'])} messages: {again['Failed'][0]}")


class SqsWorkQueue:
    """Implements `chalicelib.cleanups.WorkQueue` on SQS."""

    def send(self, messages: Sequence[dict[str, Any]], delay_seconds: int = 0) -> None:
        send(messages, delay_seconds)
