"""Schedules under the hardening rules: repeated keys, blank values, unknown keys, limits. Never a 500, never stored.

Through Chalice's test client on moto, as tests/integration/test_http_strict_input.py and
test_http_input_limits.py hold the cleanup routes to the same rules.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.limits import MAX_BODY_BYTES, MAX_METADATA_BYTES, MAX_STRING_CHARS
from tests.factories import resource_body
from tests.integration.test_http_api import error
from tests.integration.test_http_strict_input import auth
from tests.integration.test_schedules_http import NIGHTLY, TYPE, data

LONG_ID = "x" * 10_000
REPEATED_FILTERS = ('{"data": {"type": "cleanup_schedules", "attributes": {"name": "n", "resource_type": "skus", '
                    '"cron": "0 3 * * *", "filters": {"code_eq": "NOPE"}, "filters": {}}}}')


def stored(client: Client) -> list[Any]:
    return list(data(client.http.get(f"/api/{TYPE}", headers=auth())))


def created(client: Client) -> str:
    response = client.http.post(f"/api/{TYPE}", headers=auth(), body=resource_body(TYPE, NIGHTLY))
    assert response.status_code == 201, response.body
    return str(data(response)["id"])


def test_a_create_with_repeated_filters_is_400_pointing_at_them(client: Client, tables: dict[str, str]) -> None:
    # Given a body naming filters twice (json.loads alone would read `{}`: every sku, every night)
    response = client.http.post(f"/api/{TYPE}", headers=auth(), body=REPEATED_FILTERS)
    # Then it is a 400 pointing at the repeated member, and nothing is stored
    assert response.status_code == 400
    assert error(response)["source"] == {"pointer": "/data/attributes/filters"}
    assert stored(client) == []


@pytest.mark.parametrize(("filters", "pointer"), [
    ({"code_eq": ""}, "/data/attributes/filters"),
    ({"code_in": []}, "/data/attributes/filters"),
    ({"created_at_lt": " "}, "/data/attributes/filters"),
    ({"code_eq": None}, "/data/attributes/filters"),
])
def test_a_blank_filter_value_is_refused_not_dropped(client: Client, tables: dict[str, str],
                                                     filters: dict[str, Any], pointer: str) -> None:
    # Given a schedule whose filter value is blank (dropping it would widen every run to all skus)
    body = resource_body(TYPE, {**NIGHTLY, "filters": filters})
    response = client.http.post(f"/api/{TYPE}", headers=auth(), body=body)
    # Then it is refused, pointing at the filters, and nothing is stored
    assert response.status_code in (400, 422), response.body
    assert error(response)["source"] == {"pointer": pointer}
    assert stored(client) == []


@pytest.mark.parametrize(("attributes", "relationships", "pointer"), [
    ({"colour": "red"}, None, "/data/attributes/colour"),
    ({"runs_count": 5}, None, "/data/attributes/runs_count"),
    ({"_run": True}, None, "/data/attributes/_run"),
    ({}, {"owner": ("customers", "abcdefghij")}, "/data/relationships/owner"),
])
def test_a_create_with_an_unknown_or_read_only_key_is_422_with_its_pointer(
        client: Client, tables: dict[str, str], attributes: dict[str, Any],
        relationships: dict[str, tuple[str, str]] | None, pointer: str) -> None:
    body = resource_body(TYPE, {**NIGHTLY, **attributes}, relationships=relationships)
    response = client.http.post(f"/api/{TYPE}", headers=auth(), body=body)
    assert response.status_code == 422, response.body
    assert {"pointer": pointer} in [e.get("source") for e in json.loads(response.body)["errors"]]
    assert stored(client) == []


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"resource_type": "prices"}, "/data/attributes/resource_type"),
    ({"next_run_at": None}, "/data/attributes/next_run_at"),
    ({"_run": "yes"}, "/data/attributes/_run"),
    ({"name": None}, "/data/attributes/name"),
    ({"max_records_per_run": None}, "/data/attributes/max_records_per_run"),
    ({"filters": {"created_at_eq": "now-P1D"}}, "/data/attributes/filters"),
    ({"cron": 3}, "/data/attributes/cron"),
])
def test_an_update_saying_what_it_may_not_is_422_and_changes_nothing(
        client: Client, tables: dict[str, str], attributes: dict[str, Any], pointer: str) -> None:
    # Given a schedule
    schedule_id = created(client)
    before = data(client.http.get(f"/api/{TYPE}/{schedule_id}", headers=auth()))
    # When an update says something it may not
    response = client.http.patch(f"/api/{TYPE}/{schedule_id}", headers=auth(),
                                 body=resource_body(TYPE, attributes, id_=schedule_id))
    # Then it is 422 pointing at it, and the schedule is unchanged
    assert response.status_code == 422, response.body
    assert error(response)["source"] == {"pointer": pointer}
    assert data(client.http.get(f"/api/{TYPE}/{schedule_id}", headers=auth())) == before


def test_an_update_naming_another_id_or_type_is_409(client: Client, tables: dict[str, str]) -> None:
    schedule_id = created(client)
    for body in (resource_body(TYPE, {"name": "x"}, id_="abcdefghij"), resource_body("cleanups", {}, id_=schedule_id)):
        response = client.http.patch(f"/api/{TYPE}/{schedule_id}", headers=auth(), body=body)
        assert response.status_code == 409, response.body


@pytest.mark.parametrize("attributes", [
    {"metadata": {"blob": "x" * (MAX_METADATA_BYTES + 1)}},
    {"name": "x" * (MAX_STRING_CHARS + 1)},
    {"reference": "x" * (MAX_STRING_CHARS + 1)},
    {"max_records_per_second": 10 ** 40},
    {"cron": "0 3 * * " + ",".join(["1"] * 200)},
])
def test_values_past_the_limits_are_4xx_with_a_pointer(client: Client, tables: dict[str, str],
                                                      attributes: dict[str, Any]) -> None:
    response = client.http.post(f"/api/{TYPE}", headers=auth(), body=resource_body(TYPE, {**NIGHTLY, **attributes}))
    assert response.status_code in (400, 422), response.body[:300]
    assert "pointer" in error(response)["source"]
    assert stored(client) == []


def test_a_body_over_the_size_limit_is_400(client: Client, tables: dict[str, str]) -> None:
    body = resource_body(TYPE, {**NIGHTLY, "filters": {"code_start": "x" * (1 << 20)}})
    assert len(body) > MAX_BODY_BYTES
    response = client.http.post(f"/api/{TYPE}", headers=auth(), body=body)
    assert response.status_code == 400 and error(response)["title"] == "Request body too large"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", f"/api/{TYPE}/{LONG_ID}"), ("DELETE", f"/api/{TYPE}/{LONG_ID}"),
    ("PATCH", f"/api/{TYPE}/{LONG_ID}"), ("GET", f"/api/{TYPE}/{LONG_ID}/cleanups"),
    ("GET", f"/api/cleanups/{LONG_ID}/schedule"),
])
def test_an_id_longer_than_the_id_format_is_404(client: Client, tables: dict[str, str], method: str,
                                                path: str) -> None:
    body = resource_body(TYPE, {"name": "x"}, id_=LONG_ID) if method == "PATCH" else None
    response = client.http.request(method, path, headers=auth(), body=body)
    assert response.status_code == 404 and error(response)["code"] == "RECORD_NOT_FOUND"


@pytest.mark.parametrize("query", ["sort=next_run_at", "sort=-created_at", "filter[q][enabled_true]=true",
                                   "fields[cleanup_schedules]=name,next_run_at", "page[size]=1"])
def test_lists_take_the_usual_query(client: Client, tables: dict[str, str], query: str) -> None:
    created(client)
    response = client.http.get(f"/api/{TYPE}?{query}", headers=auth())
    assert response.status_code == 200, response.body


@pytest.mark.parametrize(("query", "parameter"), [("sort=colour", "sort"), ("filter[q][colour_eq]=x", None),
                                                  ("include=events", "include"), ("fields[cleanup_schedules]=x", None)])
def test_lists_refuse_an_unknown_query_with_a_400(client: Client, tables: dict[str, str], query: str,
                                                 parameter: str | None) -> None:
    response = client.http.get(f"/api/{TYPE}?{query}", headers=auth())
    assert response.status_code == 400, response.body
    if parameter is not None:
        assert error(response)["source"] == {"parameter": parameter}
