"""Input that must never reach a 500: blank filter values, unknown relationships, oversize and odd JSON.

Each test pins one finding of an attacker/careless-user pass against the local stack, through
Chalice's test client on moto; the limits themselves are in chalicelib/limits.py.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.limits import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    MAX_KEY_CHARS,
    MAX_METADATA_BYTES,
    MAX_STRING_CHARS,
    MAX_TOKEN_FIELD_CHARS,
)
from chalicelib.tenancy import Tenant
from tests.conftest import JWT_SECRET as SECRET
from tests.factories import headers, resource_body, token
from tests.integration.conftest import RecordFactory

TENANT = Tenant("OrgAAAAAA1", "test")  # what `token()` names
LONG_ID = "x" * 10_000


def auth() -> dict[str, str]:
    return headers(token(SECRET))


def errors(response: Any) -> list[dict[str, Any]]:
    parsed = json.loads(response.body)
    assert set(parsed) == {"errors"}, parsed
    assert all(e["status"] == str(response.status_code) for e in parsed["errors"])
    return list(parsed["errors"])


def post(client: Client, path: str, body: str) -> Any:
    return client.http.post(path, headers=auth(), body=body)


def cleanup_body(filters: Any = None, **extra: Any) -> str:
    attributes = {"resource_type": "skus", **({} if filters is None else {"filters": filters}), **extra}
    return resource_body("cleanups", attributes)


@pytest.fixture
def skus(client: Client, tables: dict[str, str]) -> list[str]:
    factory = RecordFactory(TENANT)
    return [factory.sku(f"TSHIRT-{n}").id for n in range(3)]


def listed(client: Client, path: str) -> list[dict[str, Any]]:
    response = client.http.get(path, headers=auth())
    assert response.status_code == 200, response.body
    return list(json.loads(response.body)["data"])


# --- blank filter values --------------------------------------------------------------------------------

@pytest.mark.parametrize("filters", [
    {"code_start": ""}, {"code_cont": "   "}, {"code_not_eq": ""}, {"code_in": []}, {"code_in": ["TSHIRT-1", ""]},
    {"code_in": " "}, {"code_null": ""}, {"code_eq": "\t"},
])
def test_cleanup_with_a_blank_filter_value_is_422_and_deletes_nothing(client: Client, skus: list[str],
                                                                       filters: dict[str, Any]) -> None:
    # Given skus, and a cleanup whose filter value is blank (Ransack would drop it: every sku)
    # When it is created
    response = post(client, "/api/cleanups", cleanup_body(filters))

    # Then it is refused on its filters, and no cleanup exists
    assert response.status_code == 422, response.body
    assert errors(response)[0]["source"] == {"pointer": "/data/attributes/filters"}
    assert listed(client, "/api/cleanups") == []


@pytest.mark.parametrize("value", ["", "%20%20", "a%2C%2Cb"])
def test_list_with_a_blank_filter_value_is_400_naming_the_parameter(client: Client, skus: list[str],
                                                                    value: str) -> None:
    # Given a list filter with a blank value (or a blank item)
    # When the list is asked for
    response = client.http.get(f"/api/skus?filter%5Bq%5D%5Bcode_in%5D={value}", headers=auth())

    # Then it is a 400 naming the parameter
    assert response.status_code == 400, response.body
    assert errors(response)[0]["source"] == {"parameter": "filter[q][code_in]"}


def test_cleanup_without_filters_still_selects_every_record_of_the_type(client: Client, skus: list[str]) -> None:
    # Given skus / When a cleanup names no filters at all, as Commerce Layer allows
    response = post(client, "/api/cleanups", cleanup_body())

    # Then it selects every sku
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["data"]["attributes"]["records_count"] == len(skus)


# --- unknown relationships -----------------------------------------------------------------------------

@pytest.mark.parametrize("path, type_name, attributes", [
    ("/api/cleanups", "cleanups", {"resource_type": "skus"}),
    ("/api/webhooks", "webhooks", {"topic": "cleanups.create", "callback_url": "https://example.com/hook"}),
])
def test_create_with_an_unknown_relationship_is_422_with_its_pointer(client: Client, skus: list[str], path: str,
                                                                     type_name: str, attributes: dict) -> None:
    # Given a create that carries a relationship its resource does not have (a misspelling)
    body = resource_body(type_name, attributes, relationships={"sku_lsit": ("sku_lists", "abcdefghij")})

    # When it is sent
    response = post(client, path, body)

    # Then it is refused, pointing at the relationship, and nothing is created
    assert response.status_code == 422, response.body
    assert errors(response)[0]["source"] == {"pointer": "/data/relationships/sku_lsit"}
    assert listed(client, path) == []


def test_update_with_an_unknown_relationship_is_422_with_its_pointer(client: Client, skus: list[str]) -> None:
    # Given a cleanup / When an update carries a relationship cleanups do not have
    created = json.loads(post(client, "/api/cleanups", cleanup_body({"code_eq": "TSHIRT-1"})).body)["data"]
    body = resource_body("cleanups", {"reference": "x"}, id_=created["id"],
                         relationships={"owner": ("customers", "abcdefghij")})
    response = client.http.patch(f"/api/cleanups/{created['id']}", headers=auth(), body=body)

    # Then it is refused, pointing at the relationship
    assert response.status_code == 422, response.body
    assert errors(response)[0]["source"] == {"pointer": "/data/relationships/owner"}


def test_record_create_with_an_unknown_relationship_is_still_422(client: Client, skus: list[str]) -> None:
    # Given a sku create with a relationship skus do not have (already refused before the parser checked it)
    body = resource_body("skus", {"code": "NEW", "name": "New"}, relationships={"colour": ("colours", "abc")})

    # When it is sent / Then it is refused with the relationship's pointer
    response = post(client, "/api/skus", body)
    assert response.status_code == 422, response.body
    assert {"pointer": "/data/relationships/colour"} in [e.get("source") for e in errors(response)]


# --- sizes, nesting, numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("path, body", [
    ("/api/cleanups", cleanup_body(metadata={"blob": "x" * (1 << 20)})),
    ("/api/cleanups", cleanup_body({"code_start": "x" * (1 << 20)})),
    ("/api/cleanups", cleanup_body({"id_in": [f"{n:010d}" for n in range(71_000)]})),
    ("/api/skus", resource_body("skus", {"code": "BIG", "name": "x" * (1 << 20)})),
    ("/oauth/token", json.dumps({"grant_type": "client_credentials", "client_id": "x" * (1 << 20)})),
])
def test_a_body_over_the_size_limit_is_400(client: Client, path: str, body: str) -> None:
    # Given a body over MAX_BODY_BYTES / When it is sent
    response = post(client, path, body)

    # Then it is a 400 saying so, not a 500 from DynamoDB
    assert len(body) > MAX_BODY_BYTES
    assert response.status_code == 400, response.body[:300]
    assert errors(response)[0]["title"] == "Request body too large"


@pytest.mark.parametrize("path", ["/api/cleanups", "/api/skus", "/api/webhooks", "/oauth/token"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_a_body_nested_too_deeply_is_400(client: Client, path: str, depth: int) -> None:
    # Given a body whose arrays nest deeper than the limit (100,000 levels made json.loads recurse out)
    body = '{"data": {"type": "x", "attributes": {"metadata": {"a": ' + "[" * depth + "]" * depth + "}}}}"

    # When it is sent / Then it is a 400 saying so
    response = post(client, path, body)
    assert response.status_code == 400, response.body[:300]
    assert errors(response)[0]["title"] == "JSON nested too deeply"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_finite_number_is_400_and_lists_stay_strict_json(client: Client, skus: list[str],
                                                               constant: str) -> None:
    # Given a cleanup whose filter value is a number JSON does not have
    body = cleanup_body({"code_eq": "PLACEHOLDER"}).replace('"PLACEHOLDER"', constant)

    # When it is created
    response = post(client, "/api/cleanups", body)

    # Then it is refused, and the list of cleanups stays JSON that a strict parser (JSON.parse) reads
    assert response.status_code == 400, response.body
    listing = client.http.get("/api/cleanups", headers=auth()).body
    json.loads(listing, parse_constant=lambda name: pytest.fail(f"{name} in {listing[:200]!r}"))


def test_strings_and_metadata_over_their_limits_are_422_with_pointers(client: Client, skus: list[str]) -> None:
    # Given a sku with a name over MAX_STRING_CHARS, and a cleanup with metadata over MAX_METADATA_BYTES
    sku = post(client, "/api/skus", resource_body("skus", {"code": "LONG", "name": "x" * (MAX_STRING_CHARS + 1)}))
    cleanup = post(client, "/api/cleanups", cleanup_body(metadata={"blob": "x" * (MAX_METADATA_BYTES // 4)} | {
        f"k{n}": "y" * 1000 for n in range(MAX_METADATA_BYTES // 1000)}))

    # Then each is a 422 pointing at the attribute
    assert sku.status_code == 422 and errors(sku)[0]["source"] == {"pointer": "/data/attributes/name"}
    assert cleanup.status_code == 422 and errors(cleanup)[0]["source"] == {"pointer": "/data/attributes/metadata"}


@pytest.mark.parametrize("attribute", ["code", "reference"])
@pytest.mark.parametrize("value", ["é" * 2_000, "\U0001d160" * 200])
def test_a_key_attribute_over_the_key_limit_is_422(client: Client, skus: list[str], attribute: str,
                                                   value: str) -> None:
    # Given a sku whose code or reference (index and guard keys) is 2,000 characters, or 200 characters
    # that case-fold to 2,400 bytes (each musical symbol decomposes to three)
    attributes = {"code": "KEY", "name": "Key", attribute: value}

    # When it is created / Then it is a 422 on that attribute, not DynamoDB's key-size error
    response = post(client, "/api/skus", resource_body("skus", attributes))
    assert response.status_code == 422, response.body
    assert {"pointer": f"/data/attributes/{attribute}"} in [e.get("source") for e in errors(response)]


def test_a_filter_value_over_the_key_limit_is_422_or_400(client: Client, skus: list[str]) -> None:
    # Given a code filter of 2,000 characters (an index key condition)
    value = "x" * 2_000

    # When a cleanup and a list use it
    cleanup = post(client, "/api/cleanups", cleanup_body({"code_eq": value}))
    listing = client.http.get(f"/api/skus?filter%5Bq%5D%5Bcode_eq%5D={value}", headers=auth())

    # Then they are refused with a pointer and a parameter
    assert cleanup.status_code == 422 and errors(cleanup)[0]["source"] == {"pointer": "/data/attributes/filters"}
    assert listing.status_code == 400 and errors(listing)[0]["source"] == {"parameter": "filter[q][code_eq]"}
    assert len(value) > MAX_KEY_CHARS


def test_an_in_filter_with_more_values_than_a_cleanup_may_select_is_refused(client: Client, skus: list[str]) -> None:
    # Given 10,001 ids (MAX_CLEANUP_RECORDS is 10,000)
    ids = [f"{n:010d}" for n in range(10_001)]

    # When a cleanup and a list filter on them
    cleanup = post(client, "/api/cleanups", cleanup_body({"id_in": ids}))
    listing = client.http.get(f"/api/skus?filter%5Bq%5D%5Bid_in%5D={'%2C'.join(ids)}", headers=auth())

    # Then both are refused with a pointer or a parameter
    assert cleanup.status_code == 422 and errors(cleanup)[0]["source"] == {"pointer": "/data/attributes/filters"}
    assert listing.status_code == 400 and errors(listing)[0]["source"] == {"parameter": "filter[q][id_in]"}


@pytest.mark.parametrize("method, path", [
    ("GET", f"/api/skus/{LONG_ID}"), ("PATCH", f"/api/skus/{LONG_ID}"), ("DELETE", f"/api/skus/{LONG_ID}"),
    ("GET", f"/api/cleanups/{LONG_ID}"), ("DELETE", f"/api/cleanups/{LONG_ID}"),
    ("GET", f"/api/webhooks/{LONG_ID}"), ("GET", f"/api/skus/{LONG_ID}/prices"),
    ("GET", f"/api/cleanups/{LONG_ID}/events"),
])
def test_an_id_longer_than_the_id_format_is_404(client: Client, method: str, path: str) -> None:
    # Given a path with a 10,000-character id / When it is asked for
    body = resource_body("skus", {"name": "x"}, id_=LONG_ID) if method == "PATCH" else None
    response = client.http.request(method, path, headers=auth(), body=body)

    # Then it is a 404 RECORD_NOT_FOUND, not DynamoDB's key-size error
    assert response.status_code == 404, response.body[:300]
    assert errors(response)[0]["code"] == "RECORD_NOT_FOUND"


def test_a_relationship_id_over_the_key_limit_is_422(client: Client, skus: list[str]) -> None:
    # Given a sku create whose shipping category id is 10,000 characters
    body = resource_body("skus", {"code": "REL", "name": "Rel"},
                         relationships={"shipping_category": ("shipping_categories", LONG_ID)})

    # When it is sent / Then it is a 422 pointing at the id
    response = post(client, "/api/skus", body)
    assert response.status_code == 422, response.body[:300]
    assert errors(response)[0]["source"] == {"pointer": "/data/relationships/shipping_category/data/id"}


# --- token request fields ---------------------------------------------------------------------------------

TOKEN_BASE = {"grant_type": "client_credentials", "client_id": "dev-integration-test", "client_secret": "dev-secret"}


def ask_token(client: Client, fields: dict[str, Any], form: bool = False) -> Any:
    if form:
        return client.http.post("/oauth/token", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body=urlencode(fields))
    return client.http.post("/oauth/token", headers={"Content-Type": "application/json"}, body=json.dumps(fields))


def no_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    def lookup(client_id: str, secret: str) -> None:
        pytest.fail(f"credentials looked up: {client_id[:40]!r}")
    monkeypatch.setattr("chalicelib.auth.tokens.verify_credentials", lookup)


@pytest.mark.parametrize(("field", "value"), [
    ("client_id", "x" * 5_000), ("client_id", "x" * (MAX_TOKEN_FIELD_CHARS + 1)), ("client_id", "é" * 1_000),
    ("client_id", "dev integration"), ("client_id", ""), ("client_id", 12345),
    ("client_id", ["dev-integration-test"]), ("client_id", {"id": "x"}), ("client_id", True),
    ("client_secret", "s" * 100_000), ("client_secret", ""), ("client_secret", 1.5),
    ("client_secret", ["dev-secret"]),
])
def test_a_token_request_with_a_malformed_or_over_long_credential_is_401_before_any_lookup(
        client: Client, monkeypatch: pytest.MonkeyPatch, field: str, value: Any) -> None:
    # Given a client id or secret no application can have (a 5,000-character id was DynamoDB's key-size 500)
    no_lookup(monkeypatch)

    # When a token is asked for with it
    response = ask_token(client, {**TOKEN_BASE, field: value})

    # Then it is refused as bad credentials are, naming the field, without reading the applications table
    assert response.status_code == 401, response.body[:300]
    (error,) = errors(response)
    assert (error["code"], error["source"]) == ("UNAUTHORIZED", {"parameter": field})


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_a_token_request_with_a_lone_surrogate_is_a_400_pointing_at_it_before_any_lookup(
        client: Client, monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    # Given a credential holding a lone surrogate (the body reader refuses it in any string)
    no_lookup(monkeypatch)
    # When a token is asked for with it
    response = ask_token(client, {**TOKEN_BASE, field: "\ud800"})
    # Then the body is refused, pointing at the member, without reading the applications table
    assert response.status_code == 400, response.body[:300]
    (error,) = errors(response)
    assert error["source"] == {"pointer": f"/{field}"}


@pytest.mark.parametrize(("field", "value"), [("client_id", "x" * 5_000), ("client_id", "\u00e9t\u00e9"),
                                              ("client_secret", "s" * 5_000)])
def test_a_form_encoded_token_request_with_a_bad_credential_is_401_before_any_lookup(
        client: Client, monkeypatch: pytest.MonkeyPatch, field: str, value: str) -> None:
    # Given the same fields, form-encoded (as OAuth clients send them)
    no_lookup(monkeypatch)
    # When a token is asked for / Then it is a 401 naming the field
    response = ask_token(client, {**TOKEN_BASE, field: value}, form=True)
    assert response.status_code == 401, response.body[:300]
    assert errors(response)[0]["source"] == {"parameter": field}


@pytest.mark.parametrize(("field", "value"), [
    ("grant_type", ["client_credentials"]), ("grant_type", "x" * 5_000),
    ("scope", "market:all " * 100), ("scope", ["market:all"]), ("scope", 7),
])
def test_a_token_request_with_a_malformed_grant_type_or_scope_is_400_before_any_lookup(
        client: Client, monkeypatch: pytest.MonkeyPatch, field: str, value: Any) -> None:
    # Given a grant type or scope of the wrong type or length
    no_lookup(monkeypatch)
    # When a token is asked for / Then it is a 400 naming the field
    response = ask_token(client, {**TOKEN_BASE, field: value})
    assert response.status_code == 400, response.body[:300]
    assert errors(response)[0]["source"] == {"parameter": field}


def test_a_token_request_with_fields_at_their_limits_still_gets_a_token(client: Client) -> None:
    # Given the dev application's credentials and a scope at the limit / When a token is asked for
    response = ask_token(client, {**TOKEN_BASE, "scope": "s" * MAX_TOKEN_FIELD_CHARS})
    # Then it is issued
    assert response.status_code == 200, response.body[:300]


# --- HEAD ------------------------------------------------------------------------------------------------

def test_head_of_a_get_route_answers_its_headers_without_a_body(client: Client, skus: list[str]) -> None:
    # Given a list route / When HEAD is asked
    head = client.http.request("HEAD", "/api/skus", headers=auth())
    get = client.http.get("/api/skus", headers=auth())

    # Then it answers as GET does, with no body and GET's length
    assert head.status_code == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(get.body))


def test_head_of_a_route_without_get_is_405_without_a_body(client: Client) -> None:
    # Given the token route (POST only) / When HEAD is asked / Then 405, no body
    response = client.http.request("HEAD", "/oauth/token")
    assert response.status_code == 405 and response.body == b""
