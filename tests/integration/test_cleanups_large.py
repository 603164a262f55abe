"""Large cleanups against moto: selection in the worker through the real queue and consumer, paged and exact."""
from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.catalog import get_type
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.events import add_recorded
from chalicelib.filters import parse_filters
from chalicelib.tenancy import Tenant
from tests.integration import records_api
from tests.integration.cleanup_helpers import APP_ACTOR, RecordingEvents, create, deliver, drain, ports, receive_all

store = DynamoCleanupRepository(add_recorded)


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap raised past what a request selects (8): pages of 8, batches of 4, sub-batches of 2."""
    for name, value in {"MAX_CLEANUP_RECORDS": "1000", "SELECT_IN_REQUEST_RECORDS": "8", "BATCH_SIZE": "4",
                        "SUB_BATCH_SIZE": "2"}.items():
        monkeypatch.setenv(name, value)


def skus(factory: Any, n: int, prefix: str = "DEL") -> list[str]:
    return [factory.sku(f"{prefix}{i:03d}").id for i in range(n)]


def kinds(messages: list[dict[str, Any]]) -> list[str]:
    return [json.loads(m["Body"])["kind"] for m in messages]


def test_create_with_defaults_answers_the_count_and_sends_batches_only(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given the default settings and nine skus
    skus(records, 9)
    # When a cleanup is created, then the count is in the answer and only batch messages are sent, as before
    cleanup = create(tenant, events)
    assert (cleanup.records_count, cleanup.status, cleanup.selecting) == (9, "pending", False)
    assert kinds(receive_all()) == ["cleanup_batch"] * cleanup.batch_count


@pytest.mark.usefixtures("large")
def test_large_cleanup_selects_page_by_page_and_deletes_exactly_under_duplicates(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given 20 DEL skus and 3 KEEP skus
    doomed = set(skus(records, 20))
    kept = set(skus(records, 3, prefix="KEEP"))
    # When a cleanup of DEL* skus is created and the queue is drained, every message delivered twice
    cleanup = create(tenant, events, filters={"code_start": "DEL"})
    assert (cleanup.records_count, cleanup.selecting) == (0, True)
    drain(events, order=lambda bodies: bodies + bodies)
    # Then the selection took three pages and the cleanup completed exactly, only the DEL skus gone
    final = store.get(tenant, cleanup.id)
    assert (final.status, final.records_count, final.processed_count, final.selection_pages) == (
        "completed", 20, 20, 3)
    assert final.selecting is False
    left = set(records_api.select_ids(tenant, "skus", []))
    assert (left & doomed, left & kept) == (set(), kept)
    assert events.statuses(cleanup.id) == ["in_progress", "completed"]


@pytest.mark.usefixtures("large")
def test_interrupt_during_selection_stops_it_on_moto(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given a large cleanup whose first page is selected
    doomed = set(skus(records, 20))
    cleanup = create(tenant, events)
    deliver([m["Body"] for m in receive_all()], events)
    # When the client interrupts it, and the queue is drained
    cleanups.interrupt_cleanup(ports(events), tenant, cleanup.id, APP_ACTOR)
    pending = receive_all()
    deliver([m["Body"] for m in pending], events)
    # Then no page followed and no batch was enqueued (only its report): nothing deleted
    final = store.get(tenant, cleanup.id)
    assert (final.status, final.selection_pages, final.records_count) == ("interrupted", 1, 8)
    assert sorted(kinds(pending)) == ["cleanup_report", "cleanup_selection"] and receive_all() == []
    assert set(records_api.select_ids(tenant, "skus", [])) == doomed


@pytest.mark.usefixtures("large")
def test_reconciler_restarts_a_stalled_selection_on_moto(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a large cleanup whose page-0 message was lost
    skus(records, 12)
    cleanup = create(tenant, events)
    receive_all()
    # When the reconciler runs once it is stale (RECONCILE_AFTER_SECONDS=0) and the queue is drained
    monkeypatch.setenv("RECONCILE_AFTER_SECONDS", "0")
    report = cleanups.reconcile(ports(events))
    drain(events)
    # Then it sent page 0 again and the cleanup completed exactly
    assert report.reselected == {cleanup.id: 0}
    final = store.get(tenant, cleanup.id)
    assert (final.status, final.records_count, final.processed_count) == ("completed", 12, 12)


@pytest.mark.parametrize("raw", [{}, {"code_start": "DEL"}, {"code_in": ["DEL001", "DEL004", "DEL009"]}])
def test_select_page_walks_every_match_once_in_id_order(records: Any, tenant: Tenant, raw: dict[str, Any]) -> None:
    # Given 12 DEL skus and 2 others
    skus(records, 12)
    skus(records, 2, prefix="KEEP")
    conditions = list(parse_filters(get_type("skus").filterable(), raw).conditions)
    # When pages of 5 are read after each other
    seen: list[str] = []
    after, more = None, True
    while more:
        page, more = records_api.select_page(tenant, "skus", conditions, after=after, size=5)
        assert len(page) <= 5 and (not more or len(page) == 5)
        seen += page
        after = page[-1] if page else after
    # Then they are exactly the selection, in id order
    assert seen == records_api.select_ids(tenant, "skus", conditions)


def test_select_page_on_several_relationship_queries_misses_nothing(records: Any, tenant: Tenant) -> None:
    # Given prices of six skus, read through one `rel` query per sku (their ids interleave across queries)
    sku_ids = skus(records, 6)
    for sku_id in sku_ids:
        for amount in (100, 200, 300, 400, 500):
            records.price(sku_id, amount)
    conditions = list(parse_filters(get_type("prices").filterable(), {"sku_id_in": sku_ids}).conditions)
    # When pages of 2 are read after each other (each query stops past 2 matches)
    seen: list[str] = []
    after, more = None, True
    while more:
        page, more = records_api.select_page(tenant, "prices", conditions, after=after, size=2)
        seen += page
        after = page[-1] if page else after
    # Then every price is read once, in id order
    assert seen == records_api.select_ids(tenant, "prices", conditions) and len(seen) == 30


@pytest.mark.usefixtures("large")
def test_retry_of_a_large_cleanup_selects_its_snapshot_in_the_worker_on_moto(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given a large cleanup of 20 skus interrupted once its first batch (4 skus) was deleted
    doomed = set(skus(records, 20))
    original = create(tenant, events)
    while kinds(messages := receive_all()) == ["cleanup_selection"]:
        deliver([m["Body"] for m in messages], events)
    deliver([messages[0]["Body"]], events)  # the first batch only; the others are lost with the interrupt
    cleanups.interrupt_cleanup(ports(events), tenant, original.id, APP_ACTOR)
    assert store.get(tenant, original.id).processed_count == 4
    # When it is retried and the queue is drained, every message delivered twice
    again = cleanups.create_cleanup(ports(events), tenant, {}, APP_ACTOR, retry_of=original.id)
    assert (again.selecting, again.records_count) == (True, 0)
    drain(events, order=lambda bodies: bodies + bodies)
    # Then the retry selected the 16 left page by page and deleted them exactly
    final = store.get(tenant, again.id)
    assert (final.status, final.records_count, final.processed_count) == ("completed", 16, 16)
    assert set(records_api.select_ids(tenant, "skus", [])) & doomed == set()
