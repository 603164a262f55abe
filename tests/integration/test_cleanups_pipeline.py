"""The cleanup pipeline against moto: create, the real consumer and worker, interrupt, reconcile.

Every message carries its own id; delivery is duplicated, reordered and crashed on purpose.
"""
from __future__ import annotations

import json
import random
from typing import Any

import pytest

from chalicelib import aws, bootstrap, cleanups
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.exceptions import CleanupFinishedError, CleanupLimitError, TooManyRecordsError
from chalicelib.events import add_recorded
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import UnknownFilterError, parse_filters
from chalicelib.jsonapi.errors import client_error
from chalicelib.tenancy import Tenant
from tests.integration import records_api
from tests.integration.cleanup_helpers import (
    APP_ACTOR,
    RecordingEvents,
    body_of,
    create,
    deliver,
    drain,
    drain_interrupted_in_first_sub_batch,
    make_skus,
    one_changed_after_create,
    ports,
    receive_all,
)
from tools.seed import seed

store = DynamoCleanupRepository(add_recorded)


def remaining(tenant: Tenant, type_name: str) -> set[str]:
    return set(records_api.select_ids(tenant, type_name, []))


def assert_exact(cleanup_id: str, tenant: Tenant) -> Any:
    final = store.get(tenant, cleanup_id)
    assert final.processed_count + final.errors_count == final.records_count
    return final


def test_cleanup_deletes_matching_records_with_their_associated_records_only(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given ten matching skus, each with a price (and tier), a stock item and a list item, and two that do not match
    doomed = make_skus(records, 10)
    kept = make_skus(records, 2, prefix="KEEP")
    # When a cleanup of DEL* skus runs through the queue
    cleanup = create(tenant, events, filters={"code_start": "DEL"})
    assert cleanup.records_count == 10 and cleanup.status == "pending"
    drain(events)
    # Then it completed with exact counts, and only the matching records and their associated ones are gone
    final = assert_exact(cleanup.id, tenant)
    assert (final.status, final.processed_count, final.errors_count) == ("completed", 10, 0)
    assert final.started_at and final.completed_at
    for type_name in ("skus", "prices", "price_volume_tiers", "stock_items", "sku_list_items"):
        assert remaining(tenant, type_name) == {ids[type_name] for ids in kept}
        assert not remaining(tenant, type_name) & {ids[type_name] for ids in doomed}
    assert events.statuses(cleanup.id) == ["in_progress", "completed"]


def test_cleanup_counts_exactly_when_every_message_is_delivered_twice_out_of_order(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    make_skus(records, 9)
    cleanup = create(tenant, events)
    bodies = [m["Body"] for m in receive_all()]
    assert len(bodies) == 3  # 9 records, 4 a batch
    # When every message arrives twice, shuffled
    doubled = bodies * 2
    random.Random(7).shuffle(doubled)
    deliver(doubled, events)
    final = assert_exact(cleanup.id, tenant)
    assert (final.status, final.processed_count) == ("completed", 9)
    assert events.statuses(cleanup.id) == ["in_progress", "completed"]


def test_cleanup_finishes_exactly_after_a_worker_dies_half_way_through_a_batch(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_skus(records, 4)
    cleanup = create(tenant, events)
    [body] = [m["Body"] for m in receive_all()]
    real = bootstrap.HostedRecords.delete_sub_batch
    calls = {"n": 0}

    def dies_on_second_sub_batch(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(bootstrap.HostedRecords, "delete_sub_batch", dies_on_second_sub_batch)
    # When the first delivery dies after one sub-batch
    assert len(deliver([body], events)["batchItemFailures"]) == 1
    half = store.get(tenant, cleanup.id)
    assert (half.status, half.processed_count) == ("in_progress", 2)
    # Then the redelivery finishes the batch without counting the first sub-batch again
    deliver([body], events)
    final = assert_exact(cleanup.id, tenant)
    assert (final.status, final.processed_count) == ("completed", 4)
    assert remaining(tenant, "skus") == set()


def test_record_modified_after_creation_survives_and_is_logged(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    _, cleanup, touched = one_changed_after_create(records, tenant, events)
    drain(events)
    final = assert_exact(cleanup.id, tenant)
    assert (final.status, final.processed_count, final.errors_count) == ("completed", 11, 1)
    assert list(final.errors_log) == [touched] and "updated_at" in final.errors_log[touched]
    assert remaining(tenant, "skus") == {touched}


def test_error_budget_interrupts_the_cleanup(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    skus = make_skus(records, 8)
    cleanup = create(tenant, events)
    for ids in skus[:2]:  # 2 of 8 > 10 %
        records_api.update_record(tenant, "skus", ids["skus"], {"name": "changed"}, {})
    drain(events)
    final = store.get(tenant, cleanup.id)
    assert final.status == "interrupted" and final.interrupted_at
    deleted = 8 - len(remaining(tenant, "skus"))
    # It stops at the first sub-batch whose errors pass 10 %: what it deleted is exactly what it counted
    assert final.processed_count == deleted and final.errors_count >= 1
    assert final.errors_count > 0.1 * final.records_count


def test_zero_matches_completes_at_once(records: Any, tenant: Tenant, work_queue: None,
                                        events: RecordingEvents) -> None:
    cleanup = create(tenant, events, filters={"code_eq": "NOTHING"})
    assert (cleanup.status, cleanup.records_count) == ("completed", 0)
    assert [json.loads(m["Body"])["kind"] for m in receive_all()] == ["cleanup_report"]  # its empty report only


def test_over_the_size_limit_is_422_and_nothing_is_written(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_skus(records, 3)
    monkeypatch.setenv("MAX_CLEANUP_RECORDS", "2")
    with pytest.raises(TooManyRecordsError) as raised:
        create(tenant, events)
    assert raised.value.details[0].pointer == "/data/attributes/filters"
    assert cleanups.list_cleanups(bootstrap.ports(), tenant) == [] and receive_all() == []


def test_eleventh_active_cleanup_is_refused(records: Any, tenant: Tenant, work_queue: None,
                                            events: RecordingEvents, monkeypatch: pytest.MonkeyPatch) -> None:
    make_skus(records, 1)
    monkeypatch.setenv("MAX_ACTIVE_CLEANUPS", "2")
    create(tenant, events)
    create(tenant, events)
    with pytest.raises(CleanupLimitError):
        create(tenant, events)
    assert len(cleanups.list_cleanups(bootstrap.ports(), tenant)) == 2


def test_unknown_filter_is_422_pointing_at_filters(records: Any, tenant: Tenant, work_queue: None,
                                                   events: RecordingEvents) -> None:
    with pytest.raises(UnknownFilterError) as raised:
        create(tenant, events, filters={"colour_eq": "red"})
    error = client_error(raised.value)
    assert error is not None and error.status == 422
    assert error.details[0].pointer == "/data/attributes/filters"


def test_interrupt_stops_new_sub_batches(records: Any, tenant: Tenant, work_queue: None,
                                         events: RecordingEvents, monkeypatch: pytest.MonkeyPatch) -> None:
    make_skus(records, 8)
    cleanup = create(tenant, events)
    drain_interrupted_in_first_sub_batch(cleanup, events, monkeypatch)
    final = store.get(tenant, cleanup.id)
    assert final.status == "interrupted"
    # Only the in-flight sub-batch (2 records) was deleted, and counted
    assert 8 - len(remaining(tenant, "skus")) == final.processed_count == 2
    with pytest.raises(CleanupFinishedError):
        cleanups.interrupt_cleanup(ports(events), tenant, cleanup.id, APP_ACTOR)


def test_interrupt_racing_completion_leaves_exactly_one_terminal_state(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    make_skus(records, 2)
    cleanup = create(tenant, events)
    drain(events)
    # The interrupt arrives after the last count settled the cleanup: it is refused, nothing changes
    with pytest.raises(CleanupFinishedError):
        cleanups.interrupt_cleanup(ports(events), tenant, cleanup.id, APP_ACTOR)
    assert store.get(tenant, cleanup.id).status == "completed"
    assert events.statuses(cleanup.id) == ["in_progress", "completed"]


def test_delete_of_an_active_cleanup_interrupts_it_and_removes_its_snapshot(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    make_skus(records, 4)
    cleanup = create(tenant, events)
    cleanups.delete_cleanup(ports(events), tenant, cleanup.id, APP_ACTOR)
    with pytest.raises(RecordNotFoundError):
        store.get(tenant, cleanup.id)
    assert store.batch_ids(tenant, cleanup.id, 0) == []
    drain(events)  # its message finds nothing to do
    assert len(remaining(tenant, "skus")) == 4
    assert [c for c in events.calls if c[1] == cleanup.id][-2:] == [("status", cleanup.id, "interrupted"),
                                                                   ("destroyed", cleanup.id, "interrupted")]


def test_another_tenants_cleanup_is_not_found(records: Any, tenant: Tenant, other_tenant: Tenant,
                                              work_queue: None, events: RecordingEvents) -> None:
    make_skus(records, 1)
    cleanup = create(tenant, events)
    with pytest.raises(RecordNotFoundError):
        cleanups.get_cleanup(bootstrap.ports(), other_tenant, cleanup.id)
    assert cleanups.list_cleanups(bootstrap.ports(), other_tenant) == []


def test_reconciler_requeues_lost_messages_then_the_cleanup_completes(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    make_skus(records, 6)
    cleanup = create(tenant, events)
    lost = receive_all()  # every message lost
    assert len(lost) == 2
    monkeypatch.setenv("RECONCILE_AFTER_SECONDS", "-1")
    report = cleanups.reconcile(ports(events))
    assert report.requeued == {cleanup.id: [0, 1]}
    drain(events)
    final = assert_exact(cleanup.id, tenant)
    assert (final.status, final.processed_count) == ("completed", 6)


def test_reconciler_gives_up_on_a_batch_that_always_fails(
        tenant: Tenant, work_queue: None, events: RecordingEvents, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cleanup of 40 skus with their associated records (seeded in bulk), ten batches of 4
    seed(tenant, skus=40, skus_per_list=40, workers=1)
    cleanup = create(tenant, events)
    # When every batch but the fourth is delivered, and the reconciler runs twice, allowing one attempt
    # (the requeued fourth is lost again)
    messages = receive_all()
    poison = [m for m in messages if body_of(m)["batch"] == 3]
    deliver([m["Body"] for m in messages if m not in poison], events)
    monkeypatch.setenv("RECONCILE_AFTER_SECONDS", "-1")
    monkeypatch.setenv("RECONCILE_ATTEMPTS", "1")
    cleanups.reconcile(ports(events))  # first attempt: requeued (and lost again)
    receive_all()
    report = cleanups.reconcile(ports(events))
    # Then it gave up on that batch: its 4 skus are counted as errors and left, the cleanup completed
    assert report.given_up == [cleanup.id]
    final = assert_exact(cleanup.id, tenant)
    assert (final.status, final.processed_count, final.errors_count) == ("completed", 36, 4)
    assert len(remaining(tenant, "skus")) == 4


def test_list_route_and_selection_agree(records: Any, tenant: Tenant, work_queue: None) -> None:
    make_skus(records, 3)
    make_skus(records, 2, prefix="KEEP")
    conditions = parse_filters({"code": "string"}, {"code_start": "DEL"}).conditions
    page, total = records_api.list_records(tenant, "skus", conditions, [("id", False)], 1, 25)
    assert total == 3 and [r.id for r in page] == records_api.select_ids(tenant, "skus", conditions)


def test_sub_batch_cut_short_then_interrupted_is_finished_leaving_no_stripped_record(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents, interrupt_waits_briefly: None) -> None:
    # Given a batch of two sub-batches (2 skus each, every sku with its associated records)
    skus = make_skus(records, 4)
    cleanup = create(tenant, events)
    [body] = [m["Body"] for m in receive_all()]
    client = aws.client("dynamodb")
    writes = {"n": 0}

    def die_after_the_deletes(**_: Any) -> None:
        writes["n"] += 1
        if writes["n"] == 1:  # the first sub-batch's skus and associated records gone, not counted yet
            raise RuntimeError("worker killed")

    client.meta.events.register("after-call.dynamodb.TransactWriteItems", die_after_the_deletes)
    try:
        assert len(deliver([body], events)["batchItemFailures"]) == 1
    finally:
        client.meta.events.unregister("after-call.dynamodb.TransactWriteItems", die_after_the_deletes)
    # When the client interrupts before the message comes back
    cleanups.interrupt_cleanup(ports(events), tenant, cleanup.id, APP_ACTOR)
    deliver([body], events)
    # Then the sub-batch in flight was finished and counted, the other never started,
    # and every sku is either gone with all its associated records or whole
    final = store.get(tenant, cleanup.id)
    assert (final.status, final.processed_count) == ("interrupted", 2)
    left = remaining(tenant, "skus")
    assert len(left) == 2
    for ids in skus:
        kept = ids["skus"] in left
        for type_name in ("prices", "price_volume_tiers", "stock_items", "sku_list_items"):
            assert (ids[type_name] in remaining(tenant, type_name)) == kept, (type_name, kept)
