"""The batch worker on in-memory fakes: duplicated, reordered and crashed deliveries, interrupts, budgets."""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.tenancy import Tenant
from tests.unit.fakes import START, World, settings
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus


def final(world: World, cleanup: Cleanup) -> Cleanup:
    return world.cleanups.get(TENANT, cleanup.id)


def assert_exact(world: World, cleanup: Cleanup, doomed: list[str]) -> Cleanup:
    """Counts add up, and the records left are exactly those not counted processed."""
    after = final(world, cleanup)
    left = world.records.ids(TENANT, "skus") & set(doomed)
    assert len(doomed) - len(left) == after.processed_count
    assert set(after.errors_log) <= left
    if after.status == "completed":
        assert after.processed_count + after.errors_count == after.records_count
    return after


def touch(world: World, record_id: str) -> None:
    """A client changes the record after the cleanup was created."""
    world.records.records[(TENANT.key, "skus", record_id)]["updated_at"] = "2999-01-01T00:00:00.000Z"


def test_process_batch_deletes_counts_and_completes_the_cleanup() -> None:
    # Given a cleanup of nine skus (three messages)
    world = World()
    doomed = skus(world, 9)
    skus(world, 2, prefix="KEEP")
    cleanup = create(world, filters={"code_start": "DEL"})
    # When every message is delivered once
    assert world.drain() == 0
    # Then it completed with exact counts, started and completed once, and the other skus remain
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count, after.errors_count) == ("completed", 9, 0)
    assert after.started_at and after.completed_at
    assert world.events.statuses(cleanup.id) == ["in_progress", "completed"]
    assert world.records.ids(TENANT, "skus") == {"KEEP000", "KEEP001"}
    assert world.cleanups.slots[TENANT.key] == 0


def test_process_batch_counts_once_and_deletes_once_when_the_same_message_comes_twice() -> None:
    # Given a cleanup of eight skus (two messages of two sub-batches each)
    world = World()
    doomed = skus(world, 8)
    cleanup = create(world)
    first, second = world.queue.take()
    # When the first message is delivered twice before the second arrives
    world.deliver([first, first, second])
    # Then each record is counted once, each transition happened once, and the duplicate deleted nothing
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count) == ("completed", 8)
    assert world.events.statuses(cleanup.id) == ["in_progress", "completed"]
    assert len(world.records.calls) == 4


def crashing(world: World, at: int) -> tuple[list[str], Cleanup, dict[str, Any]]:
    """A cleanup of four skus (one message) whose worker will die at its `at`-th delete: the skus, it, its message."""
    doomed = skus(world, 4)
    cleanup = create(world)
    world.records.crash_on = {at}
    [body] = world.queue.take()
    return doomed, cleanup, body


def last_first(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return bodies[::-1]


def each_thrice_shuffled(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    tripled = bodies * 3
    random.Random(7).shuffle(tripled)
    return tripled


@pytest.mark.parametrize(("count", "order"), [(11, last_first), (20, each_thrice_shuffled)],
                         ids=["last-first", "each-thrice-shuffled"])
def test_process_batch_counts_exactly_whatever_the_order_and_repetition_of_delivery(
        count: int, order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    # Given a cleanup of several messages
    world = World()
    doomed = skus(world, count)
    cleanup = create(world)
    # When the messages arrive reordered (and, for one order, each three times)
    world.drain(order=order)
    # Then it completes once the last sub-batch, wherever it was, is counted, and nothing is counted twice
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count) == ("completed", count)
    assert world.events.statuses(cleanup.id) == ["in_progress", "completed"]


def test_process_batch_finishes_a_sub_batch_a_crashed_delivery_left_half_done() -> None:
    # Given a cleanup of four skus, whose worker dies half-way through its second sub-batch
    world = World()
    doomed, cleanup, body = crashing(world, at=2)
    # When the message fails, then comes back
    assert world.deliver([body]) == [body]
    half = final(world, cleanup)
    world.deliver([body])
    # Then the first delivery counted only its finished sub-batch; the redelivery finished the other once
    assert (half.status, half.processed_count, half.counted, half.started) == ("in_progress", 2, {0}, {0, 1})
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count) == ("completed", 4)
    assert world.records.ids(TENANT, "skus") == set()


def test_process_batch_begins_no_sub_batch_after_an_interrupt() -> None:
    # Given a cleanup of eight skus, interrupted by its client while the first sub-batch is deleted
    world = World()
    doomed = skus(world, 8)
    cleanup = create(world)

    def interrupt_once() -> None:
        if len(world.records.calls) == 1:
            cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)

    world.records.after_delete = interrupt_once
    # When every message is delivered
    world.drain()
    # Then only the sub-batch in flight was deleted, and it was counted
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count) == ("interrupted", 2)
    assert len(world.records.calls) == 1
    assert world.events.statuses(cleanup.id) == ["in_progress", "interrupted"]


def test_process_batch_begins_each_following_sub_batch_with_the_count_before_it() -> None:
    # Given an unthrottled cleanup of eight skus: two batches of two sub-batches
    world = World()
    doomed = skus(world, 8)
    cleanup = create(world)
    starts: list[int] = []
    start_sub_batch = world.cleanups.start_sub_batch

    def counted_start(tenant: Tenant, cleanup_id: str, number: int, pace: Any = None) -> bool:
        starts.append(number)
        return start_sub_batch(tenant, cleanup_id, number, pace)

    world.cleanups.start_sub_batch = counted_start  # type: ignore[method-assign]
    # When every message is delivered
    world.drain()
    # Then each delivery began its first sub-batch with a write of its own and the second with the first's count
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count, after.started) == ("completed", 8, {0, 1, 2, 3})
    assert sorted(starts) == [0, 2]


def test_process_batch_finishes_a_begun_sub_batch_after_an_interrupt() -> None:
    # Given a cleanup of four skus whose worker died inside its first sub-batch
    world = World()
    doomed, cleanup, body = crashing(world, at=1)
    world.deliver([body])
    # When the client interrupts it before the message comes back
    cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    world.deliver([body])
    # Then the begun sub-batch was finished and counted, the other never begun
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count, after.started) == ("interrupted", 2, {0})
    assert world.records.ids(TENANT, "skus") == set(doomed[2:])


def test_process_batch_keeps_and_logs_a_record_modified_after_creation() -> None:
    # Given a cleanup of twelve skus, one of them changed after it was created
    world = World()
    doomed = skus(world, 12)
    cleanup = create(world)
    touch(world, doomed[5])
    # When every message is delivered
    world.drain()
    # Then that record survives, logged as an error; the others are processed
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count, after.errors_count) == ("completed", 11, 1)
    assert after.errors_log == {doomed[5]: {"updated_at": ["has been modified after the cleanup was created"]}}
    assert world.records.ids(TENANT, "skus") == {doomed[5]}


@pytest.mark.parametrize("batch_size", [4, 8])
def test_process_batch_interrupts_the_cleanup_past_its_error_budget(batch_size: int) -> None:
    # Given a cleanup of eight skus whose first two were changed since (25 % > 10 %), in sub-batches of
    # two: two batches, or one whose first count (past the budget) would begin the next sub-batch
    world = World(settings=settings(batch_size=batch_size))
    doomed = skus(world, 8)
    cleanup = create(world)
    touch(world, doomed[0])
    touch(world, doomed[1])
    # When every message is delivered
    world.drain()
    # Then the first sub-batch's errors interrupted it, and no other sub-batch began
    after = assert_exact(world, cleanup, doomed)
    assert (after.status, after.processed_count, after.errors_count, after.started) == ("interrupted", 0, 2, {0})
    assert after.interrupted_at and len(world.records.calls) == 1
    assert world.events.statuses(cleanup.id) == ["in_progress", "interrupted"]
    assert world.cleanups.slots[TENANT.key] == 0


def test_process_batch_bounds_the_errors_log_but_counts_every_error() -> None:
    # Given a log capped at one entry and a cleanup of four skus, all changed since
    world = World(settings=settings(errors_log_cap=1, error_budget_ratio=1.0))
    doomed = skus(world, 4)
    cleanup = create(world)
    for record_id in doomed:
        touch(world, record_id)
    # When every message is delivered
    world.drain()
    # Then every error is counted and only the first is logged
    after = final(world, cleanup)
    assert (after.status, after.errors_count, list(after.errors_log)) == ("completed", 4, [doomed[0]])


def test_process_batch_of_a_deleted_cleanup_does_nothing() -> None:
    # Given a cleanup deleted before its message arrives
    world = World()
    skus(world, 4)
    cleanup = create(world)
    cleanups.delete_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # When the message is delivered, then it succeeds without deleting anything
    assert world.drain() == 0
    assert world.records.calls == [] and len(world.records.ids(TENANT, "skus")) == 4


def test_process_batch_leaves_other_tenants_records_alone() -> None:
    # Given a sku of another tenant with the same id as one being cleaned up
    world = World()
    doomed = skus(world, 2)
    other = Tenant("org-beta", "test")
    world.records.add(other, "skus", doomed[0], START - timedelta(days=1), code=doomed[0])
    cleanup = create(world)
    # When the cleanup runs
    world.drain()
    # Then only its tenant's records are gone
    assert final(world, cleanup).status == "completed"
    assert world.records.ids(other, "skus") == {doomed[0]}
