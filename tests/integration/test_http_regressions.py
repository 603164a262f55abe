"""Regressions found by schemathesis (tests/e2e/test_schemathesis.py), each pinned as a plain request.

Chalice's test client against moto. A finding moto does not reproduce (it accepts an empty key string in
BatchGetItem where DynamoDB and DynamoDB Local refuse it) is pinned in tests/e2e/test_openapi_conformance.py.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.auth import tokens
from tests.conftest import JWT_SECRET as SECRET
from tests.factories import headers, resource_body, token


def auth() -> dict[str, str]:
    return headers(token(SECRET))


def body(response: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(response.body)
    return parsed


def only_error(response: Any) -> dict[str, Any]:
    parsed = body(response)
    assert set(parsed) == {"errors"}, parsed
    first: dict[str, Any] = parsed["errors"][0]
    assert first["status"] == str(response.status_code)
    return first


def create(client: Client, type_name: str, attributes: dict[str, Any]) -> Any:
    return client.http.post(f"/api/{type_name}", headers=auth(), body=resource_body(type_name, attributes))


# --- fixed in chalicelib/jsonapi/query.py and chalicelib/http.py ---------------------------------------------

@pytest.mark.parametrize("value", ["²", "١", "9" * 5000, "1000000000"])
def test_page_number_that_int_refuses_or_is_huge_is_400_not_500(client: Client, value: str) -> None:
    # Given a page number str.isdigit() accepts but int() refuses (or too long for int())
    # When a list is asked for that page
    response = client.http.get(f"/api/skus?page%5Bnumber%5D={value}", headers=auth())

    # Then it is a 400 naming the parameter, not an internal error
    assert response.status_code == 400
    assert only_error(response)["source"] == {"parameter": "page[number]"}


def test_internal_error_on_the_token_route_is_json_not_jsonapi(client: Client,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a token route whose use case fails unexpectedly
    def explode(form: Any) -> Any:
        raise RuntimeError("boom")
    monkeypatch.setattr(tokens, "issue_token", explode)

    # When a token is asked for
    response = client.http.post("/oauth/token", headers={"Content-Type": "application/json"}, body=json.dumps(
        {"grant_type": "client_credentials", "client_id": "dev-integration-test", "client_secret": "dev-secret"}))

    # Then the 500 has the route's own media type (application/json, as its other errors) and no trace
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    error = only_error(response)
    assert error["code"] == "INTERNAL_SERVER_ERROR" and "boom" not in json.dumps(error)


# --- found by schemathesis, fixed in the stores -------------------------------------------------------------

def test_token_for_an_empty_client_id_is_401(client: Client) -> None:
    # Given an empty client id / When a token is asked for
    response = client.http.post("/oauth/token", headers={"Content-Type": "application/json"}, body=json.dumps(
        {"grant_type": "client_credentials", "client_id": "", "client_secret": "x"}))

    # Then the credentials are refused like any unknown client id
    assert response.status_code == 401, response.body
    assert only_error(response)["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(("attribute", "value"), [
    ("metadata", {"tiny": 1e-200}),
    ("metadata", {"huge": 10 ** 40}),
])
def test_record_number_dynamodb_cannot_store_is_422(client: Client, attribute: str, value: Any) -> None:
    # Given a sku list whose object attribute holds a number outside DynamoDB's range
    # When it is created
    response = create(client, "sku_lists", {"name": "Featured", attribute: value})

    # Then it is refused with a pointer to the attribute, not a 500 from PutItem
    assert response.status_code == 422, response.body
    assert only_error(response)["source"] == {"pointer": f"/data/attributes/{attribute}"}


def test_datetime_before_year_1000_renders_with_four_digit_year(client: Client) -> None:
    # Given a promotion starting in the year 470 / When it is created
    response = create(client, "promotions", {"name": "Old", "starts_at": "0470-09-12T06:23:43Z",
                                             "expires_at": "2470-09-12T06:23:43Z"})

    # Then its timestamps keep the documented shape (and so their string order is time order)
    assert response.status_code == 201, response.body
    assert body(response)["data"]["attributes"]["starts_at"] == "0470-09-12T06:23:43.000Z"
