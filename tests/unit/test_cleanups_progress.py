"""Progress on in-memory fakes: the arithmetic, the attributes, and one event per 10 % step whatever
the queue does (duplicates, reordering, crashes, racing workers)."""
from __future__ import annotations

import random

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup, progress
from chalicelib.events import Webhook
from chalicelib.events.model import PROGRESS, derived_id
from tests.unit.fakes import START, World, settings
from tests.unit.test_cleanups_services import TENANT, create, skus

STALE = 301


def progress_ids(world: World, cleanup: Cleanup) -> list[str]:
    return [e.id for e in world.events.events if e.resource_id == cleanup.id and e.name == PROGRESS]


def every_step(cleanup: Cleanup) -> list[str]:
    return sorted(derived_id(TENANT.key, cleanup.id, PROGRESS, str(step)) for step in range(1, 10))


@pytest.mark.parametrize(("counted", "records", "expected"), [
    (0, 10, 0.0), (1, 3, 33.3), (2, 3, 66.6), (9999, 10000, 99.9), (10000, 10000, 100.0), (0, 0, 100.0)])
def test_percent_has_one_decimal_and_reads_100_only_when_everything_is_counted(counted: int, records: int,
                                                                              expected: float) -> None:
    assert progress.percent(counted, records) == expected


def test_crossed_steps_partition_every_count_sequence() -> None:
    # Given random count sequences over random sizes
    rng = random.Random(7)
    for _ in range(300):
        records = rng.randint(1, 60)
        total, steps = 0, []
        while total < records:
            added = rng.randint(1, records - total)
            steps += progress.crossed(total, added, records)
            total += added
        # Then each step is crossed exactly once, in order
        assert steps == list(range(1, 10))


def test_missing_steps_are_those_the_total_reached_without_their_event() -> None:
    # 23 records: the steps' thresholds are 3, 5, 7, 10, 12, 14, 17, 19, 21
    assert progress.missing(0, 23, set()) == []
    assert progress.missing(5, 23, set()) == [1, 2]
    assert progress.missing(5, 23, {1}) == [2]
    assert progress.missing(11, 23, {1, 3}) == [2, 4]
    assert progress.missing(23, 23, set(range(1, 10))) == []


def test_rate_and_completion_come_from_the_recent_samples() -> None:
    samples = {"0": [100.0, 10], "1": [101.0, 10], "2": [102.0, 10]}
    assert progress.rate(samples) == 10.0
    assert progress.completion(samples, 50) == "1970-01-01T00:01:47.000Z"
    assert progress.rate({"0": [100.0, 10]}) is None and progress.completion({}, 5) is None


def test_in_progress_cleanup_shows_its_progress_rate_and_eta_and_a_finished_one_no_rate() -> None:
    # Given twenty skus (ten sub-batches of two), half of them counted a second apart
    world = World(settings=settings(sub_batch_size=2, batch_size=10))
    skus(world, 20)
    cleanup = create(world)
    first, second = world.queue.take()
    world.records.after_delete = lambda: world.clock.advance(1)
    world.deliver([first])
    # Then it reads 50 %, two records a second, and done in five seconds more
    half = world.cleanups.get(TENANT, cleanup.id).attributes()
    assert (half["status"], half["progress_percent"]) == ("in_progress", 50.0)
    assert 1.9 <= half["records_per_second"] <= 2.0  # the fake clock ticks 10 ms on every reading
    assert half["estimated_completion_at"] is not None
    # And once completed: 100 %, no rate, no estimate, and no version about them
    world.deliver([second])
    done = world.cleanups.get(TENANT, cleanup.id).attributes()
    assert (done["progress_percent"], done["records_per_second"], done["estimated_completion_at"]) == (
        100.0, None, None)
    assert all(not {"progress_percent", "records_per_second"} & set(v.changes) for v in world.events.versions)


@pytest.mark.parametrize("seed", range(8))
def test_progress_events_fire_once_per_step_under_duplicates_reordering_and_crashes(seed: int) -> None:
    # Given twenty-one skus (eleven sub-batches), a queue that duplicates and shuffles, and crashing deletes
    rng = random.Random(seed)
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 21)
    cleanup = create(world)
    world.records.crash_on = {3, 7}

    def chaos(bodies: list[dict[str, object]]) -> list[dict[str, object]]:
        doubled = bodies + [b for b in bodies if rng.random() < 0.5]
        rng.shuffle(doubled)
        return doubled
    # When it all runs
    world.drain(order=chaos, rounds=50)
    # Then it completed with one event per step, each under its own derived id
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"
    assert sorted(progress_ids(world, cleanup)) == every_step(cleanup)


@pytest.mark.parametrize("point", ["count_sub_batch:before", "count_sub_batch:after", "mark_dispatched"])
def test_progress_event_survives_a_crash_around_its_count(point: str) -> None:
    # Given webhooks-free world whose process dies around the first count crossing a step
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 10)
    cleanup = create(world)
    world.faults.arm(point)
    # When the worker and the reconciler run until quiet
    for _ in range(4):
        world.drain(rounds=50)
        world.clock.advance(STALE)
        cleanups.reconcile(world.ports)
    # Then the fault fired, every step has its one event, and none is left undispatched
    assert world.faults.fired == [point]
    assert sorted(progress_ids(world, cleanup)) == every_step(cleanup)
    assert world.events.outbox == {}


def test_racing_worker_counting_from_a_stale_read_plans_its_steps_again() -> None:
    # Given ten skus in two batches, and a second worker that counts its whole batch while the first
    # one is deleting (so the first one's reading of the counts is stale when it counts)
    world = World(settings=settings(sub_batch_size=2, batch_size=6))
    skus(world, 10)
    cleanup = create(world)
    first, second = world.queue.take()
    racing = [lambda: world.deliver([second])]
    world.records.after_delete = lambda: racing.pop()() if racing else None
    # When the first batch is delivered
    world.deliver([first])
    # Then the counts are exact and each step fired once
    after = world.cleanups.get(TENANT, cleanup.id)
    assert (after.status, after.processed_count, after.counted_records) == ("completed", 10, 10)
    assert sorted(progress_ids(world, cleanup)) == every_step(cleanup)


def stale_plans_missing_step_one() -> tuple[World, Cleanup, dict[str, object], list[dict[str, object]]]:
    """A hundred skus in batches of one sub-batch of five; the second batch is delivered (and counted)
    while the first one deletes. The world, the cleanup, the first batch's message, the other messages."""
    world = World(settings=settings(sub_batch_size=5, batch_size=5))
    skus(world, 100)
    cleanup = create(world)
    first, second, *rest = world.queue.take()
    racing = [lambda: world.deliver([second])]
    world.records.after_delete = lambda: racing.pop()() if racing else None
    return world, cleanup, first, rest


def test_count_crossing_a_step_its_stale_plan_missed_records_it_right_after() -> None:
    # Given a hundred skus in batches of one sub-batch of five, and a second worker that counts its batch
    # while the first one is deleting: the first one plans its count from 0 (no step), but it brings 5 to 10
    world, cleanup, first, rest = stale_plans_missing_step_one()
    # When the first batch is delivered
    world.deliver([first])
    # Then its count was not refused, and the step it crossed unplanned (10 %) is recorded already
    after = world.cleanups.get(TENANT, cleanup.id)
    assert (after.counted, after.counted_records, after.progress_steps) == ({0, 1}, 10, {1})
    assert progress_ids(world, cleanup) == [derived_id(TENANT.key, cleanup.id, PROGRESS, "1")]
    # And once everything ran, each step fired once
    world.deliver(rest)
    world.drain()
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"
    assert sorted(progress_ids(world, cleanup)) == every_step(cleanup)


@pytest.mark.parametrize("point", ["record_steps:before", "record_steps:after"])
def test_step_a_stale_plan_missed_survives_a_crash_around_its_recording(point: str) -> None:
    # Given the racing workers above, the first one's process dying around recording the step it missed
    world, cleanup, first, rest = stale_plans_missing_step_one()
    world.faults.arm(point)
    # When its message comes back, and everything runs with the reconciler until quiet
    assert world.deliver([first]) == [first]
    world.deliver([first, *rest])
    for _ in range(3):
        world.drain(rounds=50)
        world.clock.advance(STALE)
        cleanups.reconcile(world.ports)
    # Then the fault fired, it completed, every step has its one event, and none is left undispatched
    assert world.faults.fired == [point]
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"
    assert sorted(progress_ids(world, cleanup)) == every_step(cleanup)
    assert world.events.outbox == {}


def test_progress_deliveries_carry_the_cleanup_as_counted_at_their_step() -> None:
    # Given a webhook on cleanups.progress and ten skus in sub-batches of five
    world = World(settings=settings(sub_batch_size=5, batch_size=5))
    moment = START.isoformat()
    world.events.hooks = [Webhook(tenant=TENANT, id="hook", topic=PROGRESS, callback_url="https://example.com/h",
                                  shared_secret="s", created_at=moment, updated_at=moment)]
    skus(world, 10)
    create(world)
    # When it runs
    world.drain()
    world.drain()
    # Then nine deliveries went out, the first five at 50 % (the first count), the last four at 100 %
    percents = sorted(d["resource"]["attributes"]["progress_percent"] for d in world.deliveries)
    assert percents == [50.0] * 5 + [100.0] * 4
