"""A cleanup's restore on in-memory fakes: exact counts under any delivery, conflicts, interrupts, refusals."""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import WORKER, Cleanup
from chalicelib.cleanups.exceptions import CleanupFinishedError, RestoreFinishedError, RestoreNotAllowedError
from chalicelib.exceptions import ValidationError
from chalicelib.records.model import TAKEN
from chalicelib.tenancy import iso, parse_iso
from tests.unit.fakes import World, settings
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus
from tests.unit.test_cleanups_worker import crashing

DAY = 24 * 3600


def restore(world: World, cleanup: Cleanup, **attributes: Any) -> Cleanup:
    return cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"_restore": True, **attributes}, ACTOR)


def cleaned(world: World, n: int, **create_attributes: Any) -> tuple[Cleanup, dict[tuple[str, str, str], Any]]:
    """A completed cleanup of `n` skus, and the records as they were before it."""
    skus(world, n)
    before = {key: dict(record) for key, record in world.records.records.items()}
    cleanup = create(world, **create_attributes)
    world.drain()
    return world.cleanups.get(TENANT, cleanup.id), before


def interrupted_mid_delete(world: World) -> tuple[Cleanup, dict[tuple[str, str, str], Any], dict[str, Any]]:
    """A cleanup of four skus interrupted while its worker, dead inside sub-batch 0, has yet to finish it;
    the records as they were before it, and the delete message that will come back."""
    _, cleanup, batch = crashing(world, at=1)
    before = {key: dict(record) for key, record in world.records.records.items()}
    world.deliver([batch])
    cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    return cleanup, before, batch


def final(world: World, cleanup: Cleanup) -> Cleanup:
    return world.cleanups.get(TENANT, cleanup.id)


def assert_restored_exactly(world: World, cleanup: Cleanup, before: dict[tuple[str, str, str], Any]) -> Cleanup:
    after = final(world, cleanup)
    assert (after.restore_status, after.restored_count, after.restore_errors_count) == (
        "completed", after.processed_count, 0)
    assert world.records.records == before
    return after


def test_request_restore_marks_it_pending_and_enqueues_one_message_per_sub_batch_begun() -> None:
    # Given a completed cleanup of nine skus (five sub-batches)
    world = World()
    cleanup, _ = cleaned(world, 9)
    # When its client asks for a restore
    pending = restore(world, cleanup)
    # Then it is pending, the cleanup's status is untouched, and each sub-batch has one message
    assert (pending.status, pending.restore_status, pending.restored_count) == ("completed", "pending", 0)
    assert [(m["kind"], m["sub_batch"]) for m in world.queue.messages] == [("restore_batch", n) for n in range(5)]
    version = world.events.versions[-1]
    assert (version.resource_id, version.changes["restore_status"]) == (cleanup.id, [None, "pending"])


def test_restore_batch_puts_back_every_deleted_record_and_completes() -> None:
    # Given a completed cleanup of nine skus
    world = World()
    cleanup, before = cleaned(world, 9)
    assert world.records.ids(TENANT, "skus") == set()
    restore(world, cleanup)
    # When every restore message is delivered once
    assert world.drain() == 0
    # Then every record is back as it was, counted once, the restore going pending -> in_progress -> completed
    after = assert_restored_exactly(world, cleanup, before)
    assert after.restored_count == 9 and after.restore_errors_log == {}
    versions = world.events.versions[-3:]
    assert [v.changes["restore_status"] for v in versions] == [
        [None, "pending"], ["pending", "in_progress"], ["in_progress", "completed"]]
    assert [v.who for v in versions[1:]] == [WORKER.who] * 2


def test_restore_batch_counts_exactly_under_shuffled_duplicated_delivery() -> None:
    # Given a restore of a twenty-sku cleanup (ten sub-batches)
    world = World()
    cleanup, before = cleaned(world, 20)
    restore(world, cleanup)
    # When every message arrives twice, in a random order
    rng = random.Random(7)
    world.drain(order=lambda bodies: rng.sample(bodies * 2, len(bodies) * 2))
    # Then each sub-batch was restored and counted once
    after = assert_restored_exactly(world, cleanup, before)
    assert after.restored_count == 20 and after.restore_counted == frozenset(range(10))


def test_restore_batch_counts_exactly_when_messages_arrive_in_reverse_order() -> None:
    world = World()
    cleanup, before = cleaned(world, 11)
    restore(world, cleanup)
    world.drain(order=lambda bodies: bodies[::-1])
    assert assert_restored_exactly(world, cleanup, before).restored_count == 11


def test_restore_batch_finishes_a_sub_batch_its_worker_died_in() -> None:
    # Given a restore whose worker dies half-way through the second and the fourth sub-batches
    world = World()
    cleanup, before = cleaned(world, 8)
    restore(world, cleanup)
    world.records.restore_crash_on = {2, 4}
    # When the failed messages come back until the queue is empty
    failures = world.drain()
    # Then the half-restored sub-batches were finished and every record counted exactly once
    assert failures == 2
    assert assert_restored_exactly(world, cleanup, before).restored_count == 8


def test_restore_batch_reports_a_record_whose_id_or_code_is_taken_and_leaves_it() -> None:
    # Given a cleaned-up catalog in which one sku id exists again (changed) and another's code is taken
    world = World()
    cleanup, before = cleaned(world, 6)
    again = {"id": "DEL001", "updated_at": "2026-01-01T00:00:00.000Z", "code": "DEL001"}
    world.records.records[(TENANT.key, "skus", "DEL001")] = dict(again)
    world.records.records[(TENANT.key, "skus", "NEW000")] = {"id": "NEW000", "updated_at": "x", "code": "DEL004"}
    restore(world, cleanup)
    # When the restore runs
    world.drain()
    # Then both are restore errors, left as they are, and the counts add up to what was deleted
    after = final(world, cleanup)
    assert (after.restore_status, after.restored_count, after.restore_errors_count) == ("completed", 4, 2)
    assert after.restore_errors_log == {"DEL001": {"id": ["already exists"]}, "DEL004": {"code": [TAKEN]}}
    assert world.records.records[(TENANT.key, "skus", "DEL001")] == again
    assert (TENANT.key, "skus", "DEL004") not in world.records.records
    assert after.restored_count + after.restore_errors_count == after.processed_count


def test_restore_of_an_interrupted_cleanup_puts_back_only_what_it_deleted() -> None:
    # Given a cleanup of eight skus interrupted after its first sub-batch
    world = World()
    skus(world, 8)
    before = {key: dict(record) for key, record in world.records.records.items()}
    cleanup = create(world)
    world.records.after_delete = lambda: cleanups.update_cleanup(world.ports, TENANT, cleanup.id,
                                                                 {"_interrupt": True}, ACTOR) \
        if final(world, cleanup).active else None
    world.drain()
    world.records.after_delete = None
    assert final(world, cleanup).processed_count == 2
    # When it is restored
    restore(world, final(world, cleanup))
    world.drain()
    # Then the two deleted skus are back, and only one sub-batch was restored
    after = assert_restored_exactly(world, cleanup, before)
    assert (after.status, after.restored_count, world.records.restore_calls) == ("interrupted", 2, [0])


def test_interrupt_of_a_restore_begins_no_sub_batch_after_it() -> None:
    # Given a restore of eight skus, interrupted by its client while the first sub-batch is put back
    world = World()
    cleanup, _ = cleaned(world, 8)
    restore(world, cleanup)

    def interrupt_once() -> None:
        if len(world.records.restore_calls) == 1:
            cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"_interrupt": True}, ACTOR)

    world.records.after_restore = interrupt_once
    # When every message is delivered
    world.drain()
    # Then only the sub-batch in flight was restored and counted; the restore is interrupted, the cleanup untouched
    after = final(world, cleanup)
    assert (after.status, after.restore_status, after.restored_count) == ("completed", "interrupted", 2)
    assert world.records.restore_calls == [0] and len(world.records.ids(TENANT, "skus")) == 2
    # And a second interrupt is refused
    with pytest.raises(RestoreFinishedError):
        cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"_interrupt": True}, ACTOR)


def test_interrupt_of_a_restore_finishes_a_begun_sub_batch() -> None:
    # Given a restore whose worker died inside its first sub-batch
    world = World()
    cleanup, before = cleaned(world, 4)
    restore(world, cleanup)
    world.records.restore_crash_on = {1}
    first, second = world.queue.take()
    world.deliver([first])
    # When the client interrupts the restore before the message comes back
    cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    world.deliver([first, second])
    # Then the begun sub-batch was finished and counted, the other never begun
    after = final(world, cleanup)
    assert (after.restore_status, after.restored_count, after.restore_started) == ("interrupted", 2, {0})
    assert world.records.ids(TENANT, "skus") == {"DEL000", "DEL001"}


def test_restore_waits_for_a_delete_still_in_flight() -> None:
    # Given a cleanup interrupted while its worker, dead inside sub-batch 0, has yet to finish it
    world = World()
    cleanup, before, batch = interrupted_mid_delete(world)
    # When a restore is asked, and its message arrives before the delete's redelivery
    restore(world, cleanup)
    [waiting] = world.queue.take()
    world.deliver([waiting])
    # Then the restore put nothing back and its message waits in the queue
    assert world.records.restore_calls == [] and world.queue.messages == [waiting]
    # And once the delete is finished, the restore puts back everything it deleted
    world.deliver([batch])
    world.drain()
    assert_restored_exactly(world, cleanup, before)


@pytest.mark.parametrize("attributes, error", [
    ({"_restore": "yes"}, ValidationError),
    ({"_restore": 1}, ValidationError),
    ({"_restore": True, "_interrupt": True}, ValidationError),
])
def test_update_cleanup_refuses_a_malformed_restore(attributes: dict[str, Any], error: type[Exception]) -> None:
    world = World()
    cleanup, _ = cleaned(world, 2)
    with pytest.raises(error) as raised:
        cleanups.update_cleanup(world.ports, TENANT, cleanup.id, attributes, ACTOR)
    assert raised.value.details[0].pointer == "/data/attributes/_restore"  # type: ignore[attr-defined]
    assert final(world, cleanup).restore_status is None


def test_request_restore_of_an_active_cleanup_is_refused() -> None:
    world = World()
    skus(world, 4)
    cleanup = create(world)
    with pytest.raises(RestoreNotAllowedError):
        restore(world, cleanup)
    assert final(world, cleanup).restore_status is None


def test_request_restore_a_second_time_is_refused() -> None:
    # Given a cleanup already restored once
    world = World()
    cleanup, _ = cleaned(world, 2)
    restore(world, cleanup)
    world.drain()
    sent = len(world.events.versions)
    # When a second restore is asked, then it is refused and nothing changes
    with pytest.raises(RestoreNotAllowedError):
        restore(world, cleanup)
    assert (final(world, cleanup).restored_count, len(world.events.versions), world.queue.messages) == (2, sent, [])


def test_request_restore_outside_the_window_is_refused() -> None:
    # Given a cleanup completed under a two-day window
    world = World(settings=settings(restore_window_days=2))
    cleanup, _ = cleaned(world, 2)
    assert cleanup.restorable_until is not None and cleanup.completed_at is not None
    # When its window has passed, then a restore is refused
    world.clock.advance(2 * DAY)
    with pytest.raises(RestoreNotAllowedError, match="restorable until"):
        restore(world, cleanup)


def test_request_restore_where_deletes_are_not_archived_is_refused() -> None:
    world = World(settings=settings(archive_deletes=False))
    cleanup, _ = cleaned(world, 2)
    with pytest.raises(RestoreNotAllowedError, match="archive"):
        restore(world, cleanup)


def test_update_cleanup_with_restore_false_changes_nothing() -> None:
    world = World()
    cleanup, _ = cleaned(world, 2)
    after = cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"_restore": False}, ACTOR)
    assert after.restore_status is None and world.queue.messages == []


def test_interrupt_of_a_finished_cleanup_without_a_restore_is_still_refused() -> None:
    world = World()
    cleanup, _ = cleaned(world, 2)
    with pytest.raises(CleanupFinishedError):
        cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"_interrupt": True}, ACTOR)


def test_restorable_until_is_null_while_active_then_the_end_plus_the_window() -> None:
    world = World(settings=settings(restore_window_days=3))
    skus(world, 2)
    cleanup = create(world)
    assert cleanup.restorable_until is None and cleanup.attributes()["restorable_until"] is None
    world.drain()
    done = final(world, cleanup)
    assert done.completed_at is not None
    assert done.restorable_until == iso(parse_iso(done.completed_at) + timedelta(days=3))


def test_restore_of_a_cleanup_that_deleted_nothing_completes_at_once() -> None:
    world = World()
    cleanup = create(world)
    world.queue.take()  # its report's message
    after = restore(world, cleanup)
    assert (after.restore_status, after.restored_count, world.queue.messages) == ("completed", 0, [])


def test_restore_errors_log_stops_growing_at_the_cap() -> None:
    # Given a cleaned-up catalog whose six skus all exist again, and a cap of four entries
    world = World(settings=settings(errors_log_cap=4))
    cleanup, _ = cleaned(world, 6)
    for i in range(6):
        world.records.add(TENANT, "skus", f"DEL{i:03d}", world.clock.now() + timedelta(days=1), code=f"DEL{i:03d}")
    restore(world, cleanup)
    world.drain()
    # Then every record is counted as an error, but only four are logged
    after = final(world, cleanup)
    assert (after.restore_status, after.restore_errors_count, len(after.restore_errors_log)) == ("completed", 6, 4)
