"""restore_batch against moto: byte-equal restores, conflicts left as they are, idempotent redelivery."""
from __future__ import annotations

import time

import pytest

from chalicelib.records import ArchiveMissingError
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.items import record_key
from chalicelib.records.restore import ALREADY_EXISTS
from chalicelib.tenancy import Tenant, iso, now
from tests.integration.records_api import delete_batch, restore_batch, update_record
from tests.integration.records_helpers import scan

KEY = "org-alpha/test/cleanup1/000000.json.gz"


def _delete_archived(tenant, ids: list[str], archive, cutoff: str = "9999") -> None:
    delete_batch(tenant, "skus", ids, not_modified_after=cutoff, archive=archive, archive_key=KEY)


def test_restore_batch_puts_back_the_raw_items_as_they_were(records, tenant, s3_archive):
    # Given two full skus deleted with an archive
    families = [records.full_sku() for _ in range(2)]
    before = scan()
    _delete_archived(tenant, [f["skus"] for f in families], s3_archive)
    # When the sub-batch is restored
    outcome = restore_batch(tenant, s3_archive, KEY)
    # Then both are back, and the table is the table before, item for item
    assert outcome.restored == [f["skus"] for f in families] and outcome.errors == {}
    assert scan() == before


def test_restore_batch_twice_restores_once(records, tenant, s3_archive):
    # Given a restored sub-batch
    family = records.full_sku()
    before = scan()
    _delete_archived(tenant, [family["skus"]], s3_archive)
    restore_batch(tenant, s3_archive, KEY)
    # When it is restored again (a redelivered message)
    outcome = restore_batch(tenant, s3_archive, KEY)
    # Then the items already back count as restored, and nothing changed
    assert outcome.restored == [family["skus"]] and outcome.errors == {}
    assert scan() == before


def test_restore_batch_leaves_a_root_whose_id_exists_again(records, tenant, s3_archive):
    # Given a deleted sku whose id was stored again meanwhile, with other content
    doomed, other = records.full_sku(), records.full_sku()
    _delete_archived(tenant, [doomed["skus"], other["skus"]], s3_archive)
    squatter = {**record_key(tenant, "skus", doomed["skus"]), "id": {"S": doomed["skus"]}, "name": {"S": "new"}}
    RecordsStore().put(squatter)
    # When the sub-batch is restored
    outcome = restore_batch(tenant, s3_archive, KEY)
    # Then that sku is an error on its id and nothing of its group came back; the other is restored
    assert outcome.errors == {doomed["skus"]: {"id": [ALREADY_EXISTS]}} and outcome.restored == [other["skus"]]
    stored = {sk: item for (_, sk), item in scan().items()}
    assert stored[doomed["skus"]] == squatter
    assert not {i for t, i in doomed.items() if t != "skus"} & set(stored)


def test_restore_batch_leaves_a_root_whose_code_is_taken(records, tenant, s3_archive):
    # Given a deleted sku whose code another sku took meanwhile
    doomed = records.full_sku("TAKEN1")
    _delete_archived(tenant, [doomed["skus"]], s3_archive)
    newcomer = records.sku("taken1")
    # When the sub-batch is restored
    outcome = restore_batch(tenant, s3_archive, KEY)
    # Then the sku is an error on its code, nothing of its group came back, the newcomer keeps the code
    assert outcome.errors == {doomed["skus"]: {"code": ["has already been taken"]}} and outcome.restored == []
    stored = {sk: item for (_, sk), item in scan().items()}
    assert not set(doomed.values()) & set(stored)
    assert stored["taken1"]["record_id"] == {"S": newcomer.id}


def test_restore_batch_brings_back_only_the_roots_that_were_deleted(records, tenant, s3_archive):
    # Given a sub-batch where one sku was modified after the cutoff, so kept
    kept, doomed = records.full_sku(), records.full_sku()
    cutoff = iso(now()) or ""
    time.sleep(0.002)  # timestamps have millisecond precision
    update_record(tenant, "skus", kept["skus"], {"description": "changed"}, {})
    _delete_archived(tenant, [kept["skus"], doomed["skus"]], s3_archive, cutoff=cutoff)
    # When it is restored
    outcome = restore_batch(tenant, s3_archive, KEY)
    # Then only the deleted sku is restored, and the kept one is not an error
    assert outcome.restored == [doomed["skus"]] and outcome.errors == {}


def test_restore_batch_of_a_sub_batch_never_archived_is_an_error(tables, tenant, s3_archive):
    with pytest.raises(ArchiveMissingError):
        restore_batch(tenant, s3_archive, "org-alpha/test/none/000000.json.gz")


def test_restore_batch_refuses_another_tenants_archive(records, tenant, s3_archive):
    # Given an archived sub-batch of one tenant
    _delete_archived(tenant, [records.sku().id], s3_archive)
    # When another tenant restores it; then it is refused
    with pytest.raises(ValueError, match="another tenant"):
        restore_batch(Tenant("org-beta", "test"), s3_archive, KEY)


