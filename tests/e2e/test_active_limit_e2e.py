"""The active-cleanup limit on DynamoDB Local, the local stack's own tables: real concurrent transactions.

Fifty creates run at once from this process against the stack's DynamoDB Local, where
concurrent transactions on one slot counter really conflict (and are retried). A tenant of
its own, and a queue no worker reads, keep the stack's worker from finishing a cleanup
(and freeing its slot) mid-burst.
"""
from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator

import pytest

from chalicelib import aws, bootstrap, cleanups, dynamo, queue
from chalicelib.cleanups import Actor, Cleanup
from chalicelib.cleanups.exceptions import CleanupLimitError
from chalicelib.events import list_events
from chalicelib.tenancy import Tenant
from tests.concurrency import at_once
from tests.e2e import RunningStack
from tests.integration.records_api import create_record

LIMIT = 10  # MAX_ACTIVE_CLEANUPS' default
ACTOR = Actor(who={"application": {"id": "limit-e2e"}})


@pytest.fixture
def on_the_stack(local_stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tenant]:
    """This process on the stack's emulators, with a queue of its own; a fresh tenant."""
    for name, value in local_stack.env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL_SQS", "AWS_PROFILE", "WEBHOOK_ALLOW_LOOPBACK"):
        monkeypatch.delenv(name, raising=False)
    aws.forget_clients()
    dynamo.forget_models()
    queue._url_for.cache_clear()
    name = f"limit-e2e-{secrets.token_hex(4)}"
    monkeypatch.setenv("WORK_QUEUE_URL", aws.client("sqs").create_queue(QueueName=name)["QueueUrl"])
    yield Tenant(f"LimitOrg{secrets.token_hex(3)}", "test")
    aws.forget_clients()
    dynamo.forget_models()



def test_limit_fifty_creates_at_once_on_dynamodb_local_accept_exactly_the_limit(on_the_stack: Tenant) -> None:
    # Given a tenant with one sku, so each cleanup is born pending
    tenant = on_the_stack
    category = create_record(tenant, "shipping_categories", {"name": "Limit"}, {})
    create_record(tenant, "skus", {"code": "LIMIT1", "name": "Limit"}, {"shipping_category": category.id})

    def create() -> Cleanup:
        return cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, ACTOR)
    # When fifty cleanups are created at once
    outcomes = at_once([create] * 50)
    # Then exactly the limit were accepted, every other one refused by the limit (no other error)
    accepted = {o.id for o in outcomes if isinstance(o, Cleanup)}
    assert Counter(type(o).__name__ for o in outcomes) == {"Cleanup": LIMIT, "CleanupLimitError": 50 - LIMIT}
    assert all(isinstance(o, (Cleanup, CleanupLimitError)) for o in outcomes)
    # And the slot count is the active cleanups, each with its create event and no other
    active = [c for c in cleanups.list_cleanups(bootstrap.ports(), tenant) if c.active]
    assert {c.id for c in active} == accepted
    assert bootstrap.ports().cleanups.slots_taken(tenant) == LIMIT
    assert sorted(e.resource_id for e in list_events(tenant)) == sorted(accepted)
