"""The reconciler on stalled restores: requeue lost sub-batches and waited-on deletes, give up, settle."""
from __future__ import annotations

from typing import Any

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.domain.model import WORKER
from tests.unit.fakes import World
from tests.unit.test_cleanups_reconciler import (
    STALE,
    reconcile_a_minute_after_sending,
    reconcile_after_losing_the_second_of_three,
)
from tests.unit.test_cleanups_restore import (
    assert_restored_exactly,
    cleaned,
    final,
    interrupted_mid_delete,
    restore,
)
from tests.unit.test_cleanups_services import ACTOR, TENANT


def test_reconcile_leaves_a_restore_with_recent_progress_alone() -> None:
    world = World()
    cleanup, _ = cleaned(world, 4)
    restore(world, cleanup)
    report = reconcile_a_minute_after_sending(world)
    assert (report.restores_requeued, report.restores_given_up, world.queue.messages) == ({}, [], [])


def test_reconcile_requeues_the_uncounted_sub_batches_of_a_stalled_restore() -> None:
    # Given a restore of six skus (three sub-batches) whose second message was lost
    world = World()
    cleanup, before = cleaned(world, 6)
    restore(world, cleanup)
    # When the reconciler runs once the restore has stalled, and the queue is drained
    lost, report = reconcile_after_losing_the_second_of_three(world)
    # Then exactly the lost sub-batch was sent again, and the restore completed exactly
    assert report.restores_requeued == {cleanup.id: [lost["sub_batch"]]} and report.requeued == {}
    assert assert_restored_exactly(world, cleanup, before).restored_count == 6


def test_reconcile_finishes_the_delete_a_stalled_restore_waits_on() -> None:
    # Given an interrupted cleanup whose begun sub-batch's delete message was lost, and a restore waiting on it
    world = World()
    cleanup, before, _ = interrupted_mid_delete(world)
    restore(world, cleanup)
    world.queue.take()
    # When the reconciler runs once the restore stalled, and the queue is drained
    world.clock.advance(STALE)
    cleanups.reconcile(world.ports)
    world.drain()
    # Then the delete was finished and counted, then restored
    after = assert_restored_exactly(world, cleanup, before)
    assert (after.status, after.processed_count, after.restored_count) == ("interrupted", 2, 2)


def requeued_to_its_last_attempt(world: World) -> tuple[Cleanup, dict[tuple[str, str, str], Any]]:
    """A restore of four skus whose second sub-batch was lost on every requeue, its attempts all spent."""
    cleanup, before = cleaned(world, 4)
    restore(world, cleanup)
    first, lost = world.queue.take()
    world.deliver([first])
    for _ in range(world.settings.reconcile_attempts):
        world.clock.advance(STALE)
        assert cleanups.reconcile(world.ports).restores_requeued == {cleanup.id: [lost["sub_batch"]]}
        world.queue.take()
    return cleanup, before


def test_reconcile_gives_up_a_restore_after_its_attempts_and_counts_the_rest_as_errors() -> None:
    # Given a restore of four skus whose second sub-batch is lost on every requeue
    world = World()
    cleanup, _ = requeued_to_its_last_attempt(world)
    # When the reconciler runs again
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    # Then it gave up: the lost sub-batch's records are restore errors, and the restore completed
    after = final(world, cleanup)
    assert report.restores_given_up == [cleanup.id]
    assert (after.restore_status, after.restored_count, after.restore_errors_count) == ("completed", 2, 2)
    assert set(after.restore_errors_log) == {"DEL002", "DEL003"}


def test_reconcile_settles_a_fully_counted_restore_its_worker_left_unsettled() -> None:
    # Given a restore whose only sub-batch was counted, the worker dying before settling
    world = World()
    cleanup, _ = cleaned(world, 2)
    restore(world, cleanup)
    world.queue.take()
    world.cleanups.count_restore_sub_batch(TENANT, cleanup.id, 0, 2, 0, {}, "2025-01-01T12:00:01.000Z")
    # When the reconciler runs
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    # Then it completed the restore without requeuing anything, reported as the worker
    assert final(world, cleanup).restore_status == "completed"
    assert report.restores_requeued == {} and world.queue.messages == []
    assert world.events.versions[-1].who == WORKER.who


def test_reconcile_gives_a_resumed_restore_its_attempts_afresh() -> None:
    # Given a restore of four skus whose second sub-batch was lost on every requeue, then interrupted
    world = World()
    cleanup, before = requeued_to_its_last_attempt(world)
    cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # When it is resumed, its message is lost again, and the reconciler runs once it stalled
    restore(world, cleanup)
    world.queue.take()
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    world.drain()
    # Then the lost sub-batch was sent again rather than given up, and the restore completed exactly
    assert (report.restores_requeued, report.restores_given_up) == ({cleanup.id: [1]}, [])
    assert assert_restored_exactly(world, cleanup, before).restored_count == 4
