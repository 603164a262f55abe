"""The local API server over real connections: HEAD on keep-alive, bursts of new connections, a slow request.

HTTP clients reuse connections; a body after a HEAD response would be read as the start of the
next response. The CLI opens many connections at once (10 parallel cleanups), and one slow
list must not hold up the others.
"""
from __future__ import annotations

import http.client
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.e2e import RunningStack
from tools.seed import seed

JSONAPI = "application/vnd.api+json"
CONNECTIONS = 32
LIVE_TENANT = Tenant("DemoOrg001", "live")  # what dev-integration-live's tokens name
SLOW_SKUS = 10_000  # a scan of them takes 0.3 s or more even on an idle machine


def connection(stack: RunningStack) -> http.client.HTTPConnection:
    address = urlsplit(stack.api_url)
    return http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)


def auth(stack: RunningStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token()}", "Accept": JSONAPI}


def raw_head(stack: RunningStack, path: str, headers: dict[str, str]) -> bytes:
    """Every byte the server sends within half a second of a HEAD request: headers, and nothing after them."""
    address = urlsplit(stack.api_url)
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=10) as sock:
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: {address.netloc}\r\n{lines}\r\n".encode())
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        sock.settimeout(0.5)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def test_head_answers_headers_only(local_stack: RunningStack) -> None:
    # Given a list route and a route that does not exist / When HEAD is sent on a raw connection
    sent = [raw_head(local_stack, "/api/skus", auth(local_stack)), raw_head(local_stack, "/api/no_such/a/b/c", {})]

    # Then each response ends with its headers: no body follows to corrupt the next response
    assert [response.split(b"\r\n", 1)[0] for response in sent] == [b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found"]
    assert all(response.endswith(b"\r\n\r\n") for response in sent), sent


def test_head_then_get_on_one_keep_alive_connection_both_answer(local_stack: RunningStack) -> None:
    # Given one keep-alive connection
    conn = connection(local_stack)
    headers = auth(local_stack)

    # When a HEAD of a list, a HEAD of an unknown route, then a GET are sent on it
    conn.request("HEAD", "/api/skus", headers=headers)
    head = conn.getresponse()
    head_body = head.read()
    conn.request("HEAD", "/api/no_such_route/x/y/z")
    missing = conn.getresponse()
    missing.read()
    conn.request("GET", "/api/skus", headers=headers)
    get = conn.getresponse()
    document = json.loads(get.read())
    conn.close()

    # Then the HEADs carry headers only, and the GET that follows is read intact
    assert head.status == 200 and head_body == b""
    assert head.getheader("Content-Type") == JSONAPI
    assert missing.status == 404
    assert get.status == 200 and "data" in document


def test_local_server_answers_every_one_of_32_concurrent_new_connections(local_stack: RunningStack) -> None:
    # Given 32 clients that each open a new connection at once
    def health(_: int) -> int:
        conn = connection(local_stack)
        try:
            conn.request("GET", "/health")
            return conn.getresponse().status
        finally:
            conn.close()

    # When they all ask
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        statuses = list(pool.map(health, range(CONNECTIONS)))

    # Then every one is answered, none reset
    assert statuses == [200] * CONNECTIONS


def timed(call: Any) -> tuple[float, float, Any]:
    """How long `call` took, when it returned (time.monotonic), and what it returned."""
    started = time.monotonic()
    result = call()
    ended = time.monotonic()
    return ended - started, ended, result


def test_fast_requests_are_answered_while_a_slow_one_runs(local_stack: RunningStack) -> None:
    # Given a request that takes a while: a non-indexed pattern over thousands of skus (live mode, its own tenant)
    store = RecordsStore(local_stack.client("dynamodb"), get_settings().records_table)
    seed(LIVE_TENANT, skus=SLOW_SKUS, workers=2, store=store, associated=False)
    headers = {"Authorization": f"Bearer {local_stack.token('dev-integration-live')}", "Accept": JSONAPI}
    slow_url = f"{local_stack.api_url}/api/skus?filter%5Bq%5D%5Bname_cont%5D=zz"

    # When a fast request is sent while the slow one runs
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(timed, lambda: requests.get(slow_url, headers=headers, timeout=120))
        time.sleep(0.2)
        fast_seconds, fast_ended, fast = timed(lambda: requests.get(f"{local_stack.api_url}/health", timeout=30))
        slow_seconds, slow_ended, slow_response = slow.result()

    # Then the fast one is answered while the slow one still runs (a server answering one request at a time would
    # answer it only after the slow one; a ratio of their times fails on a busy machine, this order does not)
    assert fast.status_code == 200 and slow_response.status_code == 200
    assert slow_seconds > 0.2, "the slow request was not slow: nothing was measured"
    assert fast_ended < slow_ended, (fast_seconds, slow_seconds)


def test_an_id_longer_than_the_id_format_is_404_on_dynamodb_local(local_stack: RunningStack) -> None:
    # Given a 10,000-character id, over DynamoDB's 1,024-byte key limit (moto does not enforce it; DynamoDB Local does)
    long_id = "x" * 10_000

    # When a sku and a cleanup are asked for by it
    responses = [requests.get(f"{local_stack.api_url}/api/{kind}/{long_id}", headers=auth(local_stack), timeout=30)
                 for kind in ("skus", "cleanups")]

    # Then each is a 404 RECORD_NOT_FOUND
    assert [r.status_code for r in responses] == [404, 404]
    assert {r.json()["errors"][0]["code"] for r in responses} == {"RECORD_NOT_FOUND"}


def test_a_query_parameter_given_twice_is_400_naming_it_over_http(local_stack: RunningStack) -> None:
    # Given the server's own query parsing (each copy of a parameter kept) / When a list is asked with sort twice
    response = requests.get(f"{local_stack.api_url}/api/cleanups?sort=id&sort=-id", headers=auth(local_stack),
                            timeout=30)
    # Then it is a 400 naming sort, not the list in either order
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "sort"}
