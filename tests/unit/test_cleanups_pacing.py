"""The throttle on in-memory fakes: slot arithmetic, racing workers, the give-back path, rate changes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.domain import pacing
from chalicelib.cleanups.exceptions import ThrottleFinishedError
from chalicelib.exceptions import ValidationError
from tests.unit.fakes import AdvancingClock, World, settings
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus


@dataclass
class InterleavingClock(AdvancingClock):
    """A clock whose sleeps first run `during_sleep` once each: another worker acting while this one waits."""

    during_sleep: list[Callable[[], object]] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        if self.during_sleep:
            self.during_sleep.pop(0)()
        super().sleep(seconds)


def deletions(world: World) -> list[tuple[float, int]]:
    """(moment, records) of every sub-batch delete, recorded as the fake store is called."""
    seen: list[tuple[float, int]] = []

    def record() -> None:
        seen.append((world.clock.moment.timestamp(), len(world.records.calls[-1])))
    world.records.after_delete = record
    return seen


def most_in_a_window(moments: list[tuple[float, int]], seconds: float) -> int:
    return max(sum(n for t, n in moments if start <= t < start + seconds) for start, _ in moments)


def test_plan_takes_the_next_free_slot_and_moves_it_by_the_sub_batch_share_of_the_rate() -> None:
    # Given a cleanup at 50 records per second whose next slot begins in one second
    cleanup = replace(_cleanup(), max_records_per_second=50, paced_until=101.0)
    # When a sub-batch of 25 plans now (100.0), and later (105.0)
    soon, late = pacing.plan(cleanup, 25, 100.0), pacing.plan(cleanup, 25, 105.0)
    # Then it begins at the free slot, half a second long; a later one begins at once
    assert (soon.begins, soon.until, soon.was, soon.rate) == (101.0, 101.5, 101.0, 50)
    assert (late.begins, late.until) == (105.0, 105.5)


def test_plan_without_a_throttle_begins_now_and_moves_nothing() -> None:
    cleanup = _cleanup()
    pace = pacing.plan(cleanup, 25, 100.0)
    assert (pace.begins, pace.until, pace.rate) == (100.0, None, None) and not pacing.too_far(pace, 100.0)


def test_slot_further_than_the_wait_is_given_back_delayed_about_until_it_begins() -> None:
    cleanup = replace(_cleanup(), max_records_per_second=1, paced_until=130.6)
    pace = pacing.plan(cleanup, 1, 100.0)
    assert pacing.too_far(pace, 100.0) and pacing.give_back_delay(pace, 100.0) == 30
    far = pacing.plan(replace(cleanup, paced_until=5000.0), 1, 100.0)
    assert pacing.give_back_delay(far, 100.0) == pacing.MAX_DELAY_SECONDS


@pytest.mark.parametrize(("configured", "rate", "expected"), [(100, None, 100), (100, 200, 100), (100, 30, 30),
                                                               (100, 1, 1)])
def test_throttled_sub_batches_hold_at_most_one_second_of_records(configured: int, rate: int | None,
                                                                  expected: int) -> None:
    assert pacing.sub_batch_size(configured, rate) == expected


def test_create_cleanup_keeps_its_throttle_and_sizes_sub_batches_to_it() -> None:
    # Given ten skus and sub-batches of two
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 10)
    # When a cleanup is created at one record per second
    cleanup = create(world, max_records_per_second=1)
    # Then it is throttled, with one-record sub-batches
    assert cleanup.attributes()["max_records_per_second"] == 1
    assert (cleanup.sub_batch_size, cleanup.sub_batch_count) == (1, 10)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True, 10**40])
def test_create_cleanup_refuses_a_throttle_that_is_not_a_positive_integer(bad: object) -> None:
    world = World()
    with pytest.raises(ValidationError) as refused:
        create(world, max_records_per_second=bad)
    assert refused.value.details[0].pointer == "/data/attributes/max_records_per_second"


def test_throttled_worker_deletes_no_faster_than_the_rate() -> None:
    # Given forty skus throttled to four records per second (sub-batches of two)
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 40)
    create(world, max_records_per_second=4)
    seen = deletions(world)
    # When every message is delivered
    world.drain(rounds=50)
    # Then every record went, half a second apart per sub-batch, never over 40 in ten seconds
    assert world.records.ids(TENANT, "skus") == set()
    starts = [t for t, _ in seen]
    assert all(b - a >= 0.5 for a, b in zip(starts, starts[1:], strict=False))
    assert most_in_a_window(seen, 10.0) <= 40 + 2  # ten seconds of slots, plus the sub-batch at the edge
    assert max(world.clock.slept) <= pacing.MAX_WAIT_SECONDS


def test_racing_workers_take_successive_slots() -> None:
    # Given a throttled cleanup of two batches, and a clock under which the second batch's worker runs
    # while the first one waits for its slot
    clock = InterleavingClock()
    world = World(settings=settings(sub_batch_size=2, batch_size=4), clock=clock)
    skus(world, 8)
    create(world, max_records_per_second=2)
    first, second = world.queue.take()
    seen = deletions(world)
    clock.during_sleep.append(lambda: world.deliver([second]))
    # When the first batch's worker is delivered
    world.deliver([first])
    world.drain(rounds=50)
    # Then no two sub-batches shared a slot: each began a second after the previous one (give or take the
    # fake clock's 10 ms ticks between a slot's start and the delete's record)
    starts = sorted(t for t, _ in seen)
    assert len(starts) == 4 and all(b - a >= 0.95 for a, b in zip(starts, starts[1:], strict=False))
    assert world.cleanups.get(TENANT, world.cleanups.list_for(TENANT)[0].id).status == "completed"


def test_worker_gives_a_far_slot_back_with_a_delay_and_begins_nothing() -> None:
    # Given a throttled cleanup whose next slot other workers pushed thirty seconds away
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 4)
    cleanup = create(world, max_records_per_second=2)
    key = (TENANT.key, cleanup.id)
    world.cleanups.cleanups[key] = replace(world.cleanups.cleanups[key],
                                           paced_until=world.clock.moment.timestamp() + 30)
    message = world.queue.take()
    # When its message is delivered
    failed = world.deliver(message)
    # Then it succeeded (acknowledged), began nothing, and the same message is back, delayed about 30 s
    assert failed == [] and world.records.calls == []
    assert world.cleanups.get(TENANT, cleanup.id).started == frozenset()
    assert world.queue.messages == message and world.queue.delays[-1] in (29, 30)
    # And delivered when the delay is over, it deletes everything
    world.clock.advance(world.queue.delays[-1])
    world.drain(rounds=50)
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"


def test_throttled_delivery_gives_back_the_rest_of_its_batch_past_its_time_budget() -> None:
    # Given one batch of a hundred skus throttled to two records per second: 50 s of slots
    world = World(settings=settings(sub_batch_size=2, batch_size=100))
    skus(world, 100)
    cleanup = create(world, max_records_per_second=2)
    message = world.queue.take()
    received = world.clock.moment.timestamp()
    # When its message is delivered
    failed = world.deliver(message)
    # Then it began no slot past BATCH_SECONDS of its start, and sent the rest of the batch back
    after = world.cleanups.get(TENANT, cleanup.id)
    assert failed == [] and world.clock.moment.timestamp() - received <= pacing.BATCH_SECONDS + 2
    assert after.processed_count == 2 * len(after.counted) < 100
    assert world.queue.messages == message
    # And delivered again, the batch goes on from where it stopped and completes, each record counted once
    world.drain(rounds=50)
    done = world.cleanups.get(TENANT, cleanup.id)
    assert (done.status, done.processed_count) == ("completed", 100)
    assert world.records.ids(TENANT, "skus") == set()


def test_given_back_message_delivered_twice_counts_once() -> None:
    # Given a given-back message that a crash left duplicated (re-sent, and redelivered too)
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    doomed = skus(world, 4)
    cleanup = create(world, max_records_per_second=2)
    key = (TENANT.key, cleanup.id)
    world.cleanups.cleanups[key] = replace(world.cleanups.cleanups[key],
                                           paced_until=world.clock.moment.timestamp() + 10)
    message = world.queue.take()
    world.deliver(message)
    # When both copies are delivered after the delay
    world.clock.advance(10)
    world.queue.messages += message
    world.drain(rounds=50)
    # Then each record was counted once
    after = world.cleanups.get(TENANT, cleanup.id)
    assert (after.status, after.processed_count) == ("completed", len(doomed))


def test_interrupt_while_a_worker_waits_for_its_slot_lets_only_that_sub_batch_finish() -> None:
    # Given a throttled cleanup and a client interrupting it while the worker waits for its first slot
    clock = InterleavingClock()
    world = World(settings=settings(sub_batch_size=2, batch_size=4), clock=clock)
    skus(world, 4)
    cleanup = create(world, max_records_per_second=2)
    key = (TENANT.key, cleanup.id)
    world.cleanups.cleanups[key] = replace(world.cleanups.cleanups[key],
                                           paced_until=world.clock.moment.timestamp() + 1)
    clock.during_sleep.append(lambda: cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR))
    # When its message is delivered
    world.drain(rounds=50)
    # Then the sub-batch it had begun was deleted and counted, and no other
    after = world.cleanups.get(TENANT, cleanup.id)
    assert (after.status, after.processed_count, len(world.records.calls)) == ("interrupted", 2, 1)


def test_rate_change_paces_the_next_sub_batch() -> None:
    # Given a cleanup at one record per second and a client raising it to 100 after the first sub-batch
    world = World(settings=settings(sub_batch_size=2, batch_size=8))
    skus(world, 8)
    cleanup = create(world, max_records_per_second=2)
    seen = deletions(world)
    world.records.after_delete = lambda: (seen.append((world.clock.moment.timestamp(), 2)), len(seen) == 1 and
                                          cleanups.update_cleanup(world.ports, TENANT, cleanup.id,
                                                                  {"max_records_per_second": 100}, ACTOR))
    # When its one message is delivered
    world.drain(rounds=50)
    # Then the second sub-batch waited its one-second slot, the next ones only 0.02 s each
    starts = [t for t, _ in seen]
    gaps = [round(b - a, 2) for a, b in zip(starts, starts[1:], strict=False)]
    assert gaps[0] >= 1.0 and all(g < 0.1 for g in gaps[1:])
    assert [v.changes.get("max_records_per_second") for v in world.events.versions
            if "max_records_per_second" in v.changes] == [[2, 100]]


def test_rate_change_on_a_finished_cleanup_is_refused() -> None:
    world = World()
    cleanup = create(world)  # nothing selected: born completed
    with pytest.raises(ThrottleFinishedError) as refused:
        cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"max_records_per_second": 5}, ACTOR)
    assert refused.value.details[0].pointer == "/data/attributes/max_records_per_second"


def test_rate_removed_lets_the_cleanup_run_unthrottled() -> None:
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 8)
    cleanup = create(world, max_records_per_second=1)
    after = cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"max_records_per_second": None}, ACTOR)
    world.drain(rounds=50)
    assert after.max_records_per_second is None and world.clock.slept == []
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"


def _cleanup() -> Cleanup:
    return Cleanup(tenant=TENANT, id="c1", resource_type="skus", filters={}, created_at="x", updated_at="x")
