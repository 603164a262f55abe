"""The reconciler on in-memory fakes: requeue lost work, give up on poison batches, settle the unsettled."""
from __future__ import annotations

from typing import Any

from chalicelib import cleanups
from chalicelib.cleanups import ReconcileReport
from chalicelib.cleanups.domain.model import WORKER, start
from tests.unit.fakes import World, settings
from tests.unit.test_cleanups_services import TENANT, create, skus
from tests.unit.test_cleanups_worker import assert_exact

STALE = 301  # seconds: past the fakes' RECONCILE_AFTER_SECONDS (300)


def reconcile_a_minute_after_sending(world: World) -> ReconcileReport:
    """Take the messages just sent (a worker holds them), let a minute pass, reconcile; the report."""
    world.queue.take()
    world.clock.advance(60)
    return cleanups.reconcile(world.ports)


def reconcile_after_losing_the_second_of_three(world: World) -> tuple[dict[str, Any], ReconcileReport]:
    """Deliver the first and third of the three messages queued, reconcile once stalled, drain the queue;
    the lost message and the reconciler's report."""
    first, lost, third = world.queue.take()
    world.deliver([first, third])
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    world.drain()
    return lost, report


def test_reconcile_leaves_a_cleanup_with_recent_progress_alone() -> None:
    # Given a cleanup whose messages were just sent
    world = World()
    skus(world, 6)
    create(world)
    # When the reconciler runs a minute later, then it does nothing
    report = reconcile_a_minute_after_sending(world)
    assert (report.requeued, report.given_up, world.queue.messages) == ({}, [], [])


def test_reconcile_requeues_the_uncounted_batches_of_a_stalled_cleanup() -> None:
    # Given a cleanup of twelve skus (three messages) of which the second was lost
    world = World()
    doomed = skus(world, 12)
    cleanup = create(world)
    # When the reconciler runs once the cleanup has stalled, and the queue is drained
    lost, report = reconcile_after_losing_the_second_of_three(world)
    # Then exactly the lost batch was sent again, and the cleanup completed exactly
    assert report.requeued == {cleanup.id: [lost["batch"]]}
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count) == ("completed", 12)


def test_reconcile_gives_up_after_its_attempts_and_counts_the_rest_as_errors() -> None:
    # Given a cleanup of twelve skus whose last batch fails on every delivery (no error budget)
    world = World(settings=settings(error_budget_ratio=1.0))
    doomed = skus(world, 12)
    cleanup = create(world)
    *good, poison = world.queue.take()
    world.deliver(good)
    # When the reconciler has requeued it as often as it may (lost each time), then runs again
    for _ in range(world.settings.reconcile_attempts):
        world.clock.advance(STALE)
        assert cleanups.reconcile(world.ports).requeued == {cleanup.id: [poison["batch"]]}
        world.queue.take()
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    # Then it gave up: the poison batch's records are errors, and the cleanup settled exactly
    assert report.given_up == [cleanup.id]
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count, after.errors_count) == ("completed", 8, 4)
    assert set(after.errors_log) == set(doomed[8:])
    assert world.records.ids(TENANT, "skus") == set(doomed[8:])


def test_reconcile_settles_a_fully_counted_cleanup_its_worker_left_unsettled() -> None:
    # Given a cleanup of two skus whose only sub-batch was counted, the worker dying before settling
    world = World()
    skus(world, 2)
    cleanup = create(world)
    world.queue.take()
    running = world.cleanups.get(TENANT, cleanup.id)
    started = start(running, world.clock.now())
    world.cleanups.transition(running, started, world.ports.events.recorded_change(running, started, WORKER))
    world.cleanups.count_sub_batch(TENANT, cleanup.id, 0, 2, 0, {}, "2025-01-01T12:00:01.000Z")
    # When the reconciler runs
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    # Then it completed the cleanup without requeuing anything but its report, reported as the worker
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"
    assert report.requeued == {} and [m["kind"] for m in world.queue.messages] == ["cleanup_report"]
    assert world.events.statuses(cleanup.id) == ["in_progress", "completed"]
    assert world.events.whos(cleanup.id) == [WORKER.who, WORKER.who]
