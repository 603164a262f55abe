"""Restoring a cleanup end to end: the local stack's API, worker, S3 archive and DynamoDB Local.

Catalogs are bulk-loaded with `tools.seed` (each sku with a price and its tier, a stock item and a sku
list item); the records table is compared raw, item by item, through the stack's DynamoDB endpoint.
"""
from __future__ import annotations

import time
from typing import Any

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.e2e import RunningStack
from tests.e2e.api import Api
from tools.seed import SeedSummary, seed

DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
Items = dict[tuple[str, str], dict[str, Any]]


def scan(local_stack: RunningStack) -> Items:
    """Every raw item of the stack's records table, by (pk, sk)."""
    client = local_stack.client("dynamodb")
    items: Items = {}
    for page in client.get_paginator("scan").paginate(TableName=get_settings().records_table):
        items.update({(item["pk"]["S"], item["sk"]["S"]): item for item in page["Items"]})
    return items


def seeded(local_stack: RunningStack, skus: int) -> SeedSummary:
    store = RecordsStore(local_stack.client("dynamodb"), get_settings().records_table)
    summary = seed(DEV_TENANT, skus=skus, workers=4, store=store)
    assert all(summary.counts[t] == skus for t in ("skus", "prices", "price_volume_tiers", "stock_items",
                                                     "sku_list_items"))
    return summary


def patch(api: Api, cleanup_id: str, attributes: dict[str, Any]) -> Any:
    return api.request("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
        "type": "cleanups", "id": cleanup_id, "attributes": attributes}})


def cleaned_up(api: Api, summary: SeedSummary, skus: int) -> str:
    """A completed cleanup of the seeded skus (by their shared reference): its id."""
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"reference_eq": f"seed-{summary.tag}"}}}})
    assert response.status_code == 201, response.text
    cleanup_id: str = response.json()["data"]["id"]
    done = api.wait_for(cleanup_id, timeout=60)
    assert (done["status"], done["processed_count"]) == ("completed", skus), done
    assert done["restorable_until"] is not None and done["restore_status"] is None
    return cleanup_id


def wait_restore(api: Api, cleanup_id: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        attributes: dict[str, Any] = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
        if attributes["restore_status"] in ("completed", "interrupted"):
            return attributes
        assert time.monotonic() < deadline, f"restore still {attributes['restore_status']}: {attributes}"
        time.sleep(0.3)


def skus_left(api: Api, summary: SeedSummary) -> int:
    listed = api.get("/api/skus", **{"filter[q][reference_eq]": f"seed-{summary.tag}", "page[size]": "1"})
    count: int = listed["meta"]["record_count"]
    return count


def test_restore_puts_back_every_raw_item_a_cleanup_of_1000_skus_deleted(
        local_stack: RunningStack, api: Api) -> None:
    # Given 1,000 skus with their associated records, and the raw records table
    summary = seeded(local_stack, 1000)
    before = scan(local_stack)
    # When a cleanup deletes them, then a restore is asked
    cleanup_id = cleaned_up(api, summary, 1000)
    assert len(before) - len(set(before) & set(scan(local_stack))) >= 5 * 1000
    response = patch(api, cleanup_id, {"_restore": True})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["restore_status"] == "pending"
    restored = wait_restore(api, cleanup_id)
    # Then every record is counted restored, and every raw item is back as it was
    assert (restored["restore_status"], restored["restored_count"], restored["restore_errors_count"]) == (
        "completed", 1000, 0)
    assert restored["status"] == "completed"
    after = scan(local_stack)
    assert {key: after.get(key) for key in before} == before
    # And a second restore is refused
    again = patch(api, cleanup_id, {"_restore": True})
    assert again.status_code == 422 and again.json()["errors"][0]["source"] == {"pointer": "/data/attributes/_restore"}


def test_restore_reports_a_sku_recreated_with_the_same_code_and_leaves_it(
        local_stack: RunningStack, api: Api) -> None:
    # Given 150 cleaned-up skus, and a new sku created meanwhile with the code of one of them
    summary = seeded(local_stack, 150)
    code = f"SEED-{summary.tag}-{7:07d}"
    cleanup_id = cleaned_up(api, summary, 150)
    squatter = api.create("skus", {"code": code, "name": "Meanwhile"},
                          {"shipping_category": ("shipping_categories", summary.parents["shipping_categories"])})
    # When the cleanup is restored
    assert patch(api, cleanup_id, {"_restore": True}).status_code == 200
    restored = wait_restore(api, cleanup_id)
    # Then that sku is a restore error on its code, the new sku is as it was, and the others are back
    assert (restored["restore_status"], restored["restored_count"], restored["restore_errors_count"]) == (
        "completed", 149, 1)
    [(failed_id, errors)] = restored["restore_errors_log"].items()
    assert errors == {"code": ["has already been taken"]} and failed_id != squatter["id"]
    assert api.request("GET", f"/api/skus/{failed_id}").status_code == 404
    assert api.get(f"/api/skus/{squatter['id']}")["data"]["attributes"] == squatter["attributes"]
    assert skus_left(api, summary) == 149


def test_restore_interrupted_stops_with_exactly_what_it_counted_restored(
        local_stack: RunningStack, api: Api) -> None:
    # Given a restore of 400 cleaned-up skus (four sub-batches)
    summary = seeded(local_stack, 400)
    cleanup_id = cleaned_up(api, summary, 400)
    assert patch(api, cleanup_id, {"_restore": True}).status_code == 200
    # When its client interrupts it at once
    response = patch(api, cleanup_id, {"_interrupt": True})
    # Then it is interrupted, the cleanup is still completed, and once the sub-batch in flight is counted,
    # the skus back are exactly those counted
    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["restore_status"] == "interrupted"
    time.sleep(3)  # longer than a sub-batch takes: the one in flight, if any, is counted by now
    settled = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
    assert (settled["status"], settled["restore_status"]) == ("completed", "interrupted")
    assert settled["restored_count"] < 400
    assert skus_left(api, summary) == settled["restored_count"]
    assert patch(api, cleanup_id, {"_interrupt": True}).status_code == 422


def test_restore_interrupted_then_asked_again_puts_back_every_raw_item_counted_once(
        local_stack: RunningStack, api: Api) -> None:
    # Given a restore of 400 cleaned-up skus (four sub-batches), interrupted at once, the sub-batch in flight counted
    summary = seeded(local_stack, 400)
    before = scan(local_stack)
    cleanup_id = cleaned_up(api, summary, 400)
    assert patch(api, cleanup_id, {"_restore": True}).status_code == 200
    assert patch(api, cleanup_id, {"_interrupt": True}).status_code == 200
    time.sleep(3)  # longer than a sub-batch takes: the one in flight, if any, is counted by now
    settled = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
    assert settled["restore_status"] == "interrupted" and settled["restored_count"] < 400
    # When the restore is asked again
    response = patch(api, cleanup_id, {"_restore": True})
    # Then it is pending again with what it counted kept, and a third ask is refused (running or completed)
    assert response.status_code == 200, response.text
    resumed = response.json()["data"]["attributes"]
    assert resumed["restore_status"] == "pending" and resumed["restored_count"] >= settled["restored_count"]
    assert patch(api, cleanup_id, {"_restore": True}).status_code == 422
    # And it completes with each record counted once, every raw item back as it was
    restored = wait_restore(api, cleanup_id)
    assert (restored["restore_status"], restored["restored_count"], restored["restore_errors_count"]) == (
        "completed", 400, 0)
    after = scan(local_stack)
    assert {key: after.get(key) for key in before} == before
    assert skus_left(api, summary) == 400
    versions = api.get(f"/api/cleanups/{cleanup_id}/versions", **{"page[size]": "25"})["data"]
    assert ["interrupted", "pending"] in [v["attributes"]["changes"].get("restore_status") for v in versions]
