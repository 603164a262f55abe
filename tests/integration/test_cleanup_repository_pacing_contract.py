"""The throttle's slots, counts with their rate samples, progress events and interrupt requests: the in-memory
fake and DynamoDB (moto) answer alike.

A slot is taken only from the rate and `paced_until` it was planned from, and none once an interrupt is
asked for; a count is written once, whatever another worker's count did to the total; the throttle
changes only while the cleanup is active; an interrupt request is kept once, only while active.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.cleanups.domain.model import complete, interrupt_request
from chalicelib.cleanups.domain.pacing import Pace
from chalicelib.cleanups.exceptions import ThrottleFinishedError
from chalicelib.cleanups.ports import Sample, Start
from chalicelib.events.model import PROGRESS, recorded_change, recorded_progress
from chalicelib.tenancy import parse_iso
from tests.integration.test_cleanup_repository_contract import APP, TENANT, Adapters, adapters, pending, save

__all__ = ["adapters"]  # the contract's fixture: each test runs on both adapters

MOMENT = "2025-01-01T12:00:01.000Z"


def sample(slot: str = "0") -> Sample:
    return slot, [parse_iso(MOMENT).timestamp(), 2]


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


def test_repository_count_adds_its_records_and_sample_once(adapters: Adapters) -> None:
    # Given a cleanup of four records
    repository = adapters.repository
    save(repository, pending())
    # When a count of two records is written, then repeated
    counted = repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT, sample())
    again = repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT, sample())
    # Then it counted once, with its sample, and the repeat wrote nothing
    assert counted is not None and again is None
    assert counted.counted_records == 2 and counted.progress_samples == {"0": [parse_iso(MOMENT).timestamp(), 2]}


def test_repository_count_is_written_whatever_another_worker_did_to_the_total(adapters: Adapters) -> None:
    # Given a cleanup with one sub-batch (two records) counted
    repository = adapters.repository
    save(repository, pending())
    assert repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT, sample())
    # When a worker that read it before counts another sub-batch
    counted = repository.count_sub_batch(TENANT, "cln0000001", 1, 1, 1, {"x": {"base": ["e"]}}, MOMENT, sample("1"))
    # Then it is written, and the cleanup it returns is the total its own write left
    assert counted is not None and (counted.counted, counted.counted_records, counted.errors_count) == ({0, 1}, 4, 1)


def test_repository_reports_a_progress_event_on_its_own(adapters: Adapters) -> None:
    # Given a cleanup with a counted sub-batch
    repository = adapters.repository
    save(repository, pending())
    counted = repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT, sample())
    assert counted is not None
    # When its progress event is reported
    repository.report(recorded_progress(counted, 0))
    # Then the event is stored beside the create
    assert adapters.names("cln0000001") == sorted(["cleanups.create", PROGRESS])


def test_repository_keeps_one_interrupt_request_only_while_active(adapters: Adapters) -> None:
    # Given an active cleanup and a completed one
    repository = adapters.repository
    save(repository, pending())
    finished = complete(pending("cln0000002"), parse_iso(MOMENT))
    save(repository, finished)
    request = interrupt_request(APP, parse_iso(MOMENT))
    # When an interrupt is asked for on each, and again on the active one
    first = repository.request_interrupt(repository.get(TENANT, "cln0000001"), request)
    again = repository.request_interrupt(repository.get(TENANT, "cln0000001"), request)
    late = repository.request_interrupt(finished, request)
    # Then only the first was kept, as asked
    assert first is not None and first.interrupt_request == request and first.status == "pending"
    assert (again, late) == (None, None)


def test_repository_begins_no_sub_batch_once_an_interrupt_is_asked_for(adapters: Adapters) -> None:
    # Given an active cleanup with sub-batch 0 begun, then an interrupt asked for
    repository = adapters.repository
    save(repository, pending())
    assert repository.start_sub_batch(TENANT, "cln0000001", 0)
    assert repository.request_interrupt(repository.get(TENANT, "cln0000001"), interrupt_request(APP,
                                                                                              parse_iso(MOMENT)))
    # When a worker begins another sub-batch, and sub-batch 0's count would begin one in its write
    begun = repository.start_sub_batch(TENANT, "cln0000001", 1)
    chained = repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT, sample(),
                                         Start(2, Pace(rate=None, was=None, begins=0.0, until=None)))
    counted = repository.count_sub_batch(TENANT, "cln0000001", 0, 2, 0, {}, MOMENT, sample())
    # Then neither began; the count alone is written, leaving nothing in flight
    assert (begun, chained) == (False, None)
    assert counted is not None and (counted.started, counted.counted, counted.in_flight) == ({0}, {0}, set())
