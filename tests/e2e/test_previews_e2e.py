"""Cleanup previews end to end: real HTTP to the local stack (DynamoDB Local), counts checked against a cleanup."""
from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.e2e import RunningStack
from tests.e2e.api import Api


def seed(api: Api, prefix: str, count: int) -> list[dict[str, Any]]:
    """`count` skus coded `<prefix>NN`; sku n has n % 3 prices (each with a volume tier), a stock item, a list item."""
    category = api.create("shipping_categories", {"name": f"{prefix} category"})["id"]
    price_list = api.create("price_lists", {"name": f"{prefix} list", "currency_code": "EUR"})["id"]
    location = api.create("stock_locations", {"name": f"{prefix} warehouse"}, {"address": ("addresses", "addr000001")})
    sku_list = api.create("sku_lists", {"name": f"{prefix} list"})["id"]
    skus = []
    for n in range(count):
        sku = api.create("skus", {"code": f"{prefix}{n:02d}", "name": f"Sku {n}"},
                         {"shipping_category": ("shipping_categories", category)})
        for _ in range(n % 3):
            price = api.create("prices", {"amount_cents": 1000}, {"sku": ("skus", sku["id"]),
                                                                  "price_list": ("price_lists", price_list)})["id"]
            api.create("price_volume_tiers", {"name": "10+", "up_to": 10, "price_amount_cents": 900},
                       {"price": ("prices", price)})
        api.create("stock_items", {"quantity": n}, {"sku": ("skus", sku["id"]),
                                                     "stock_location": ("stock_locations", location["id"])})
        api.create("sku_list_items", {"quantity": 1}, {"sku": ("skus", sku["id"]), "sku_list": ("sku_lists", sku_list)})
        skus.append(sku)
    return skus


def post(api: Api, path: str, type_: str, attributes: dict[str, Any]) -> Any:
    return api.request("POST", path, {"data": {"type": type_, "attributes": attributes}})


def test_preview_counts_exactly_what_the_cleanup_then_deletes(api: Api, local_stack: RunningStack) -> None:
    # Given twelve skus with prices (and tiers), stock items and list items, and a sku that does not match
    prefix = "PV" + secrets.token_hex(3).upper()
    skus = seed(api, prefix + "X", 12)
    seed(api, prefix + "Y", 1)
    filters = {"code_start": prefix + "X"}
    # When they are previewed
    response = post(api, "/api/cleanup_previews", "cleanup_previews", {"resource_type": "skus", "filters": filters})
    # Then the counts are exact per type, and the sample is the first ten by id with code and name
    assert response.status_code == 201, response.text
    preview = response.json()["data"]
    attributes = preview["attributes"]
    prices = sum(n % 3 for n in range(12))
    assert attributes["records_count"] == 12
    assert attributes["associated_counts"] == {
        "prices": prices, "stock_items": 12, "sku_list_items": 12, "in_stock_subscriptions": 0, "tax_categories": 0,
        "price_volume_tiers": prices, "price_frequency_tiers": 0}
    assert attributes["items_count"] == 12 + 2 * prices + 24
    assert attributes["sample"] == [{"id": s["id"], "code": s["attributes"]["code"], "name": s["attributes"]["name"]}
                                    for s in sorted(skus, key=lambda s: s["id"])[:10]]
    assert attributes["estimated_seconds"] >= 1 and attributes["filters"] == filters
    # And GET returns it unchanged
    assert api.get(f"/api/cleanup_previews/{preview['id']}")["data"] == preview
    # And another mode of the organization does not see it
    live = Api(local_stack.api_url, local_stack.token("dev-integration-live"))
    hidden = live.request("GET", f"/api/cleanup_previews/{preview['id']}")
    assert hidden.status_code == 404 and hidden.json()["errors"][0]["code"] == "RECORD_NOT_FOUND"
    # When a cleanup expecting one record more is asked, Then it is refused and nothing is created
    before = api.get("/api/cleanups", **{"filter[q][resource_type_eq]": "skus", "page[size]": "25"})["meta"]
    refused = post(api, "/api/cleanups", "cleanups", {"resource_type": "skus", "filters": filters,
                                                      "expected_records_count": 13})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["source"] == {"pointer": "/data/attributes/expected_records_count"}
    after = api.get("/api/cleanups", **{"filter[q][resource_type_eq]": "skus", "page[size]": "25"})["meta"]
    assert after == before
    # When the cleanup expecting the previewed count is created, Then it deletes that many records
    created = post(api, "/api/cleanups", "cleanups", {"resource_type": "skus", "filters": filters,
                                                      "expected_records_count": attributes["records_count"]})
    assert created.status_code == 201, created.text
    done = api.wait_for(created.json()["data"]["id"])
    assert (done["status"], done["processed_count"], done["errors_count"]) == ("completed", 12, 0)
    # And a new preview of the same filters finds nothing left, associated records included
    again = post(api, "/api/cleanup_previews", "cleanup_previews", {"resource_type": "skus", "filters": filters})
    assert again.json()["data"]["attributes"]["items_count"] == 0


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"resource_type": "orders"}, "/data/attributes/resource_type"),
    ({"resource_type": "skus", "filters": {"colour_eq": "red"}}, "/data/attributes/filters"),
    ({"resource_type": "skus", "filters": {"code_start": ""}}, "/data/attributes/filters"),
    ({"resource_type": "skus", "reference": "x"}, "/data/attributes/reference"),
])
def test_bad_preview_is_422_with_a_pointer(api: Api, attributes: dict[str, Any], pointer: str) -> None:
    # When a preview is asked with a bad attribute, Then it is a 422 on it, as a cleanup's create would be
    response = post(api, "/api/cleanup_previews", "cleanup_previews", attributes)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["code"], error["source"]) == ("VALIDATION_ERROR", {"pointer": pointer})


def test_unknown_preview_is_404(api: Api) -> None:
    response = api.request("GET", "/api/cleanup_previews/NoSuchId00")
    assert response.status_code == 404 and response.json()["errors"][0]["code"] == "RECORD_NOT_FOUND"
