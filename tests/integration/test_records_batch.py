"""delete_batch against moto: strict snapshot, archive, retries, the no-transaction path and call counts."""
from __future__ import annotations

import time
from typing import Any

from chalicelib.records import S3Archive
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.archive import decode
from chalicelib.records.batch import MODIFIED
from chalicelib.records.transact import key_id
from chalicelib.tenancy import iso, now
from tests.integration.records_api import delete_batch, select_ids, update_record
from tests.integration.records_helpers import (
    ConflictingClient,
    MeddlingClient,
    WrappedClient,
    scan,
)
from tools.seed import seed

KEY = "org-alpha/test/cleanup1/000000.json.gz"


def _delete(tenant, ids, *, cutoff: str | None = None, archive: Any = None, store: RecordsStore | None = None):
    return delete_batch(tenant, "skus", ids, not_modified_after=cutoff or iso(now()), archive=archive,
                        archive_key=KEY if archive is not None else None, store=store)


def _touch(tenant, sku_id: str) -> None:
    time.sleep(0.002)  # timestamps have millisecond precision
    update_record(tenant, "skus", sku_id, {"description": "changed"}, {})


def test_delete_batch_keeps_a_record_modified_after_the_cutoff_as_an_error(records, tenant):
    # Given two skus, one modified after the cleanup's cutoff
    untouched, modified = records.sku(), records.sku()
    cutoff = modified.attributes["updated_at"]
    _touch(tenant, modified.id)
    # When both are deleted
    outcome = _delete(tenant, [untouched.id, modified.id], cutoff=cutoff)
    # Then the modified one survives and is an error on updated_at
    assert outcome.deleted == [untouched.id]
    assert outcome.errors == {modified.id: {"updated_at": [MODIFIED]}}
    assert select_ids(tenant, "skus", []) == [modified.id]


def test_delete_batch_keeps_a_record_modified_between_its_read_and_its_delete(records, tenant, s3_archive):
    # Given three full skus, and a write to the second one landing after the worker read it, before it deletes
    families = [records.full_sku() for _ in range(3)]
    ids = [f["skus"] for f in families]
    cutoff = iso(now()) or ""
    meddling = MeddlingClient(RecordsStore().client, lambda: _touch(tenant, ids[1]))
    # When the batch is deleted
    outcome = _delete(tenant, ids, cutoff=cutoff, archive=s3_archive, store=RecordsStore(client=meddling))
    # Then the modified sku and all its associated records survive, reported modified; the others are gone
    assert outcome.deleted == [ids[0], ids[2]]
    assert outcome.errors == {ids[1]: {"updated_at": [MODIFIED]}}
    left = {item["sk"]["S"] for item in scan().values()}
    assert set(families[1].values()) <= left
    assert not (set(families[0].values()) | set(families[2].values())) & left
    # And the archive lists only the deleted roots, the modified one as modified
    archived = decode(s3_archive.get(KEY) or b"")
    assert [g.id for g in archived.groups] == [ids[0], ids[2]] and archived.modified == (ids[1],)


def test_delete_batch_counts_a_record_already_gone_as_deleted(records, tenant):
    # Given a sku deleted once
    sku = records.sku()
    _delete(tenant, [sku.id])
    # When it is deleted again
    outcome = _delete(tenant, [sku.id])
    # Then it counts as deleted, with no error
    assert outcome.deleted == [sku.id] and outcome.errors == {}


def test_delete_batch_archives_the_raw_items_it_deletes(records, tenant, s3_archive):
    # Given two full skus and a bystander, and the table as stored
    families = [records.full_sku() for _ in range(2)]
    records.full_sku()
    before = scan()
    # When the two are deleted with an archive
    _delete(tenant, [f["skus"] for f in families], archive=s3_archive)
    # Then the archive holds, root by root, exactly the raw items that left the table
    archived = decode(s3_archive.get(KEY) or b"")
    after = scan()
    gone = {k: v for k, v in before.items() if k not in after}
    assert {key_id(i): i for g in archived.groups for i in g.items} == gone
    for family, group in zip(families, archived.groups, strict=True):
        assert group.id == family["skus"] and group.root == before[key_id(group.root)]
        assert {i["sk"]["S"] for i in group.records} == set(family.values()) - {family["skus"]}
        assert [g["record_id"]["S"] for g in group.guards] == [family["skus"]]


def test_delete_batch_retries_conflicting_transactions(records, tenant):
    # Given full skus and a table whose transactions conflict twice
    families = [records.full_sku() for _ in range(3)]
    conflicting = ConflictingClient(RecordsStore().client, times=2)
    store = RecordsStore(client=conflicting, sleep=lambda _: None)
    # When they are deleted
    outcome = _delete(tenant, [f["skus"] for f in families], store=store)
    # Then the transaction went through on the third attempt and every record is gone
    assert len(outcome.deleted) == 3 and conflicting.calls["transact_write_items"] == 3
    for type_name in ("skus", "prices", "price_volume_tiers", "stock_items", "sku_list_items"):
        assert select_ids(tenant, type_name, []) == []



def test_delete_batch_makes_few_calls_per_item_deleted(tables, tenant):
    # Given 250 seeded skus with their 4 associated records and their code guard each
    seed(tenant, skus=250, skus_per_list=250, workers=1)
    ids = select_ids(tenant, "skus", [])
    counting = WrappedClient(RecordsStore().client)
    # When the batch is deleted
    outcome = _delete(tenant, ids, store=RecordsStore(client=counting))
    # Then the calls stay within 1.5 x the physical minimum: one read and one transaction per 100 items
    items_deleted = 250 * 6
    assert len(outcome.deleted) == 250
    calls = sum(counting.calls.values())
    minimum = 2 * items_deleted / 100
    print(f"{calls} calls for {items_deleted} items: {calls / minimum:.2f} x the minimum {dict(counting.calls)}")
    assert calls <= 1.5 * minimum
    assert not [pk for pk, _ in scan() if pk.endswith(("#skus", "#unique#code"))]
    assert select_ids(tenant, "prices", []) == [] and select_ids(tenant, "price_volume_tiers", []) == []


def test_s3_archive_answers_none_for_a_missing_object(s3_archive: S3Archive):
    # Given an empty bucket; when an object that was never written is read; then there is none
    assert s3_archive.get("nothing/here.json.gz") is None


def test_s3_archive_create_keeps_the_first_body_and_answers_it(s3_archive: S3Archive):
    # Given an object created under a key
    assert s3_archive.create(KEY, b"first") is None
    # When another body is created under the same key
    answer = s3_archive.create(KEY, b"second")
    # Then the first stays and is the answer
    assert answer == b"first"
    assert s3_archive.get(KEY) == b"first"


def test_delete_batch_redelivered_keeps_its_archive_and_reports_the_same(tables, tenant, s3_archive):
    # Given a sub-batch archived and deleted
    summary = seed(tenant, skus=2)
    ids = select_ids(tenant, "skus", [])
    first = _delete(tenant, ids, archive=s3_archive)
    archived = s3_archive.get(KEY)
    # When the sub-batch is delivered again with a new cutoff
    again = _delete(tenant, ids, archive=s3_archive)
    # Then the archive is unchanged, and the redelivery reports what the first one did
    assert summary.counts["skus"] == 2 and first.deleted == ids
    assert s3_archive.get(KEY) == archived
    assert again.deleted == first.deleted and again.errors == {}


def test_delete_batch_with_an_archive_fills_every_transaction(tables, tenant, s3_archive):
    # Given 250 seeded skus with their 4 associated records and their code guard each: 1,500 items
    seed(tenant, skus=250, skus_per_list=250, workers=1)
    ids = select_ids(tenant, "skus", [])
    counting = WrappedClient(RecordsStore().client)
    # When the batch is deleted with an archive, the redo log between the roots and the rest
    outcome = _delete(tenant, ids, archive=s3_archive, store=RecordsStore(client=counting))
    # Then 15 transactions of 100 deletes took them: the roots with their guards (500), then the others
    assert len(outcome.deleted) == 250
    assert counting.calls["transact_write_items"] == 15
    assert select_ids(tenant, "skus", []) == [] and select_ids(tenant, "prices", []) == []
