"""A long `code_in` end to end: real HTTP to the local stack (DynamoDB Local), read by the skus' unique guards."""
from __future__ import annotations

import secrets

from tests.e2e.api import Api

VALUES = 10_000  # MAX_CLEANUP_RECORDS: the most operands one `_in` takes


def test_a_cleanup_with_a_10000_value_code_in_deletes_exactly_the_named_skus(api: Api) -> None:
    # Given eight skus with mixed-case codes
    prefix = "In" + secrets.token_hex(3)
    category = api.create("shipping_categories", {"name": f"{prefix} category"})["id"]
    skus = [api.create("skus", {"code": f"{prefix}-Mixed-{n}", "name": f"Sku {n}"},
                       {"shipping_category": ("shipping_categories", category)}) for n in range(8)]
    named, kept = skus[:5], skus[5:]
    codes = [s["attributes"]["code"] for s in named]
    # And a code_in of 10,000 values: five codes as stored (one twice), a kept sku's code in another case
    # (`_in` is exact), and values naming nothing
    values = [*codes, codes[0], kept[0]["attributes"]["code"].upper()]
    # (ordinary 19-character codes: about 230 KB of filters, which the cleanup keeps in an item of their own)
    values += [f"{prefix}-{n:010d}" for n in range(VALUES - len(values))]
    assert {len(v) for v in values[len(codes) + 2:]} == {19}
    filters = {"code_in": values, "name_not_eq": named[4]["attributes"]["name"]}  # and another predicate
    expected = sorted(s["id"] for s in named[:4])

    # When it is previewed, then cleaned up
    preview = api.request("POST", "/api/cleanup_previews", {"data": {"type": "cleanup_previews", "attributes": {
        "resource_type": "skus", "filters": filters}}})
    created = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": filters}}})
    assert preview.status_code == 201, preview.text
    assert created.status_code == 201, created.text
    final = api.wait_for(created.json()["data"]["id"])

    # Then the preview and the cleanup selected the four named skus the other predicate leaves, and deleted them
    assert preview.json()["data"]["attributes"]["records_count"] == 4
    assert final["status"] == "completed" and final["records_count"] == final["processed_count"] == 4
    assert final["errors_count"] == 0
    # And the cleanup reads back with its filters whole
    assert final["filters"] == filters
    gone = [s["id"] for s in skus if api.request("GET", f"/api/skus/{s['id']}").status_code == 404]
    assert sorted(gone) == expected
