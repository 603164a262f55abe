"""One contract, two adapters: the in-memory records store answers like the hosted one (DynamoDB and S3 on moto).

What a cleanup rests on: selection in id order with its excess seen, pages that resume after an
id, existence read by key, deletes that keep a record modified after the cutoff and count one
already gone as deleted, and restores that put back what a sub-batch deleted.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from chalicelib.bootstrap import HostedRecords, records_store
from chalicelib.cleanups import RecordStore
from chalicelib.filters import Condition
from chalicelib.records import RecordsStore, S3Archive
from chalicelib.records.batch import MODIFIED
from chalicelib.tenancy import Tenant, iso, now
from tests.integration.conftest import RecordFactory
from tests.integration.records_api import update_record
from tests.unit.fakes import InMemoryRecords

TENANT = Tenant("org-alpha", "test")
OTHER = Tenant("org-beta", "test")
STARTS_WITH_A = [Condition("code_start", ("code",), "start", "A")]


@dataclass
class Adapters:
    """A records store, with a way to add a sku (tenant, code -> id) and to modify one later."""

    store: RecordStore
    add_sku: Callable[[Tenant, str], str]
    touch: Callable[[str], None]


def _in_memory() -> Adapters:
    memory = InMemoryRecords()
    numbers = iter(range(1, 1000))

    def add_sku(tenant: Tenant, code: str) -> str:
        record_id = f"sku{next(numbers):07d}"
        memory.add(tenant, "skus", record_id, now(), code=code)
        return record_id

    def touch(record_id: str) -> None:
        memory.records[(TENANT.key, "skus", record_id)]["updated_at"] = iso(now())

    return Adapters(memory, add_sku, touch)


def _hosted(s3_archive: S3Archive) -> Adapters:
    factories: dict[Tenant, RecordFactory] = {}

    def add_sku(tenant: Tenant, code: str) -> str:
        return factories.setdefault(tenant, RecordFactory(tenant)).sku(code).id

    def touch(record_id: str) -> None:
        update_record(TENANT, "skus", record_id, {"description": "changed"}, {})

    return Adapters(HostedRecords(s3_archive, records_store(), RecordsStore(concurrency=4)), add_sku, touch)


@pytest.fixture(params=["in_memory", "dynamodb"])
def adapters(request: pytest.FixtureRequest) -> Iterator[Adapters]:
    yield _in_memory() if request.param == "in_memory" else _hosted(request.getfixturevalue("s3_archive"))


def _skus(adapters: Adapters, *codes: str, tenant: Tenant = TENANT) -> list[str]:
    return [adapters.add_sku(tenant, code) for code in codes]


def test_select_ids_answers_the_matches_in_id_order_or_one_over_the_limit(adapters: Adapters) -> None:
    # Given four skus starting with A, one that does not, and one of another tenant
    matching = sorted(_skus(adapters, "A1", "A2", "A3", "A4"))
    _skus(adapters, "B1")
    _skus(adapters, "A9", tenant=OTHER)
    # When they are selected by code, under a limit of 10 and of 2
    within, over = (adapters.store.select_ids(TENANT, "skus", STARTS_WITH_A, limit) for limit in (10, 2))
    # Then within it, the tenant's matches come in id order
    assert within == matching
    # And over it, one more than the limit of them (which ones is the store's choice), in id order
    assert len(over) == 3 and over == sorted(over) and set(over) <= set(matching)


def test_select_page_resumes_after_an_id_and_says_whether_more_follow(adapters: Adapters) -> None:
    # Given five matching skus
    matching = sorted(_skus(adapters, "A1", "A2", "A3", "A4", "A5"))
    # When they are read in pages of 2
    first = adapters.store.select_page(TENANT, "skus", STARTS_WITH_A, None, 2)
    second = adapters.store.select_page(TENANT, "skus", STARTS_WITH_A, first[0][-1], 2)
    last = adapters.store.select_page(TENANT, "skus", STARTS_WITH_A, second[0][-1], 2)
    # Then each resumes after the previous one's last id, and only the last says nothing follows
    assert [first, second, last] == [(matching[:2], True), (matching[2:4], True), (matching[4:], False)]


def test_existing_ids_answers_those_that_exist_in_id_order(adapters: Adapters) -> None:
    # Given two skus of the tenant and one of another tenant
    ids = _skus(adapters, "A1", "A2")
    elsewhere = _skus(adapters, "A3", tenant=OTHER)
    # When the existence of these and an unknown id is asked, then only the tenant's own are answered
    assert adapters.store.existing_ids(TENANT, "skus", [*ids, *elsewhere, "sku9999999"][::-1]) == sorted(ids)


def test_delete_sub_batch_keeps_a_record_modified_after_the_cutoff_and_counts_one_gone_as_deleted(
        adapters: Adapters) -> None:
    # Given three skus, the cutoff, then one of them modified
    kept, deleted, modified = _skus(adapters, "A1", "A2", "A3")
    time.sleep(0.002)  # timestamps have millisecond precision
    cutoff = iso(now())
    time.sleep(0.002)
    adapters.touch(modified)
    # When two of them are deleted, then again with the modified one
    first = adapters.store.delete_sub_batch(TENANT, "skus", [deleted], not_modified_after=cutoff,
                                            cleanup_id="cln0000001", number=1)
    again = adapters.store.delete_sub_batch(TENANT, "skus", [deleted, modified], not_modified_after=cutoff,
                                            cleanup_id="cln0000001", number=2)
    # Then the one deleted twice counts as deleted both times, and the modified one is an error, kept
    assert first.deleted == [deleted] and first.errors == {}
    assert again.deleted == [deleted] and again.errors == {modified: {"updated_at": [MODIFIED]}}
    assert adapters.store.existing_ids(TENANT, "skus", [kept, deleted, modified]) == sorted([kept, modified])


def test_restore_sub_batch_puts_back_what_it_deleted_once_and_knows_no_other(adapters: Adapters) -> None:
    # Given two skus deleted as sub-batch 1 of a cleanup
    ids = sorted(_skus(adapters, "A1", "A2"))
    adapters.store.delete_sub_batch(TENANT, "skus", ids, not_modified_after=iso(now()), cleanup_id="cln0000001",
                                    number=1)
    # When the sub-batch is restored, twice
    restored = adapters.store.restore_sub_batch(TENANT, "cln0000001", 1)
    again = adapters.store.restore_sub_batch(TENANT, "cln0000001", 1)
    # Then both skus are back, and the second restore counts them restored again (unchanged)
    assert sorted(restored.restored) == ids and restored.errors == {}
    assert sorted(again.restored) == ids and again.errors == {}
    assert adapters.store.existing_ids(TENANT, "skus", ids) == ids
    # And a sub-batch that was never deleted has no archive
    assert adapters.store.restore_sub_batch(TENANT, "cln0000001", 2).archived is False
