"""Terminal means final, on in-memory fakes: an interrupt reads `interrupted` only once every sub-batch
begun before it is counted, whoever asked (a client, DELETE, the error budget); a dead worker's sub-batch
is the one exception, shown by `counts_settled: false` until its redelivery counts it."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.domain.model import interrupt_request
from chalicelib.cleanups.exceptions import CleanupFinishedError
from chalicelib.events import Webhook
from chalicelib.events.model import INTERRUPT
from tests.unit.fakes import START, World, settings
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus
from tests.unit.test_cleanups_worker import touch

STALE = 301


def worker_dies_inside_its_first_sub_batch(world: World, records: int = 8) -> tuple[Cleanup, dict[str, Any]]:
    """A cleanup of `records` skus whose first batch's worker began sub-batch 0 and died deleting it."""
    skus(world, records)
    cleanup = create(world)
    first, *rest = world.queue.take()
    world.queue.messages = rest
    world.records.crash_on = {1}
    assert world.deliver([first]) == [first]
    world.records.crash_on = set()
    return cleanup, first


def recovers_while_the_interrupt_waits(world: World, body: dict[str, Any]) -> None:
    """The worker's message comes back while the interrupt waits (its first sleep)."""
    sleep = world.clock.sleep

    def redelivered(seconds: float) -> None:
        world.clock.sleep = sleep  # type: ignore[method-assign]
        world.deliver([body])
        sleep(seconds)
    world.clock.sleep = redelivered  # type: ignore[method-assign]


def interrupt_hook(world: World) -> None:
    moment = START.isoformat()
    world.events.hooks = [Webhook(tenant=TENANT, id="hook", topic=INTERRUPT, callback_url="https://example.com/h",
                                  shared_secret="s", created_at=moment, updated_at=moment)]


def counts(cleanup: Cleanup) -> tuple[int, int, dict[str, Any]]:
    return cleanup.processed_count, cleanup.errors_count, cleanup.errors_log


def test_interrupt_answers_once_the_sub_batch_in_flight_is_counted_with_final_counts() -> None:
    # Given a cleanup whose worker is inside its first sub-batch, and comes back while the interrupt waits
    world = World()
    interrupt_hook(world)
    cleanup, body = worker_dies_inside_its_first_sub_batch(world)
    recovers_while_the_interrupt_waits(world, body)
    # When the client interrupts it, then everything left runs
    answer = cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    world.drain()
    # Then the answer already carried the final counts: the sub-batch in flight, nothing begun after it
    final = world.cleanups.get(TENANT, cleanup.id)
    assert (answer.status, answer.counts_settled, answer.processed_count) == ("interrupted", True, 2)
    assert counts(answer) == counts(final) and final.started == {0}
    assert len(world.records.ids(TENANT, "skus")) == 8 - final.processed_count
    # And so did its event
    [delivery] = world.deliveries
    assert delivery["resource"]["attributes"]["processed_count"] == 2


def test_interrupt_past_its_wait_shows_unsettled_counts_until_the_dead_worker_s_sub_batch_lands() -> None:
    # Given a cleanup whose worker died inside its first sub-batch, its message not back yet
    world = World()
    cleanup, body = worker_dies_inside_its_first_sub_batch(world)
    # When the client interrupts it
    asked_at = world.clock.now()
    answer = cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # Then it answers after its wait, interrupted with counts not settled
    assert (answer.status, answer.counts_settled, answer.processed_count) == ("interrupted", False, 0)
    assert (world.clock.now() - asked_at).total_seconds() >= world.settings.interrupt_settle_seconds
    # And once the message comes back, the sub-batch is counted and the counts are settled
    world.deliver([body])
    world.drain()
    final = world.cleanups.get(TENANT, cleanup.id)
    assert (final.status, final.counts_settled, final.processed_count) == ("interrupted", True, 2)


def test_no_sub_batch_begins_once_an_interrupt_is_asked_for() -> None:
    # Given an active cleanup whose interrupt was asked for, its requester still waiting
    world = World()
    skus(world, 8)
    cleanup = create(world)
    asked = world.cleanups.request_interrupt(cleanup, interrupt_request(ACTOR, START))
    # When every message is delivered
    world.drain()
    # Then nothing was begun nor deleted, and it is still active until the requester concludes it
    after = world.cleanups.get(TENANT, cleanup.id)
    assert asked is not None and (after.status, after.started, after.processed_count) == ("pending", set(), 0)
    assert len(world.records.ids(TENANT, "skus")) == 8


def test_error_budget_interrupt_waits_for_another_worker_s_sub_batch() -> None:
    # Given a cleanup whose first worker is inside sub-batch 0, and whose second batch's records all changed
    world = World(settings=settings(batch_size=2))
    doomed = skus(world, 8)
    cleanup = create(world)
    first, second, *rest = world.queue.take()
    for record_id in doomed[2:4]:
        touch(world, record_id)
    world.records.crash_on = {1}
    world.deliver([first])
    world.records.crash_on = set()
    # When the second batch's errors pass the budget
    world.deliver([second])
    # Then it is not interrupted yet: sub-batch 0 is in flight
    waiting = world.cleanups.get(TENANT, cleanup.id)
    assert (waiting.status, waiting.errors_count, waiting.in_flight) == ("in_progress", 2, {0})
    # And once that sub-batch is counted, it is interrupted with every count final, by the worker
    world.deliver([first, *rest])
    final = world.cleanups.get(TENANT, cleanup.id)
    assert (final.status, final.processed_count, final.errors_count, final.counts_settled) == (
        "interrupted", 2, 2, True)
    assert world.events.whos(cleanup.id)[-1] == {"worker": {"name": "cleanups-worker"}}


def test_interrupt_concluded_by_the_last_count_is_reported_as_its_requester_s() -> None:
    # Given an interrupt asked for by a client while sub-batch 0 is in flight (the client then went away)
    world = World()
    cleanup, body = worker_dies_inside_its_first_sub_batch(world)
    world.cleanups.request_interrupt(world.cleanups.get(TENANT, cleanup.id), interrupt_request(ACTOR, START))
    # When the worker's message comes back
    world.deliver([body])
    # Then its count concluded the interrupt, and the version names the client
    final = world.cleanups.get(TENANT, cleanup.id)
    assert (final.status, final.processed_count, final.counts_settled) == ("interrupted", 2, True)
    assert world.events.whos(cleanup.id)[-1] == ACTOR.who


def test_reconciler_concludes_an_interrupt_whose_requester_died_and_sends_its_in_flight_batch_again() -> None:
    # Given an interrupt asked for while sub-batch 0 was in flight, the requester and the worker both dead
    world = World()
    cleanup, body = worker_dies_inside_its_first_sub_batch(world)
    world.cleanups.request_interrupt(world.cleanups.get(TENANT, cleanup.id), interrupt_request(ACTOR, START))
    # When the reconciler runs once the cleanup is stale, then the queue drains
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    concluded = world.cleanups.get(TENANT, cleanup.id)
    world.drain()
    # Then it was interrupted at once (counts not settled), its batch sent again, and its count then landed
    assert (concluded.status, concluded.counts_settled) == ("interrupted", False)
    assert report.requeued == {cleanup.id: [0]}
    final = world.cleanups.get(TENANT, cleanup.id)
    assert (final.processed_count, final.counts_settled) == (2, True)


def test_delete_of_a_running_cleanup_waits_for_its_sub_batch_in_flight() -> None:
    # Given a cleanup whose worker is inside its first sub-batch, and comes back while the DELETE waits
    world = World()
    cleanup, body = worker_dies_inside_its_first_sub_batch(world)
    recovers_while_the_interrupt_waits(world, body)
    # When the client deletes it
    cleanups.delete_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # Then its destroy version carries the final counts: the sub-batch in flight was counted first
    destroyed = [v for v in world.events.versions if v.event == "destroy"][0]
    assert destroyed.changes["processed_count"] == [2, None]
    assert len(world.records.ids(TENANT, "skus")) == 6


def test_interrupt_racing_the_last_count_is_refused_once_the_cleanup_completed() -> None:
    # Given a cleanup whose last count lands between the interrupt's read and its request
    world = World()
    skus(world, 2)
    cleanup = create(world)
    ask = world.cleanups.request_interrupt

    def completed_first(read: Cleanup, request: dict[str, Any]) -> Cleanup | None:
        world.drain()
        return ask(read, request)
    world.cleanups.request_interrupt = completed_first  # type: ignore[method-assign]
    # When the client interrupts it / Then it is refused as on any finished cleanup, which stays completed
    with pytest.raises(CleanupFinishedError):
        cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    assert world.cleanups.get(TENANT, cleanup.id).status == "completed"


def test_interrupt_asked_between_the_last_count_and_the_completion_ends_the_cleanup_interrupted() -> None:
    # Given a cleanup whose last count lands, then a client's interrupt is accepted before the worker completes it
    world = World()
    skus(world, 2)
    cleanup = create(world)
    count = world.cleanups.count_sub_batch

    def then_asked(*args: Any, **kwargs: Any) -> Cleanup | None:
        after = count(*args, **kwargs)
        if after is not None and after.fully_counted:
            assert world.cleanups.request_interrupt(after, interrupt_request(ACTOR, START)) is not None
        return after
    world.cleanups.count_sub_batch = then_asked  # type: ignore[method-assign]
    # When the worker goes on from the count it wrote
    world.drain()
    # Then the interrupt the client was told of is what the cleanup ends as, with the final counts
    final = world.cleanups.get(TENANT, cleanup.id)
    assert (final.status, final.processed_count, final.counts_settled) == ("interrupted", 2, True)
    assert world.events.whos(cleanup.id)[-1] == ACTOR.who
