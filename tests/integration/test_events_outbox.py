"""The events' outbox against moto: a write's events survive a failed or killed dispatch, and reach webhooks.

Faults are injected at botocore's event hooks: the SQS send of the deliveries fails after the
commit, or the process dies right after the transition's TransactWriteItems landed.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib import aws, bootstrap, cleanups
from chalicelib.cleanups.adapters.store import _cleanups
from chalicelib.config import get_settings
from chalicelib.events import create_webhook, deliver
from chalicelib.events.adapters import store
from chalicelib.events.model import REDISPATCH_AFTER_SECONDS
from chalicelib.tenancy import Tenant, now
from tests.integration.test_events_fixtures import APP_ACTOR, events_env, queued  # noqa: F401
from tests.integration.test_webhooks_delivery import Receiver, receiver  # noqa: F401

GET_CLEANUP = bootstrap.cleanup_repository().get  # what the handlers pass to the events reads

pytestmark = pytest.mark.usefixtures("events_env")
LATER = "2999-01-01T00:00:00.000Z"


@dataclass
class Later:
    """A clock past the outbox's redispatch delay (the reconciler's view a while after the fault)."""

    seconds: float = REDISPATCH_AFTER_SECONDS + 1

    def now(self) -> datetime:
        return now() + timedelta(seconds=self.seconds)


@pytest.fixture
def failing_sqs_send() -> Iterator[list[str]]:
    """The next SendMessageBatch fails (after the SDK's retries), as an SQS outage would; the calls it failed."""
    client, failed = aws.client("sqs"), []

    def refuse(**_: Any) -> None:
        if not failed:
            failed.append("SendMessageBatch")
            raise ConnectionError("SQS unreachable")

    client.meta.events.register("before-call.sqs.SendMessageBatch", refuse)
    yield failed
    client.meta.events.unregister("before-call.sqs.SendMessageBatch", refuse)


def test_outbox_keeps_the_events_whose_delivery_send_failed_and_the_reconciler_delivers_them(
        tenant: Tenant, receiver: Receiver, failing_sqs_send: list[str]) -> None:  # noqa: F811
    # Given a webhook on cleanups.create, and SQS failing the first send
    create_webhook(tenant, {"topic": "cleanups.create", "callback_url": receiver.url}, get_settings())
    # When a cleanup is created (nothing to delete: completed at once)
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    # Then the create succeeded with both events committed; the create's, whose send failed, is in the outbox
    assert failing_sqs_send == ["SendMessageBatch"] and queued() == []
    names = {e.id: e.name for e in store.events_of(tenant, cleanup.id)}
    assert sorted(names.values()) == ["cleanups.complete", "cleanups.create"]
    assert [o.event.name for o in store.undispatched(LATER)] == ["cleanups.create"]
    # When the reconciler runs now, then it leaves it to its dispatcher; past the delay, it sends it
    assert cleanups.reconcile(bootstrap.ports()).redispatched == []
    report = cleanups.reconcile(replace(bootstrap.ports(), clock=Later()))
    assert [names[i] for i in report.redispatched] == ["cleanups.create"] and store.undispatched(LATER) == []
    # And its delivery reaches the receiver with the cleanup as committed and the event's id
    ((message, _),) = queued()
    deliver(message, GET_CLEANUP, get_settings())
    (request,) = receiver.requests
    assert names[message["event_id"]] == "cleanups.create"
    assert request.headers["x-cleanups-event-id"] == message["event_id"]
    assert message["resource"]["attributes"] == cleanup.attributes()


def test_outbox_delivers_a_transition_whose_process_died_right_after_its_commit(
        records: Any, tenant: Tenant, receiver: Receiver) -> None:  # noqa: F811
    # Given a webhook on cleanups.start and a pending cleanup of one sku
    records.sku()
    create_webhook(tenant, {"topic": "cleanups.start", "callback_url": receiver.url}, get_settings())
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    client = _cleanups()._get_connection().connection.client  # PynamoDB's own DynamoDB client
    died: list[str] = []

    def die_after_the_commit(**_: Any) -> None:
        if not died:
            died.append("TransactWriteItems")
            raise RuntimeError("worker killed after pending -> in_progress landed")

    # When the worker's start transition lands and the worker dies before dispatching it
    client.meta.events.register("after-call.dynamodb.TransactWriteItems", die_after_the_commit)
    try:
        with pytest.raises(RuntimeError):
            cleanups.process_batch(bootstrap.ports(), tenant, cleanup.id, 0)
    finally:
        client.meta.events.unregister("after-call.dynamodb.TransactWriteItems", die_after_the_commit)
    # Then the transition and its event are both there, undispatched
    assert cleanups.get_cleanup(bootstrap.ports(), tenant, cleanup.id).status == "in_progress"
    assert [o.event.name for o in store.undispatched(LATER)] == ["cleanups.start"] and queued() == []
    # And the redelivered batch does not fire it again, the reconciler does, once
    cleanups.process_batch(bootstrap.ports(), tenant, cleanup.id, 0)
    assert queued() == []
    cleanups.reconcile(replace(bootstrap.ports(), clock=Later()))
    ((message, _),) = queued()
    deliver(message, GET_CLEANUP, get_settings())
    assert [r.headers["x-commercelayer-topic"] for r in receiver.requests] == ["cleanups.start"]
    assert cleanups.get_cleanup(bootstrap.ports(), tenant, cleanup.id).status == "completed"
