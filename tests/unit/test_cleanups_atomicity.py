"""Crash points between a write, its events and versions, their deliveries and the slot count (fakes).

The process is killed (`Faults`) before or after each commit (create, each transition,
a details update, delete), as a delivery send fails, and between the send and the outbox
mark's removal. Whatever the point, once the worker and the reconciler have run: every
transition has its event and version and no event lacks its transition, every event
reached every webhook on its topic at least once (repeats carry the same event id), the
outbox is empty, and the slot count equals the active cleanups.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Cleanup
from chalicelib.cleanups.domain.progress import crossed
from chalicelib.cleanups.exceptions import CleanupFinishedError
from chalicelib.events import TOPICS, Version, Webhook
from chalicelib.events.model import COMPLETE, CREATE, DESTROY, INTERRUPT, PROGRESS
from chalicelib.events.model import START as START_TOPIC
from chalicelib.exceptions import RecordNotFoundError
from tests.unit.fakes import START, Crash, World
from tests.unit.test_cleanups_services import ACTOR, TENANT, create, skus

T = TypeVar("T")
STALE = 301  # seconds: past RECONCILE_AFTER_SECONDS and the outbox's redispatch delay
_TOPIC_OF_STATUS = {"in_progress": START_TOPIC, "completed": COMPLETE, "interrupted": INTERRUPT}

# (point, passes skipped): every write's commit, each side; the worker's start then completion.
POINTS = [
    ("save_new:before", 0), ("save_new:after", 0), ("send:cleanup_batch", 0),
    ("transition:before", 0), ("transition:after", 0), ("transition:before", 1), ("transition:after", 1),
    ("update_details:before", 0), ("update_details:after", 0),
    ("delete:before", 0), ("delete:after", 0),
    ("send:webhook_delivery", 0), ("send:webhook_delivery", 2), ("mark_dispatched", 0), ("mark_dispatched", 3),
]


def world_with_webhooks() -> World:
    world = World()
    moment = START.isoformat()
    world.events.hooks = [Webhook(tenant=TENANT, id=f"hook{n}", topic=topic, callback_url="https://example.com/h",
                                  shared_secret="s", created_at=moment, updated_at=moment)
                          for n, topic in enumerate(TOPICS)]
    skus(world, 6)
    return world


def survive(call: Callable[[], T]) -> T | None:
    """The request or message, or None if the process died in it (the client saw a 500)."""
    try:
        return call()
    except Crash:
        return None


def run_until_quiet(world: World) -> None:
    """The worker and the reconciler until nothing is left to do (lost messages and outbox included)."""
    for _ in range(8):
        world.drain()
        world.clock.advance(STALE)
        cleanups.reconcile(world.ports)
    world.drain()


def lifecycle(world: World, *, interrupted: bool) -> None:
    """Create, update, (interrupt,) run, delete: each client request retried once if it died."""
    survive(lambda: create(world))
    found = world.cleanups.list_for(TENANT)
    if not found:
        return  # the create died before its commit: nothing happened
    cleanup_id = found[0].id
    for _ in range(2):
        if survive(lambda: cleanups.update_cleanup(world.ports, TENANT, cleanup_id, {"reference": "r"}, ACTOR)):
            break
    if interrupted:
        taken = world.queue.take()
        first_batch = [m for m in taken if m["kind"] == "cleanup_batch"][:1]
        world.queue.messages = [m for m in taken if m not in first_batch]
        world.deliver(first_batch)  # the worker starts it and deletes one batch
        for _ in range(2):
            try:
                if survive(lambda: cleanups.interrupt_cleanup(world.ports, TENANT, cleanup_id, ACTOR)):
                    break
            except CleanupFinishedError:
                break
    run_until_quiet(world)
    for _ in range(2):
        try:
            survive(lambda: cleanups.delete_cleanup(world.ports, TENANT, cleanup_id, ACTOR))
        except RecordNotFoundError:
            break
    run_until_quiet(world)


def steps_crossed(kept: Cleanup | None, destroyed: list[Version]) -> list[int]:
    """The progress steps of the cleanup's final counts (a destroyed one's are in its destroy version)."""
    if kept is not None:
        return crossed(0, kept.processed_count + kept.errors_count, kept.records_count)
    final = {name: old for name, (old, _) in destroyed[0].changes.items()}
    return crossed(0, final.get("processed_count", 0) + final.get("errors_count", 0), final.get("records_count", 0))


def assert_consistent(world: World) -> None:
    log, kept = world.events, {c.id: c for c in world.cleanups.list_for(TENANT)}
    for cleanup_id in {e.resource_id for e in log.events} | set(kept):
        statuses = log.statuses(cleanup_id)
        destroyed = [v for v in log.versions if v.resource_id == cleanup_id and v.event == "destroy"]
        # Every transition has exactly one version and one event, and every event its write; progress events
        # are at most one per count crossing steps (so no more than the steps crossed)
        expected = [CREATE, *(_TOPIC_OF_STATUS[s] for s in statuses), *(DESTROY for _ in destroyed)]
        names = log.names(cleanup_id)
        assert sorted(n for n in names if n != PROGRESS) == sorted(expected), cleanup_id
        assert names.count(PROGRESS) <= len(steps_crossed(kept.get(cleanup_id), destroyed)), cleanup_id
        assert (cleanup_id in kept) == (not destroyed)
        if cleanup_id in kept:
            assert kept[cleanup_id].status == (statuses[-1] if statuses else "pending")
    # Every committed event reached every webhook on its topic, at least once, under its own id
    delivered = Counter((d["webhook_id"], d["event_id"]) for d in world.deliveries)
    for event in log.events:
        for hook in log.hooks:
            assert (delivered[(hook.id, event.id)] >= 1) == (hook.topic == event.name), (hook.topic, event.name)
    assert log.outbox == {}
    assert world.cleanups.slots_taken(TENANT) == sum(1 for c in kept.values() if c.active)


@pytest.mark.parametrize("interrupted", [False, True], ids=["completed", "interrupted"])
@pytest.mark.parametrize(("point", "skip"), POINTS, ids=[f"{p}#{s}" for p, s in POINTS])
def test_lifecycle_killed_at_any_point_keeps_writes_events_deliveries_and_slots_together(
        point: str, skip: int, interrupted: bool) -> None:
    # Given webhooks on every topic, six skus, and a process that dies at `point`
    world = world_with_webhooks()
    world.faults.arm(point, skip)
    # When a cleanup lives its whole life, the client retrying a request that died
    lifecycle(world, interrupted=interrupted)
    # Then the fault fired, and everything is consistent
    assert world.faults.fired == [point]
    assert_consistent(world)


def test_lifecycle_without_faults_delivers_each_event_once_per_webhook() -> None:
    # Given webhooks on every topic and six skus
    world = world_with_webhooks()
    # When a cleanup runs to completion and is deleted
    lifecycle(world, interrupted=False)
    # Then each of its events (four, and a progress event for each of the two counts before the last) went to
    # its webhook exactly once, and nothing is left over
    assert sorted(d["topic"] for d in world.deliveries) == sorted([CREATE, START_TOPIC, COMPLETE, DESTROY,
                                                                   *[PROGRESS] * 2])
    assert len({d["event_id"] for d in world.deliveries}) == 6
    assert_consistent(world)


def test_delivery_repeated_after_a_lost_outbox_mark_carries_the_same_event_id() -> None:
    # Given a dispatcher that dies after enqueuing the create event's delivery, before clearing its mark
    world = world_with_webhooks()
    world.faults.arm("mark_dispatched")
    create(world)
    first = [m for m in world.queue.messages if m["kind"] == "webhook_delivery"]
    # When the reconciler runs after the redispatch delay
    world.clock.advance(STALE)
    report = cleanups.reconcile(world.ports)
    # Then the create event was sent again under the same id, and left the outbox
    again = [m for m in world.queue.messages if m["kind"] == "webhook_delivery"]
    assert [m["event_id"] for m in again] == [first[0]["event_id"]] * 2
    assert report.redispatched == [first[0]["event_id"]] and world.events.outbox == {}


def test_reconcile_leaves_a_fresh_outbox_entry_to_its_dispatcher() -> None:
    # Given a create whose delivery send failed a moment ago
    world = world_with_webhooks()
    world.faults.arm("send:webhook_delivery")
    create(world)
    # When the reconciler runs before the redispatch delay, then later
    early = cleanups.reconcile(world.ports)
    world.clock.advance(STALE)
    late = cleanups.reconcile(world.ports)
    # Then only the later run sends it
    assert early.redispatched == [] and len(late.redispatched) == 1
    assert [m["topic"] for m in world.queue.messages if m["kind"] == "webhook_delivery"] == [CREATE]
