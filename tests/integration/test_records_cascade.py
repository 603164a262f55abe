"""Cascade deletes against moto: every associated record goes, nothing else, at any crash point."""
from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from chalicelib.exceptions import RecordNotFoundError
from chalicelib.records import batch
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.archive import decode
from chalicelib.records.transact import chunked, key_id, pack, split
from tests.integration.records_api import delete_batch, delete_record, get_record
from tests.integration.records_helpers import CrashingClient, DyingArchive, scan

KEY = "org-alpha/test/cleanup1/000003.json.gz"


def _exists(tenant, type_name: str, record_id: str) -> bool:
    try:
        get_record(tenant, type_name, record_id)
        return True
    except RecordNotFoundError:
        return False


def _all_gone(tenant, family: dict[str, str]) -> bool:
    return not any(_exists(tenant, t, i) for t, i in family.items())


def test_delete_record_takes_prices_tiers_stock_and_list_items_and_frees_the_code(records, tenant):
    # Given two full skus
    doomed, kept = records.full_sku("DOOMED"), records.full_sku()
    # When one is deleted
    delete_record(tenant, "skus", doomed["skus"])
    # Then all its records are gone, the other's are intact, and its code is free again
    assert _all_gone(tenant, doomed)
    assert all(_exists(tenant, t, i) for t, i in kept.items())
    assert records.sku("doomed").attributes["code"] == "doomed"


def test_delete_record_of_a_price_takes_its_tiers_and_leaves_the_sku(records, tenant):
    # Given a full sku
    family = records.full_sku()
    # When its price is deleted
    delete_record(tenant, "prices", family["prices"])
    # Then the tier went with it, the sku and its other records stay
    assert not _exists(tenant, "price_volume_tiers", family["price_volume_tiers"])
    assert _exists(tenant, "skus", family["skus"]) and _exists(tenant, "stock_items", family["stock_items"])


def test_delete_record_of_an_unknown_id_is_not_found(records, tenant):
    with pytest.raises(RecordNotFoundError):
        delete_record(tenant, "skus", "nothing123")


def _families(records, count: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    return [records.full_sku() for _ in range(count)], records.full_sku()


def _delete(tenant, ids: list[str], archive: Any = None, store: RecordsStore | None = None):
    return delete_batch(tenant, "skus", ids, not_modified_after="9999", archive=archive,
                        archive_key=KEY if archive is not None else None, store=store)


def _one_root_a_transaction(monkeypatch: pytest.MonkeyPatch, limit: int = 6) -> None:
    """Transactions of `limit` actions: each full sku (6 items) alone, crash points between them (with an
    archive: three roots with their guards, then the others 6 at a time)."""
    monkeypatch.setattr(batch, "pack", partial(pack, limit=limit))
    monkeypatch.setattr(batch, "split", partial(split, limit=limit))
    monkeypatch.setattr(batch, "chunked", partial(chunked, limit=limit))


@pytest.mark.parametrize("allowed", [0, 1, 2])
def test_delete_batch_leaves_each_root_whole_or_gone_at_any_crash_point(records, tenant, monkeypatch, allowed):
    # Given three full skus and a bystander, one transaction per sku
    families, bystander = _families(records, 3)
    _one_root_a_transaction(monkeypatch)
    crashing = RecordsStore(client=CrashingClient(RecordsStore().client, allowed))
    # When a batch delete without archive dies after some transactions
    with pytest.raises(ConnectionError):
        _delete(tenant, [f["skus"] for f in families], store=crashing)
    # Then each sku is either there with all its records, or gone with all of them
    wholes = [all(_exists(tenant, t, i) for t, i in f.items()) for f in families]
    assert wholes == [False] * allowed + [True] * (3 - allowed)
    assert all(_all_gone(tenant, f) for f in families[:allowed])
    # And a re-run deletes the rest, and nothing else
    outcome = _delete(tenant, [f["skus"] for f in families])
    assert outcome.deleted == [f["skus"] for f in families] and outcome.errors == {}
    assert all(_all_gone(tenant, f) for f in families)
    assert all(_exists(tenant, t, i) for t, i in bystander.items())


@pytest.mark.parametrize("allowed", [0, 1, 2])
def test_delete_batch_redone_from_its_archive_deletes_exactly_what_it_archived(records, tenant, monkeypatch,
                                                                               s3_archive, allowed):
    # Given three full skus and a bystander, and the table as stored
    families, _ = _families(records, 3)
    before = scan()
    _one_root_a_transaction(monkeypatch)
    crashing = RecordsStore(client=CrashingClient(RecordsStore().client, allowed))
    with pytest.raises(ConnectionError):
        _delete(tenant, [f["skus"] for f in families], archive=s3_archive, store=crashing)
    # When the redelivered sub-batch runs again
    outcome = _delete(tenant, [f["skus"] for f in families], archive=s3_archive)
    # Then every archived item is gone, nothing else is, and nothing is orphaned
    archived = {key_id(i) for g in decode(s3_archive.get(KEY) or b"").groups for i in g.items}
    assert outcome.deleted == [f["skus"] for f in families]
    assert scan() == {k: v for k, v in before.items() if k not in archived}
    assert {sk for _, sk in archived} >= {i for f in families for i in f.values()}


def test_delete_batch_crashed_right_after_archiving_finishes_on_redelivery(records, tenant, s3_archive):
    # Given two full skus and an archive whose write lands and then the worker dies
    families, bystander = _families(records, 2)
    dying = DyingArchive(s3_archive)
    with pytest.raises(ConnectionError):
        _delete(tenant, [f["skus"] for f in families], archive=dying)
    assert all(_exists(tenant, t, i) for f in families for t, i in f.items())
    # When the sub-batch is redelivered
    outcome = _delete(tenant, [f["skus"] for f in families], archive=s3_archive)
    # Then both are deleted with their records, the bystander stays
    assert outcome.deleted == [f["skus"] for f in families]
    assert all(_all_gone(tenant, f) for f in families)
    assert all(_exists(tenant, t, i) for t, i in bystander.items())


def test_delete_batch_finishes_a_deleted_roots_cascade_from_the_archive(records, tenant, monkeypatch, s3_archive):
    # Given a full sku: with an archive its root (with its guard) goes first, its other records after
    (family,), bystander = _families(records, 1)
    _one_root_a_transaction(monkeypatch, limit=4)
    crashing = RecordsStore(client=CrashingClient(RecordsStore().client, allowed=1))
    # When the worker dies once the root is deleted, before the rest
    with pytest.raises(ConnectionError):
        _delete(tenant, [family["skus"]], archive=s3_archive, store=crashing)
    assert not _exists(tenant, "skus", family["skus"])
    assert any(_exists(tenant, t, i) for t, i in family.items())
    # And the sub-batch is redelivered
    outcome = _delete(tenant, [family["skus"]], archive=s3_archive)
    # Then the archive finished the cascade the root can no longer point to
    assert outcome.deleted == [family["skus"]] and _all_gone(tenant, family)
    assert all(_exists(tenant, t, i) for t, i in bystander.items())
