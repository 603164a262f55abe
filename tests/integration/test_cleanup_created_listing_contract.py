"""Pages by `created_at`: both adapters answer newest or oldest first as the whole list sorted would.

Cleanups created in the same millisecond are listed in id order, pages never skip nor repeat one
at a boundary inside such a tie, one status or one reference lists the same way, and the DynamoDB
adapter reads about the page from the `created_at` index (and the same page from the whole
partition on a table the index is not on yet).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest
from pynamodb.connection.base import Connection

from chalicelib.cleanups import CREATED_AT, CleanupRepository, Listing
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import Cleanup, complete, interrupt, start
from chalicelib.events import add_recorded
from chalicelib.records.sorting import sort_rows
from chalicelib.tenancy import iso
from devstack.provision import load_template, table_request
from tests.integration.test_cleanup_listing_contract import NOW, OTHER, TENANT, move, new, save

COUNT = 23


def created(number: int) -> Cleanup:
    """Cleanup `number`: created in threes (ties) a second apart, its id out of creation order."""
    moment = iso(NOW - timedelta(minutes=10) + timedelta(seconds=number // 3))
    return new((number * 7) % COUNT, created_at=moment, updated_at=moment)


def seeded(repository: CleanupRepository) -> list[Cleanup]:
    everything = [created(number) for number in range(COUNT)]
    for cleanup in everything:
        save(repository, cleanup)
    save(repository, replace(created(0), tenant=OTHER))
    return everything


def whole_list(everything: list[Cleanup], descending: bool) -> list[str]:
    """The ids as `sort=created_at` (or `-created_at`) orders the whole list in memory."""
    return [c.id for c in sort_rows(everything, [(CREATED_AT, descending)], lambda c, name: getattr(c, name))]


def ids(page: tuple[list[Cleanup], int]) -> list[str]:
    return [cleanup.id for cleanup in page[0]]


def test_created_at_pages_list_every_cleanup_once_in_the_whole_lists_order_ties_by_id(
        repository: CleanupRepository) -> None:
    # Given cleanups created three at a time, their ids out of creation order, and another tenant's
    everything = seeded(repository)
    for size in (1, 2, 3, 5, 25):
        for descending in (True, False):
            # When every page of `size` is read by created_at, newest or oldest first
            pages = [repository.page(TENANT, Listing(offset, size, descending=descending, by=CREATED_AT))
                     for offset in range(0, COUNT + size, size)]
            # Then together they are the whole list sorted by created_at then id, each cleanup once, each page
            # counting all
            case = f"pages of {size}, {'newest' if descending else 'oldest'} first"
            assert [i for page in pages for i in ids(page)] == whole_list(everything, descending), case
            assert {total for _, total in pages} == {COUNT}, case


def seeded_in_every_status(repository: CleanupRepository) -> list[Cleanup]:
    """As `seeded`; most completed, three each pending, in progress and interrupted; references r0..r2 on most."""
    everything = []
    for number in range(COUNT):
        cleanup = replace(created(number), reference=f"r{number % 3}" if number % 4 else None)
        save(repository, cleanup)
        if number % 8:
            cleanup = move(repository, cleanup, start(cleanup, NOW))
        if number % 8 == 2:
            cleanup = move(repository, cleanup, interrupt(cleanup, NOW))
        elif number % 8 > 2:
            cleanup = move(repository, cleanup, complete(cleanup, NOW))
        everything.append(repository.get(TENANT, cleanup.id))
    save(repository, replace(created(1), tenant=OTHER, reference="r1"))
    return everything


def test_created_at_pages_of_one_status_or_reference_list_each_match_once_in_the_same_order(
        repository: CleanupRepository) -> None:
    # Given cleanups in every status (most completed), created three at a time, some with a reference, another tenant's
    everything = seeded_in_every_status(repository)
    for keys in ({"status": "completed"}, {"status": "pending"}, {"status": "nope"},
                 {"reference": "r1"}, {"reference": "r"}):
        matching = [c for c in everything if keys.get("status", c.status) == c.status
                    and keys.get("reference", c.reference) == c.reference]
        for descending in (True, False):
            # When every page of 3 of one status or reference is read by created_at, newest or oldest first
            pages = [repository.page(TENANT, Listing(offset, 3, descending=descending, by=CREATED_AT, **keys))
                     for offset in range(0, COUNT + 3, 3)]
            # Then they are the matching part of the whole list in that order, each once; each page counts every
            # match
            case = f"{keys}, {'newest' if descending else 'oldest'} first"
            assert [i for page in pages for i in ids(page)] == whole_list(matching, descending), case
            assert {total for _, total in pages} == {len(matching)}, case


@pytest.fixture
def created_index_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The cleanups each Query of the `created_at` or `by_status` index examined (its ScannedCount), in order."""
    scanned: list[int] = []
    send = Connection._make_api_call

    def counting(self: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        answer = send(self, operation, kwargs)
        if operation == "Query" and kwargs.get("IndexName") in (CREATED_AT, "by_status"):
            scanned.append(answer.get("ScannedCount", 0))
        return answer
    monkeypatch.setattr(Connection, "_make_api_call", counting)
    yield scanned


def test_a_created_at_page_reads_about_the_page_from_the_index(
        tables: dict[str, str], created_index_reads: list[int]) -> None:
    # Given 60 cleanups of one tenant, created a second apart
    repository = DynamoCleanupRepository(add_recorded)
    for number in range(60):
        moment = iso(NOW - timedelta(hours=1) + timedelta(seconds=number))
        save(repository, new(number, created_at=moment, updated_at=moment))
    for descending in (True, False):
        created_index_reads.clear()
        # When the first page of 10, then the third, are read by created_at, newest or oldest first
        first, _ = repository.page(TENANT, Listing(0, 10, descending=descending, by=CREATED_AT))
        first_reads = sum(created_index_reads)
        third, _ = repository.page(TENANT, Listing(20, 10, descending=descending, by=CREATED_AT))
        # Then each reads its offset and limit plus the edge's ties (here one), not the tenant's 60
        case = "newest first" if descending else "oldest first"
        assert [c.id for c in first] == [f"cln{n:07d}" for n in (range(59, 49, -1) if descending else range(10))], case
        assert first_reads == 11, case
        assert sum(created_index_reads) - first_reads == 31, case
        assert len(third) == 10, case


def test_a_created_at_page_of_one_status_reads_about_the_page_or_the_few_of_that_status(
        tables: dict[str, str], created_index_reads: list[int]) -> None:
    # Given 40 cleanups created a second apart: 36 completed, 4 still pending
    repository = DynamoCleanupRepository(add_recorded)
    for number in range(40):
        moment = iso(NOW - timedelta(hours=1) + timedelta(seconds=number))
        cleanup = new(number, created_at=moment, updated_at=moment)
        save(repository, cleanup)
        if number % 10:
            running = move(repository, cleanup, start(cleanup, NOW))
            move(repository, running, complete(running, NOW))
    for status, most in (("completed", 20), ("pending", 4)):
        created_index_reads.clear()
        # When the first page of 10 of one status is read newest first
        page, total = repository.page(TENANT, Listing(0, 10, descending=True, by=CREATED_AT, status=status))
        # Then it is right, and read the created_at index filtered by status (the common one: about the page)
        # or that status's own index whole (the rare one: its few cleanups), whichever reads fewer
        newest = [f"cln{n:07d}" for n in range(39, -1, -1) if (n % 10 == 0) == (status == "pending")]
        assert [c.id for c in page] == newest[:10], status
        assert total == (4 if status == "pending" else 36), status
        assert sum(created_index_reads) <= most, status


def test_a_table_without_the_created_at_index_yet_lists_the_same_page_from_the_partition(
        tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cleanups table as deployed before the created_at index (an upgrade not applied yet, or backfilling)
    properties = load_template()["Resources"]["CleanupsTable"]["Properties"]
    request = table_request(properties, "test-cleanups-before-created-at")
    request["GlobalSecondaryIndexes"] = [i for i in request["GlobalSecondaryIndexes"] if i["IndexName"] != CREATED_AT]
    request["AttributeDefinitions"] = [a for a in request["AttributeDefinitions"] if a["AttributeName"] != CREATED_AT]
    boto3.client("dynamodb").create_table(**request)
    monkeypatch.setenv("CLEANUPS_TABLE", request["TableName"])
    repository = DynamoCleanupRepository(add_recorded)
    everything = seeded(repository)
    # When pages are read by created_at
    page = repository.page(TENANT, Listing(3, 5, descending=True, by=CREATED_AT))
    # Then they are the same pages, read from the whole partition
    assert ids(page) == whole_list(everything, True)[3:8]
    assert page[1] == COUNT
