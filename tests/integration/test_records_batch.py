"""delete_batch against moto: classification, interruption, retries and call counts."""
from __future__ import annotations

import time
from collections import Counter
from typing import Any

from chalicelib.records import delete_batch, select_ids, update_record
from chalicelib.records.batch import MODIFIED
from chalicelib.records.store import RecordsStore
from chalicelib.tenancy import iso, now
from tools.seed import seed


class FlakyClient:
    """A DynamoDB client that leaves the last item of each BatchWriteItem unprocessed `times` times."""

    def __init__(self, client: Any, times: int) -> None:
        self._client = client
        self.times = times
        self.calls: Counter[str] = Counter()

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> Any:  # noqa: N803 (boto3's name)
        self.calls["batch_write_item"] += 1
        (table, requests), = RequestItems.items()
        if self.times > 0 and len(requests) > 1:
            self.times -= 1
            response = self._client.batch_write_item(RequestItems={table: requests[:-1]})
            response["UnprocessedItems"] = {table: requests[-1:]}
            return response
        return self._client.batch_write_item(RequestItems=RequestItems)

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self._client, name)


def _delete(tenant, ids, *, cutoff: str | None = None, size: int = 25, keep_going=lambda: True, store=None):
    return delete_batch(tenant, "skus", ids, not_modified_after=cutoff or iso(now()), sub_batch_size=size,
                        keep_going=keep_going, store=store)


def test_delete_batch_keeps_a_record_modified_after_the_cutoff_as_an_error(records, tenant):
    # Given two skus, one modified after the cleanup's cutoff
    untouched, modified = records.sku(), records.sku()
    cutoff = modified.attributes["updated_at"]
    time.sleep(0.002)  # timestamps have millisecond precision
    update_record(tenant, "skus", modified.id, {"description": "changed"}, {})
    # When both are deleted
    outcome = _delete(tenant, [untouched.id, modified.id], cutoff=cutoff)
    # Then the modified one survives and is an error on updated_at
    assert outcome.deleted == [untouched.id]
    assert outcome.errors == {modified.id: {"updated_at": [MODIFIED]}}
    assert select_ids(tenant, "skus", []) == [modified.id]


def test_delete_batch_counts_a_record_already_gone_as_deleted(records, tenant):
    # Given a sku deleted once
    sku = records.sku()
    _delete(tenant, [sku.id])
    # When it is deleted again
    outcome = _delete(tenant, [sku.id])
    # Then it counts as deleted, with no error
    assert outcome.deleted == [sku.id] and outcome.errors == {} and not outcome.stopped


def test_delete_batch_stops_between_sub_batches_when_told(records, tenant):
    # Given five skus and a worker told to stop after two sub-batches of two
    ids = sorted(records.sku().id for _ in range(5))
    answers = iter([True, True, False])
    # When they are deleted
    outcome = _delete(tenant, ids, size=2, keep_going=lambda: next(answers))
    # Then four are deleted, the last one remains, and is still stored
    assert outcome.stopped and outcome.deleted == ids[:4] and outcome.remaining == ids[4:]
    assert select_ids(tenant, "skus", []) == ids[4:]


def test_delete_batch_retries_unprocessed_items(records, tenant):
    # Given full skus and a table that leaves items unprocessed three times
    families = [records.full_sku() for _ in range(3)]
    flaky = FlakyClient(RecordsStore().client, times=3)
    store = RecordsStore(client=flaky, sleep=lambda _: None)
    # When they are deleted
    outcome = _delete(tenant, [f["skus"] for f in families], store=store)
    # Then every record and associated record is gone
    assert len(outcome.deleted) == 3 and flaky.times == 0
    for type_name in ("skus", "prices", "price_volume_tiers", "stock_items", "sku_list_items"):
        assert select_ids(tenant, type_name, []) == []


def test_delete_batch_makes_few_calls_per_item_deleted(tables, tenant):
    # Given 250 seeded skus with their 4 associated records and their code guard each
    seed(tenant, skus=250, skus_per_list=250, workers=1)
    ids = select_ids(tenant, "skus", [])
    counting = FlakyClient(RecordsStore().client, times=0)
    # When the batch is deleted in sub-batches of 25
    outcome = _delete(tenant, ids, store=RecordsStore(client=counting))
    # Then the calls stay within 1.5 x the physical minimum of one BatchWriteItem per 25 items
    items_deleted = 250 * 6
    assert len(outcome.deleted) == 250
    calls = sum(counting.calls.values())
    print(f"{calls} calls for {items_deleted} items: {calls / (items_deleted / 25):.2f} x the minimum")
    assert calls <= 1.5 * items_deleted / 25
    assert select_ids(tenant, "prices", []) == [] and select_ids(tenant, "price_volume_tiers", []) == []
