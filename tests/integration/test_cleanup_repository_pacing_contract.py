"""The throttle's slots and the progress tally: the in-memory fake and DynamoDB (moto) answer alike.

A slot is taken only from the rate and `paced_until` it was planned from; a tallied count only
while none of the progress steps it records is recorded yet, with their events committed with it
(as are steps recorded on their own); the throttle changes only while the cleanup is active.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.cleanups import CleanupRepository
from chalicelib.cleanups.exceptions import ThrottleFinishedError
from chalicelib.cleanups.model import complete
from chalicelib.cleanups.pacing import Pace
from chalicelib.cleanups.ports import Tally
from chalicelib.events import Recorded
from chalicelib.events.model import PROGRESS, recorded_change, recorded_progress
from chalicelib.tenancy import parse_iso
from tests.integration.test_cleanup_repository_contract import APP, TENANT, Adapters, adapters, pending, save

__all__ = ["adapters"]  # the contract's fixture: each test runs on both adapters

MOMENT = "2025-01-01T12:00:01.000Z"


def tally(repository: CleanupRepository, cleanup_id: str, steps: list[int], slot: str = "0") -> Tally:
    cleanup = repository.get(TENANT, cleanup_id)
    return Tally(steps=tuple(steps), sample=(slot, [parse_iso(MOMENT).timestamp(), 2]),
                 recorded=recorded_progress(cleanup, steps, MOMENT) if steps else Recorded(cleanup))


def test_repository_slot_is_taken_only_from_the_pace_it_was_planned_from(adapters: Adapters) -> None:
    # Given a throttled cleanup whose next slot begins at 100.0
    repository = adapters.repository
    save(repository, pending(max_records_per_second=10, paced_until=100.0))
    # When one worker takes the slot, and a second planned from the same reading tries too
    first = repository.start_sub_batch(TENANT, "cln0000001", 0, Pace(rate=10, was=100.0, begins=100.0, until=100.2))
    second = repository.start_sub_batch(TENANT, "cln0000001", 1, Pace(rate=10, was=100.0, begins=100.0, until=100.2))
    # Then only the first began, and the next slot begins where its slot ends
    stored = repository.get(TENANT, "cln0000001")
    assert (first, second) == (True, False)
    assert stored.started == {0} and stored.paced_until == 100.2


def test_repository_slot_planned_at_an_old_rate_is_refused(adapters: Adapters) -> None:
    # Given a cleanup whose throttle went from none to 5 records per second
    repository = adapters.repository
    save(repository, pending())
    cleanup = repository.get(TENANT, "cln0000001")
    after = replace(cleanup, max_records_per_second=5, updated_at=MOMENT)
    repository.update_details(after, {"max_records_per_second": 5}, recorded_change(cleanup, after, APP, MOMENT))
    # When a worker that read it unthrottled begins a sub-batch, then one that read the new rate
    stale = repository.start_sub_batch(TENANT, "cln0000001", 0, Pace(rate=None, was=None, begins=1.0, until=None))
    fresh = repository.start_sub_batch(TENANT, "cln0000001", 0, Pace(rate=5, was=None, begins=1.0, until=1.4))
    # Then the stale plan is refused and the fresh one paces it
    assert (stale, fresh) == (False, True)
    assert repository.get(TENANT, "cln0000001").paced_until == 1.4


def test_repository_throttle_change_on_a_finished_cleanup_is_refused(adapters: Adapters) -> None:
    # Given a completed cleanup
    repository = adapters.repository
    cleanup = complete(pending(), parse_iso(MOMENT))
    save(repository, cleanup)
    after = replace(cleanup, max_records_per_second=5)
    # When its throttle is changed
    with pytest.raises(ThrottleFinishedError):
        repository.update_details(after, {"max_records_per_second": 5}, recorded_change(cleanup, after, APP, MOMENT))
    # Then nothing changed
    assert repository.get(TENANT, "cln0000001").max_records_per_second is None


def test_repository_tallied_count_commits_its_progress_events_with_it(adapters: Adapters) -> None:
    # Given a cleanup of four records
    repository = adapters.repository
    save(repository, pending())
    # When a count of two records crossing steps 1..5 is written from zero, then repeated
    steps = [1, 2, 3, 4, 5]
    counted = repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT,
                                         tally(repository, "cln0000001", steps))
    again = repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT,
                                       tally(repository, "cln0000001", steps))
    # Then it counted once, with its sample and its five events, and the repeat wrote nothing
    assert counted is not None and again is None
    assert counted.counted_records == 2 and counted.progress_samples == {"0": [parse_iso(MOMENT).timestamp(), 2]}
    assert counted.progress_steps == {1, 2, 3, 4, 5}
    assert adapters.names("cln0000001") == sorted(["cleanups.create", *[PROGRESS] * 5])


def test_repository_tallied_count_recording_a_recorded_step_is_refused_with_its_events(adapters: Adapters) -> None:
    # Given a cleanup with one sub-batch (two records) counted
    repository = adapters.repository
    save(repository, pending())
    assert repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT,
                                      tally(repository, "cln0000001", [1, 2, 3, 4, 5]))
    # When a worker that planned the other sub-batch from a stale read counts it (recording 4..6)
    refused = repository.count_sub_batch(TENANT, "cln0000001", 1, 1, 1, {"x": {"base": ["e"]}}, MOMENT,
                                         tally(repository, "cln0000001", [4, 5, 6], slot="1"))
    # Then nothing was written: not the count, not the events
    stored = repository.get(TENANT, "cln0000001")
    assert refused is None
    assert (stored.counted, stored.counted_records, stored.errors_count) == ({0}, 2, 0)
    assert adapters.names("cln0000001").count(PROGRESS) == 5


def test_repository_records_steps_once_with_their_events(adapters: Adapters) -> None:
    # Given a cleanup whose count recorded steps 1 and 2
    repository = adapters.repository
    save(repository, pending())
    assert repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT,
                                      tally(repository, "cln0000001", [1, 2]))
    cleanup = repository.get(TENANT, "cln0000001")
    # When steps 3 and 4 are recorded on their own, then 4 and 5, then 5 alone
    first = repository.record_steps(cleanup, [3, 4], recorded_progress(cleanup, [3, 4], MOMENT))
    overlapping = repository.record_steps(cleanup, [4, 5], recorded_progress(cleanup, [4, 5], MOMENT))
    last = repository.record_steps(cleanup, [5], recorded_progress(cleanup, [5], MOMENT))
    # Then the overlapping one wrote nothing: each step has one event
    assert (first, overlapping, last) == (True, False, True)
    assert repository.get(TENANT, "cln0000001").progress_steps == {1, 2, 3, 4, 5}
    assert adapters.names("cln0000001") == sorted(["cleanups.create", *[PROGRESS] * 5])


def test_repository_tallied_count_recording_no_step_is_written_whatever_the_total(adapters: Adapters) -> None:
    # Given a cleanup with one sub-batch (two records) counted, recording steps 1..5
    repository = adapters.repository
    save(repository, pending())
    assert repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT,
                                      tally(repository, "cln0000001", [1, 2, 3, 4, 5]))
    # When a worker whose plan crosses no step counts another sub-batch
    counted = repository.count_sub_batch(TENANT, "cln0000001", 1, 2, 0, {}, MOMENT,
                                         tally(repository, "cln0000001", [], slot="1"))
    # Then it is written: a total moved by another worker's count does not refuse it
    assert counted is not None and (counted.counted, counted.counted_records) == ({0, 1}, 4)
