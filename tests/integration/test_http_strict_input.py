"""A request means exactly one thing, or is refused: bodies, media types and query parameters.

Through Chalice's test client on moto: a repeated member, NUL or a lone surrogate in a body is a 400
with a pointer; a body without exactly the JSON:API Content-Type is a 415; Accept is read with its
weights (406); an unknown sort form or sparse field, or a query parameter given twice, is a 400 naming the
parameter. None creates anything.
"""
from __future__ import annotations

import pytest
from chalice.test import Client

from chalicelib.tenancy import Tenant
from tests.factories import JSONAPI, headers, resource_body
from tests.integration.conftest import RecordFactory
from tests.integration.test_http_api import bearer, body, error
from tests.integration.test_previews_http import cleanups_table_items

ORG = "DemoOrg001"  # what `bearer()` names
REPEATED_FILTERS = ('{"data": {"type": "%s", "attributes": {"resource_type": "skus", '
                    '"filters": {"code_eq": "NOPE"}, "filters": {}}}}')


def auth(**extra: str) -> dict[str, str]:
    return headers(bearer(org=ORG), **extra)


def cleanup_count(client: Client) -> int:
    count: int = body(client.http.get("/api/cleanups", headers=auth()))["meta"]["record_count"]
    return count


@pytest.fixture
def skus(tables: dict[str, str]) -> list[str]:
    factory = RecordFactory(Tenant(ORG, "test"))
    return [factory.sku(f"KEEP{n}").id for n in range(2)]


# --- bodies ----------------------------------------------------------------------------------------

def test_preview_with_repeated_filters_is_400_pointing_at_them_and_stores_nothing(client: Client,
                                                                                   tables: dict[str, str],
                                                                                   skus: list[str]) -> None:
    # Given a preview body naming filters twice (json.loads alone reads `filters: {}`: every sku)
    # When it is posted
    response = client.http.post("/api/cleanup_previews", headers=auth(), body=REPEATED_FILTERS % "cleanup_previews")
    # Then it is a 400 pointing at the repeated member, and no preview is stored
    assert response.status_code == 400
    first = error(response)
    assert (first["code"], first["source"]) == ("BAD_REQUEST", {"pointer": "/data/attributes/filters"})
    assert "filters" in first["detail"]
    assert cleanups_table_items(tables) == []


def test_cleanup_create_with_repeated_filters_is_400_and_creates_nothing(client: Client, skus: list[str]) -> None:
    # Given skus, and a cleanup body naming filters twice
    # When it is posted
    response = client.http.post("/api/cleanups", headers=auth(), body=REPEATED_FILTERS % "cleanups")
    # Then it is a 400 pointing at the repeated member; no cleanup exists and every sku is still there
    assert response.status_code == 400
    assert error(response)["source"] == {"pointer": "/data/attributes/filters"}
    assert cleanup_count(client) == 0
    assert body(client.http.get("/api/skus", headers=auth()))["meta"]["record_count"] == len(skus)


def test_cleanup_create_with_repeated_filters_under_a_used_key_is_400_not_a_replay(client: Client,
                                                                                  skus: list[str]) -> None:
    # Given a cleanup created with a key and the filters the repeated body's last copy holds
    key = auth(**{"Idempotency-Key": "strict-1"})
    last_copy = resource_body("cleanups", {"resource_type": "skus", "filters": {"code_eq": "NOPE"}})
    assert client.http.post("/api/cleanups", headers=key, body=last_copy).status_code == 201
    # When the same key comes with a body naming filters twice, that copy last
    repeated = ('{"data": {"type": "cleanups", "attributes": {"resource_type": "skus", '
                '"filters": {}, "filters": {"code_eq": "NOPE"}}}}')
    response = client.http.post("/api/cleanups", headers=key, body=repeated)
    # Then it is the body's 400, not a replay of the first cleanup
    assert response.status_code == 400 and "Idempotent-Replayed" not in response.headers
    assert error(response)["source"] == {"pointer": "/data/attributes/filters"}
    assert cleanup_count(client) == 1


@pytest.mark.parametrize(("raw", "pointer"), [
    ('{"data": {"type": "cleanups", "attributes": {"resource_type": "skus", "reference": "\\ud800"}}}',
     "/data/attributes/reference"),
    ('{"data": {"type": "cleanups", "attributes": {"resource_type": "skus", '
     '"filters": {"code_in": ["A", "\\u0000"]}}}}', "/data/attributes/filters/code_in/1"),
    ('{"data": {"type": "cleanups", "attributes": {"resource_type": "skus", "metadata": {"\\udc00": 1}}}}',
     "/data/attributes/metadata"),
])
def test_cleanup_create_with_nul_or_a_lone_surrogate_is_400_pointing_at_it(client: Client, skus: list[str],
                                                                           raw: str, pointer: str) -> None:
    # Given a cleanup body with NUL or a lone surrogate in a value, an array element or a member name
    # When it is posted
    response = client.http.post("/api/cleanups", headers=auth(), body=raw.encode())
    # Then it is a 400 pointing at what holds it (a member name: its object), and nothing is created
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["source"]) == ("BAD_REQUEST", {"pointer": pointer})
    assert cleanup_count(client) == 0


def test_token_request_with_a_repeated_member_is_400_pointing_at_it(client: Client) -> None:
    # Given a JSON token request naming client_id twice, a valid one last
    raw = ('{"grant_type": "client_credentials", "client_id": "nobody", "client_id": "dev-integration-test", '
           '"client_secret": "dev-secret"}')
    # When it is posted
    response = client.http.post("/oauth/token", headers={"Content-Type": "application/json"}, body=raw)
    # Then it is a 400 pointing at the member, and no token is issued
    assert response.status_code == 400 and "access_token" not in body(response)
    assert error(response)["source"] == {"pointer": "/client_id"}


# --- media types ----------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", [None, f"{JSONAPI}, text/plain", f"text/plain, {JSONAPI}"])
@pytest.mark.parametrize("path, type_name", [("/api/cleanups", "cleanups"),
                                             ("/api/cleanup_previews", "cleanup_previews")])
def test_body_without_exactly_the_jsonapi_content_type_is_415_and_creates_nothing(
        client: Client, tables: dict[str, str], content_type: str | None, path: str, type_name: str) -> None:
    # Given a valid create body sent without Content-Type, or with a Content-Type listing several types
    sent = auth()
    del sent["Content-Type"]
    if content_type is not None:
        sent["Content-Type"] = content_type
    # When it is posted
    response = client.http.post(path, headers=sent, body=resource_body(type_name, {"resource_type": "skus"}))
    # Then it is a 415 on the header, and nothing is stored
    assert response.status_code == 415
    assert (error(response)["code"], error(response)["source"]) == ("UNSUPPORTED_MEDIA_TYPE",
                                                                    {"header": "Content-Type"})
    assert cleanups_table_items(tables) == []


def test_get_without_a_body_needs_no_content_type(client: Client) -> None:
    # Given a GET with only Accept and Authorization, as the project's CLI sends
    sent = {"Accept": JSONAPI, "Authorization": auth()["Authorization"]}
    # When it is sent / Then it is answered
    assert client.http.get("/api/cleanups", headers=sent).status_code == 200


@pytest.mark.parametrize(("accept", "status"), [
    ("*/*;q=0", 406),
    (f"{JSONAPI};q=0, */*", 406),
    (f"{JSONAPI};q=0, application/json", 406),
    (f"{JSONAPI};q=0.5", 200),
    (f"text/html, {JSONAPI};q=0.1", 200),
    (JSONAPI, 200),
    ("application/json", 200),
    ("*/*", 200),
])
def test_accept_is_read_with_its_weights(client: Client, accept: str, status: int) -> None:
    # Given an Accept whose most specific range for JSON:API weighs it 0, or above
    # When a list is asked for
    response = client.http.get("/api/cleanups", headers=auth(Accept=accept))
    # Then a weight of 0 is a 406 on the header, any other weight is answered
    assert response.status_code == status
    if status == 406:
        assert (error(response)["code"], error(response)["source"]) == ("NOT_ACCEPTABLE", {"header": "Accept"})


# --- query parameters -------------------------------------------------------------------------------

@pytest.mark.parametrize("sort", ["--id", "%2Bid", "id,,created_at", "", "id,"])
@pytest.mark.parametrize("path", ["/api/cleanups", "/api/skus", "/api/events", "/api/webhooks"])
def test_sort_of_unknown_form_is_400_naming_sort(client: Client, path: str, sort: str) -> None:
    # Given a sort with a doubled or foreign prefix, an empty segment, or empty altogether
    # When a list is asked for with it
    response = client.http.get(f"{path}?sort={sort}", headers=auth())
    # Then it is a 400 naming sort
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["source"]) == ("BAD_REQUEST", {"parameter": "sort"})


@pytest.mark.parametrize("path, parameter", [
    ("/api/cleanups?sort=id&sort=-id", "sort"),
    ("/api/skus?filter[q][code_eq]=KEEP0&filter[q][code_eq]=KEEP1", "filter[q][code_eq]"),
    ("/api/events?page[size]=1&page[size]=25", "page[size]"),
    ("/api/cleanups?include=events&include=versions", "include"),
])
def test_a_query_parameter_given_twice_is_400_naming_it(client: Client, skus: list[str], path: str,
                                                        parameter: str) -> None:
    # Given a list route / When asked with one parameter given twice (even with the same value)
    response = client.http.get(path, headers=auth())
    # Then it is a 400 naming it: which copy was meant is not guessed
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["source"]) == ("BAD_REQUEST", {"parameter": parameter})


@pytest.mark.parametrize("path, type_name", [
    ("/api/cleanups", "cleanups"), ("/api/skus", "skus"), ("/api/skus/{sku}/prices", "prices"),
    ("/api/events", "events"), ("/api/versions", "versions"), ("/api/webhooks", "webhooks"),
    ("/api/event_callbacks", "event_callbacks"), ("/api/cleanups/{cleanup}", "cleanups"),
    ("/api/cleanups/{cleanup}", "events"), ("/api/cleanups/{cleanup}/events", "events"),
    ("/api/cleanup_previews/{preview}", "cleanup_previews"),
])
def test_fields_naming_what_the_type_does_not_have_is_400_naming_the_parameter(
        client: Client, skus: list[str], path: str, type_name: str) -> None:
    # Given a cleanup (with its events) and a preview
    made = {"cleanup": body(client.http.post("/api/cleanups", headers=auth(), body=resource_body(
                "cleanups", {"resource_type": "skus", "filters": {"code_eq": "NOPE"}})))["data"]["id"],
            "preview": body(client.http.post("/api/cleanup_previews", headers=auth(), body=resource_body(
                "cleanup_previews", {"resource_type": "skus"})))["data"]["id"],
            "sku": skus[0]}
    # When a route answering that type is asked for a field it does not have
    response = client.http.get(f"{path.format(**made)}?fields[{type_name}]=status,bogus", headers=auth())
    # Then it is a 400 naming the parameter
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["source"]) == ("BAD_REQUEST",
                                                                    {"parameter": f"fields[{type_name}]"})
    assert "bogus" in error(response)["detail"]


def test_fields_of_a_type_the_route_does_not_answer_is_not_allowed(client: Client) -> None:
    # Given a list of cleanups / When asked with a fieldset for skus
    response = client.http.get("/api/cleanups?fields[skus]=code", headers=auth())
    # Then the parameter is not one the route takes
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["source"]) == ("PARAMETER_NOT_ALLOWED",
                                                                    {"parameter": "fields[skus]"})


@pytest.mark.parametrize("query", ["fields[cleanups]=bogus", "fields[cleanups]=status&fields[cleanups]=filters"],
                         ids=["an_unknown_field", "a_fieldset_given_twice"])
def test_create_with_a_bad_fieldset_in_its_query_is_400_and_creates_nothing(client: Client, skus: list[str],
                                                                           query: str) -> None:
    # Given a valid cleanup body / When it is posted asking for a field cleanups do not have, or a fieldset twice
    response = client.http.post(f"/api/cleanups?{query}", headers=auth(),
                                body=resource_body("cleanups", {"resource_type": "skus"}))
    # Then it is a 400 naming the parameter, and no cleanup was created before the answer failed
    assert response.status_code == 400
    assert error(response)["source"] == {"parameter": "fields[cleanups]"}
    assert cleanup_count(client) == 0


def test_fields_of_the_type_and_of_what_is_included_stay_sparse(client: Client, skus: list[str]) -> None:
    # Given a cleanup that selected nothing (created completed, with events)
    created = body(client.http.post("/api/cleanups", headers=auth(), body=resource_body(
        "cleanups", {"resource_type": "skus", "filters": {"code_eq": "NOPE"}})))["data"]["id"]
    # When it is read with its events, sparse fieldsets for both, and an empty one for none
    query = "include=events&fields[cleanups]=status,events&fields[events]=name"
    shown = body(client.http.get(f"/api/cleanups/{created}?{query}", headers=auth()))
    none = body(client.http.get(f"/api/cleanups/{created}?fields[cleanups]=", headers=auth()))
    # Then each renders only what its fieldset names
    assert shown["data"]["attributes"] == {"status": "completed"} and set(shown["data"]["relationships"]) == {"events"}
    assert shown["included"] and all(set(event["attributes"]) == {"name"} for event in shown["included"])
    assert (none["data"]["attributes"], none["data"]["relationships"]) == ({}, {})
