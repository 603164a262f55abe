"""The complete report on in-memory fakes: one row per selected record whatever the deliveries do."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.domain import report
from chalicelib.cleanups.service_layer.report import report_expiry
from tests.unit.fakes import Crash, World, settings
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus
from tests.unit.test_cleanups_worker import touch

MODIFIED = "updated_at: has been modified after the cleanup was created"


def report_rows(world: World, cleanup: Cleanup) -> list[dict[str, str]]:
    return report.read_csv(world.reports.files[(TENANT.key, cleanup.id)])


def assert_rows_match_counts(world: World, cleanup: Cleanup) -> tuple[Cleanup, list[dict[str, str]]]:
    """One row per snapshot id, in snapshot order, and the outcomes are the counts."""
    after = world.cleanups.get(TENANT, cleanup.id)
    rows = report_rows(world, cleanup)
    snapshot = [i for n in range(after.batch_count) for i in world.cleanups.batch_ids(TENANT, cleanup.id, n)]
    assert [r["id"] for r in rows] == snapshot and len(rows) == after.records_count
    outcomes = Counter(r["outcome"] for r in rows)
    assert (outcomes["deleted"], outcomes["error"]) == (after.processed_count, after.errors_count)
    assert outcomes["not_processed"] == after.records_count - after.processed_count - after.errors_count
    return after, rows


def interrupt_at(world: World, cleanup: Cleanup, delete: int) -> None:
    """The client interrupts `cleanup` while its `delete`-th sub-batch is deleted."""
    def interrupt() -> None:
        if len(world.records.calls) == delete:
            cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    world.records.after_delete = interrupt


def test_report_of_a_cleanup_with_errors_lists_every_record_even_past_the_errors_log_cap() -> None:
    # Given nine skus, three changed after the cleanup was created, and an errors log kept to one entry
    world = World(settings=settings(errors_log_cap=1, error_budget_ratio=0.5))
    doomed = skus(world, 9)
    cleanup = create(world)
    for changed in (doomed[1], doomed[4], doomed[8]):
        touch(world, changed)
    # When every message is delivered
    assert world.drain() == 0
    # Then its report has one row per sku: three errors with their message, six deleted, though the log kept one
    after, rows = assert_rows_match_counts(world, cleanup)
    assert (after.status, after.errors_count, len(after.errors_log)) == ("completed", 3, 1)
    assert {r["id"]: r["errors"] for r in rows if r["outcome"] == "error"} == {
        doomed[1]: MODIFIED, doomed[4]: MODIFIED, doomed[8]: MODIFIED}
    assert all(r["errors"] == "" for r in rows if r["outcome"] == "deleted")
    # And its columns are the id, outcome, errors and one per type deleted with a sku
    assert list(rows[0]) == ["id", "outcome", "errors", *report.associated_types("skus")]


def test_report_of_a_cleanup_interrupted_half_way_lists_what_it_left_not_processed() -> None:
    # Given twelve skus (three batches), interrupted by its client while the third sub-batch is deleted
    world = World()
    doomed = skus(world, 12)
    cleanup = create(world)
    interrupt_at(world, cleanup, 3)
    # When every message is delivered
    world.drain()
    # Then the report lists the six deleted and the six left, these as not processed and still there
    after, rows = assert_rows_match_counts(world, cleanup)
    assert (after.status, after.processed_count) == ("interrupted", 6)
    left = {r["id"] for r in rows if r["outcome"] == "not_processed"}
    assert len(left) == 6 and left <= world.records.ids(TENANT, "skus") and set(doomed) >= left


def test_report_url_is_null_while_active_then_a_link_until_the_cleanup_retention_ends() -> None:
    # Given a cleanup of four skus, kept 40 days, longer than its 30-day restore window
    world = World(settings=settings(cleanup_retention_days=40, restore_window_days=30))
    skus(world, 4)
    cleanup = create(world)
    # When it is read while active, once finished, after its restore window, and after the reports bucket's
    # lifecycle (40 days, to the next midnight UTC) has expired the file
    active = cleanups.get_cleanup(world.ports, TENANT, cleanup.id)
    world.drain()
    finished = cleanups.get_cleanup(world.ports, TENANT, cleanup.id)
    listed = cleanups.list_cleanups(world.ports, TENANT)
    world.clock.advance(timedelta(days=31).total_seconds())
    past_window = cleanups.get_cleanup(world.ports, TENANT, cleanup.id)
    assert finished.report_written_at is not None
    world.clock.advance(report_expiry(world.ports, finished.report_written_at) - world.clock.now().timestamp())
    expired = cleanups.get_cleanup(world.ports, TENANT, cleanup.id)
    # Then it has no report while active, a link signed for an hour once finished (on every read), still one past
    # the restore window (the report is kept as long as the cleanup), none once the file expired
    assert active.attributes()["report_url"] is None
    assert finished.report_url is not None and finished.report_url.endswith(f"expires={report.LINK_SECONDS}")
    assert [c.report_url for c in listed] == [finished.report_url]
    assert past_window.report_url is not None and past_window.restorable_until is not None
    assert expired.report_url is None


def deliver_twice(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [body for body in bodies for _ in range(2)]


def last_first(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return bodies[::-1]


@pytest.mark.parametrize("order", [deliver_twice, last_first], ids=["duplicated", "reordered"])
def test_report_has_one_row_per_record_when_deliveries_repeat_or_come_out_of_order(
        order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    # Given twelve skus, one changed after the cleanup was created
    world = World()
    doomed = skus(world, 12)
    cleanup = create(world)
    touch(world, doomed[5])
    # When every message (the report's too) is delivered twice, or last first
    assert world.drain(order) == 0
    # Then every sku has exactly one row and the outcomes are the counts
    after, rows = assert_rows_match_counts(world, cleanup)
    assert (after.status, after.processed_count, after.errors_count) == ("completed", 11, 1)


def test_report_keeps_the_rows_of_a_worker_that_died_between_its_count_and_its_part() -> None:
    # Given twelve skus, one changed, and a worker that dies after counting its first batch, before its part lands
    world = World()
    doomed = skus(world, 12)
    cleanup = create(world)
    touch(world, doomed[2])
    world.reports.dead_parts = 1
    # When every message is delivered, the failed one again
    assert world.drain() == 1
    # Then the counted batch's rows are rebuilt from what the records show: one row per sku, outcomes = counts
    after, rows = assert_rows_match_counts(world, cleanup)
    assert (after.status, after.processed_count, after.errors_count) == ("completed", 11, 1)
    assert [r["id"] for r in rows if r["outcome"] == "error"] == [doomed[2]]


def test_report_is_composed_when_the_last_count_lands_after_the_interrupt() -> None:
    # Given eight skus, interrupted while the first sub-batch is deleted, its count landing after the interrupt
    world = World()
    skus(world, 8)
    cleanup = create(world)
    interrupt_at(world, cleanup, 1)
    # When every message is delivered
    world.drain()
    # Then a report was written once the counts were final: two deleted, six not processed
    after, rows = assert_rows_match_counts(world, cleanup)
    assert (after.status, after.processed_count, after.counts_settled) == ("interrupted", 2, True)
    assert after.report_written_at is not None
    assert Counter(r["outcome"] for r in rows) == {"deleted": 2, "not_processed": 6}


def test_report_is_written_as_one_part_per_delivery_not_per_sub_batch() -> None:
    # Given twelve skus: three batches of two sub-batches
    world = World()
    skus(world, 12)
    create(world)
    # When every message is delivered once
    world.drain()
    # Then three parts were written for six sub-batches
    assert world.reports.part_writes == 3


def test_report_of_a_cleanup_the_reconciler_gave_up_on_lists_its_records_as_errors() -> None:
    # Given a cleanup of four skus whose messages are all lost
    world = World()
    skus(world, 4)
    cleanup = create(world)
    world.queue.take()
    # When the reconciler runs until it gives up, then the report message is delivered
    for _ in range(world.settings.reconcile_attempts + 1):
        world.clock.advance(world.settings.reconcile_after_seconds + 1)
        cleanups.reconcile(world.ports)
        world.deliver([m for m in world.queue.take() if m["kind"] == "cleanup_report"])
    # Then every sku is an error row saying why
    after, rows = assert_rows_match_counts(world, cleanup)
    assert after.errors_count == 4
    assert {r["errors"] for r in rows} == {"base: could not be processed: its batch failed on every delivery"}


def test_rows_csv_and_parts_round_trip() -> None:
    # Given rows of two sub-batches, the second also in a later part with other rows
    first = {0: [report.Row("a", report.DELETED, associated={"prices": 2})],
             1: [report.Row("b", report.ERROR, "code: taken; code: blank")]}
    later = {1: [report.Row("b", report.DELETED)], 2: report.not_processed(["c"])}
    # When the parts are encoded, decoded and merged, and the rows rendered
    merged = report.merge([report.decode_part(report.encode_part(part)) for part in (first, later)])
    rows = report.read_csv(report.render_csv([r for n in sorted(merged) for r in merged[n]], ["prices"]))
    # Then the first part's rows of a sub-batch win, and the CSV carries every field
    assert rows == [{"id": "a", "outcome": "deleted", "errors": "", "prices": "2"},
                    {"id": "b", "outcome": "error", "errors": "code: taken; code: blank", "prices": "0"},
                    {"id": "c", "outcome": "not_processed", "errors": "", "prices": "0"}]


def test_the_worker_that_ends_a_cleanup_composes_its_report_without_a_message() -> None:
    # Given a cleanup of eight skus (two messages)
    world = World()
    skus(world, 8)
    cleanup = create(world)
    first, second = world.queue.take()
    # When the first batch is delivered, then the second, which ends the cleanup
    world.deliver([first])
    written_before_the_end = (TENANT.key, cleanup.id) in world.reports.files
    world.deliver([second])
    # Then the report is written by that delivery, no message sent for it
    assert not written_before_the_end
    assert world.queue.messages == []
    after, rows = assert_rows_match_counts(world, cleanup)
    assert (after.status, after.report_written_at is not None, len(rows)) == ("completed", True, 8)


def test_report_is_asked_for_again_when_the_worker_that_ended_the_cleanup_died_composing_it() -> None:
    # Given a cleanup of four skus (one message) whose worker dies as it writes the report's file
    world = World()
    skus(world, 4)
    cleanup = create(world)
    world.reports.dead_files = 1
    # When every message is delivered, the failed one again
    assert world.drain() == 1
    # Then the redelivered batch asked for the report, which was written once the cleanup had completed
    after, rows = assert_rows_match_counts(world, cleanup)
    assert world.reports.dead_files == 0
    assert (after.status, after.report_written_at is not None, len(rows)) == ("completed", True, 4)


def test_deleting_a_finished_cleanup_removes_its_report_and_keeps_another_cleanups() -> None:
    # Given two finished cleanups of two skus each, both with their report written
    world = World(settings=settings(max_active_cleanups=2))
    skus(world, 2)
    first = create(world)
    world.drain()
    skus(world, 2)
    second = create(world)
    world.drain()
    assert {(TENANT.key, first.id), (TENANT.key, second.id)} <= set(world.reports.files)
    # When the first is deleted
    cleanups.delete_cleanup(world.ports, TENANT, first.id, ACTOR)
    # Then its report file and parts are gone, the other's kept
    assert (TENANT.key, first.id) not in world.reports.files and world.reports.parts(TENANT, first.id) == []
    assert (TENANT.key, second.id) in world.reports.files and world.reports.parts(TENANT, second.id) != []


def reconcile_once_stale(world: World) -> cleanups.ReconcileReport:
    world.clock.advance(timedelta(seconds=world.ports.settings.reconcile_after_seconds + 1).total_seconds())
    return cleanups.reconcile(world.ports)


@pytest.mark.parametrize("crash_point", ["send:cleanup_report", "transition:after"])
def test_an_api_interrupt_that_dies_before_asking_for_the_report_is_asked_again_by_the_reconciler(
        crash_point: str) -> None:
    # Given a cleanup of eight skus interrupted by its client after the first batch, the API process dying right
    # after the interrupt is committed (before its report message is sent)
    world = World()
    skus(world, 8)
    cleanup = create(world)
    first, _second = world.queue.take()
    world.deliver([first])
    faults = world.queue.faults if crash_point.startswith("send:") else world.cleanups.log.faults
    faults.arm(crash_point)
    with pytest.raises(Crash):
        cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    assert world.cleanups.get(TENANT, cleanup.id).status == "interrupted"
    world.drain()  # the second batch, never begun: it asks for nothing
    assert world.cleanups.get(TENANT, cleanup.id).report_written_at is None
    # When the reconciler runs within the grace period, then once past it, and the queue is drained
    early = cleanups.reconcile(world.ports)
    late = reconcile_once_stale(world)
    world.drain()
    # Then only the late run asks again, and the report lists the four deleted and the four left
    assert (early.reports_asked, late.reports_asked) == ([], [cleanup.id])
    after, rows = assert_rows_match_counts(world, cleanup)
    assert (after.status, after.processed_count, after.report_written_at is not None) == ("interrupted", 4, True)
    assert Counter(r["outcome"] for r in rows) == {"deleted": 4, "not_processed": 4}
    # And a written report takes the cleanup off the reconciler's list: it is never asked again
    assert list(world.cleanups.unreported("9999")) == []
    assert reconcile_once_stale(world).reports_asked == []


def test_a_report_that_never_gets_written_is_asked_for_a_bounded_number_of_times() -> None:
    # Given a finished cleanup of two skus whose worker died composing its report, its message then lost
    world = World()
    skus(world, 2)
    cleanup = create(world)
    world.reports.dead_files = 1
    assert len(world.deliver(world.queue.take())) == 1
    # When the reconciler runs, well spaced, more times than its attempts, every message it sends lost too
    asked = []
    for _ in range(world.ports.settings.reconcile_attempts + 3):
        run = reconcile_once_stale(world)
        asked += run.reports_asked
        world.queue.take()
    # Then it asked as many times as its attempts, then gave up on it once: no report, no link
    assert asked == [cleanup.id] * world.ports.settings.reconcile_attempts
    assert list(world.cleanups.unreported("9999")) == []
    assert cleanups.get_cleanup(world.ports, TENANT, cleanup.id).report_url is None


def test_a_cleanup_born_completed_has_an_empty_report() -> None:
    # Given a cleanup whose filters match nothing (created completed)
    world = World()
    cleanup = create(world)
    assert cleanup.status == "completed"
    # When its message is delivered and it is read
    world.drain()
    read = cleanups.get_cleanup(world.ports, TENANT, cleanup.id)
    # Then it has a report: the header, no rows
    assert read.report_url is not None
    assert report_rows(world, cleanup) == []
