"""One contract, two adapters: the in-memory fakes the unit tests use answer like DynamoDB (moto).

What the worker's correctness rests on: transitions conditional on the status, a sub-batch
counted once, begun only while the cleanup is active, stale cleanups found; and every write
committed with its events, versions and slot count, or nothing at all.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from chalicelib.cleanups import WORKER, Actor, Cleanup, CleanupRepository
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import complete, interrupt, start
from chalicelib.cleanups.domain.pacing import Pace
from chalicelib.cleanups.exceptions import CleanupLimitError
from chalicelib.cleanups.ports import Start
from chalicelib.events import DynamoEventLog, EventLog, Recorded, add_recorded
from chalicelib.events.adapters import store
from chalicelib.events.model import recorded_change, recorded_create, recorded_destroy
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant, iso
from tests.integration.conftest import ADAPTERS, contract_adapter
from tests.unit.fakes import START, InMemoryCleanupRepository

TENANT = Tenant("org-alpha", "test")
APP = Actor(who={"application": {"id": "app"}})
LATER = "2999-01-01T00:00:00.000Z"


@dataclass
class Adapters:
    """A repository and the event log its writes commit into, with readers of what was committed."""

    repository: CleanupRepository
    log: EventLog
    in_memory: InMemoryCleanupRepository | None = None

    def names(self, cleanup_id: str) -> list[str]:
        if self.in_memory is not None:
            return sorted(self.in_memory.log.names(cleanup_id))
        return sorted(e.name for e in store.events_of(TENANT, cleanup_id))

    def versions(self, cleanup_id: str) -> list[str]:
        if self.in_memory is not None:
            return sorted(v.event for v in self.in_memory.log.versions if v.resource_id == cleanup_id)
        return sorted(v.event for v in store.versions_of(TENANT, cleanup_id))


def _in_memory() -> Adapters:
    memory = InMemoryCleanupRepository()
    return Adapters(memory, memory.log, memory)


@pytest.fixture(params=ADAPTERS)
def adapters(request: pytest.FixtureRequest) -> Adapters:
    return contract_adapter(request, _in_memory,
                            lambda: Adapters(DynamoCleanupRepository(add_recorded), DynamoEventLog()))


def pending(cleanup_id: str = "cln0000001", **changes: object) -> Cleanup:
    cleanup = Cleanup(tenant=TENANT, id=cleanup_id, resource_type="skus", filters={"code_start": "A"},
                      created_at="2025-01-01T12:00:00.000Z", updated_at="2025-01-01T12:00:00.000Z",
                      records_count=4, batch_size=4, sub_batch_size=2, batch_count=1, sub_batch_count=2,
                      metadata={"k": "v"})
    return replace(cleanup, **changes)


def created(cleanup: Cleanup) -> Recorded:
    return recorded_create(cleanup, cleanup.created_at)


def changed(before: Cleanup, after: Cleanup) -> Recorded:
    return recorded_change(before, after, WORKER, after.updated_at)


def save(repository: CleanupRepository, cleanup: Cleanup, limit: int = 10) -> None:
    repository.save_new(cleanup, [["a", "b", "c", "d"]], created(cleanup), limit)


def test_repository_stores_a_cleanup_its_snapshot_and_its_events_as_given(adapters: Adapters) -> None:
    # Given a new cleanup with one batch of four ids
    repository, cleanup = adapters.repository, pending(reference="r1")
    # When it is saved and read back
    save(repository, cleanup)
    # Then every field and the snapshot come back unchanged, its create event is in the outbox, one slot taken
    assert repository.get(TENANT, cleanup.id) == cleanup
    assert repository.list_for(TENANT) == [cleanup]
    assert repository.batch_ids(TENANT, cleanup.id, 0) == ["a", "b", "c", "d"]
    assert repository.batch_ids(TENANT, cleanup.id, 1) == []
    assert repository.get_with_batch(TENANT, cleanup.id, 0) == (cleanup, ["a", "b", "c", "d"])
    assert repository.get_with_batch(TENANT, cleanup.id, 1) == (cleanup, [])
    with pytest.raises(RecordNotFoundError):
        repository.get_with_batch(TENANT, "missing", 0)
    assert adapters.names(cleanup.id) == ["cleanups.create"] and repository.slots_taken(TENANT) == 1
    ((outgoing),) = adapters.log.undispatched(LATER)
    assert (outgoing.event.name, outgoing.resource) == ("cleanups.create", cleanup.attributes())
    with pytest.raises(RecordNotFoundError):
        repository.get(Tenant("org-beta", "test"), cleanup.id)


def test_repository_outbox_forgets_a_dispatched_event(adapters: Adapters) -> None:
    # Given a cleanup born completed: two events in the outbox, no slot
    cleanup = complete(pending(), START)
    adapters.repository.save_new(cleanup, [], created(cleanup), 10)
    first, second = adapters.log.undispatched(LATER)
    # When one is dispatched (twice: a repeat is harmless)
    adapters.log.mark_dispatched(first.event)
    adapters.log.mark_dispatched(first.event)
    # Then only the other is left; none committed after the cutoff is listed
    assert [o.event.id for o in adapters.log.undispatched(LATER)] == [second.event.id]
    assert adapters.log.undispatched(cleanup.created_at) == []
    assert adapters.repository.slots_taken(TENANT) == 0


def test_repository_transition_wins_only_from_the_stored_status_and_commits_only_the_winner(
        adapters: Adapters) -> None:
    # Given a pending cleanup
    repository, cleanup = adapters.repository, pending()
    save(repository, cleanup)
    running, stopped = start(cleanup, START), interrupt(cleanup, START)
    # When two writers both try to move it from pending
    first = repository.transition(cleanup, running, changed(cleanup, running))
    second = repository.transition(cleanup, stopped, changed(cleanup, stopped))
    # Then only the first wins, and only what it wrote is stored, with its event and version
    assert (first, second) == (True, False)
    stored = repository.get(TENANT, cleanup.id)
    assert (stored.status, stored.started_at, stored.interrupted_at) == ("in_progress", running.started_at, None)
    assert adapters.names(cleanup.id) == ["cleanups.create", "cleanups.start"]
    assert adapters.versions(cleanup.id) == ["update"] and repository.slots_taken(TENANT) == 1
    done = complete(running, START)
    assert repository.transition(running, done, changed(running, done))
    assert repository.get(TENANT, cleanup.id).completed_at == running.started_at


def test_repository_gives_a_slot_back_once_when_a_cleanup_finishes(adapters: Adapters) -> None:
    # Given an in-progress cleanup holding one slot
    repository, cleanup = adapters.repository, pending()
    save(repository, cleanup)
    running = start(cleanup, START)
    repository.transition(cleanup, running, changed(cleanup, running))
    # When the worker's completion and a client's interrupt race from in_progress
    done, stopped = complete(running, START), interrupt(running, START)
    won = [repository.transition(running, done, changed(running, done)),
           repository.transition(running, stopped, changed(running, stopped))]
    # Then one wins, and the slot count went down exactly once
    assert won == [True, False] and repository.slots_taken(TENANT) == 0
    assert adapters.names(cleanup.id) == ["cleanups.complete", "cleanups.create", "cleanups.start"]


def test_repository_refuses_a_transition_worked_out_before_an_interrupt_was_asked_for(adapters: Adapters) -> None:
    # Given an in-progress cleanup whose worker worked out its completion, then a client asked to interrupt it
    repository, cleanup = adapters.repository, pending()
    save(repository, cleanup)
    running = start(cleanup, START)
    repository.transition(cleanup, running, changed(cleanup, running))
    done = complete(running, START)
    asked = repository.request_interrupt(running, {"at": iso(START)})
    assert asked is not None
    # When the completion is written from the cleanup as it was before the request
    refused = repository.transition(running, done, changed(running, done))
    # Then nothing is written; the interrupt, worked out from the cleanup as it is now, is
    stopped = interrupt(asked, START)
    assert not refused and repository.get(TENANT, cleanup.id).status == "in_progress"
    assert repository.transition(asked, stopped, changed(asked, stopped))
    assert repository.get(TENANT, cleanup.id).status == "interrupted" and repository.slots_taken(TENANT) == 0


def test_repository_refuses_a_cleanup_past_the_limit_and_writes_nothing_of_it(adapters: Adapters) -> None:
    # Given a limit of one, taken
    repository = adapters.repository
    save(repository, pending("cln0000001"), limit=1)
    # When another active cleanup is saved
    with pytest.raises(CleanupLimitError):
        save(repository, pending("cln0000002"), limit=1)
    # Then neither it, its snapshot nor its events exist, and the count is unchanged
    with pytest.raises(RecordNotFoundError):
        repository.get(TENANT, "cln0000002")
    assert repository.batch_ids(TENANT, "cln0000002", 0) == [] and adapters.names("cln0000002") == []
    assert repository.slots_taken(TENANT) == 1
    # And a cleanup born completed takes no slot, so it is accepted
    born_done = complete(pending("cln0000003"), START)
    repository.save_new(born_done, [], created(born_done), 1)
    assert repository.slots_taken(TENANT) == 1


def test_repository_counts_a_sub_batch_once(adapters: Adapters) -> None:
    # Given a cleanup
    repository, cleanup = adapters.repository, pending()
    save(repository, cleanup)
    # When sub-batch 1 is counted twice, then sub-batch 0 once
    once = repository.count_sub_batch(TENANT, cleanup.id, 1, 1, 1, {"d": {"base": ["x"]}}, "2025-01-01T12:00:01.000Z")
    twice = repository.count_sub_batch(TENANT, cleanup.id, 1, 1, 1, {"d": {"base": ["x"]}}, "2025-01-01T12:00:02.000Z")
    both = repository.count_sub_batch(TENANT, cleanup.id, 0, 2, 0, {}, "2025-01-01T12:00:03.000Z")
    # Then the repeat is refused and the counts moved once per sub-batch
    assert once is not None and twice is None and both is not None
    assert (both.processed_count, both.errors_count, both.counted) == (3, 1, {0, 1})
    assert both.errors_log == {"d": {"base": ["x"]}} and both.fully_counted
    assert repository.count_sub_batch(TENANT, "missing", 0, 1, 0, {}, "2025-01-01T12:00:04.000Z") is None


def test_repository_begins_a_sub_batch_only_while_active(adapters: Adapters) -> None:
    # Given a cleanup that begins sub-batch 0, then is interrupted
    repository, cleanup = adapters.repository, pending()
    save(repository, cleanup)
    began = repository.start_sub_batch(TENANT, cleanup.id, 0)
    stopped = interrupt(cleanup, START)
    repository.transition(cleanup, stopped, changed(cleanup, stopped))
    # When sub-batch 1 asks to begin, then it may not, and the begun one is remembered
    assert began and not repository.start_sub_batch(TENANT, cleanup.id, 1)
    assert repository.get(TENANT, cleanup.id).started == {0}
    assert not repository.start_sub_batch(TENANT, "missing", 0)


def test_repository_counts_and_begins_the_next_sub_batch_in_one_write_only_while_active(
        adapters: Adapters) -> None:
    # Given a cleanup that counts sub-batch 0 beginning sub-batch 1, then is interrupted
    repository, cleanup = adapters.repository, pending()
    save(repository, cleanup)
    unthrottled = Pace(None, None, 1.0, None)
    both = repository.count_sub_batch(TENANT, cleanup.id, 0, 2, 0, {}, "2025-01-01T12:00:01.000Z",
                                      then_start=Start(1, unthrottled))
    stopped = interrupt(cleanup, START)
    repository.transition(cleanup, stopped, changed(cleanup, stopped))
    # When sub-batch 1 is counted asking to begin sub-batch 2
    refused = repository.count_sub_batch(TENANT, cleanup.id, 1, 2, 0, {}, "2025-01-01T12:00:02.000Z",
                                         then_start=Start(2, unthrottled))
    # Then the first write did both, the second nothing: sub-batch 1 is counted by a write of its own
    assert both is not None and (both.counted, both.started) == ({0}, {1})
    assert refused is None
    assert (repository.get(TENANT, cleanup.id).counted, repository.get(TENANT, cleanup.id).started) == ({0}, {1})
    alone = repository.count_sub_batch(TENANT, cleanup.id, 1, 2, 0, {}, "2025-01-01T12:00:03.000Z")
    assert alone is not None and (alone.counted, alone.started, alone.processed_count) == ({0, 1}, {1}, 4)


def test_repository_updates_details_with_their_version_and_deletes_only_a_finished_cleanup(
        adapters: Adapters) -> None:
    # Given a cleanup
    repository, cleanup = adapters.repository, pending()
    save(repository, cleanup)
    # When its reference is set and its metadata removed
    later = replace(cleanup, reference="r2", metadata={}, updated_at="2025-01-01T12:00:05.000Z")
    after = repository.update_details(later, {"reference": "r2", "metadata": None}, changed(cleanup, later))
    # Then both changed with updated_at, with one version
    assert (after.reference, after.metadata, after.updated_at) == ("r2", {}, later.updated_at)
    assert adapters.versions(cleanup.id) == ["update"]
    # And an active cleanup is not deleted; a finished one is, with its destroy version and event
    assert not repository.delete(after, recorded_destroy(after, APP, iso(START)))
    stopped = interrupt(after, START)
    repository.transition(after, stopped, changed(after, stopped))
    assert repository.delete(stopped, recorded_destroy(stopped, APP, iso(START)))
    assert not repository.delete(stopped, recorded_destroy(stopped, APP, iso(START)))
    assert adapters.names(cleanup.id) == ["cleanups.create", "cleanups.destroy", "cleanups.interrupt"]
    assert repository.batch_ids(TENANT, cleanup.id, 0) == [] and repository.slots_taken(TENANT) == 0
    with pytest.raises(RecordNotFoundError):
        repository.update_details(later, {"reference": "r3"}, changed(cleanup, later))


def test_repository_finds_stale_active_cleanups_oldest_first(adapters: Adapters) -> None:
    # Given two active cleanups updated at different times, and a completed one
    repository = adapters.repository
    old = pending("cln0000001", updated_at="2025-01-01T10:00:00.000Z")
    newer = pending("cln0000002", updated_at="2025-01-01T11:00:00.000Z")
    done = complete(pending("cln0000003", updated_at="2025-01-01T09:00:00.000Z"), START)
    for cleanup in (newer, old, done):
        save(repository, cleanup)
    # When the cleanups not updated since 11:30 are asked for
    found = [c.id for c in repository.stale("2025-01-01T11:30:00.000Z")]
    # Then the active ones come, oldest first; reconciling counts up and moves updated_at
    assert found == [old.id, newer.id]
    repository.mark_reconciled(old, "2025-01-01T12:00:00.000Z")
    assert repository.reconcile_count(old) == 1
    assert [c.id for c in repository.stale("2025-01-01T11:30:00.000Z")] == [newer.id]
    repository.count_sub_batch(TENANT, old.id, 0, 1, 0, {}, "2025-01-01T12:00:01.000Z")
    assert repository.reconcile_count(old) == 0
    assert repository.slots_taken(TENANT) == 2


def test_repository_lists_finished_cleanups_whose_report_is_unwritten_until_it_is(adapters: Adapters) -> None:
    # Given an active cleanup, one it ended (interrupted), one born completed, and one finished then given up on
    repository = adapters.repository
    running = pending("cln0000001", updated_at="2025-01-01T10:00:00.000Z")
    ended = pending("cln0000002", updated_at="2025-01-01T10:00:00.000Z")
    born = complete(pending("cln0000003"), START - timedelta(hours=1))
    dropped = pending("cln0000004", updated_at="2025-01-01T10:00:00.000Z")
    for cleanup in (running, ended, born, dropped):
        save(repository, cleanup)
    stopped = interrupt(ended, START)
    assert repository.transition(ended, stopped, changed(ended, stopped))
    done = complete(dropped, START)
    assert repository.transition(dropped, done, changed(dropped, done))
    repository.drop_report_request(repository.get(TENANT, dropped.id))
    # When the finished ones not updated since a moment are asked for, before and after their end
    before_end = [c.id for c in repository.unreported(iso(START))]
    after_end = [c.id for c in repository.unreported(LATER)]
    # Then the born one comes (it ended at its creation), then both, oldest first; never the active one nor the
    # one given up on
    assert before_end == [born.id]
    assert after_end == [born.id, ended.id]
    # And a report noted written takes the cleanup off the list, whoever notes it (twice is harmless)
    repository.mark_report_written(TENANT, ended.id, iso(START))
    repository.mark_report_written(TENANT, ended.id, iso(START))
    assert [c.id for c in repository.unreported(LATER)] == [born.id]
    assert repository.get(TENANT, ended.id).report_written_at == iso(START)
    assert [c.id for c in repository.stale(LATER)] == [running.id]
