"""Resuming an interrupted restore on in-memory fakes: the rest restored, every sub-batch counted once."""
from __future__ import annotations

import random
from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.exceptions import RestoreNotAllowedError
from chalicelib.events.model import Recorded
from tests.unit.fakes import World, settings
from tests.unit.test_cleanups_restore import DAY, assert_restored_exactly, cleaned, final, restore
from tests.unit.test_cleanups_services import ACTOR, TENANT


def interrupt(world: World, cleanup: Cleanup) -> Cleanup:
    return cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"_interrupt": True}, ACTOR)


def interrupted_after(world: World, cleanup: Cleanup, delivered: int) -> list[dict[str, Any]]:
    """Restore `cleanup`, deliver its first `delivered` messages, interrupt it; the messages never delivered."""
    restore(world, cleanup)
    bodies = world.queue.take()
    world.deliver(bodies[:delivered])
    interrupt(world, cleanup)
    return bodies[delivered:]


def restore_statuses(world: World, since: int) -> list[list[Any]]:
    return [v.changes["restore_status"] for v in world.events.versions[since:] if "restore_status" in v.changes]


def test_resume_of_an_interrupted_restore_restores_the_rest_and_counts_each_record_once() -> None:
    # Given a restore of eight skus (four sub-batches) interrupted once its first sub-batch was counted
    world = World()
    cleanup, before = cleaned(world, 8)
    interrupted_after(world, cleanup, 1)
    stopped = final(world, cleanup)
    assert (stopped.restore_status, stopped.restored_count, stopped.restore_counted) == ("interrupted", 2, {0})
    since = len(world.events.versions)
    # When its client asks for the restore again
    resumed = restore(world, cleanup)
    # Then it is pending with its counts kept, recorded like a first request, and only the rest is sent
    assert (resumed.restore_status, resumed.restored_count, resumed.restore_errors_count) == ("pending", 2, 0)
    assert [m["sub_batch"] for m in world.queue.messages] == [1, 2, 3]
    assert restore_statuses(world, since) == [["interrupted", "pending"]]
    assert world.events.versions[-1].who == ACTOR.who
    # And once delivered, every record is back, each sub-batch restored and counted once
    assert world.drain() == 0
    after = assert_restored_exactly(world, cleanup, before)
    assert (after.restored_count, after.restore_counted, world.records.restore_calls) == (8, set(range(4)),
                                                                                          [0, 1, 2, 3])
    assert restore_statuses(world, since) == [
        ["interrupted", "pending"], ["pending", "in_progress"], ["in_progress", "completed"]]


def test_resume_finishes_a_sub_batch_begun_but_not_counted_at_the_interrupt() -> None:
    # Given a restore whose worker died half-way through sub-batch 0, interrupted before it came back
    world = World()
    cleanup, before = cleaned(world, 4)
    world.records.restore_crash_on = {1}
    never = interrupted_after(world, cleanup, 1)
    world.deliver(never)  # sub-batch 1 arrives after the interrupt: it never begins
    stopped = final(world, cleanup)
    assert (stopped.restore_status, stopped.restore_started, stopped.restore_counted) == ("interrupted", {0}, set())
    assert world.records.ids(TENANT, "skus") == {"DEL000"}  # half of sub-batch 0 is back, uncounted
    since = len(world.events.versions)
    # When the restore is resumed and the begun sub-batch's message delivered first
    restore(world, cleanup)
    begun_before, rest = world.queue.take()
    assert (begun_before["sub_batch"], rest["sub_batch"]) == (0, 1)
    world.deliver([begun_before])
    # Then the begun sub-batch is finished, the record already back counted once, and the restore in progress
    going = final(world, cleanup)
    assert (going.restore_status, going.restored_count, going.restore_counted) == ("in_progress", 2, {0})
    # And the other sub-batch completes it
    world.deliver([rest])
    after = assert_restored_exactly(world, cleanup, before)
    assert after.restored_count == 4 and after.restore_counted == {0, 1}
    assert restore_statuses(world, since) == [
        ["interrupted", "pending"], ["pending", "in_progress"], ["in_progress", "completed"]]


def test_resume_counts_each_sub_batch_once_when_old_and_new_messages_come_twice_out_of_order() -> None:
    # Given a restore of twenty skus (ten sub-batches) interrupted after three, whose seven other messages linger
    world = World()
    cleanup, before = cleaned(world, 20)
    lingering = interrupted_after(world, cleanup, 3)
    # When it is resumed, and the lingering and the new messages all arrive twice, shuffled
    restore(world, cleanup)
    bodies = (lingering + world.queue.take()) * 2
    random.Random(11).shuffle(bodies)
    world.deliver(bodies)
    world.drain()
    # Then each sub-batch was restored once and counted once, and the counts add up to what was deleted
    after = assert_restored_exactly(world, cleanup, before)
    assert after.restored_count + after.restore_errors_count == after.processed_count == 20
    assert sorted(world.records.restore_calls) == list(range(10))


def test_resume_of_a_restore_whose_begun_sub_batches_were_all_counted_completes_at_once() -> None:
    # Given a restore of two skus interrupted while its only sub-batch was put back (then counted)
    world = World()
    cleanup, before = cleaned(world, 2)
    restore(world, cleanup)

    def interrupt_in_flight() -> None:
        interrupt(world, cleanup)

    world.records.after_restore = interrupt_in_flight
    world.drain()
    world.records.after_restore = None
    assert (final(world, cleanup).restore_status, final(world, cleanup).restored_count) == ("interrupted", 2)
    # When it is resumed, then it completes at once without sending anything
    resumed = restore(world, cleanup)
    assert (resumed.restore_status, resumed.restored_count, world.queue.messages) == ("completed", 2, [])
    assert_restored_exactly(world, cleanup, before)


def test_resume_settles_when_its_last_sub_batch_is_counted_while_it_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an interrupted restore of four skus whose sub-batch 1 died after it began, its message coming back
    world = World()
    cleanup, before = cleaned(world, 4)
    world.records.restore_crash_on = {2}
    restore(world, cleanup)
    first, second = world.queue.take()
    world.deliver([first, second])
    interrupt(world, cleanup)
    real = world.cleanups.restore_transition

    def counted_meanwhile(before_: Cleanup, after_: Cleanup, recorded: Recorded) -> bool:
        monkeypatch.setattr(world.cleanups, "restore_transition", real)
        world.deliver([second])  # the old worker finishes sub-batch 1 between the resume's read and its write
        return real(before_, after_, recorded)

    monkeypatch.setattr(world.cleanups, "restore_transition", counted_meanwhile)
    # When the restore is resumed (its message names a sub-batch counted meanwhile) and delivered
    restore(world, cleanup)
    assert [m["sub_batch"] for m in world.queue.messages] == [1]
    world.drain()
    # Then that delivery completes the restore, every sub-batch counted once
    after = assert_restored_exactly(world, cleanup, before)
    assert after.restored_count == 4 and sorted(world.records.restore_calls) == [0, 1, 1]


@pytest.mark.parametrize("delivered, status", [(0, "pending"), (1, "in_progress")])
def test_request_restore_while_a_restore_runs_is_refused(delivered: int, status: str) -> None:
    # Given a restore of six skus, pending or in progress
    world = World()
    cleanup, _ = cleaned(world, 6)
    restore(world, cleanup)
    bodies = world.queue.take()
    world.deliver(bodies[:delivered])
    versions = len(world.events.versions)
    # When it is asked again, then it is refused and nothing changes
    with pytest.raises(RestoreNotAllowedError, match=status):
        restore(world, cleanup)
    assert (final(world, cleanup).restore_status, len(world.events.versions), world.queue.messages) == (
        status, versions, [])


def test_request_restore_of_a_resumed_restore_is_refused_while_it_runs_and_once_completed() -> None:
    # Given a resumed restore
    world = World()
    cleanup, _ = cleaned(world, 6)
    interrupted_after(world, cleanup, 1)
    restore(world, cleanup)
    sent = list(world.queue.messages)
    # When it is asked again while pending, then after it completed, then both are refused
    with pytest.raises(RestoreNotAllowedError, match="pending"):
        restore(world, cleanup)
    assert world.queue.messages == sent
    world.drain()
    with pytest.raises(RestoreNotAllowedError, match="completed"):
        restore(world, cleanup)
    assert final(world, cleanup).restored_count == 6 and world.queue.messages == []


def test_resume_outside_the_window_is_refused() -> None:
    # Given a restore interrupted under a two-day window
    world = World(settings=settings(restore_window_days=2))
    cleanup, _ = cleaned(world, 4)
    interrupted_after(world, cleanup, 1)
    # When its window has passed, then it cannot be resumed
    world.clock.advance(2 * DAY)
    with pytest.raises(RestoreNotAllowedError, match="restorable until"):
        restore(world, cleanup)
    assert (final(world, cleanup).restore_status, world.queue.messages) == ("interrupted", [])
