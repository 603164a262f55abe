"""A schedule's runs by key: both adapters page them as the whole list sorted by `created_at` would.

The runs are the tenant's cleanups naming the schedule, newest or oldest first (ties in id order),
counted in all; another schedule's, another tenant's and a deleted cleanup are not among them.
The DynamoDB adapter reads its run links then the page's cleanups by key (about the page among
many other cleanups of the tenant), and an expired run is neither listed nor counted.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from chalicelib.cleanups import WORKER, CleanupRepository
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import Cleanup, complete
from chalicelib.config import get_settings
from chalicelib.events import add_recorded
from chalicelib.events.model import recorded_change, recorded_destroy
from chalicelib.tenancy import iso
from tests.integration.test_cleanup_listing_contract import NOW, OTHER, TENANT, new, save

SCHEDULE = "sch0000001"
COUNT = 14


def run(number: int, schedule_id: str | None = SCHEDULE) -> Cleanup:
    """Cleanup `number` of the schedule: created in threes (ties) a second apart, its id out of creation order."""
    moment = iso(NOW - timedelta(minutes=10) + timedelta(seconds=number // 3))
    return new((number * 5) % COUNT, created_at=moment, updated_at=moment, schedule_id=schedule_id)


def seeded(repository: CleanupRepository) -> list[Cleanup]:
    """The schedule's runs; among them cleanups of no schedule and of another, and another tenant's same schedule."""
    runs = [run(number) for number in range(COUNT)]
    for cleanup in runs:
        save(repository, cleanup)
    for number, schedule_id in ((100, None), (101, "sch0000002"), (102, None)):
        save(repository, replace(run(number % COUNT, schedule_id), id=f"cln{number:07d}"))
    save(repository, replace(run(0), tenant=OTHER))
    return runs


def in_created_order(cleanups: list[Cleanup], descending: bool) -> list[str]:
    ordered = sorted(cleanups, key=lambda c: c.id)
    return [c.id for c in sorted(ordered, key=lambda c: c.created_at, reverse=descending)]


def test_runs_pages_list_each_run_of_the_schedule_once_in_created_order_and_count_them_all(
        repository: CleanupRepository) -> None:
    # Given a schedule's runs created three at a time, among other cleanups of the tenant and another tenant's
    runs = seeded(repository)
    for size in (1, 2, 3, 5, 25):
        for descending in (True, False):
            # When every page of `size` is read, newest or oldest first
            pages = [repository.runs_page(TENANT, SCHEDULE, offset, size, descending)
                     for offset in range(0, COUNT + size, size)]
            # Then together they are the schedule's runs in created_at order (ties by id), each once, each page
            # counting all
            case = f"pages of {size}, {'newest' if descending else 'oldest'} first"
            assert [c.id for page, _ in pages for c in page] == in_created_order(runs, descending), case
            assert {total for _, total in pages} == {COUNT}, case
            assert all(c.schedule_id == SCHEDULE and c.tenant == TENANT for page, _ in pages for c in page), case


def test_every_run_and_the_ids_all_or_a_page_are_read_with_their_count(repository: CleanupRepository) -> None:
    # Given a schedule's runs among other cleanups
    runs = seeded(repository)
    # When all of them are read, and only their ids, all or a page
    everything, total = repository.runs_page(TENANT, SCHEDULE, 2, None, True)
    # Then the list from the offset on, and the ids newest first, are the schedule's runs only, each counting all
    assert [c.id for c in everything] == in_created_order(runs, True)[2:] and total == COUNT
    assert repository.run_ids(TENANT, SCHEDULE, 0, None) == (in_created_order(runs, True), COUNT)
    assert repository.run_ids(TENANT, SCHEDULE, 3, 5) == (in_created_order(runs, True)[3:8], COUNT)
    assert repository.run_ids(OTHER, "sch0000002", 0, None) == ([], 0)
    assert repository.runs_page(OTHER, "nope", 0, 5, True) == ([], 0)


def test_a_finished_then_deleted_run_leaves_the_pages_and_the_count(repository: CleanupRepository) -> None:
    # Given a schedule's runs, one of them completed and then deleted
    runs = seeded(repository)
    gone = runs[4]
    done = complete(gone, NOW)
    assert repository.transition(gone, done, recorded_change(gone, done, WORKER, done.updated_at))
    finished = runs[5]
    after = complete(finished, NOW)
    assert repository.transition(finished, after, recorded_change(finished, after, WORKER, after.updated_at))
    assert repository.delete(done, recorded_destroy(done, WORKER, iso(NOW)))
    # When the runs are read
    page, total = repository.runs_page(TENANT, SCHEDULE, 0, 25, True)
    # Then the deleted one is neither listed nor counted; the other finished one is, as it is stored now
    assert [c.id for c in page] == in_created_order([c for c in runs if c.id != gone.id], True)
    assert total == COUNT - 1
    assert next(c for c in page if c.id == finished.id).status == "completed"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Items read by Query (ScannedCount), GetItem and BatchGetItem, by operation."""
    counted: dict[str, int] = {}
    send = Connection._make_api_call

    def counting(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        answer = send(self, operation, kwargs)
        found = {"Query": answer.get("ScannedCount", 0), "GetItem": int("Item" in answer),
                 "BatchGetItem": sum(len(items) for items in answer.get("Responses", {}).values())}
        counted[operation] = counted.get(operation, 0) + found.get(operation, 0)
        return answer
    monkeypatch.setattr(Connection, "_make_api_call", counting)
    yield counted


def test_a_page_of_runs_reads_about_the_page_among_many_cleanups_of_the_tenant(
        tables: dict[str, str], reads: dict[str, int]) -> None:
    # Given 200 finished cleanups of a tenant, a second apart, every tenth of them a run of the schedule
    repository = DynamoCleanupRepository(add_recorded)
    for number in range(200):
        moment = NOW - timedelta(minutes=10) + timedelta(seconds=number)
        save(repository, complete(new(number, created_at=iso(moment), updated_at=iso(moment),
                                      schedule_id=SCHEDULE if number % 10 == 0 else None), moment))
    for descending in (True, False):
        reads.clear()
        # When the second page of 5 runs is read, newest or oldest first
        page, total = repository.runs_page(TENANT, SCHEDULE, 5, 5, descending)
        # Then it is the right page, read from 10 links (newest first, the last one's ties again), 5 cleanups by key
        # and one count bucket: not 200 cleanups
        case = "newest first" if descending else "oldest first"
        expected = [f"cln{number:07d}" for number in range(0, 200, 10)]
        assert [c.id for c in page] == (expected[::-1] if descending else expected)[5:10] and total == 20, case
        assert reads == {"Query": 10 + (1 if descending else 0) + 1, "BatchGetItem": 5}, case


def test_an_expired_run_is_neither_listed_nor_counted_until_ttl_removes_it(tables: dict[str, str]) -> None:
    # Given two finished runs of a schedule, one of them past its retention (TTL has not removed it yet)
    repository = DynamoCleanupRepository(add_recorded)
    old = datetime.now(UTC) - timedelta(days=get_settings().cleanup_retention_days + 2)
    for number, moment in ((1, old), (2, datetime.now(UTC))):
        cleanup = new(number, created_at=iso(moment), updated_at=iso(moment), schedule_id=SCHEDULE)
        save(repository, cleanup)
        after = complete(cleanup, moment)
        assert repository.transition(cleanup, after, recorded_change(cleanup, after, WORKER, after.updated_at))
    # When the runs are read, a page both ways, all of them, their ids
    pages = [repository.runs_page(TENANT, SCHEDULE, 0, 25, descending) for descending in (True, False)]
    # Then only the live one is listed and counted
    assert [([c.id for c in page], total) for page, total in pages] == [(["cln0000002"], 1)] * 2
    assert repository.run_ids(TENANT, SCHEDULE, 0, 25) == (["cln0000002"], 1)
