"""Progress on in-memory fakes: the arithmetic, the attributes, and one event per 10 % step whatever
the queue does (duplicates, reordering, crashes, racing workers)."""
from __future__ import annotations

import random

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.domain import progress
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


def with_progress_hook(world: World) -> None:
    moment = START.isoformat()
    world.events.hooks = [Webhook(tenant=TENANT, id="hook", topic=PROGRESS, callback_url="https://example.com/h",
                                  shared_secret="s", created_at=moment, updated_at=moment)]


def delivered_percents(world: World) -> list[float]:
    return sorted(d["resource"]["attributes"]["progress_percent"] for d in world.deliveries)


def test_progress_fires_one_event_per_count_crossing_a_step_and_none_for_the_completing_count() -> None:
    # Given a webhook on cleanups.progress and ten skus in sub-batches of two
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    with_progress_hook(world)
    skus(world, 10)
    cleanup = create(world)
    # When it runs
    world.drain()
    # Then each count but the last fired one event, carrying the cleanup as that count left it
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"
    assert delivered_percents(world) == [20.0, 40.0, 60.0, 80.0]
    assert sorted(progress_ids(world, cleanup)) == sorted(
        derived_id(TENANT.key, cleanup.id, PROGRESS, str(number)) for number in range(4))


def test_one_count_crossing_several_steps_fires_one_event() -> None:
    # Given ten skus in sub-batches of five
    world = World(settings=settings(sub_batch_size=5, batch_size=5))
    with_progress_hook(world)
    skus(world, 10)
    create(world)
    # When it runs
    world.drain()
    # Then the first count (five steps crossed) fired one event, the completing one none
    assert delivered_percents(world) == [50.0]


def test_one_sub_batch_cleanup_fires_no_progress_event() -> None:
    world = World(settings=settings(sub_batch_size=5, batch_size=5))
    skus(world, 3)
    cleanup = create(world)
    world.drain()
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"
    assert progress_ids(world, cleanup) == []


def test_events_read_create_start_progress_then_complete() -> None:
    # Given twenty skus in sub-batches of two, delivered in a shuffled order
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 20)
    cleanup = create(world)
    world.drain(order=lambda bodies: random.Random(3).sample(bodies, len(bodies)))
    # Then its events, in the order the events route lists them, read in lifecycle order
    names = [e.name for e in sorted((e for e in world.events.events if e.resource_id == cleanup.id),
                                    key=lambda e: e.created_at)]
    assert names == ["cleanups.create", "cleanups.start", *[PROGRESS] * 9, "cleanups.complete"]


@pytest.mark.parametrize("seed", range(8))
def test_progress_events_stay_at_most_one_per_count_under_duplicates_reordering_and_crashes(seed: int) -> None:
    # Given 21 skus, two sub-batches whose delete crashes once, deliveries doubled and shuffled
    rng = random.Random(seed)
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    with_progress_hook(world)
    skus(world, 21)
    cleanup = create(world)
    world.records.crash_on = {3, 7}

    def chaos(bodies: list[dict[str, object]]) -> list[dict[str, object]]:
        doubled = bodies + [b for b in bodies if rng.random() < 0.5]
        rng.shuffle(doubled)
        return doubled
    # When it all runs
    world.drain(order=chaos, rounds=50)
    # Then it completed with exact counts, at most nine progress events, each of one counted sub-batch, none at 100 %
    after = world.cleanups.get(TENANT, cleanup.id)
    assert (after.status, after.processed_count, after.counted_records) == ("completed", 21, 21)
    ids = progress_ids(world, cleanup)
    assert len(ids) == len(set(ids)) <= 9
    assert set(ids) <= {derived_id(TENANT.key, cleanup.id, PROGRESS, str(n)) for n in range(11)}
    assert all(percent < 100 for percent in delivered_percents(world))


@pytest.mark.parametrize("point", ["report:before", "report:after", "mark_dispatched"])
def test_crash_around_a_progress_event_loses_at_most_that_event_and_no_count(point: str) -> None:
    # Given a world whose process dies around the first progress event
    world = World(settings=settings(sub_batch_size=2, batch_size=4))
    skus(world, 10)
    cleanup = create(world)
    world.faults.arm(point)
    # When the worker and the reconciler run until quiet
    for _ in range(4):
        world.drain(rounds=50)
        world.clock.advance(STALE)
        cleanups.reconcile(world.ports)
    # Then the fault fired, the counts are exact, at most one event per count, and none is left undispatched
    assert world.faults.fired == [point]
    after = world.cleanups.get(TENANT, cleanup.id)
    assert (after.status, after.processed_count) == ("completed", 10)
    assert 3 <= len(progress_ids(world, cleanup)) <= 4
    assert world.events.outbox == {}


def test_racing_worker_counting_from_a_stale_read_fires_the_step_its_count_crossed() -> None:
    # Given a hundred skus in batches of one sub-batch of five; the second batch is delivered (and counted)
    # while the first one deletes, so the first one's count brings the total from 5 to 10
    world = World(settings=settings(sub_batch_size=5, batch_size=5))
    with_progress_hook(world)
    skus(world, 100)
    cleanup = create(world)
    first, second, *rest = world.queue.take()
    racing = [lambda: world.deliver([second])]
    world.records.after_delete = lambda: racing.pop()() if racing else None
    # When the first batch is delivered
    world.deliver([first])
    # Then the count crossing 10 % fired, from the total its own write returned
    after = world.cleanups.get(TENANT, cleanup.id)
    assert (after.counted, after.counted_records) == ({0, 1}, 10)
    assert progress_ids(world, cleanup) == [derived_id(TENANT.key, cleanup.id, PROGRESS, "0")]
    world.deliver([m for m in world.queue.take() if m["kind"] == "webhook_delivery"])
    assert delivered_percents(world) == [10.0]
