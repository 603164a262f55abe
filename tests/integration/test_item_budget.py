"""The cleanup item within DynamoDB's limit on moto: the worst case stored and counted, large filters kept in an
item of their own and read back on every path, and what cannot fit refused at create with a 422 over HTTP
(docs/DESIGN.md#item-budget)."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.cleanups.adapters import filters_store
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository, _to_item
from chalicelib.cleanups.domain import budget
from chalicelib.cleanups.domain.model import PENDING, WORKER
from chalicelib.cleanups.ports import Listing
from chalicelib.events import add_recorded
from chalicelib.events.adapters import store as events_store
from chalicelib.events.model import DESTROY, Recorded, recorded_create, recorded_destroy
from chalicelib.tenancy import Tenant
from tests.factories import headers, resource_body
from tests.integration.test_http_api import bearer
from tests.item_budget import FOUR_BYTES, TENANT, item_bytes, worst_case_cleanup, worst_log

ORG = TENANT.organization_id  # the worst case's tenant
CODES = [f"SKU-{n:06d}-ABCDEFGH" for n in range(10_000)]  # 10,000 ordinary 19-character codes


@pytest.fixture
def repository(tables: dict[str, str]) -> DynamoCleanupRepository[Any]:
    filters_store._KEPT.clear()
    return DynamoCleanupRepository(add_recorded)


def _stored(cleanup_id: str, tenant: Tenant = TENANT) -> dict[str, Any]:
    model = _to_item(worst_case_cleanup()).__class__
    return model.get(f"{tenant.key}#cleanups", cleanup_id, consistent_read=True).serialize()


def test_the_worst_case_cleanup_is_within_the_item_budget_stored_and_counted(
        repository: DynamoCleanupRepository[Any]) -> None:
    # Given the worst-case cleanup: every attribute at its limit, both logs at the cap with their longest entries
    cleanup = worst_case_cleanup()
    item = _to_item(cleanup).serialize()
    # Then its item, in both local indexes, is within the budget
    assert item["by_reference"] and item["by_status"]
    assert item_bytes(item) <= budget.ITEM_BUDGET, item_bytes(item)
    # When it is stored, and a sub-batch is counted on it
    repository.save_new(cleanup, [], recorded_create(cleanup, cleanup.created_at), limit=10)
    after = repository.count_sub_batch(TENANT, cleanup.id, budget.MAX_SUB_BATCHES + 1, 1, 0, {}, cleanup.updated_at)
    # Then it reads back as it was, counted
    assert after is not None and after.processed_count == cleanup.processed_count + 1
    assert repository.get(TENANT, cleanup.id).errors_log == cleanup.errors_log


def test_large_filters_are_kept_apart_and_read_back_on_every_path(repository: DynamoCleanupRepository[Any]) -> None:
    # Given a pending cleanup with a 10,000-value code_in of 19-character codes, metadata and a reference
    # at their limits
    worst = worst_case_cleanup()
    filters = {"code_in": CODES, "name_not_eq": "kept"}
    cleanup = replace(worst, status=PENDING, filters=filters, errors_log={}, restore_errors_log={},
                      restore_status=None, started=frozenset(), counted=frozenset(), interrupt_request=None)
    # When it is created (with its create event)
    repository.save_new(cleanup, [], recorded_create(cleanup, cleanup.created_at), limit=10)
    # Then its item holds a marker, its filters an item of their own
    stored = _stored(cleanup.id)
    assert stored["filters"] == {"S": "{}"} and stored["filters_apart"] == {"BOOL": True}
    # And a fresh process reads them whole: retrieve, list, pages, and the outbox's event
    filters_store._KEPT.clear()
    assert repository.get(TENANT, cleanup.id).filters == filters
    filters_store._KEPT.clear()
    assert [c.filters for c in repository.list_for(TENANT)] == [filters]
    filters_store._KEPT.clear()
    assert [c.filters for c in repository.page(TENANT, Listing(offset=0, limit=5))[0]] == [filters]
    filters_store._KEPT.clear()
    assert [sent.resource["filters"] for sent in events_store.undispatched("2999")] == [filters]

    # When 500 errors, each of the longest an entry takes, are counted in five sub-batches
    log = worst_log("c")
    keys = sorted(log)
    for number in range(5):
        part = {key: log[key] for key in keys[number * 100:(number + 1) * 100]}
        counted = repository.count_sub_batch(TENANT, cleanup.id, number, 0, 100, part, cleanup.updated_at)
        assert counted is not None and counted.filters == filters
    # Then every count was written: the log is full and the item still within its budget
    assert repository.get(TENANT, cleanup.id).errors_log == log
    assert item_bytes(_stored(cleanup.id)) <= budget.ITEM_BUDGET


def test_a_deleted_cleanups_destroy_event_redispatched_carries_its_filters(
        repository: DynamoCleanupRepository[Any]) -> None:
    # Given a finished cleanup of one batch whose filters are kept apart (a delete deletes each batch's snapshot)
    cleanup = replace(worst_case_cleanup(), filters={"code_in": CODES}, batch_count=1)
    repository.save_new(cleanup, [], Recorded(cleanup), limit=10)
    # When it is deleted, and its destroy event is read back from the outbox by a fresh process
    assert repository.delete(cleanup, recorded_destroy(cleanup, WORKER, cleanup.updated_at))
    filters_store._KEPT.clear()
    sent = [s for s in events_store.undispatched("2999") if s.event.name == DESTROY]
    # Then the event carries the cleanup's filters whole
    assert [s.resource["filters"] for s in sent] == [{"code_in": CODES}]


def _post(client: Client, path: str, type_: str, attributes: dict[str, Any]) -> Any:
    return client.http.post(path, headers=headers(bearer(org=ORG)), body=resource_body(type_, attributes))


def test_a_cleanup_and_a_preview_of_10000_ordinary_codes_are_created_over_http(client: Client) -> None:
    # Given a 10,000-value code_in of 19-character codes (about 230 KB of filters) and metadata at its limit
    filters = {"code_in": CODES}
    metadata = {"note": "x" * (budget.MAX_CLEANUP_METADATA_BYTES - 12)}
    # When a preview and a cleanup of them are created, with a reference at its longest
    previewed = _post(client, "/api/cleanup_previews", "cleanup_previews", {"resource_type": "skus",
                                                                             "filters": filters})
    created = _post(client, "/api/cleanups", "cleanups", {"resource_type": "skus", "filters": filters,
                                                          "metadata": metadata, "reference": FOUR_BYTES * 252})
    # Then both are created, and the cleanup reads back with its filters whole
    assert previewed.status_code == 201 and created.status_code == 201, (previewed.body[:300], created.body[:300])
    cleanup_id = json.loads(created.body)["data"]["id"]
    filters_store._KEPT.clear()
    shown = client.http.get(f"/api/cleanups/{cleanup_id}", headers=headers(bearer(org=ORG)))
    assert json.loads(shown.body)["data"]["attributes"]["filters"] == filters
    listed = client.http.get("/api/cleanups", headers=headers(bearer(org=ORG)))
    assert [c["attributes"]["filters"] for c in json.loads(listed.body)["data"]] == [filters]


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"metadata": {"note": "x" * budget.MAX_CLEANUP_METADATA_BYTES}}, "/data/attributes/metadata"),
    ({"reference": FOUR_BYTES * 253}, "/data/attributes/reference"),
    ({"reference_origin": "o" * 256}, "/data/attributes/reference_origin"),
])
def test_what_a_cleanup_item_cannot_hold_is_refused_at_create_with_a_422(
        client: Client, attributes: dict[str, Any], pointer: str) -> None:
    # Given a create with one attribute over what the cleanup's item holds
    # When it is posted
    response = _post(client, "/api/cleanups", "cleanups", {"resource_type": "skus", **attributes})
    # Then it is a 422 pointing at it, and no cleanup was written
    assert response.status_code == 422, response.body[:300]
    assert [e["source"]["pointer"] for e in json.loads(response.body)["errors"]] == [pointer]
    listed = client.http.get("/api/cleanups", headers=headers(bearer(org=ORG)))
    assert json.loads(listed.body)["data"] == []


def test_a_metadata_update_over_the_limit_is_refused_with_a_422(client: Client) -> None:
    # Given a cleanup
    created = _post(client, "/api/cleanups", "cleanups", {"resource_type": "skus", "filters": {"code_eq": "none"}})
    cleanup_id = json.loads(created.body)["data"]["id"]
    # When its metadata is set over the limit
    response = client.http.patch(f"/api/cleanups/{cleanup_id}", headers=headers(bearer(org=ORG)), body=json.dumps(
        {"data": {"type": "cleanups", "id": cleanup_id, "attributes": {
            "metadata": {"note": "x" * budget.MAX_CLEANUP_METADATA_BYTES}}}}))
    # Then it is a 422 on metadata, and the cleanup keeps its metadata
    assert response.status_code == 422, response.body[:300]
    assert json.loads(response.body)["errors"][0]["source"]["pointer"] == "/data/attributes/metadata"
    shown = client.http.get(f"/api/cleanups/{cleanup_id}", headers=headers(bearer(org=ORG)))
    assert json.loads(shown.body)["data"]["attributes"]["metadata"] == {}


def test_a_preview_of_long_named_skus_and_10000_ordinary_codes_is_created_with_its_sample_cut(
        client: Client) -> None:
    # Given ten skus named with 16,384 two-byte characters (each escaped to six bytes in the preview's JSON)
    auth = headers(bearer(org=ORG))
    category = json.loads(client.http.post("/api/shipping_categories", headers=auth, body=resource_body(
        "shipping_categories", {"name": "Default"})).body)["data"]["id"]
    codes = [f"LONG-{n:06d}-ABCDEFGH" for n in range(10)]
    for code in codes:
        made = client.http.post("/api/skus", headers=auth, body=resource_body(
            "skus", {"code": code, "name": "é" * 16_384},
            relationships={"shipping_category": ("shipping_categories", category)}))
        assert made.status_code == 201, made.body[:300]
    # When a preview names them among 10,000 ordinary codes
    previewed = _post(client, "/api/cleanup_previews", "cleanup_previews", {
        "resource_type": "skus", "filters": {"code_in": codes + CODES[10:]}})
    # Then it is created, its sample showing each name's first 255 characters
    assert previewed.status_code == 201, previewed.body[:300]
    sample = json.loads(previewed.body)["data"]["attributes"]["sample"]
    assert [entry["code"] for entry in sample] != [] and {entry["name"] for entry in sample} == {"é" * 255}
