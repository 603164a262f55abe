"""The active-cleanup limit against moto under concurrency and crashes: exact, never drifting.

Creates run on threads released together. moto applies a request without a lock (a cancelled
transaction restores a copy of the whole table over concurrent writes), where DynamoDB applies
each request atomically: `atomic_moto` gives moto that guarantee, so the races left are those
between requests, the ones the service must survive.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import boto3
import pytest
from moto.core.botocore_stubber import BotocoreStubber

from chalicelib import bootstrap, cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.adapters.store import _cleanups
from chalicelib.events.adapters import store
from chalicelib.jsonapi.errors import client_error
from chalicelib.tenancy import Tenant
from tests.concurrency import at_once
from tests.integration.cleanup_helpers import APP_ACTOR

LIMIT = 10  # MAX_ACTIVE_CLEANUPS' default


@pytest.fixture
def atomic_moto(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    lock, handle = threading.Lock(), BotocoreStubber.process_request

    def one_at_a_time(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return handle(self, request)
    monkeypatch.setattr(BotocoreStubber, "process_request", one_at_a_time)



def status(outcome: object) -> int:
    if isinstance(outcome, Exception):
        error = client_error(outcome)
        return error.status if error is not None else 500
    return 201


def create(tenant: Tenant) -> Cleanup:
    return cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)


def snapshot_owners(tenant: Tenant) -> set[str]:
    """The cleanup ids that own a snapshot batch item."""
    items = boto3.client("dynamodb").scan(TableName=_cleanups().Meta.table_name)["Items"]
    prefix = f"{tenant.key}#cleanup#"
    return {item["pk"]["S"][len(prefix):] for item in items if item["pk"]["S"].startswith(prefix)}


def assert_slots_match(tenant: Tenant) -> list[Cleanup]:
    active = [c for c in cleanups.list_cleanups(bootstrap.ports(), tenant) if c.active]
    assert bootstrap.ports().cleanups.slots_taken(tenant) == len(active)
    return active


def test_create_cleanup_fifty_at_once_accepts_exactly_the_limit(
        records: Any, tenant: Tenant, atomic_moto: None) -> None:
    # Given one sku, so every cleanup is born pending
    records.sku()
    # When fifty cleanups are created at once
    outcomes = at_once([lambda: create(tenant)] * 50)
    # Then exactly the limit were accepted and the rest refused with the limit's 422
    assert Counter(status(o) for o in outcomes) == {201: LIMIT, 422: 50 - LIMIT}
    refused = [client_error(o) for o in outcomes if isinstance(o, Exception)]
    assert {e.details[0].pointer for e in refused if e is not None} == {"/data/attributes/resource_type"}
    # And the count is the active cleanups; only they have a snapshot and a create event
    accepted = {o.id for o in outcomes if isinstance(o, Cleanup)}
    assert {c.id for c in assert_slots_match(tenant)} == accepted
    assert snapshot_owners(tenant) == accepted
    assert {e.resource_id for e in store.list_events(tenant)} == accepted


def test_finishing_races_give_each_slot_back_once_and_the_limit_holds_after(
        records: Any, tenant: Tenant, atomic_moto: None) -> None:
    # Given the limit of cleanups, each started with its one sku's sub-batch begun
    records.sku()
    running = [create(tenant) for _ in range(LIMIT)]
    # When each one's worker (completing it) and a client's interrupt race
    work = [lambda c=c: cleanups.process_batch(bootstrap.ports(), tenant, c.id, 0) for c in running]
    stops = [lambda c=c: cleanups.interrupt_cleanup(bootstrap.ports(), tenant, c.id, APP_ACTOR) for c in running]
    at_once([*work, *stops])
    # Then each finished once, with one terminal event, and every slot came back exactly once
    for cleanup in running:
        names = sorted(e.name for e in store.events_of(tenant, cleanup.id))
        terminal = [n for n in names if n in ("cleanups.complete", "cleanups.interrupt")]
        assert len(terminal) == 1 and cleanups.get_cleanup(bootstrap.ports(), tenant, cleanup.id).status in (
            "completed", "interrupted")
    assert assert_slots_match(tenant) == []
    # And the limit is still exactly the limit: no slot was given back twice (a new sku: those born pending)
    records.sku()
    outcomes = at_once([lambda: create(tenant)] * (LIMIT + 5))
    assert Counter(status(o) for o in outcomes) == {201: LIMIT, 422: 5}
    assert len(assert_slots_match(tenant)) == LIMIT


@pytest.mark.parametrize("hook", ["before-call", "after-call"], ids=["before_commit", "after_commit"])
def test_create_cleanup_killed_around_its_commit_keeps_the_count_equal_to_the_active_cleanups(
        records: Any, tenant: Tenant, hook: str) -> None:
    # Given one sku, and a process that dies on the create's TransactWriteItems (before it, or once it landed)
    records.sku()
    client = _cleanups()._get_connection().connection.client  # PynamoDB's own DynamoDB client

    def die(**_: Any) -> None:
        raise RuntimeError("process killed")
    client.meta.events.register(f"{hook}.dynamodb.TransactWriteItems", die)
    # When a cleanup is created
    try:
        with pytest.raises(RuntimeError):
            create(tenant)
    finally:
        client.meta.events.unregister(f"{hook}.dynamodb.TransactWriteItems", die)
    # Then the count equals the active cleanups (none, or the one that landed, with its create event)
    active = assert_slots_match(tenant)
    assert len(active) == (1 if hook == "after-call" else 0)
    assert {e.resource_id for e in store.list_events(tenant)} == {c.id for c in active}
