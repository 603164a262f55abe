"""Every route family once over real HTTP on the local stack, each response checked against the document.

Successes and the error documents (400, 401, 404, 406, 409, 415, 422) alike go through
`assert_conforms`, so the document says what the service really answers.
"""
from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.e2e import RunningStack
from tests.e2e.openapi_check import assert_conforms

JSONAPI = "application/vnd.api+json"


class Api:
    """Requests to the stack with a token; every response is checked against the document."""

    def __init__(self, stack: RunningStack, client_id: str = "dev-integration-test") -> None:
        self.base = stack.api_url
        self.headers = {"Authorization": f"Bearer {stack.token(client_id)}", "Content-Type": JSONAPI,
                        "Accept": JSONAPI}

    def call(self, method: str, template: str, path: str | None = None, *, status: int,
             body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = requests.request(method, f"{self.base}{path or template}", data=data, timeout=15,
                                    headers={**self.headers, **(headers or {})})
        assert response.status_code == status, f"{method} {path or template}: {response.status_code} {response.text}"
        return assert_conforms(method, template, response)


@pytest.fixture(scope="module")
def api(local_stack: RunningStack) -> Api:
    return Api(local_stack)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback webhook receiver answering 200: (its URL, the bodies it got)."""
    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            received.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def eventually(probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := probe()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def resource(type_name: str, attributes: dict[str, Any], relationships: dict[str, tuple[str, str]] | None = None,
             id_: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type_name, "attributes": attributes}
    if id_:
        data["id"] = id_
    if relationships:
        data["relationships"] = {name: {"data": {"type": t, "id": i}} for name, (t, i) in relationships.items()}
    return {"data": data}


def test_openapi_conformance_of_plain_routes(local_stack: RunningStack) -> None:
    # Given the routes outside JSON:API / When each is called
    base = local_stack.api_url
    responses = {
        "/health": requests.get(f"{base}/health", timeout=10),
        "/api/openapi.json": requests.get(f"{base}/api/openapi.json", timeout=10),
    }
    good = {"grant_type": "client_credentials", "client_id": "dev-integration-test", "client_secret": "dev-secret"}
    token_calls = [
        (200, requests.post(f"{base}/oauth/token", json=good, timeout=10)),
        (200, requests.post(f"{base}/oauth/token", data=good, timeout=10)),
        (400, requests.post(f"{base}/oauth/token", json={**good, "grant_type": "password"}, timeout=10)),
        (401, requests.post(f"{base}/oauth/token", json={**good, "client_secret": "wrong"}, timeout=10)),
    ]

    # Then each answers as documented
    for path, response in responses.items():
        assert response.status_code == 200
        assert_conforms("GET", path, response)
    for status, response in token_calls:
        assert response.status_code == status, response.text
        assert_conforms("POST", "/oauth/token", response)


def test_openapi_conformance_of_application_and_auth_errors(local_stack: RunningStack, api: Api) -> None:
    # Given an integration and a sales channel application
    sales_channel = Api(local_stack, "dev-sales-channel-test")

    # When each asks who it is, and the sales channel asks for records / Then the answers are documented
    assert api.call("GET", "/api/application", status=200)["data"]["attributes"]["kind"] == "integration"
    assert sales_channel.call("GET", "/api/application", status=200)["data"]["attributes"]["kind"] == "sales_channel"
    sales_channel.call("GET", "/api/skus", status=401)
    api.call("GET", "/api/cleanups", status=401, headers={"Authorization": "Bearer not-a-jwt"})
    api.call("GET", "/api/cleanups", status=406, headers={"Accept": "text/html"})


def test_openapi_conformance_of_records(api: Api) -> None:
    # Given a shipping category and a sku with a price
    code = f"OA{uuid.uuid4().hex[:10].upper()}"
    category = api.call("POST", "/api/shipping_categories", status=201,
                        body=resource("shipping_categories", {"name": "OpenAPI"}))["data"]["id"]
    sku = api.call("POST", "/api/skus", status=201, body=resource(
        "skus", {"code": code, "name": "OpenAPI sku"}, {"shipping_category": ("shipping_categories", category)}))
    sku_id = sku["data"]["id"]
    price_list = api.call("POST", "/api/price_lists", status=201, body=resource(
        "price_lists", {"name": "OpenAPI list", "currency_code": "EUR"}))["data"]["id"]
    api.call("POST", "/api/prices", status=201, body=resource(
        "prices", {"amount_cents": 1000}, {"sku": ("skus", sku_id), "price_list": ("price_lists", price_list)}))

    # When the records routes are used, well and badly / Then every answer is documented
    listed = api.call("GET", "/api/skus", f"/api/skus?filter%5Bq%5D%5Bcode_eq%5D={code}&sort=-created_at,id"
                      "&page%5Bsize%5D=5", status=200)
    assert [r["id"] for r in listed["data"]] == [sku_id]
    api.call("GET", "/api/skus", f"/api/skus?fields%5Bskus%5D=code&filter%5Bq%5D%5Bid_eq%5D={sku_id}", status=200)
    api.call("GET", "/api/skus/{record_id}", f"/api/skus/{sku_id}", status=200)
    prices = api.call("GET", "/api/skus/{record_id}/prices", f"/api/skus/{sku_id}/prices", status=200)
    assert len(prices["data"]) == 1
    api.call("PATCH", "/api/skus/{record_id}", f"/api/skus/{sku_id}", status=200,
             body=resource("skus", {"name": "Renamed"}, id_=sku_id))
    api.call("GET", "/api/skus", "/api/skus?page%5Bsize%5D=26", status=400)
    api.call("GET", "/api/skus", "/api/skus?filter%5Bq%5D%5Bcolour_eq%5D=red", status=400)
    api.call("GET", "/api/skus", "/api/skus?sort=metadata", status=400)
    api.call("GET", "/api/skus/{record_id}", "/api/skus/NoSuchSku0", status=404)
    api.call("POST", "/api/skus", status=422, body=resource("skus", {"colour": "red"}))
    api.call("POST", "/api/skus", status=409, body=resource("prices", {}))
    api.call("POST", "/api/skus", status=400, raw="{not json")
    api.call("POST", "/api/skus", status=415, raw="x", headers={"Content-Type": "text/plain"})
    api.call("DELETE", "/api/skus/{record_id}", f"/api/skus/{sku_id}", status=204)
    api.call("DELETE", "/api/skus/{record_id}", f"/api/skus/{sku_id}", status=404)


def test_openapi_conformance_of_cleanups_events_versions_and_webhooks(
        api: Api, receiver: tuple[str, list[bytes]]) -> None:
    # Given a webhook on cleanups.create pointing at a loopback receiver
    url, received = receiver
    webhook = api.call("POST", "/api/webhooks", status=201, body=resource(
        "webhooks", {"topic": "cleanups.create", "callback_url": url, "name": "openapi"}))["data"]["id"]

    # When a cleanup is created, read, updated, listed with its events and versions, and deleted
    cleanup = api.call("POST", "/api/cleanups", status=201, body=resource(
        "cleanups", {"resource_type": "skus", "filters": {"code_eq": f"none-{uuid.uuid4().hex}"},
                     "reference": "openapi"}))["data"]["id"]
    at = f"/api/cleanups/{cleanup}"
    api.call("GET", "/api/cleanups", "/api/cleanups?filter%5Bq%5D%5Breference_eq%5D=openapi&sort=-created_at",
             status=200)
    api.call("PATCH", "/api/cleanups/{cleanup_id}", at, status=200,
             body=resource("cleanups", {"metadata": {"by": "openapi"}}, id_=cleanup))
    api.call("PATCH", "/api/cleanups/{cleanup_id}", at, status=422,
             body=resource("cleanups", {"status": "pending"}, id_=cleanup))
    api.call("PATCH", "/api/cleanups/{cleanup_id}", at, status=409,
             body=resource("cleanups", {}, id_="AnotherId0"))
    shown = api.call("GET", "/api/cleanups/{cleanup_id}", f"{at}?include=events,versions", status=200)
    events = api.call("GET", "/api/cleanups/{cleanup_id}/events", f"{at}/events", status=200)["data"]
    api.call("GET", "/api/cleanups/{cleanup_id}/relationships/events", f"{at}/relationships/events", status=200)
    versions = api.call("GET", "/api/cleanups/{cleanup_id}/versions", f"{at}/versions", status=200)["data"]
    api.call("GET", "/api/cleanups/{cleanup_id}/relationships/versions", f"{at}/relationships/versions", status=200)
    api.call("POST", "/api/cleanups", status=422, body=resource("cleanups", {"resource_type": "orders"}))
    api.call("GET", "/api/cleanups/{cleanup_id}", "/api/cleanups/NoSuchOne0", status=404)

    # Then events, versions, webhooks and their deliveries answer as documented too
    assert shown["included"] and events and versions
    event = events[0]["id"]
    api.call("GET", "/api/events", "/api/events?page%5Bsize%5D=2", status=200)
    api.call("GET", "/api/events/{event_id}", f"/api/events/{event}", status=200)
    api.call("GET", "/api/events/{event_id}/webhooks", f"/api/events/{event}/webhooks", status=200)
    api.call("GET", "/api/versions", status=200)
    api.call("GET", "/api/versions/{version_id}", f"/api/versions/{versions[0]['id']}", status=200)
    eventually(lambda: received)
    callbacks = eventually(lambda: api.call(
        "GET", "/api/webhooks/{webhook_id}/last_event_callbacks", f"/api/webhooks/{webhook}/last_event_callbacks",
        status=200)["data"])
    callback = callbacks[0]["id"]
    api.call("GET", "/api/events/{event_id}/last_event_callbacks", f"/api/events/{event}/last_event_callbacks",
             status=200)
    api.call("GET", "/api/webhooks/{webhook_id}/relationships/last_event_callbacks",
             f"/api/webhooks/{webhook}/relationships/last_event_callbacks", status=200)
    api.call("GET", "/api/event_callbacks", status=200)
    api.call("GET", "/api/event_callbacks/{callback_id}", f"/api/event_callbacks/{callback}", status=200)
    api.call("GET", "/api/event_callbacks/{callback_id}/webhook", f"/api/event_callbacks/{callback}/webhook",
             status=200)
    api.call("GET", "/api/webhooks", status=200)
    api.call("GET", "/api/webhooks/{webhook_id}", f"/api/webhooks/{webhook}", status=200)
    api.call("PATCH", "/api/webhooks/{webhook_id}", f"/api/webhooks/{webhook}", status=200,
             body=resource("webhooks", {"_disable": True}, id_=webhook))
    api.call("POST", "/api/webhooks", status=422, body=resource(
        "webhooks", {"topic": "cleanups.create", "callback_url": "ftp://example.com/"}))
    api.call("DELETE", "/api/webhooks/{webhook_id}", f"/api/webhooks/{webhook}", status=204)
    api.call("DELETE", "/api/cleanups/{cleanup_id}", at, status=204)
    api.call("GET", "/api/cleanups/{cleanup_id}", at, status=404)


def test_openapi_conformance_of_an_empty_id_filter(api: Api) -> None:
    # Given a list filter on an empty id (schemathesis' finding) / When it is asked for
    # Then it is a documented 400 naming the parameter (blank filter values are refused), not a 500
    errors = api.call("GET", "/api/prices", "/api/prices?filter%5Bq%5D%5Bid_eq%5D=", status=400)["errors"]
    assert errors[0]["source"] == {"parameter": "filter[q][id_eq]"}


def test_openapi_conformance_of_cleanup_schedules_their_runs_and_linkage(api: Api) -> None:
    # Given a paused schedule of skus matching nothing, run now twice
    schedule = api.call("POST", "/api/cleanup_schedules", status=201, body=resource("cleanup_schedules", {
        "name": "openapi", "resource_type": "skus", "cron": "0 3 * * *",
        "filters": {"code_eq": f"none-{uuid.uuid4().hex}"}, "enabled": False}))["data"]["id"]
    at = f"/api/cleanup_schedules/{schedule}"
    for _ in range(2):
        api.call("PATCH", "/api/cleanup_schedules/{schedule_id}", at, status=200,
                 body=resource("cleanup_schedules", {"_run": True}, id_=schedule))

    # When it, its list, its runs, their linkage page by page and a run's schedule are read, then it is deleted
    api.call("GET", "/api/cleanup_schedules/{schedule_id}", at, status=200)
    api.call("GET", "/api/cleanup_schedules", status=200)
    runs = api.call("GET", "/api/cleanup_schedules/{schedule_id}/cleanups", f"{at}/cleanups", status=200)["data"]
    first = api.call("GET", "/api/cleanup_schedules/{schedule_id}/relationships/cleanups",
                     f"{at}/relationships/cleanups?page%5Bsize%5D=1", status=200)
    last = api.call("GET", "/api/cleanup_schedules/{schedule_id}/relationships/cleanups",
                    f"{at}/relationships/cleanups?page%5Bsize%5D=1&page%5Bnumber%5D=2", status=200)
    api.call("GET", "/api/cleanup_schedules/{schedule_id}/relationships/cleanups",
             f"{at}/relationships/cleanups?sort=-created_at", status=400)
    run = runs[0]["id"]
    api.call("GET", "/api/cleanups/{cleanup_id}/schedule", f"/api/cleanups/{run}/schedule", status=200)
    api.call("GET", "/api/cleanups/{cleanup_id}/relationships/schedule",
             f"/api/cleanups/{run}/relationships/schedule", status=200)
    api.call("DELETE", "/api/cleanup_schedules/{schedule_id}", at, status=204)

    # Then every answer was as documented, and the linkage's pages named both runs, newest first
    assert [page["data"][0]["id"] for page in (first, last)] == [r["id"] for r in runs]
    assert first["meta"] == {"record_count": 2, "page_count": 2} and "next" in first["links"]
    api.call("GET", "/api/cleanup_schedules/{schedule_id}", at, status=404)
