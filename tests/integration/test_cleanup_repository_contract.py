"""One contract, two adapters: the in-memory fake the unit tests use answers like DynamoDB (moto).

What the worker's correctness rests on: transitions conditional on the status, a sub-batch
counted once, begun only while the cleanup is active, slots bounded, stale cleanups found.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.cleanups import Cleanup, CleanupRepository
from chalicelib.cleanups.exceptions import CleanupLimitError
from chalicelib.cleanups.model import complete, interrupt, start
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant
from tests.unit.fakes import START

TENANT = Tenant("org-alpha", "test")


def pending(cleanup_id: str = "cln0000001", **changes: object) -> Cleanup:
    cleanup = Cleanup(tenant=TENANT, id=cleanup_id, resource_type="skus", filters={"code_start": "A"},
                      created_at="2025-01-01T12:00:00.000Z", updated_at="2025-01-01T12:00:00.000Z",
                      records_count=4, batch_size=4, sub_batch_size=2, batch_count=1, sub_batch_count=2,
                      metadata={"k": "v"})
    return replace(cleanup, **changes)


def test_repository_stores_a_cleanup_and_its_snapshot_as_given(repository: CleanupRepository) -> None:
    # Given a new cleanup with one batch of four ids
    cleanup = pending(reference="r1")
    # When it is saved and read back
    repository.save_new(cleanup, [["a", "b", "c", "d"]])
    # Then every field and the snapshot come back unchanged; a missing id or batch is not there
    assert repository.get(TENANT, cleanup.id) == cleanup
    assert repository.list_for(TENANT) == [cleanup]
    assert repository.batch_ids(TENANT, cleanup.id, 0) == ["a", "b", "c", "d"]
    assert repository.batch_ids(TENANT, cleanup.id, 1) == []
    with pytest.raises(RecordNotFoundError):
        repository.get(Tenant("org-beta", "test"), cleanup.id)


def test_repository_transition_wins_only_from_the_stored_status(repository: CleanupRepository) -> None:
    # Given a pending cleanup
    cleanup = pending()
    repository.save_new(cleanup, [["a"]])
    running = start(cleanup, START)
    # When two writers both try to move it from pending
    first = repository.transition(cleanup, running)
    second = repository.transition(cleanup, interrupt(cleanup, START))
    # Then only the first wins, and what it wrote is stored
    assert (first, second) == (True, False)
    stored = repository.get(TENANT, cleanup.id)
    assert (stored.status, stored.started_at, stored.interrupted_at) == ("in_progress", running.started_at, None)
    assert repository.transition(running, complete(running, START))
    assert repository.get(TENANT, cleanup.id).completed_at == running.started_at


def test_repository_counts_a_sub_batch_once(repository: CleanupRepository) -> None:
    # Given a cleanup
    cleanup = pending()
    repository.save_new(cleanup, [["a", "b", "c", "d"]])
    # When sub-batch 1 is counted twice, then sub-batch 0 once
    once = repository.count_sub_batch(TENANT, cleanup.id, 1, 1, 1, {"d": {"base": ["x"]}}, "2025-01-01T12:00:01.000Z")
    twice = repository.count_sub_batch(TENANT, cleanup.id, 1, 1, 1, {"d": {"base": ["x"]}}, "2025-01-01T12:00:02.000Z")
    both = repository.count_sub_batch(TENANT, cleanup.id, 0, 2, 0, {}, "2025-01-01T12:00:03.000Z")
    # Then the repeat is refused and the counts moved once per sub-batch
    assert once is not None and twice is None and both is not None
    assert (both.processed_count, both.errors_count, both.counted) == (3, 1, {0, 1})
    assert both.errors_log == {"d": {"base": ["x"]}} and both.fully_counted
    assert repository.count_sub_batch(TENANT, "missing", 0, 1, 0, {}, "2025-01-01T12:00:04.000Z") is None


def test_repository_begins_a_sub_batch_only_while_active(repository: CleanupRepository) -> None:
    # Given a cleanup that begins sub-batch 0, then is interrupted
    cleanup = pending()
    repository.save_new(cleanup, [["a", "b", "c", "d"]])
    began = repository.start_sub_batch(TENANT, cleanup.id, 0)
    repository.transition(cleanup, interrupt(cleanup, START))
    # When sub-batch 1 asks to begin, then it may not, and the begun one is remembered
    assert began and not repository.start_sub_batch(TENANT, cleanup.id, 1)
    assert repository.get(TENANT, cleanup.id).started == {0}
    assert not repository.start_sub_batch(TENANT, "missing", 0)


def test_repository_updates_details_and_refuses_a_missing_cleanup(repository: CleanupRepository) -> None:
    # Given a cleanup
    cleanup = pending()
    repository.save_new(cleanup, [["a"]])
    # When its reference is set and its metadata removed
    later = replace(cleanup, updated_at="2025-01-01T12:00:05.000Z")
    after = repository.update_details(later, {"reference": "r2", "metadata": None})
    # Then both changed with updated_at; a deleted cleanup is not found
    assert (after.reference, after.metadata, after.updated_at) == ("r2", {}, later.updated_at)
    repository.delete(after)
    with pytest.raises(RecordNotFoundError):
        repository.update_details(later, {"reference": "r3"})
    assert repository.batch_ids(TENANT, cleanup.id, 0) == []


def test_repository_slots_stop_at_the_limit_and_can_be_reset(repository: CleanupRepository) -> None:
    # Given a limit of two
    repository.acquire_slot(TENANT, 2)
    repository.acquire_slot(TENANT, 2)
    # When a third is asked for, then it is refused until one is released or the count reset
    with pytest.raises(CleanupLimitError):
        repository.acquire_slot(TENANT, 2)
    repository.release_slot(TENANT)
    repository.acquire_slot(TENANT, 2)
    repository.reset_slots(TENANT, 0)
    repository.acquire_slot(TENANT, 2)


def test_repository_finds_stale_active_cleanups_oldest_first(repository: CleanupRepository) -> None:
    # Given two active cleanups updated at different times, and a completed one
    old = pending("cln0000001", updated_at="2025-01-01T10:00:00.000Z")
    newer = pending("cln0000002", updated_at="2025-01-01T11:00:00.000Z")
    done = complete(pending("cln0000003", updated_at="2025-01-01T09:00:00.000Z"), START)
    for cleanup in (newer, old, done):
        repository.save_new(cleanup, [["a"]])
    # When the cleanups not updated since 11:30 are asked for
    found = [c.id for c in repository.stale("2025-01-01T11:30:00.000Z")]
    # Then the active ones come, oldest first; reconciling counts up and moves updated_at
    assert found == [old.id, newer.id]
    repository.mark_reconciled(old, "2025-01-01T12:00:00.000Z")
    assert repository.reconcile_count(old) == 1
    assert [c.id for c in repository.stale("2025-01-01T11:30:00.000Z")] == [newer.id]
    repository.count_sub_batch(TENANT, old.id, 0, 1, 0, {}, "2025-01-01T12:00:01.000Z")
    assert repository.reconcile_count(old) == 0
    assert repository.count_active(TENANT) == 2
