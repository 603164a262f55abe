"""The HTTP surface through Chalice's test client against moto: auth, JSON:API errors, tenancy."""
from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

import app as service
from tests.conftest import JWT_SECRET as SECRET
from tests.factories import headers, resource_body, token


def bearer(kind: str = "integration", test: bool = True, org: str = "DemoOrg001") -> str:
    return token(SECRET, organization={"id": org, "slug": "demo"},
                 application={"id": "AppAAAAAA1", "client_id": "c", "kind": kind, "public": False}, test=test)


def body(response: Any) -> dict[str, Any]:
    return json.loads(response.body)


def error(response: Any) -> dict[str, Any]:
    parsed = body(response)
    assert set(parsed) == {"errors"}, parsed
    first = parsed["errors"][0]
    assert first["status"] == str(response.status_code)
    return first


# --- tokens -----------------------------------------------------------------------------------

def test_token_is_issued_for_form_encoded_client_credentials(client: Client) -> None:
    response = client.http.post("/oauth/token", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                body="grant_type=client_credentials&client_id=dev-integration-test&client_secret=dev-secret")
    assert response.status_code == 200
    issued = body(response)
    assert issued["token_type"] == "bearer" and issued["expires_in"] > 0
    me = client.http.get("/api/application", headers=headers(issued["access_token"]))
    assert me.status_code == 200
    assert body(me)["data"]["attributes"]["kind"] == "integration"


def test_token_is_issued_for_a_json_body(client: Client) -> None:
    response = client.http.post("/oauth/token", headers={"Content-Type": "application/json"}, body=json.dumps(
        {"grant_type": "client_credentials", "client_id": "dev-integration-live", "client_secret": "dev-secret"}))
    assert response.status_code == 200


def test_bad_client_secret_is_401_json(client: Client) -> None:
    response = client.http.post("/oauth/token", headers={"Content-Type": "application/json"}, body=json.dumps(
        {"grant_type": "client_credentials", "client_id": "dev-integration-test", "client_secret": "nope"}))
    assert response.status_code == 401 and error(response)["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(("authorization", "code"), [
    (None, "UNAUTHORIZED"),
    ("Basic abc", "UNAUTHORIZED"),
    ("Bearer not-a-jwt", "UNAUTHORIZED"),
    (f"Bearer {token(SECRET, exp=1, iat=0)}", "INVALID_TOKEN"),
    (f"Bearer {token('another-secret')}", "INVALID_TOKEN"),
    (f"Bearer {token(SECRET, algorithm='HS512')}", "INVALID_TOKEN"),
    (f"Bearer {token(None, algorithm='none')}", "INVALID_TOKEN"),
])
def test_api_refuses_bad_tokens_with_the_sdk_codes(client: Client, authorization: str | None, code: str) -> None:
    sent = headers()
    if authorization:
        sent["Authorization"] = authorization
    response = client.http.get("/api/cleanups", headers=sent)
    assert response.status_code == 401 and error(response)["code"] == code


def test_sales_channel_may_not_touch_cleanups_or_records(client: Client) -> None:
    for path in ("/api/cleanups", "/api/skus"):
        response = client.http.get(path, headers=headers(bearer(kind="sales_channel")))
        assert response.status_code == 401 and error(response)["code"] == "UNAUTHORIZED"
    assert client.http.get("/api/application", headers=headers(bearer(kind="sales_channel"))).status_code in (200, 404)


# --- JSON:API errors --------------------------------------------------------------------------

def test_body_with_another_content_type_is_415(client: Client) -> None:
    response = client.http.post("/api/cleanups", headers={**headers(bearer()), "Content-Type": "text/plain"},
                                body="x")
    assert response.status_code == 415 and error(response)["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_accept_without_jsonapi_is_406(client: Client) -> None:
    response = client.http.get("/api/cleanups", headers={**headers(bearer()), "Accept": "text/html"})
    assert response.status_code == 406 and error(response)["code"] == "NOT_ACCEPTABLE"


def test_unknown_method_is_405_in_jsonapi(client: Client) -> None:
    response = client.http.put("/api/cleanups", headers=headers(bearer()), body="{}")
    assert response.status_code == 405 and "errors" in body(response)


def test_invalid_json_is_400_with_pointer(client: Client) -> None:
    response = client.http.post("/api/cleanups", headers=headers(bearer()), body="{nope")
    assert response.status_code == 400 and error(response)["source"] == {"pointer": ""}


def test_type_mismatch_is_409(client: Client) -> None:
    response = client.http.post("/api/cleanups", headers=headers(bearer()),
                                body=resource_body("skus", {"resource_type": "skus"}))
    assert response.status_code == 409 and error(response)["source"] == {"pointer": "/data/type"}


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({}, "/data/attributes/resource_type"),
    ({"resource_type": "orders"}, "/data/attributes/resource_type"),
    ({"resource_type": "skus", "status": "completed"}, "/data/attributes/status"),
    ({"resource_type": "skus", "filters": {"colour_eq": "red"}}, "/data/attributes/filters"),
    ({"resource_type": "skus", "filters": {"created_at_gt": "yesterday"}}, "/data/attributes/filters"),
    ({"resource_type": "skus", "filters": "code_eq=x"}, "/data/attributes/filters"),
])
def test_bad_cleanup_create_is_422_with_pointer(client: Client, attributes: dict[str, Any], pointer: str) -> None:
    response = client.http.post("/api/cleanups", headers=headers(bearer()), body=resource_body("cleanups", attributes))
    assert response.status_code == 422
    assert error(response)["source"] == {"pointer": pointer} and error(response)["code"] == "VALIDATION_ERROR"


def test_unknown_cleanup_is_404(client: Client) -> None:
    response = client.http.get("/api/cleanups/NoSuchId00", headers=headers(bearer()))
    assert response.status_code == 404 and error(response)["code"] == "RECORD_NOT_FOUND"


@pytest.mark.parametrize(("query", "code", "parameter"), [
    ("page[size]=26", "BAD_REQUEST", "page[size]"),
    ("sort=filters", "BAD_REQUEST", "sort"),
    ("filter[q][colour_eq]=red", "FILTER_NOT_ALLOWED", "filter[q][colour_eq]"),
    ("filter[q][records_count_gt]=many", "BAD_REQUEST", "filter[q][records_count_gt]"),
    ("colour=red", "PARAMETER_NOT_ALLOWED", "colour"),
])
def test_bad_list_parameters_are_400(client: Client, query: str, code: str, parameter: str) -> None:
    response = client.http.get(f"/api/cleanups?{query}", headers=headers(bearer()))
    assert response.status_code == 400
    assert error(response)["code"] == code and error(response)["source"] == {"parameter": parameter}


def test_unexpected_exception_is_500_with_request_id_and_no_trace(client: Client,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_: Any) -> Any:
        raise RuntimeError("secret internals")
    monkeypatch.setattr(service.cleanups, "list_cleanups", boom)
    response = client.http.get("/api/cleanups", headers=headers(bearer()))
    assert response.status_code == 500
    first = error(response)
    assert first["code"] == "INTERNAL_SERVER_ERROR" and first["meta"]["request_id"]
    assert "secret internals" not in response.body.decode()


def test_bad_setting_is_a_jsonapi_500_whose_log_names_the_variable(client: Client, monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Given a deployment whose BATCH_SIZE is not a number
    monkeypatch.setenv("BATCH_SIZE", "abc")
    # When any API route is called
    response = client.http.get("/api/cleanups", headers=headers(bearer()))
    # Then the client gets a JSON:API 500 with a request id, and the log names the variable
    assert response.status_code == 500
    first = error(response)
    assert first["code"] == "INTERNAL_SERVER_ERROR" and first["meta"]["request_id"]
    assert "BATCH_SIZE" not in response.body.decode()
    assert any("BATCH_SIZE must be an integer >= 1, got 'abc'" in getattr(r, "error", "") for r in caplog.records)


# --- cleanups and records over HTTP -------------------------------------------------------------

def test_cleanup_lifecycle_over_http_renders_every_attribute(client: Client) -> None:
    auth = headers(bearer())
    category = body(client.http.post("/api/shipping_categories", headers=auth,
                                     body=resource_body("shipping_categories", {"name": "Default"})))["data"]["id"]
    created = client.http.post("/api/skus", headers=auth, body=resource_body(
        "skus", {"code": "HTTP1", "name": "One"},
        relationships={"shipping_category": ("shipping_categories", category)}))
    assert created.status_code == 201
    attributes = {"resource_type": "skus", "filters": {"code_eq": "HTTP1"}, "reference": "r1", "metadata": {"a": 1}}
    response = client.http.post("/api/cleanups", headers=auth, body=resource_body("cleanups", attributes))
    assert response.status_code == 201
    data = body(response)["data"]
    assert data["type"] == "cleanups" and data["meta"] == {"mode": "test"}
    assert set(data["attributes"]) == {
        "resource_type", "status", "started_at", "completed_at", "interrupted_at", "filters", "records_count",
        "errors_count", "processed_count", "errors_log", "created_at", "updated_at", "reference",
        "reference_origin", "metadata", "restorable_until", "restore_status", "restored_count",
        "restore_errors_count", "restore_errors_log", "max_records_per_second", "progress_percent",
        "records_per_second", "estimated_completion_at", "counts_settled", "report_url"}
    assert data["attributes"]["records_count"] == 1 and data["attributes"]["errors_log"] == {}
    assert data["attributes"]["report_url"] is None
    assert data["links"]["self"].endswith(f"/api/cleanups/{data['id']}")
    patched = client.http.patch(f"/api/cleanups/{data['id']}", headers=auth, body=resource_body(
        "cleanups", {"_interrupt": True}, id_=data["id"]))
    assert patched.status_code == 200 and body(patched)["data"]["attributes"]["status"] == "interrupted"
    again = client.http.patch(f"/api/cleanups/{data['id']}", headers=auth, body=resource_body(
        "cleanups", {"_interrupt": True}, id_=data["id"]))
    assert again.status_code == 422 and error(again)["source"] == {"pointer": "/data/attributes/_interrupt"}
    listed = body(client.http.get("/api/cleanups?filter[q][status_eq]=interrupted&fields[cleanups]=status",
                                  headers=auth))
    assert [c["attributes"] for c in listed["data"]] == [{"status": "interrupted"}]
    assert client.http.delete(f"/api/cleanups/{data['id']}", headers=auth).status_code == 204
    assert client.http.get(f"/api/cleanups/{data['id']}", headers=auth).status_code == 404


def test_another_tenants_records_and_cleanups_are_404_and_never_listed(client: Client) -> None:
    mine, theirs = headers(bearer()), headers(bearer(org="OtherOrg01"))
    created = body(client.http.post("/api/shipping_categories", headers=mine,
                                    body=resource_body("shipping_categories", {"name": "Mine"})))["data"]
    assert client.http.get(f"/api/shipping_categories/{created['id']}", headers=theirs).status_code == 404
    assert body(client.http.get("/api/shipping_categories", headers=theirs))["data"] == []
    live = headers(bearer(test=False))  # same organization, live mode: another tenant too
    assert client.http.get(f"/api/shipping_categories/{created['id']}", headers=live).status_code == 404


def test_unknown_collection_is_404(client: Client) -> None:
    response = client.http.get("/api/orders", headers=headers(bearer()))
    assert response.status_code == 404 and error(response)["code"] == "RECORD_NOT_FOUND"


def test_cleanup_list_includes_events_and_versions_when_asked(client: Client) -> None:
    # Given a cleanup that matched nothing (created completed: two events) and was then updated (a version)
    auth = headers(bearer())
    created = body(client.http.post("/api/cleanups", headers=auth, body=resource_body(
        "cleanups", {"resource_type": "skus", "filters": {"code_eq": "NONE"}})))["data"]
    client.http.patch(f"/api/cleanups/{created['id']}", headers=auth,
                      body=resource_body("cleanups", {"reference": "r2"}, id_=created["id"]))
    # When the list asks for them
    listed = body(client.http.get("/api/cleanups?include=events,versions", headers=auth))
    # Then each cleanup links them and the document includes them
    linkage = listed["data"][0]["relationships"]
    assert sorted(e["type"] for e in listed["included"]) == ["events", "events", "versions"]
    assert len(linkage["events"]["data"]) == 2 and len(linkage["versions"]["data"]) == 1
    assert "included" not in body(client.http.get("/api/cleanups", headers=auth))
