"""Large cleanups on in-memory fakes: selection in the worker, paged, checkpointed, exact under crashes,
duplicates, reordering and interrupts; and the create path unchanged when the cap fits in a request."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.exceptions import TooManyRecordsError
from chalicelib.cleanups.service_layer.selection import FAILED
from tests.unit.fakes import World, settings
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus
from tests.unit.test_cleanups_worker import assert_exact, final

STALE = 301  # seconds: past RECONCILE_AFTER_SECONDS and the selection lease
PAGES = 4  # 30 skus in pages of 8


def large_world(**overrides: Any) -> World:
    """The cap raised past what a request selects (8): pages of 8 ids, batches of 4, sub-batches of 2."""
    return World(settings=settings(max_cleanup_records=1000, select_in_request_records=8, **overrides))


def kinds(messages: list[dict[str, Any]]) -> list[str]:
    return [m["kind"] for m in messages]


def test_create_with_defaults_selects_in_the_request_as_before() -> None:
    # Given the default cap and in-request size (10,000 each) and nine skus
    world = World(settings=settings(max_cleanup_records=10000))
    skus(world, 9)
    # When a cleanup is created
    cleanup = create(world)
    # Then its count is final in the answer and one batch message per batch is sent, no selection message
    assert (cleanup.records_count, cleanup.selecting, cleanup.batch_count) == (9, False, 3)
    assert kinds(world.queue.messages) == ["cleanup_batch"] * 3
    assert world.records.pages_read == 0


def test_create_past_the_cap_with_defaults_is_still_refused_in_the_request() -> None:
    # Given a cap of 5 (below what a request selects) and six skus
    world = World(settings=settings(max_cleanup_records=5))
    skus(world, 6)
    # When a cleanup of them is created, then it is refused (422) and nothing is saved or sent
    with pytest.raises(TooManyRecordsError):
        create(world)
    assert (world.cleanups.cleanups, world.queue.messages) == ({}, [])


def test_create_that_fits_in_the_request_is_unchanged_with_the_cap_raised() -> None:
    # Given the cap raised, and seven skus (fewer than a request selects)
    world = large_world()
    skus(world, 7)
    # When a cleanup is created, then it is the classic one: counted in the answer, its batches enqueued
    cleanup = create(world)
    assert (cleanup.records_count, cleanup.selecting) == (7, False)
    assert kinds(world.queue.messages) == ["cleanup_batch"] * 2


def test_large_cleanup_selects_in_the_worker_and_deletes_exactly() -> None:
    # Given thirty skus, more than a request selects
    world = large_world()
    doomed = skus(world, 30)
    # When a cleanup is created
    cleanup = create(world)
    cid = cleanup.id
    counts_when_deleting: set[int] = set()
    world.records.after_delete = lambda: counts_when_deleting.add(world.cleanups.get(TENANT, cid).records_count)
    # Then it answers pending and selecting, with only a selection message for page 0
    assert (cleanup.status, cleanup.selecting, cleanup.records_count) == ("pending", True, 0)
    assert world.queue.messages == [{"kind": "cleanup_selection", "tenant": {"organization_id": "org-alpha",
                                                                            "mode": "test"},
                                     "cleanup_id": cid, "page": 0}]
    # And page by page, no batch message exists before the last page is in the snapshot
    for page in range(PAGES):
        (message,) = world.queue.take()
        assert (message["kind"], message["page"]) == ("cleanup_selection", page)
        assert final(world, cleanup).status == "pending"
        world.deliver([message])
    assert kinds(world.queue.messages) == ["cleanup_batch"] * 8
    selected = final(world, cleanup)
    assert (selected.records_count, selected.batch_count, selected.sub_batch_count, selected.selecting) == (
        30, 8, 15, False)
    world.drain()
    # And every record went, counted once, with records_count final before any deletion
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count, counts_when_deleting) == ("completed", 30, {30})
    assert world.events.statuses(cid) == ["in_progress", "completed"]


def test_large_cleanup_crash_mid_page_resumes_from_the_checkpoint() -> None:
    # Given a large cleanup whose second page dies after writing its batches, before its checkpoint
    world = large_world()
    doomed = skus(world, 30)
    cleanup = create(world)
    world.faults.arm("checkpoint_selection:before", skip=1)
    failures = world.drain()
    # When the redelivery found the dead worker's lease, and the reconciler sends the page once it expired
    assert (failures, final(world, cleanup).selection_pages, final(world, cleanup).records_count) == (1, 1, 8)
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    world.drain()
    # Then selection resumed at page 1 (never page 0 again) and nothing was counted twice
    assert report.reselected == {cleanup.id: 1}
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.records_count, after.processed_count, after.selection_pages) == (
        "completed", 30, 30, PAGES)
    assert world.records.pages_read == PAGES + 1


def test_large_cleanup_lost_next_page_message_is_sent_again_by_the_reconciler() -> None:
    # Given a large cleanup whose worker died after its first checkpoint, before sending page 1
    world = large_world()
    doomed = skus(world, 30)
    cleanup = create(world)
    world.faults.arm("send:cleanup_selection")
    world.drain()
    world.queue.take()  # the failed delivery of page 0 comes back, and is a no-op duplicate
    # When the reconciler runs on the stalled cleanup (its counts "fully counted" so far: 0 of 4 sub-batches)
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    world.drain()
    # Then it sent page 1 (it did not settle the cleanup as done) and the cleanup completed exactly
    assert report.reselected == {cleanup.id: 1}
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.records_count) == ("completed", 30)


def test_large_cleanup_duplicate_and_late_selection_messages_change_nothing() -> None:
    # Given a large cleanup whose every selection message is delivered twice, the copy also after the next page
    world = large_world()
    doomed = skus(world, 30)
    cleanup = create(world)
    late: list[dict[str, Any]] = []
    for _ in range(PAGES):
        (message,) = world.queue.take()
        world.deliver([message, message, *late])  # duplicate now, and the previous page's copy out of order
        late = [message]
    world.deliver(late)
    world.drain()
    # Then each page was read once, and the counts are exact
    assert world.records.pages_read == PAGES
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.records_count, after.batch_count) == ("completed", 30, 8)


def test_large_cleanup_page_in_flight_is_leased_to_one_worker() -> None:
    # Given a large cleanup whose page 0 is delivered again while the first worker is reading it
    world = large_world()
    doomed = skus(world, 30)
    cleanup = create(world)
    (message,) = world.queue.take()
    read = world.records.select_page

    def twice(*args: Any) -> tuple[list[str], bool]:
        if world.records.pages_read == 0:
            world.deliver([message])  # the second worker finds the lease held: it reads nothing
        return read(*args)
    world.records.select_page = twice  # type: ignore[method-assign, assignment]
    world.deliver([message])
    world.drain()
    # Then page 0 was read once and the cleanup completed exactly
    assert final(world, cleanup).selection_pages == PAGES
    assert world.records.pages_read == PAGES
    assert assert_exact(world, cleanup, doomed).processed_count == 30


def test_interrupt_during_selection_stops_it_and_deletes_nothing() -> None:
    # Given a large cleanup interrupted while its second page is being read
    world = large_world()
    doomed = skus(world, 30)
    cleanup = create(world)
    world.deliver(world.queue.take())
    read = world.records.select_page

    def interrupted(*args: Any) -> tuple[list[str], bool]:
        cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
        return read(*args)
    world.records.select_page = interrupted  # type: ignore[method-assign, assignment]
    # When the queue is drained
    world.drain()
    # Then its checkpoint was refused: no further page, no batch, nothing deleted
    after = final(world, cleanup)
    assert (after.status, after.selection_pages, after.records_count, after.processed_count) == (
        "interrupted", 1, 8, 0)
    assert world.records.pages_read == 2
    assert world.records.ids(TENANT, "skus") == set(doomed)
    assert world.events.statuses(cleanup.id) == ["interrupted"]


def test_large_cleanup_past_the_cap_is_interrupted_with_the_reason() -> None:
    # Given a cap of 20 raised past a request's 8, and thirty matching skus
    world = World(settings=settings(max_cleanup_records=20, select_in_request_records=8))
    doomed = skus(world, 30)
    # When a cleanup is created (201: the request cannot tell) and the queue is drained
    cleanup = create(world)
    world.drain()
    # Then the selection failed on its third page: interrupted, the reason in errors_log, nothing deleted
    after = final(world, cleanup)
    assert after.status == "interrupted"
    assert after.errors_log[FAILED] == {
        "base": ["selects more than 20 records (MAX_CLEANUP_RECORDS): nothing was deleted"]}
    assert (after.records_count, after.processed_count) == (16, 0)
    assert world.records.ids(TENANT, "skus") == set(doomed)


def test_large_cleanup_of_exactly_the_cap_completes() -> None:
    # Given a cap of 24 (three whole pages) and exactly 24 matching skus
    world = World(settings=settings(max_cleanup_records=24, select_in_request_records=8))
    doomed = skus(world, 24)
    cleanup = create(world)
    world.drain()
    assert assert_exact(world, cleanup, doomed).status == "completed"


@pytest.mark.parametrize(("expected", "status"), [(30, "completed"), (29, "interrupted")])
def test_large_cleanup_checks_the_expected_count_once_selected(expected: int, status: str) -> None:
    # Given thirty matching skus and a create expecting `expected`
    world = large_world()
    doomed = skus(world, 30)
    cleanup = create(world, expected_records_count=expected)
    world.drain()
    # Then it runs when the count matches; otherwise it is interrupted with the reason, nothing deleted
    after = final(world, cleanup)
    assert after.status == status
    if status == "completed":
        assert assert_exact(world, cleanup, doomed).processed_count == 30
    else:
        assert after.errors_log == {FAILED: {"base": ["selects 30 records, not the expected 29: nothing was deleted"]}}
        assert world.records.ids(TENANT, "skus") == set(doomed)


def test_reconciler_gives_up_on_a_selection_lost_every_time() -> None:
    # Given a large cleanup whose selection message is lost on every attempt
    world = large_world()
    skus(world, 30)
    cleanup = create(world)
    for _ in range(world.settings.reconcile_attempts + 1):
        world.queue.take()
        world.clock.advance(STALE)
        report = cleanups.reconcile(world.ports)
    # Then it is interrupted once the attempts are spent, and takes no slot
    assert report.given_up == [cleanup.id]
    assert (final(world, cleanup).status, world.cleanups.slots_taken(TENANT)) == ("interrupted", 0)


def test_deleting_a_selecting_cleanup_removes_its_partial_snapshot() -> None:
    # Given a large cleanup with two pages selected
    world = large_world()
    skus(world, 30)
    cleanup = create(world)
    world.deliver(world.queue.take())
    world.deliver(world.queue.take())
    # When it is deleted, then it is gone and its next page does nothing
    cleanups.delete_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    world.drain()
    assert world.cleanups.cleanups == {}
    assert world.records.pages_read == 2



def interrupted_large(world: World, doomed: list[str]) -> Cleanup:
    """A large cleanup of `doomed`, selected, whose first and fourth batches were deleted before an interrupt."""
    cleanup = create(world)
    for _ in range(PAGES):
        world.deliver(world.queue.take())
    batches = world.queue.take()
    world.deliver([batches[0], batches[3]])
    interrupted = cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    world.deliver(world.queue.take())  # its report
    return interrupted


def retry(world: World, original: Cleanup) -> Cleanup:
    return cleanups.create_cleanup(world.ports, TENANT, {}, ACTOR, retry_of=original.id)


def test_retry_of_a_large_cleanup_selects_in_the_worker_and_deletes_what_is_left_exactly() -> None:
    # Given a large cleanup of thirty skus interrupted after two of its batches (8 skus) were deleted,
    world = large_world()
    doomed = skus(world, 30)
    original = interrupted_large(world, doomed)
    for gone in (doomed[5], doomed[9]):  # and a client deleted one sku in each of the first two pages
        del world.records.records[(TENANT.key, "skus", gone)]
    left = sorted(world.records.ids(TENANT, "skus") & set(doomed))
    assert (original.processed_count, len(left)) == (8, 20)
    # When it is retried
    again = retry(world, original)
    # Then the create answers at once, selecting, with only a selection message: the worker reads the snapshot
    assert (again.status, again.selecting, again.records_count) == ("pending", True, 0)
    assert kinds(world.queue.messages) == ["cleanup_selection"]
    world.drain()
    # And it deleted the 20 left, counted once each, its part-filled batches counted sub-batch by sub-batch
    after = assert_exact(world, again, left)
    assert (after.status, after.records_count, after.processed_count) == ("completed", 20, 20)
    assert world.records.ids(TENANT, "skus") & set(doomed) == set()


def test_retry_of_a_large_cleanup_crash_mid_page_resumes_without_counting_twice() -> None:
    # Given the retry of a large interrupted cleanup whose second page dies before its checkpoint
    world = large_world()
    doomed = skus(world, 30)
    original = interrupted_large(world, doomed)
    left = sorted(world.records.ids(TENANT, "skus") & set(doomed))
    again = retry(world, original)
    world.faults.arm("checkpoint_selection:before", skip=1)
    world.drain()
    # When the reconciler sends the page again once its lease expired
    world.clock.advance(STALE)
    cleanups.reconcile(world.ports)
    world.drain()
    # Then the selection resumed from its checkpoint and the counts are exact
    after = assert_exact(world, again, left)
    assert (after.status, after.records_count, after.processed_count) == ("completed", 22, 22)


def test_retry_of_a_large_cleanup_deleted_meanwhile_stops_with_the_reason() -> None:
    # Given the retry of a large interrupted cleanup, and the original deleted before the worker selects
    world = large_world()
    doomed = skus(world, 30)
    original = interrupted_large(world, doomed)
    again = retry(world, original)
    cleanups.delete_cleanup(world.ports, TENANT, original.id, ACTOR)
    # When the worker selects
    world.drain()
    # Then the retry is interrupted with the reason, nothing more deleted
    after = final(world, again)
    assert after.status == "interrupted"
    assert "There is no cleanup" in after.errors_log[FAILED]["base"][0]
    assert len(world.records.ids(TENANT, "skus") & set(doomed)) == 22
