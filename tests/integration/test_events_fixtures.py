"""Shared fixtures and helpers of the events/webhooks integration tests (no tests of its own).

Imported by `test_events_*.py` and `test_webhooks_*.py`: moto with the template's tables
(the `tables` fixture) and the work queue, and a reader of queued messages.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

from chalicelib.cleanups import Actor

QUEUE = "cleanups-work"
APP_ACTOR = Actor(who={"application": {"id": "AppAAAAAA1", "client_id": "client-1", "kind": "integration"}},
                  ip_address="203.0.113.7", user_agent="cleanups-cli/1.0", request_id="req-0001")


@pytest.fixture
def events_env(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The template's tables and the work queue in moto (use with `pytest.mark.usefixtures`)."""
    monkeypatch.delenv("WORK_QUEUE_URL", raising=False)
    monkeypatch.delenv("WEBHOOK_ALLOW_LOOPBACK", raising=False)
    monkeypatch.setenv("WORK_QUEUE_NAME", QUEUE)
    boto3.client("sqs", region_name="us-east-1").create_queue(QueueName=QUEUE)


def queued(kind: str = "webhook_delivery") -> list[tuple[dict[str, Any], int]]:
    """Every message of `kind` on the work queue with its DelaySeconds, delayed ones included.

    Read from moto's queue itself: a delayed message is not receivable until its delay passes.
    """
    queue = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues[QUEUE]
    out = []
    for message in queue._messages:
        body = json.loads(message.body)
        delay = round((message.delayed_until - message.sent_timestamp) / 1000) if message.delayed_until else 0
        if body.get("kind") == kind:
            out.append((body, delay))
    return out
