"""Rate limits on moto: the shared counter, and the budget through the HTTP surface (Chalice's test client)."""
from __future__ import annotations

import json

import pytest
from chalice.test import Client

from chalicelib import ratelimit
from chalicelib.ratelimit.store import count_request
from tests.conftest import JWT_SECRET as SECRET
from tests.factories import headers, token

EPOCH = 1_899_999_990.0  # 30 s into the 60 s window that starts at 1_899_999_960


def bearer(client_id: str) -> str:
    return token(SECRET, organization={"id": "DemoOrg001", "slug": "demo"},
                 application={"id": "AppAAAAAA1", "client_id": client_id, "kind": "integration", "public": False})


@pytest.fixture
def budget_of_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_REQUESTS", "3")
    monkeypatch.setenv("RATE_LIMIT_WINDOW_SECONDS", "60")
    monkeypatch.setattr(ratelimit, "_now", lambda: EPOCH)  # one window for the whole test


def test_counter_adds_each_request_to_its_own_window(tables: dict[str, str]) -> None:
    # When two requests are counted in one window, and one in the next / Then each call answers its window's count
    assert [count_request("app", 60, 180), count_request("app", 60, 180), count_request("app", 120, 240)] == [1, 2, 1]
    assert count_request("another", 60, 180) == 1


def test_requests_over_the_budget_are_429_with_retry_after_and_every_response_has_the_headers(
        client: Client, budget_of_3: None) -> None:
    # Given a budget of 3 requests a minute / When one application makes 4 requests
    responses = [client.http.get("/api/cleanups", headers=headers(bearer("busy"))) for _ in range(4)]
    # Then the first 3 pass, counting down, and the 4th is a JSON:API 429 with Retry-After to the window's end
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert {r.headers["RateLimit-Limit"] for r in responses} == {"3"}
    assert {r.headers["RateLimit-Reset"] for r in responses} == {"30"}
    refused = responses[3]
    assert refused.headers["Retry-After"] == "30" and "Retry-After" not in responses[2].headers
    error = json.loads(refused.body)["errors"][0]
    assert (error["status"], error["code"]) == ("429", "TOO_MANY_REQUESTS")


def test_another_application_keeps_its_own_budget(client: Client, budget_of_3: None) -> None:
    # Given one application over its budget
    for _ in range(4):
        client.http.get("/api/cleanups", headers=headers(bearer("busy")))
    # When another application of the same organization asks
    other = client.http.get("/api/cleanups", headers=headers(bearer("quiet")))
    # Then it is answered, with its own full budget less this request
    assert other.status_code == 200 and other.headers["RateLimit-Remaining"] == "2"


def test_errors_carry_the_headers_and_a_request_without_a_token_is_counted_by_address(
        client: Client, budget_of_3: None) -> None:
    # When a request without a token and a 404 of an application are answered
    anonymous = client.http.get("/api/cleanups", headers=headers())
    missing = client.http.get("/api/cleanups/nOsUcHiD00", headers=headers(bearer("busy")))
    # Then both carry the headers of their own budget
    assert anonymous.status_code == 401 and anonymous.headers["RateLimit-Remaining"] == "2"
    assert missing.status_code == 404 and missing.headers["RateLimit-Remaining"] == "2"


def test_an_application_with_its_own_budget_and_no_limit_at_all(
        client: Client, budget_of_3: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given one application allowed 10 requests, and then no limit for anyone
    monkeypatch.setenv("RATE_LIMIT_OVERRIDES", "roomy=10")
    roomy = client.http.get("/api/cleanups", headers=headers(bearer("roomy")))
    monkeypatch.setenv("RATE_LIMIT_REQUESTS", "0")
    unlimited = client.http.get("/api/cleanups", headers=headers(bearer("busy")))
    # Then the first counts against its 10, and without a limit no header is sent
    assert roomy.headers["RateLimit-Limit"] == "10" and roomy.headers["RateLimit-Remaining"] == "9"
    assert unlimited.status_code == 200 and "RateLimit-Limit" not in unlimited.headers
