"""Helpers for driving the cleanup pipeline against moto: a recording events port and a queue drain."""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap, cleanups, messages
from chalicelib.cleanups import Actor, Cleanup, Ports
from chalicelib.events import CleanupEventsRecorder, DynamoEventLog, Recorded
from chalicelib.events.model import CREATE, DESTROY, PROGRESS
from chalicelib.messages import tenant_of
from chalicelib.queue import SqsWorkQueue
from chalicelib.tenancy import Tenant
from tests.integration import records_api

APP_ACTOR = Actor(who={"application": {"id": "app", "client_id": "c", "kind": "integration"}})


@dataclass
class RecordingEvents(CleanupEventsRecorder):
    """The real events port, noting each committed write's events as it dispatches them (winners only)."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)  # (what, cleanup id, status after)

    def __post_init__(self) -> None:
        super().__init__(DynamoEventLog(), SqsWorkQueue(), bootstrap.SystemClock())

    def dispatch(self, recorded: Recorded) -> None:
        names = {event.name for event in recorded.events}
        if names:
            what = ("created" if CREATE in names else "destroyed" if DESTROY in names
                    else "progress" if PROGRESS in names else "status")
            self.calls.append((what, recorded.cleanup.id, recorded.cleanup.status))
        super().dispatch(recorded)

    def statuses(self, cleanup_id: str) -> list[str]:
        return [status for what, cid, status in self.calls if cid == cleanup_id and what == "status"]


def ports(events: RecordingEvents) -> Ports:
    """The real adapters, with `events` told of every change."""
    return replace(bootstrap.ports(), events=events)


def queue_url() -> str:
    return boto3.client("sqs").get_queue_url(QueueName="cleanups-work")["QueueUrl"]


def receive_all() -> list[dict[str, Any]]:
    """Every message now in the work queue (taken off it), as SQS returned them."""
    return take_messages(boto3.client("sqs"), queue_url())


def take_messages(sqs: Any, url: str, wanted: Callable[[dict[str, Any]], bool] | None = None) -> list[dict[str, Any]]:
    """The messages of the queue at `url` whose body is `wanted` (every one by default), taken off it, as SQS
    returned them; the others are made visible again at once."""
    taken: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages", [])
        if not batch:
            return taken
        for message in batch:
            if wanted is None or wanted(json.loads(message["Body"])):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                taken.append(message)
            else:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=0)


def lambda_event(bodies: Iterable[str]) -> dict[str, Any]:
    """An SQS event as Lambda builds it, each record with its own message id."""
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": uuid.uuid4().hex, "body": body,
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:cleanups-work",
        "awsRegion": "us-east-1",
    } for body in bodies]}


def handlers(events: RecordingEvents) -> dict[str, messages.Handler]:
    def batch(body: dict[str, Any]) -> None:
        cleanups.process_batch(ports(events), tenant_of(body), body["cleanup_id"], int(body["batch"]))

    def restore(body: dict[str, Any]) -> None:
        cleanups.restore_batch(ports(events), tenant_of(body), body["cleanup_id"], int(body["sub_batch"]))
    def selection(body: dict[str, Any]) -> None:
        cleanups.continue_selection(ports(events), tenant_of(body), body["cleanup_id"], int(body["page"]))

    def report(body: dict[str, Any]) -> None:
        cleanups.finish_report(ports(events), tenant_of(body), body["cleanup_id"])
    return {"cleanup_batch": batch, "cleanup_selection": selection, "restore_batch": restore, "cleanup_report": report}


def deliver(bodies: list[str], events: RecordingEvents) -> dict[str, Any]:
    """Run the real consumer over these message bodies, one Lambda invocation each."""
    failures: list[Any] = []
    for body in bodies:
        failures += messages.consume(lambda_event([body]), None, handlers(events))["batchItemFailures"]
    return {"batchItemFailures": failures}


def drain(events: RecordingEvents, order: Callable[[list[str]], list[str]] = lambda b: b, rounds: int = 20) -> int:
    """Deliver what the queue holds (and what that enqueues) until it is empty; messages delivered."""
    delivered = 0
    for _ in range(rounds):
        bodies = [m["Body"] for m in receive_all()]
        if not bodies:
            return delivered
        deliver(order(bodies), events)
        delivered += len(bodies)
    return delivered


def create(tenant: Tenant, events: RecordingEvents, resource_type: str = "skus",
           filters: dict[str, Any] | None = None) -> Cleanup:
    return cleanups.create_cleanup(ports(events), tenant, {"resource_type": resource_type, "filters": filters or {}},
                                   APP_ACTOR)


def drain_interrupted_in_first_sub_batch(cleanup: Cleanup, events: RecordingEvents,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Drain the queue, the client's `_interrupt` landing while the first sub-batch is in flight.

    The interrupt is made from inside that sub-batch, which cannot be counted before it answers, so its wait
    for the count is cut short (the `interrupt_waits_briefly` fixture, which would otherwise add 20 s).
    """
    monkeypatch.setenv("INTERRUPT_SETTLE_SECONDS", "0.2")
    real = bootstrap.HostedRecords.delete_sub_batch
    seen = {"n": 0}

    def interrupt_after_first(*args: Any, **kwargs: Any) -> Any:
        outcome = real(*args, **kwargs)
        seen["n"] += 1
        if seen["n"] == 1:
            cleanups.interrupt_cleanup(ports(events), cleanup.tenant, cleanup.id, APP_ACTOR)
        return outcome

    monkeypatch.setattr(bootstrap.HostedRecords, "delete_sub_batch", interrupt_after_first)
    drain(events)


def body_of(message: dict[str, Any]) -> dict[str, Any]:
    return json.loads(message["Body"])


def make_skus(factory: Any, n: int, prefix: str = "DEL") -> list[dict[str, str]]:
    """`n` full skus (a price and its tier, a stock item, a list item each) coded `<prefix>000`..."""
    return [factory.full_sku(f"{prefix}{i:03d}") for i in range(n)]


def one_changed_after_create(factory: Any, tenant: Tenant, events: RecordingEvents
                             ) -> tuple[list[dict[str, str]], Cleanup, str]:
    """Twelve full skus, a cleanup of every sku, then one sku changed after the create (its delete is an error):
    the skus, the cleanup and the changed sku's id."""
    skus = make_skus(factory, 12)
    cleanup = create(tenant, events)
    touched = skus[5]["skus"]
    records_api.update_record(tenant, "skus", touched, {"name": "changed"}, {})
    return skus, cleanup, touched
