"""Cleanup previews over Chalice's test client on moto: the routes, the stored item and its TTL, tenancy."""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import bootstrap, handlers, messages
from chalicelib.tenancy import Tenant, parse_iso
from tests.factories import headers, resource_body
from tests.integration.cleanup_helpers import lambda_event, receive_all
from tests.integration.conftest import RecordFactory
from tests.integration.test_http_api import bearer, error

ORG = "DemoOrg001"


def create(client: Client, attributes: dict[str, Any], token: str | None = None) -> Any:
    return client.http.post("/api/cleanup_previews", headers=headers(token or bearer(org=ORG)),
                            body=resource_body("cleanup_previews", attributes))


def cleanups_table_items(tables: dict[str, str]) -> list[dict[str, Any]]:
    """What the table holds but the rate limit's request counters."""
    items = boto3.client("dynamodb").scan(TableName=tables["CLEANUPS_TABLE"])["Items"]
    return [item for item in items if not item["pk"]["S"].endswith("#ratelimit")]


def test_preview_is_created_stored_with_a_one_day_ttl_and_read_back(client: Client, tables: dict[str, str]) -> None:
    # Given two DEL skus with associated records
    factory = RecordFactory(Tenant(ORG, "test"))
    for n in range(2):
        factory.full_sku(f"DEL{n}")
    # When they are previewed
    response = create(client, {"resource_type": "skus", "filters": {"code_start": "DEL"}})
    # Then it is a 201 cleanup_previews resource with the counts
    assert response.status_code == 201
    data = json.loads(response.body)["data"]
    assert data["type"] == "cleanup_previews" and data["meta"] == {"mode": "test"}
    attributes = data["attributes"]
    assert (attributes["records_count"], attributes["items_count"]) == (2, 10)
    # And the one item written is the preview, whose TTL attribute is a day after its creation
    (item,) = cleanups_table_items(tables)
    created = parse_iso(attributes["created_at"]).timestamp()
    assert int(item["expires_at"]["N"]) == int(created) + 24 * 3600
    # And GET returns the same resource
    shown = client.http.get(f"/api/cleanup_previews/{data['id']}", headers=headers(bearer(org=ORG)))
    assert shown.status_code == 200 and json.loads(shown.body)["data"] == data


def test_preview_of_another_organization_or_mode_is_404(client: Client, tables: dict[str, str]) -> None:
    # Given a preview of one tenant
    preview_id = json.loads(create(client, {"resource_type": "skus"}).body)["data"]["id"]
    # When another organization, or the live mode, asks for it, Then it is 404
    for token in (bearer(org="OtherOrg01"), bearer(org=ORG, test=False)):
        response = client.http.get(f"/api/cleanup_previews/{preview_id}", headers=headers(token))
        assert response.status_code == 404 and error(response)["code"] == "RECORD_NOT_FOUND"


def test_bad_preview_is_422_with_the_cleanups_pointer_and_writes_nothing(client: Client,
                                                                         tables: dict[str, str]) -> None:
    # When previews with bad attributes are asked, Then each is a 422 with a pointer, as for a cleanup
    for attributes, pointer in (({"resource_type": "orders"}, "/data/attributes/resource_type"),
                                ({"resource_type": "skus", "filters": {"colour_eq": "x"}}, "/data/attributes/filters"),
                                ({"resource_type": "skus", "metadata": {}}, "/data/attributes/metadata")):
        response = create(client, attributes)
        assert response.status_code == 422 and error(response)["source"] == {"pointer": pointer}
    # And nothing was stored
    assert cleanups_table_items(tables) == []


def test_preview_repeated_with_its_idempotency_key_replays_the_same_preview(client: Client,
                                                                            tables: dict[str, str]) -> None:
    # Given a preview created with an Idempotency-Key
    body = resource_body("cleanup_previews", {"resource_type": "skus", "filters": {"code_start": "DEL"}})
    keyed = {**headers(bearer(org=ORG)), "Idempotency-Key": "preview-once"}
    first = client.http.post("/api/cleanup_previews", headers=keyed, body=body)
    # When the same request is sent again with the same key, and once with another body
    again = client.http.post("/api/cleanup_previews", headers=keyed, body=body)
    other = client.http.post("/api/cleanup_previews", headers=keyed,
                             body=resource_body("cleanup_previews", {"resource_type": "prices"}))
    # Then the repeat is a 201 naming the same preview, marked replayed, and no second preview exists
    assert (first.status_code, again.status_code) == (201, 201)
    assert json.loads(again.body)["data"]["id"] == json.loads(first.body)["data"]["id"]
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    previews = [item for item in cleanups_table_items(tables) if item["pk"]["S"].endswith("#cleanup_previews")]
    assert len(previews) == 1
    # And another body under the same key is a 422 on the header
    assert other.status_code == 422 and error(other)["source"] == {"header": "Idempotency-Key"}


def deliver_work(order: Any = lambda bodies: bodies) -> int:
    """Run the app's own message handlers over what the work queue holds, until it is empty; messages delivered."""
    delivered = 0
    while bodies := [m["Body"] for m in receive_all()]:
        for body in order(bodies):
            messages.consume(lambda_event([body]), None, handlers.message_handlers(bootstrap.ports,
                                                                                  bootstrap.preview_ports))
        delivered += len(bodies)
    return delivered


def test_large_preview_answers_pending_at_once_and_the_worker_completes_it_exactly(
        client: Client, tables: dict[str, str], work_queue: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given five skus with four associated records each, pages of 2 and a request budget of one page
    monkeypatch.setenv("PREVIEW_PAGE_RECORDS", "2")
    monkeypatch.setenv("PREVIEW_IN_REQUEST_SECONDS", "0")
    factory = RecordFactory(Tenant(ORG, "test"))
    for n in range(5):
        factory.full_sku(f"DEL{n}")
    # When they are previewed with an idempotency key
    keyed = headers(bearer(org=ORG), **{"Idempotency-Key": "preview-1"})
    body = resource_body("cleanup_previews", {"resource_type": "skus", "filters": {"code_start": "DEL"}})
    response = client.http.post("/api/cleanup_previews", headers=keyed, body=body)
    # Then it is a 201 pending preview, one page counted, its counts null
    assert response.status_code == 201
    data = json.loads(response.body)["data"]
    attributes = data["attributes"]
    assert (attributes["status"], attributes["counted_count"], attributes["records_count"],
            attributes["items_count"]) == ("pending", 2, None, None)
    # And once the worker has its pages, every message delivered twice, it reads completed with exact counts
    assert deliver_work(order=lambda bodies: bodies + bodies) >= 2
    shown = client.http.get(f"/api/cleanup_previews/{data['id']}", headers=headers(bearer(org=ORG)))
    completed = json.loads(shown.body)["data"]["attributes"]
    assert (completed["status"], completed["records_count"], completed["counted_count"], completed["items_count"]) == (
        "completed", 5, 5, 25)
    assert completed["associated_counts"]["prices"] == 5 and completed["errors"] == {}
    # And the same key and body replay the same preview, as it is now
    replayed = client.http.post("/api/cleanup_previews", headers=keyed, body=body)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert json.loads(replayed.body)["data"]["id"] == data["id"]
    assert json.loads(replayed.body)["data"]["attributes"]["status"] == "completed"
