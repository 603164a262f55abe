"""Cleanups end to end: real HTTP to the local stack, the real worker draining the (moto) SQS queue."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.e2e import RunningStack
from tests.e2e.api import Api
from tests.webhook_receiver import Receiver, receiving


def make_catalog(api: Api, prefix: str, count: int) -> list[dict[str, str]]:
    """`count` skus coded `<prefix>NNN`, each with a price, a stock item: type -> id per sku."""
    category = api.create("shipping_categories", {"name": f"{prefix} category"})["id"]
    price_list = api.create("price_lists", {"name": f"{prefix} list", "currency_code": "EUR"})["id"]
    location = api.create("stock_locations", {"name": f"{prefix} warehouse"}, {"address": ("addresses", "addr000001")})
    out = []
    for n in range(count):
        sku = api.create("skus", {"code": f"{prefix}{n:03d}", "name": f"Sku {n}"},
                         {"shipping_category": ("shipping_categories", category)})["id"]
        price = api.create("prices", {"amount_cents": 1000 + n},
                           {"sku": ("skus", sku), "price_list": ("price_lists", price_list)})["id"]
        stock = api.create("stock_items", {"quantity": n},
                           {"sku": ("skus", sku), "stock_location": ("stock_locations", location["id"])})["id"]
        out.append({"skus": sku, "prices": price, "stock_items": stock})
    return out


def eventually(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not done(value := read()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def ids_left(api: Api, type_: str, ids: list[str]) -> set[str]:
    listed = api.get(f"/api/{type_}", **{"filter[q][id_in]": ",".join(ids), "page[size]": "25"})
    return {item["id"] for item in listed["data"]}


def test_cleanup_over_http_completes_with_exact_counts_and_deletes_only_what_matched(api: Api) -> None:
    prefix = "E2E" + secrets.token_hex(2).upper()
    doomed = make_catalog(api, prefix + "X", 6)
    kept = make_catalog(api, prefix + "Y", 2)
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix + "X"}}}})
    assert response.status_code == 201, response.text
    cleanup = response.json()["data"]
    assert cleanup["attributes"]["records_count"] == 6
    final = api.wait_for(cleanup["id"])
    assert final["status"] == "completed"
    assert (final["processed_count"], final["errors_count"], final["errors_log"]) == (6, 0, {})
    assert final["started_at"] and final["completed_at"]
    for type_ in ("skus", "prices", "stock_items"):
        assert ids_left(api, type_, [r[type_] for r in doomed]) == set()
        assert ids_left(api, type_, [r[type_] for r in kept]) == {r[type_] for r in kept}
    # The complete event is committed with the transition: give the worker a moment to finish it
    names = eventually(lambda: sorted(e["attributes"]["name"] for e in api.get(
                           f"/api/cleanups/{cleanup['id']}/events", **{"page[size]": "25"})["data"]),
                       lambda got: len(got) == 3)
    assert names == ["cleanups.complete", "cleanups.create", "cleanups.start"]  # one count: no progress event
    listed = api.get("/api/cleanups", **{"include": "events", "filter[q][id_eq]": cleanup["id"]})
    assert len(listed["data"][0]["relationships"]["events"]["data"]) == 3 and len(listed["included"]) == 3


def test_record_updated_after_creation_survives_and_is_in_errors_log(api: Api) -> None:
    prefix = "E2U" + secrets.token_hex(2).upper()
    rows = make_catalog(api, prefix, 12)
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}}}})
    cleanup_id = response.json()["data"]["id"]
    touched = rows[0]["skus"]
    api.request("PATCH", f"/api/skus/{touched}", {"data": {"type": "skus", "id": touched,
                                                            "attributes": {"name": "changed"}}})
    final = api.wait_for(cleanup_id)
    # Either the worker got there first (deleted) or the update did (error): counts stay exact either way
    assert final["processed_count"] + final["errors_count"] == 12
    if final["errors_count"]:
        assert list(final["errors_log"]) == [touched] and ids_left(api, "skus", [touched]) == {touched}


def test_interrupt_over_http_is_final(api: Api) -> None:
    prefix = "E2I" + secrets.token_hex(2).upper()
    make_catalog(api, prefix, 3)
    cleanup_id = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}}}}).json()["data"]["id"]
    patched = api.request("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
        "type": "cleanups", "id": cleanup_id, "attributes": {"_interrupt": True}}})
    if patched.status_code == 200:
        assert patched.json()["data"]["attributes"]["status"] == "interrupted"
    else:  # it had already completed: a terminal state does not change
        assert patched.status_code == 422
        assert patched.json()["errors"][0]["source"] == {"pointer": "/data/attributes/_interrupt"}
    api.wait_for(cleanup_id)
    # A sub-batch begun before the interrupt still finishes, then counts: every record gone is counted soon.
    deadline = time.monotonic() + 30
    while (final := api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"])["processed_count"] != 3 - len(
            api.get("/api/skus", **{"filter[q][code_start]": prefix})["data"]):
        assert time.monotonic() < deadline, f"what was deleted is never counted: {final}"
        time.sleep(0.2)
    assert final["status"] in ("interrupted", "completed")


@pytest.fixture
def receiver() -> Iterator[str]:
    with receiving("/hook") as url:
        yield url


def test_webhook_receives_a_signed_cleanups_complete_delivery(api: Api, receiver: str) -> None:
    webhook = api.create("webhooks", {"topic": "cleanups.complete", "callback_url": receiver})
    secret = webhook["attributes"]["shared_secret"]
    prefix = "E2W" + secrets.token_hex(2).upper()
    make_catalog(api, prefix, 1)
    cleanup_id = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}}}}).json()["data"]["id"]
    api.wait_for(cleanup_id, ("completed",))
    deliveries = eventually(lambda: [r for r in Receiver.received if json.loads(r[1])["data"]["id"] == cleanup_id],
                            bool, timeout=30)
    assert deliveries, "no delivery arrived"
    headers, body = deliveries[0]
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    assert headers["x-commercelayer-signature"] == expected
    assert headers["x-commercelayer-topic"] == "cleanups.complete"
    assert json.loads(body)["data"]["attributes"]["status"] == "completed"
    api.request("DELETE", f"/api/webhooks/{webhook['id']}")


def test_unknown_route_is_a_jsonapi_404(local_stack: RunningStack) -> None:
    response = requests.get(f"{local_stack.api_url}/api/no/such/route/here", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    assert response.json()["errors"][0]["code"] == "RECORD_NOT_FOUND"
