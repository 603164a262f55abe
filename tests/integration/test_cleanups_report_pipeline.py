"""The complete report on moto: the real worker writes its parts to S3, the delivery that ends the cleanup
composes the file (a message when the API ends it), and `report_url` downloads it (a presigned link)."""
from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests

from chalicelib import cleanups
from chalicelib.cleanups.domain.report import read_csv
from chalicelib.tenancy import Tenant
from tests.integration import records_api
from tests.integration.cleanup_helpers import (
    RecordingEvents,
    create,
    drain,
    drain_interrupted_in_first_sub_batch,
    make_skus,
    one_changed_after_create,
    ports,
)

ASSOCIATED = {"prices": "1", "price_volume_tiers": "1", "stock_items": "1", "sku_list_items": "1"}


def downloaded(cleanup_id: str, tenant: Tenant, events: RecordingEvents) -> tuple[Any, list[dict[str, str]]]:
    read = cleanups.get_cleanup(ports(events), tenant, cleanup_id)
    assert read.report_url is not None, read
    response = requests.get(read.report_url, timeout=10)
    assert response.status_code == 200
    return read, read_csv(response.content)


def test_report_of_a_cleanup_with_an_error_has_a_row_per_sku_with_what_went_with_it(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given twelve full skus (a price and its tier, a stock item, a list item each), one changed after the create
    skus, cleanup, touched = one_changed_after_create(records, tenant, events)
    # When the queue is drained (the last batch composes the report) and the report downloaded through report_url
    drain(events)
    final, rows = downloaded(cleanup.id, tenant, events)
    # Then every sku has its row, in snapshot order: eleven deleted with one of each associated type, one error
    assert [r["id"] for r in rows] == sorted(s["skus"] for s in skus)
    assert (final.status, final.processed_count, final.errors_count) == ("completed", 11, 1)
    by_id = {r["id"]: r for r in rows}
    assert by_id[touched]["outcome"] == "error"
    assert by_id[touched]["errors"] == "updated_at: has been modified after the cleanup was created"
    assert all({k: r[k] for k in ASSOCIATED} == ASSOCIATED for r in rows if r["outcome"] == "deleted")
    assert Counter(r["outcome"] for r in rows) == {"deleted": 11, "error": 1}


def test_report_of_a_cleanup_interrupted_in_its_first_sub_batch_lists_the_rest_not_processed(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given twelve skus (sub-batches of two), interrupted while the first sub-batch is deleted
    make_skus(records, 12)
    cleanup = create(tenant, events)
    # When the queue is drained and the report downloaded
    drain_interrupted_in_first_sub_batch(cleanup, events, monkeypatch)
    drain(events)  # a report message, if the API's interrupt ended it
    final, rows = downloaded(cleanup.id, tenant, events)
    # Then the first sub-batch's two skus are deleted, the other ten not processed and still there
    assert (final.status, final.processed_count) == ("interrupted", 2)
    assert Counter(r["outcome"] for r in rows) == {"deleted": 2, "not_processed": 10}
    left = set(records_api.select_ids(tenant, "skus", []))
    assert {r["id"] for r in rows if r["outcome"] == "not_processed"} <= left
