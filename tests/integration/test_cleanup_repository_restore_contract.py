"""The repository's restore methods, one contract on two adapters: the in-memory fake and DynamoDB (moto).

What the restore worker rests on: restore transitions conditional on the stored restore status (and
on the cleanup being finished), a sub-batch begun only while the restore runs and counted once, stalled
restores found, and a legacy item (stored before restores existed) that can be restored too.
"""
from __future__ import annotations

from dataclasses import replace

import boto3

from chalicelib.cleanups import Cleanup, CleanupRepository
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import complete
from chalicelib.cleanups.restore.model import begun, finished, requested, stopped
from chalicelib.config import get_settings
from chalicelib.events import add_recorded
from tests.integration.test_cleanup_repository_contract import TENANT, changed, pending, save
from tests.unit.fakes import START

LATER = "2025-01-01T13:00:00.000Z"


def restore(repository: CleanupRepository, before: Cleanup, after: Cleanup) -> bool:
    return repository.restore_transition(before, after, changed(before, after))


def completed(repository: CleanupRepository, cleanup_id: str = "cln0000001", **changes: object) -> Cleanup:
    cleanup = replace(complete(pending(cleanup_id), START), started=frozenset({0, 1}), counted=frozenset({0, 1}),
                      **changes)
    save(repository, cleanup)
    return repository.get(TENANT, cleanup.id)


def test_repository_restore_transition_wins_once_and_only_on_a_finished_cleanup(
        repository: CleanupRepository) -> None:
    # Given a completed cleanup and an active one
    done = completed(repository)
    active = pending("cln0000002")
    save(repository, active)
    # When two requests race to restore the completed one, and one asks to restore the active one
    asked = requested(done, START)
    first, second = restore(repository, done, asked), restore(repository, done, asked)
    on_active = restore(repository, active, requested(active, START))
    # Then only the first wins, with zeroed counts; the active cleanup is refused
    assert (first, second, on_active) == (True, False, False)
    stored = repository.get(TENANT, done.id)
    assert (stored.status, stored.restore_status, stored.restored_count, stored.restore_errors_log) == (
        "completed", "pending", 0, {})
    assert repository.get(TENANT, active.id).restore_status is None
    # And the restore moves on only from its stored status
    running = begun(stored, START)
    assert restore(repository, stored, running)
    assert not restore(repository, stored, stopped(stored, START))
    assert restore(repository, running, finished(running, START))
    assert repository.get(TENANT, done.id).restore_status == "completed"


def test_repository_begins_a_restore_sub_batch_only_while_the_restore_runs(repository: CleanupRepository) -> None:
    # Given a restore that begins sub-batch 0, then is interrupted
    done = completed(repository)
    assert not repository.start_restore_sub_batch(TENANT, done.id, 0)  # no restore asked yet
    asked = requested(done, START)
    restore(repository, done, asked)
    began = repository.start_restore_sub_batch(TENANT, done.id, 0)
    restore(repository, asked, stopped(asked, START))
    # When sub-batch 1 asks to begin, then it may not, and the begun one is remembered
    assert began and not repository.start_restore_sub_batch(TENANT, done.id, 1)
    assert repository.get(TENANT, done.id).restore_started == {0}


def test_repository_counts_a_restore_sub_batch_once(repository: CleanupRepository) -> None:
    # Given a restore asked of a completed cleanup
    done = completed(repository)
    assert repository.count_restore_sub_batch(TENANT, done.id, 0, 2, 0, {}, LATER) is None  # none asked yet
    restore(repository, done, requested(done, START))
    # When sub-batch 1 is counted twice, then sub-batch 0 once
    once = repository.count_restore_sub_batch(TENANT, done.id, 1, 1, 1, {"d": {"code": ["x"]}}, LATER)
    twice = repository.count_restore_sub_batch(TENANT, done.id, 1, 1, 1, {"d": {"code": ["x"]}}, LATER)
    both = repository.count_restore_sub_batch(TENANT, done.id, 0, 2, 0, {}, LATER)
    # Then the repeat is refused, the counts moved once per sub-batch, and the cleanup's own are untouched
    assert once is not None and twice is None and both is not None
    assert (both.restored_count, both.restore_errors_count, both.restore_counted) == (3, 1, {0, 1})
    assert both.restore_errors_log == {"d": {"code": ["x"]}} and both.fully_restored
    assert (both.processed_count, both.errors_log, both.updated_at) == (0, {}, LATER)


def test_repository_resume_transition_keeps_the_counts_and_the_sub_batches_counted(
        repository: CleanupRepository) -> None:
    # Given a restore that counted sub-batch 0 (one error logged), began sub-batch 1, was reconciled, then interrupted
    done = completed(repository)
    asked = requested(done, START)
    restore(repository, done, asked)
    repository.start_restore_sub_batch(TENANT, done.id, 0)
    repository.count_restore_sub_batch(TENANT, done.id, 0, 1, 1, {"d": {"code": ["x"]}}, LATER)
    repository.start_restore_sub_batch(TENANT, done.id, 1)
    repository.mark_reconciled(asked, LATER)
    running = repository.get(TENANT, done.id)
    restore(repository, running, stopped(running, START))
    interrupted = repository.get(TENANT, done.id)
    # When two requests race to resume it
    resumed = requested(interrupted, START)
    first, second = restore(repository, interrupted, resumed), restore(repository, interrupted, resumed)
    # Then only the first wins: pending, with its counts, log and sub-batches kept, and its attempts afresh
    stored = repository.get(TENANT, done.id)
    assert (first, second) == (True, False)
    assert (stored.restore_status, stored.restored_count, stored.restore_errors_count) == ("pending", 1, 1)
    assert stored.restore_errors_log == {"d": {"code": ["x"]}}
    assert (stored.restore_started, stored.restore_counted) == ({0, 1}, {0})
    assert repository.reconcile_count(stored) == 0
    # And the begun sub-batch counts on top of them, once
    both = repository.count_restore_sub_batch(TENANT, done.id, 1, 2, 0, {}, LATER)
    assert repository.count_restore_sub_batch(TENANT, done.id, 1, 2, 0, {}, LATER) is None
    assert both is not None and (both.restored_count, both.restore_errors_count, both.fully_restored) == (3, 1, True)


def test_repository_finds_stale_running_restores_only(repository: CleanupRepository) -> None:
    # Given a running restore, a finished one, and a stale active cleanup (the cleanups' own list)
    running = completed(repository, "cln0000001")
    restore(repository, running, replace(requested(running, START), updated_at="2025-01-01T10:00:00.000Z"))
    ended = completed(repository, "cln0000002")
    asked = requested(ended, START)
    restore(repository, ended, asked)
    restore(repository, asked, finished(asked, START))
    save(repository, pending("cln0000003", updated_at="2025-01-01T09:00:00.000Z"))
    # When the restores not updated since 11:30 are asked for, then only the running one comes
    assert [c.id for c in repository.stale_restores("2025-01-01T11:30:00.000Z")] == [running.id]
    assert [c.id for c in repository.stale("2025-01-01T11:30:00.000Z")] == ["cln0000003"]
    # And reconciling moves it out of the stale list
    repository.mark_reconciled(running, "2025-01-01T12:00:00.000Z")
    assert list(repository.stale_restores("2025-01-01T11:30:00.000Z")) == []


def test_dynamodb_restores_a_cleanup_stored_before_restores_existed(tables: dict[str, str]) -> None:
    # Given a completed cleanup item without any restore attribute (written by an older version)
    dynamodb = DynamoCleanupRepository(add_recorded)
    done = completed(dynamodb)
    boto3.client("dynamodb").update_item(
        TableName=get_settings().cleanups_table, Key={"pk": {"S": f"{TENANT.key}#cleanups"}, "sk": {"S": done.id}},
        UpdateExpression="REMOVE restored_count, restore_errors_count, restore_errors_log, restore_window_days")
    legacy = dynamodb.get(TENANT, done.id)
    assert (legacy.restore_status, legacy.restored_count, legacy.restore_window_days) == (None, 0, 30)
    # When a restore is asked and a sub-batch counted with an error
    assert restore(dynamodb, legacy, requested(legacy, START))
    counted = dynamodb.count_restore_sub_batch(TENANT, done.id, 0, 1, 1, {"b": {"id": ["x"]}}, LATER)
    # Then the counts and the log start from the restore's own zero
    assert counted is not None
    assert (counted.restored_count, counted.restore_errors_count, counted.restore_errors_log) == (
        1, 1, {"b": {"id": ["x"]}})


def test_a_restore_neither_loses_nor_invents_a_report_still_owed(repository: CleanupRepository) -> None:
    # Given two finished cleanups whose reports are unwritten, each with a restore asked and running
    owed = completed(repository, "cln0000001")
    noted = completed(repository, "cln0000002")
    running = {}
    for cleanup in (owed, noted):
        asked = requested(cleanup, START)
        restore(repository, cleanup, asked)
        running[cleanup.id] = begun(asked, START)
        restore(repository, asked, running[cleanup.id])
    # When the second's report is noted written while it restores, and both restores finish
    listed_while_restoring = [c.id for c in repository.unreported("9999")]
    repository.mark_report_written(TENANT, noted.id, LATER)
    assert repository.get(TENANT, noted.id).restoring
    for cleanup_id in (owed.id, noted.id):
        current = repository.get(TENANT, cleanup_id)
        restore(repository, current, finished(current, START))
    # Then neither is listed while restoring (its restore's own list holds it), and afterwards only the one whose
    # report is still owed is
    assert listed_while_restoring == []
    assert [c.id for c in repository.unreported("9999")] == [owed.id]
    assert repository.get(TENANT, noted.id).report_written_at == LATER
