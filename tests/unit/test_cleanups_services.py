"""The cleanup use cases (create, interrupt, update, delete) on in-memory fakes: no I/O."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Actor, Cleanup
from chalicelib.cleanups.domain.model import WORKER, start
from chalicelib.cleanups.exceptions import CleanupFinishedError, CleanupLimitError, TooManyRecordsError
from chalicelib.events import Recorded
from chalicelib.events.model import recorded_change
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import UnknownFilterError
from chalicelib.tenancy import Tenant, iso
from tests.unit.fakes import START, InMemoryCleanupRepository, World, settings

TENANT = Tenant("org-alpha", "test")
ACTOR = Actor(who={"application": {"id": "app", "client_id": "c", "kind": "integration"}})


def skus(world: World, n: int, prefix: str = "DEL") -> list[str]:
    ids = [f"{prefix}{i:03d}" for i in range(n)]
    for record_id in ids:
        world.records.add(TENANT, "skus", record_id, START - timedelta(days=1), code=record_id)
    return ids


def create(world: World, **attributes: object) -> Cleanup:
    return cleanups.create_cleanup(world.ports, TENANT, {"resource_type": "skus", **attributes}, ACTOR)


def test_create_cleanup_snapshots_the_matching_ids_and_enqueues_one_message_per_batch() -> None:
    # Given nine matching skus and two that do not match
    world = World()
    doomed = skus(world, 9)
    skus(world, 2, prefix="KEEP")
    # When a cleanup of DEL* skus is created
    cleanup = create(world, filters={"code_start": "DEL"})
    # Then it is pending with nine records in three batches of four, one message each, its create event committed
    assert (cleanup.status, cleanup.records_count, cleanup.batch_count, cleanup.sub_batch_count) == (
        "pending", 9, 3, 5)
    assert [world.cleanups.batch_ids(TENANT, cleanup.id, n) for n in range(3)] == [
        doomed[0:4], doomed[4:8], doomed[8:9]]
    assert [m["batch"] for m in world.queue.messages] == [0, 1, 2]
    assert world.events.names(cleanup.id) == ["cleanups.create"] and world.events.versions == []
    assert world.events.outbox == {} and world.cleanups.slots[TENANT.key] == 1


def test_create_cleanup_with_no_match_is_born_completed_and_takes_no_slot() -> None:
    # Given no sku
    world = World()
    # When a cleanup is created
    cleanup = create(world)
    # Then it is completed at once, nothing but its (empty) report is asked of the worker and no slot is held
    assert (cleanup.status, cleanup.records_count) == ("completed", 0)
    assert cleanup.completed_at == cleanup.started_at == cleanup.created_at
    assert [m["kind"] for m in world.queue.messages] == ["cleanup_report"] and world.cleanups.slots == {}
    assert world.events.names(cleanup.id) == ["cleanups.create", "cleanups.complete"]


def test_create_cleanup_over_the_record_limit_is_refused_and_writes_nothing() -> None:
    # Given three skus and a limit of two records a cleanup
    world = World(settings=settings(max_cleanup_records=2))
    skus(world, 3)
    # When a cleanup of all of them is asked for
    with pytest.raises(TooManyRecordsError) as raised:
        create(world)
    # Then it is a 422 on filters, and nothing was stored, enqueued or reported
    assert raised.value.details[0].pointer == "/data/attributes/filters"
    assert world.cleanups.cleanups == {} and world.queue.messages == [] and world.events.events == []


def test_create_cleanup_with_an_unknown_filter_is_refused_on_filters() -> None:
    # Given a filter on an attribute skus do not have
    world = World()
    # When a cleanup is created with it, then it is refused as an unknown filter of the body (422 on filters)
    with pytest.raises(UnknownFilterError) as raised:
        create(world, filters={"colour_eq": "red"})
    assert raised.value.in_body and raised.value.key == "colour_eq"


def test_create_cleanup_beyond_the_active_limit_is_refused() -> None:
    # Given two active cleanups, the limit
    world = World()
    skus(world, 1)
    create(world)
    create(world)
    # When a third is created, then it is refused and not stored
    with pytest.raises(CleanupLimitError):
        create(world)
    assert len(world.cleanups.cleanups) == 2


def test_create_cleanup_after_a_slot_is_given_back_is_accepted() -> None:
    # Given two active cleanups, the limit, of which one is then interrupted
    world = World()
    skus(world, 1)
    first = create(world)
    create(world)
    cleanups.interrupt_cleanup(world.ports, TENANT, first.id, ACTOR)
    # When another is created
    third = create(world)
    # Then it is accepted and the slots count the two active ones
    assert third.status == "pending" and world.cleanups.slots[TENANT.key] == 2


def test_interrupt_cleanup_moves_an_active_cleanup_once_and_frees_its_slot() -> None:
    # Given a pending cleanup
    world = World()
    skus(world, 3)
    cleanup = create(world)
    # When it is interrupted, then asked again
    interrupted = cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    with pytest.raises(CleanupFinishedError):
        cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # Then one transition, its version and event committed once, with its time, and the slot is free
    assert interrupted.status == "interrupted" and interrupted.interrupted_at
    assert world.events.statuses(cleanup.id) == ["interrupted"]
    assert world.events.names(cleanup.id) == ["cleanups.create", "cleanups.interrupt"]
    assert world.cleanups.slots[TENANT.key] == 0


class WorkerWinsFirst(InMemoryCleanupRepository):
    """The worker starts the cleanup between the interrupt's read and its write."""

    def transition(self, before: Cleanup, after: Cleanup, recorded: Recorded) -> bool:
        if after.status == "interrupted" and before.status == "pending":
            started = start(before, START)
            super().transition(before, started, recorded_change(before, started, WORKER, iso(START)))
        return super().transition(before, after, recorded)


def test_interrupt_cleanup_racing_the_worker_reads_again_and_interrupts() -> None:
    # Given a pending cleanup that the worker starts while the interrupt is on its way
    world = World(cleanups=WorkerWinsFirst())
    skus(world, 3)
    cleanup = create(world)
    # When it is interrupted
    interrupted = cleanups.interrupt_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # Then the interrupt lost the first write (committing nothing), read again, and moved in_progress -> interrupted
    assert interrupted.status == "interrupted" and interrupted.started_at
    assert world.cleanups.get(TENANT, cleanup.id).status == "interrupted"
    assert world.events.statuses(cleanup.id) == ["in_progress", "interrupted"]
    assert world.events.names(cleanup.id) == ["cleanups.create", "cleanups.start", "cleanups.interrupt"]
    assert world.cleanups.slots[TENANT.key] == 0


def test_update_cleanup_sets_details_and_reports_them_without_a_transition() -> None:
    # Given a pending cleanup
    world = World()
    skus(world, 1)
    cleanup = create(world)
    # When its reference and metadata change
    updated = cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"reference": "r1", "metadata": {"k": 1}},
                                      ACTOR)
    # Then they are stored with a later updated_at, with a version by the actor and no event
    stored = world.cleanups.get(TENANT, cleanup.id)
    assert (stored.reference, stored.metadata, stored.status) == ("r1", {"k": 1}, "pending")
    assert updated == stored and stored.updated_at > cleanup.updated_at
    (version,) = world.events.versions
    assert version.changes == {"reference": [None, "r1"], "metadata": [{}, {"k": 1}],
                               "updated_at": [cleanup.updated_at, stored.updated_at]}
    assert version.who == ACTOR.who and world.events.names(cleanup.id) == ["cleanups.create"]


def test_update_cleanup_with_interrupt_and_details_does_both() -> None:
    # Given a pending cleanup
    world = World()
    skus(world, 1)
    cleanup = create(world)
    # When the update interrupts it and sets a reference
    updated = cleanups.update_cleanup(world.ports, TENANT, cleanup.id, {"_interrupt": True, "reference": "r"}, ACTOR)
    # Then both changes are stored, each with its version
    assert (updated.status, updated.reference) == ("interrupted", "r")
    assert [set(v.changes) - {"updated_at"} for v in world.events.versions] == [
        {"status", "interrupted_at", "restorable_until"}, {"reference"}]
    assert world.events.names(cleanup.id) == ["cleanups.create", "cleanups.interrupt"]


def test_delete_cleanup_interrupts_an_active_cleanup_then_removes_it_and_its_snapshot() -> None:
    # Given a pending cleanup
    world = World()
    skus(world, 4)
    cleanup = create(world)
    # When it is deleted
    cleanups.delete_cleanup(world.ports, TENANT, cleanup.id, ACTOR)
    # Then it was interrupted first, then destroyed; it and its snapshot are gone, its message finds nothing
    assert world.events.names(cleanup.id)[-2:] == ["cleanups.interrupt", "cleanups.destroy"]
    assert world.events.versions[-1].event == "destroy" and world.cleanups.slots[TENANT.key] == 0
    with pytest.raises(RecordNotFoundError):
        cleanups.get_cleanup(world.ports, TENANT, cleanup.id)
    assert world.cleanups.batch_ids(TENANT, cleanup.id, 0) == []
    world.drain()
    assert len(world.records.ids(TENANT, "skus")) == 4


def test_get_and_list_cleanup_never_find_another_tenants_cleanup() -> None:
    # Given a cleanup of one tenant
    world = World()
    skus(world, 1)
    cleanup = create(world)
    other = Tenant("org-beta", "test")
    # When another tenant asks, then it is not there
    with pytest.raises(RecordNotFoundError):
        cleanups.get_cleanup(world.ports, other, cleanup.id)
    assert cleanups.list_cleanups(world.ports, other) == []
    assert [c.id for c in cleanups.list_cleanups(world.ports, TENANT)] == [cleanup.id]
