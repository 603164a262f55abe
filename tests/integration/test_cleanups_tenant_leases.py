"""Fair across tenants through the real adapters on moto: slots taken in the cleanups table, give-backs on SQS,
the tenant as the message group (the lease store's own contract: test_tenant_leases_contract.py)."""
from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.cleanups.adapters.lease_store import DynamoTenantLeases
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.fairness import GIVE_BACK_SECONDS, LEASE_SECONDS
from chalicelib.cleanups.service_layer import leases as leasing
from chalicelib.events import add_recorded
from chalicelib.tenancy import Tenant
from tests.integration.cleanup_helpers import (
    RecordingEvents,
    body_of,
    create,
    deliver,
    drain,
    make_skus,
    queue_url,
    receive_all,
)

leases = DynamoTenantLeases()
repository = DynamoCleanupRepository(add_recorded)


@pytest.fixture
def one_worker_a_tenant(work_queue: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANT_MAX_WORKERS", "1")


def test_take_grants_the_limit_and_no_more_until_a_lease_is_released_or_expires(
        tables: Any, tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANT_MAX_WORKERS", "3")
    ports = bootstrap.ports()
    taken = [leasing.take(ports, tenant) for _ in range(4)]
    assert [lease.slot if lease else None for lease in taken] == [0, 1, 2, None]
    leasing.release(ports, taken[1])  # type: ignore[arg-type]
    again = leasing.take(ports, tenant)
    assert again is not None and again.slot == 1
    expiries = [held.expires_at for held in leases.held(tenant).values()]
    assert all(time.time() + LEASE_SECONDS - 5 < at <= time.time() + LEASE_SECONDS for at in expiries)


def test_worker_over_its_tenants_limit_gives_the_batch_back_delayed_in_the_tenants_message_group(
        records: Any, tenant: Tenant, one_worker_a_tenant: None, events: RecordingEvents) -> None:
    # Given a cleanup of three skus, and another worker holding the tenant's only slot
    make_skus(records, 3)
    cleanup = create(tenant, events)
    [message] = receive_all()
    holding = leasing.take(bootstrap.ports(), tenant)
    assert holding is not None
    # When its batch is delivered
    assert deliver([message["Body"]], events) == {"batchItemFailures": []}
    # Then nothing moved, and the message is back, invisible for the short delay, then in the tenant's group
    assert repository.get(tenant, cleanup.id).status == "pending"
    sqs = boto3.client("sqs")
    assert sqs.receive_message(QueueUrl=queue_url(), WaitTimeSeconds=0).get("Messages", []) == []
    time.sleep(GIVE_BACK_SECONDS + 0.2)
    [again] = sqs.receive_message(QueueUrl=queue_url(), AttributeNames=["All"],
                                  MessageSystemAttributeNames=["MessageGroupId"])["Messages"]
    assert body_of(again) == body_of(message)
    assert again["Attributes"].get("MessageGroupId") == tenant.key
    # And once the slot is released, the same batch completes the cleanup, leaving no lease behind
    leasing.release(bootstrap.ports(), holding)
    deliver([again["Body"]], events)
    drain(events)
    done = repository.get(tenant, cleanup.id)
    assert (done.status, done.processed_count) == ("completed", 3) and leases.held(tenant) == {}
