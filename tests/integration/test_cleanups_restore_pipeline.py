"""A cleanup's restore against moto through the real ports: S3 archive, DynamoDB, SQS and the consumer.

The raw records table after a restore equals the table before the cleanup, item for item, whatever
the delivery order, duplicates or crashes; conflicts are reported and left as they are.
"""
from __future__ import annotations

import json
import random
from typing import Any

import pytest

from chalicelib import bootstrap, cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.exceptions import RestoreNotAllowedError
from chalicelib.events import add_recorded
from chalicelib.records.model import TAKEN
from chalicelib.tenancy import Tenant
from tests.integration.cleanup_helpers import APP_ACTOR, RecordingEvents, create, deliver, drain, ports, receive_all
from tests.integration.records_api import get_record
from tests.integration.records_helpers import scan

store = DynamoCleanupRepository(add_recorded)


def cleaned(records: Any, tenant: Tenant, events: RecordingEvents, n: int) -> tuple[Cleanup, dict[Any, Any]]:
    """A completed cleanup of `n` full skus, and the raw records table before it."""
    for i in range(n):
        records.full_sku(f"DEL{i:03d}")
    before = scan()
    cleanup = create(tenant, events)
    drain(events)
    assert store.get(tenant, cleanup.id).status == "completed"
    return cleanup, before


def restore(tenant: Tenant, events: RecordingEvents, cleanup: Cleanup) -> Cleanup:
    return cleanups.update_cleanup(ports(events), tenant, cleanup.id, {"_restore": True}, APP_ACTOR)


def test_restore_puts_back_every_raw_item_the_cleanup_deleted(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given a completed cleanup of five full skus (three sub-batches)
    cleanup, before = cleaned(records, tenant, events, 5)
    assert scan() != before
    # When it is restored through the queue
    pending = restore(tenant, events, cleanup)
    assert pending.restore_status == "pending"
    drain(events)
    # Then the records table is the table before, item for item, and the counts say so
    assert scan() == before
    final = store.get(tenant, cleanup.id)
    assert (final.restore_status, final.restored_count, final.restore_errors_count) == ("completed", 5, 0)
    assert final.status == "completed" and events.statuses(cleanup.id) == ["in_progress", "completed"]


def test_restore_counts_exactly_when_every_message_comes_twice_out_of_order(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    cleanup, before = cleaned(records, tenant, events, 5)
    restore(tenant, events, cleanup)
    bodies = [m["Body"] for m in receive_all()]
    assert len(bodies) == 3
    doubled = bodies * 2
    random.Random(3).shuffle(doubled)
    deliver(doubled, events)
    final = store.get(tenant, cleanup.id)
    assert (final.restore_status, final.restored_count, final.restore_errors_count) == ("completed", 5, 0)
    assert scan() == before


def test_restore_finishes_exactly_after_a_worker_dies_half_way(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a restore whose first delivery of a sub-batch dies after putting it back
    cleanup, before = cleaned(records, tenant, events, 2)
    restore(tenant, events, cleanup)
    [body] = [m["Body"] for m in receive_all()]
    real = bootstrap.HostedRecords.restore_sub_batch

    def dies_after_restoring(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise RuntimeError("worker killed before counting")

    monkeypatch.setattr(bootstrap.HostedRecords, "restore_sub_batch", dies_after_restoring)
    assert len(deliver([body], events)["batchItemFailures"]) == 1
    half = store.get(tenant, cleanup.id)
    assert (half.restore_status, half.restored_count, half.restore_started) == ("in_progress", 0, {0})
    # When the message comes back
    monkeypatch.setattr(bootstrap.HostedRecords, "restore_sub_batch", real)
    deliver([body], events)
    # Then the records already back count as restored, once
    final = store.get(tenant, cleanup.id)
    assert (final.restore_status, final.restored_count, final.restore_errors_count) == ("completed", 2, 0)
    assert scan() == before


def test_restore_reports_a_sku_whose_code_was_taken_again_and_leaves_it(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given a completed cleanup of three skus, and a new sku with the code of one of them
    cleanup, _ = cleaned(records, tenant, events, 3)
    squatter = records.sku("DEL001")
    # When it is restored
    restore(tenant, events, cleanup)
    drain(events)
    # Then that sku is a restore error on its code, the new one is untouched, the other two are back
    final = store.get(tenant, cleanup.id)
    [(failed_id, errors)] = final.restore_errors_log.items()
    assert errors == {"code": [TAKEN]} and failed_id != squatter.id
    assert (final.restore_status, final.restored_count, final.restore_errors_count) == ("completed", 2, 1)
    assert get_record(tenant, "skus", squatter.id).attributes["code"] == "DEL001"


def test_restore_interrupted_finishes_only_the_sub_batch_begun(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given a restore of five skus whose first sub-batch was delivered
    cleanup, _ = cleaned(records, tenant, events, 5)
    restore(tenant, events, cleanup)
    first, *rest = [m["Body"] for m in receive_all()]
    deliver([first], events)
    # When the client interrupts it, then the other messages arrive
    interrupted = cleanups.update_cleanup(ports(events), tenant, cleanup.id, {"_interrupt": True}, APP_ACTOR)
    deliver(rest, events)
    # Then the restore is interrupted with only the first sub-batch back
    final = store.get(tenant, cleanup.id)
    assert interrupted.restore_status == "interrupted" and final.status == "completed"
    assert (final.restore_status, final.restored_count, final.restore_counted) == ("interrupted", 2, {0})


def test_restore_resumed_after_an_interrupt_puts_back_the_rest_counting_each_record_once(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a restore of five skus (three sub-batches): the first counted, the second's worker dead after
    # putting it back, then interrupted, the third arriving after the interrupt
    cleanup, before = cleaned(records, tenant, events, 5)
    restore(tenant, events, cleanup)
    first, second, third = [m["Body"] for m in receive_all()]
    deliver([first], events)
    real = bootstrap.HostedRecords.restore_sub_batch

    def dies_after_restoring(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise RuntimeError("worker killed before counting")

    monkeypatch.setattr(bootstrap.HostedRecords, "restore_sub_batch", dies_after_restoring)
    deliver([second], events)
    monkeypatch.setattr(bootstrap.HostedRecords, "restore_sub_batch", real)
    cleanups.update_cleanup(ports(events), tenant, cleanup.id, {"_interrupt": True}, APP_ACTOR)
    deliver([third], events)
    stopped = store.get(tenant, cleanup.id)
    assert (stopped.restore_status, stopped.restored_count, stopped.restore_started) == ("interrupted", 2, {0, 1})
    # When it is resumed, and its messages arrive with the old ones, twice and out of order
    resumed = restore(tenant, events, cleanup)
    assert (resumed.restore_status, resumed.restored_count) == ("pending", 2)
    sent = [m["Body"] for m in receive_all()]
    assert sorted(json.loads(body)["sub_batch"] for body in sent) == [1, 2]
    with pytest.raises(RestoreNotAllowedError):  # already running again
        restore(tenant, events, cleanup)
    bodies = (sent + [first, second, third]) * 2
    random.Random(5).shuffle(bodies)
    deliver(bodies, events)
    # Then the records table is the table before, and each record counted once
    final = store.get(tenant, cleanup.id)
    assert (final.restore_status, final.restored_count, final.restore_errors_count) == ("completed", 5, 0)
    assert final.restore_counted == {0, 1, 2} and scan() == before
