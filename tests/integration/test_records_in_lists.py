"""Long `_in` lists against moto: read by key (unique guards, index Queries at once), as the evaluator says."""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client

from chalicelib.catalog import get_type
from chalicelib.filters import Condition, matches, parse_filters
from chalicelib.filters.compile import IN_CHUNK
from chalicelib.records import RecordsStore, SelectionStats
from chalicelib.records.items import guard_key, item_values
from tests.factories import headers, resource_body
from tests.integration.records_api import list_records, preview, select_ids, select_page, update_record
from tests.integration.records_helpers import WrappedClient, scan
from tests.integration.test_http_api import bearer

CODES = ["Straße", "ΑΣ-1", "MiXeD-01", "mixed-02", "Plain", "ǅemal"]


def _conditions(type_name: str, raw: dict[str, Any]) -> list[Condition]:
    return list(parse_filters(get_type(type_name).filterable(), raw, in_body=True).conditions)


def _evaluated(tenant, type_name: str, conditions: list[Condition]) -> list[str]:
    """What the pure evaluator selects among every stored record of the type (a raw scan)."""
    prefix = f"{tenant.key}#{type_name}"
    return sorted(item["sk"]["S"] for (pk, _), item in scan().items()
                  if pk == prefix and matches(conditions, item_values(item)))


def _every_way(tenant, type_name: str, conditions: list[Condition], size: int = 2) -> dict[str, list[str]]:
    """The list route, the selection, the worker's pages of `size` and a preview: each one's ids."""
    listed, total = list_records(tenant, type_name, conditions, [("id", False)], 1, 1_000)
    assert total == len(listed)
    paged, after = [], None
    while True:
        page, more = select_page(tenant, type_name, conditions, after=after, size=size)
        paged += page
        if not more:
            break
        after = page[-1]
    return {"list": [r.id for r in listed], "select": select_ids(tenant, type_name, conditions),
            "page": paged, "preview": preview(tenant, type_name, conditions, limit=1_000, sample_size=5).ids}


@pytest.fixture
def coded(records):
    """Skus coded CODES, and one whose code folds like none of them."""
    return {code: records.sku(code, description="blue" if n % 2 else "red") for n, code in enumerate(CODES)}


@pytest.mark.parametrize("raw", [
    {"code_in": ["straße", "MiXeD-01", "MIXED-02", "ασ-1"]},  # exact: only MiXeD-01 is named as stored
    {"code_in": ["Straße", "Straße", "STRASSE", "Plain", "Plain"]},  # duplicates, and values folding alike
    {"code_in": [f"NOTHING-{n}" for n in range(250)] + ["ΑΣ-1"]},  # values matching nothing
    {"code_in": [f"NOTHING-{n}" for n in range(250)]},
    {"code_in": CODES, "description_eq": "blue"},  # with another predicate
    {"code_in": CODES, "description_eq": "blue", "code_not_eq": "MiXeD-01"},
    {"code_eq": "ǅemal"},
    {"code_eq": "džemal"},
])
def test_a_code_in_selects_exactly_what_the_evaluator_selects_every_way(coded, tenant, raw):
    # Given skus with mixed-case and folding codes
    conditions = _conditions("skus", raw)
    # When the list route, the selection, the worker's pages and a preview read them
    found = _every_way(tenant, "skus", conditions)
    # Then each is exactly what the evaluator says of every stored sku
    expected = _evaluated(tenant, "skus", conditions)
    assert found == {"list": expected, "select": expected, "page": expected, "preview": expected}


def test_a_long_code_in_reads_guards_and_records_by_key_never_a_query(coded, tenant):
    # Given 1,000 codes of which three name skus
    client = WrappedClient(RecordsStore().client)
    store = RecordsStore(client=client)
    values = [f"NOTHING-{n}" for n in range(997)] + ["Plain", "MiXeD-01", "Straße"]
    stats = SelectionStats()
    # When selected
    chosen = select_ids(tenant, "skus", _conditions("skus", {"code_in": values}), stats=stats, store=store)
    # Then the three come back, from 10 BatchGetItem calls of guards and one of records, no Query or Scan
    assert chosen == sorted(coded[c].id for c in ("Plain", "MiXeD-01", "Straße"))
    assert client.calls["batch_get_item"] == 11 and client.calls["query"] == client.calls["scan"] == 0
    assert stats.scanned == 6 and stats.matched == 3


def test_a_stale_guard_selects_nothing_and_a_changed_code_is_found_by_its_new_value(coded, tenant):
    # Given a sku whose code changed from Plain to Renamed, and a guard for "Ghost" left naming that sku
    sku = coded["Plain"]
    update_record(tenant, "skus", sku.id, {"code": "Renamed"}, {})
    RecordsStore().put({**guard_key(tenant, "skus", "code", "Ghost"), "record_id": {"S": sku.id}})
    # When selected by the old, the stale and the new code
    for raw, expected in (({"code_in": ["Plain", "Ghost"]}, []), ({"code_in": ["RENAMED", "Renamed"]}, [sku.id])):
        # Then only the value the sku holds now finds it
        assert _every_way(tenant, "skus", _conditions("skus", raw))["select"] == expected


def test_a_long_relationship_in_queries_the_index_at_once_and_equals_the_evaluator(records, tenant):
    # Given prices of 30 skus, two prices for one of them
    skus = [records.sku() for _ in range(30)]
    for sku in skus:
        records.price(sku.id)
    records.price(skus[0].id, amount_cents=5)
    # When selected by 101 sku ids (86 unknown: one Query each, and more than one IN of a filter holds),
    # and with another predicate; the worker reading pages of 5 of the 16 prices
    values = [s.id for s in skus[::2]] + [f"none{n:06d}" for n in range(IN_CHUNK + 1 - 15)]
    for raw in ({"sku_id_in": values}, {"sku_id_in": values, "amount_cents_lt": 100}):
        conditions = _conditions("prices", raw)
        found = _every_way(tenant, "prices", conditions, size=5)
        # Then every way equals the evaluator
        expected = _evaluated(tenant, "prices", conditions)
        assert expected and found == {"list": expected, "select": expected, "page": expected, "preview": expected}


def test_the_list_route_and_a_preview_answer_a_long_code_in_alike_over_http(client: Client) -> None:
    # Given four skus with mixed-case codes in an organization
    auth = headers(bearer(org="InListOrg1"))
    category = json.loads(client.http.post("/api/shipping_categories", headers=auth, body=resource_body(
        "shipping_categories", {"name": "Default"})).body)["data"]["id"]
    skus = {code: json.loads(client.http.post("/api/skus", headers=auth, body=resource_body(
        "skus", {"code": code, "name": code}, relationships={"shipping_category": ("shipping_categories", category)},
    )).body)["data"]["id"] for code in ("Mixed-A", "Mixed-B", "Mixed-C", "Mixed-D")}
    # When 300 codes name two as stored, one in another case and one twice, with a name excluding one of them
    values = ["Mixed-A", "Mixed-B", "mixed-c", "Mixed-B", *(f"none-{n}" for n in range(296))]
    filters = {"code_in": ",".join(values), "name_not_eq": "Mixed-B"}
    query = "&".join(f"{quote(f'filter[q][{k}]')}={quote(v, safe=',')}" for k, v in filters.items())
    listed = client.http.get(f"/api/skus?{query}", headers=auth)
    previewed = client.http.post("/api/cleanup_previews", headers=auth, body=resource_body(
        "cleanup_previews", {"resource_type": "skus", "filters": filters}))
    # Then both select the one sku every condition holds for, exactly
    assert listed.status_code == 200 and previewed.status_code == 201, (listed.body, previewed.body)
    assert [s["id"] for s in json.loads(listed.body)["data"]] == [skus["Mixed-A"]]
    assert [s["id"] for s in json.loads(previewed.body)["data"]["attributes"]["sample"]] == [skus["Mixed-A"]]
