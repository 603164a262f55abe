"""Cascade deletes against moto: every associated record goes, nothing else, even after a crash."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.exceptions import RecordNotFoundError
from chalicelib.records import delete_batch, delete_record, get_record
from chalicelib.records.store import RecordsStore


class CrashingClient:
    """A DynamoDB client whose BatchWriteItem raises after `allowed` calls."""

    def __init__(self, client: Any, allowed: int) -> None:
        self._client = client
        self.allowed = allowed

    def batch_write_item(self, **kwargs: Any) -> Any:
        if self.allowed <= 0:
            raise ConnectionError("the worker died")
        self.allowed -= 1
        return self._client.batch_write_item(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


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


@pytest.mark.parametrize("allowed_calls", [0, 1, 2, 3])
def test_delete_batch_finishes_after_a_crash_half_way(records, tenant, allowed_calls):
    # Given three full skus and a bystander
    families = [records.full_sku() for _ in range(3)]
    bystander = records.full_sku()
    ids = [f["skus"] for f in families]
    crashing = RecordsStore(client=CrashingClient(RecordsStore().client, allowed_calls))
    # When a batch delete dies after some BatchWriteItem calls
    with pytest.raises(ConnectionError):
        delete_batch(tenant, "skus", ids, not_modified_after="9999", sub_batch_size=1,
                     keep_going=lambda: True, store=crashing)
    # And is run again
    outcome = delete_batch(tenant, "skus", ids, not_modified_after="9999", sub_batch_size=1,
                           keep_going=lambda: True)
    # Then every record is deleted with all its associated records, and nothing else
    assert outcome.deleted == ids and outcome.errors == {}
    assert all(_all_gone(tenant, f) for f in families)
    assert all(_exists(tenant, t, i) for t, i in bystander.items())
