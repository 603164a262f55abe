"""Idempotency-Key and rate limits over real HTTP, on a stack of their own with a small budget.

`dev-integration-live` and `dev-sales-channel-test` have the stack's budget of 5 requests an hour;
`dev-integration-test`, which the idempotency tests use, has a budget of its own (RATE_LIMIT_OVERRIDES).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.e2e import RunningStack, start_stack
from tests.e2e.api import JSONAPI
from tests.e2e.openapi_check import assert_conforms

BUDGET = 5
STACK_ENV = {"WORKERS": "1", "RATE_LIMIT_REQUESTS": str(BUDGET), "RATE_LIMIT_WINDOW_SECONDS": "3600",
             "RATE_LIMIT_OVERRIDES": "dev-integration-test=100000"}


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    running = start_stack(STACK_ENV)
    yield running
    assert running.stop() == 0, running.log()[-3000:]


def call(stack: RunningStack, token: str, method: str, path: str, body: dict[str, Any] | None = None,
         **extra: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": JSONAPI, "Content-Type": JSONAPI, **extra}
    response = requests.request(method, f"{stack.api_url}{path}", json=body, headers=headers, timeout=60)
    assert_conforms(method, response.url, response)
    return response


def cleanup_body(reference: str, code_start: str = "NOTHING-MATCHES-") -> dict[str, Any]:
    return {"data": {"type": "cleanups", "attributes": {"resource_type": "skus", "reference": reference,
                                                         "filters": {"code_start": code_start}}}}


def cleanups_with(stack: RunningStack, token: str, reference: str) -> list[str]:
    listed = call(stack, token, "GET", f"/api/cleanups?filter%5Bq%5D%5Breference_eq%5D={reference}")
    return [c["id"] for c in listed.json()["data"]]


def race(stack: RunningStack, token: str, reference: str) -> list[requests.Response]:
    """The same create with one key from two threads released together."""
    barrier = threading.Barrier(2)

    def send() -> requests.Response:
        barrier.wait()
        return call(stack, token, "POST", "/api/cleanups", cleanup_body(reference), **{"Idempotency-Key": reference})

    with ThreadPoolExecutor(2) as pool:
        return [future.result() for future in [pool.submit(send), pool.submit(send)]]


def test_two_racing_creates_with_one_key_make_one_cleanup_and_both_answer_it(stack: RunningStack) -> None:
    token = stack.token()
    for round_number in range(5):
        # Given a key and a body / When two threads send them at once
        reference = f"race-{time.time_ns()}-{round_number}"
        answers = race(stack, token, reference)

        # Then both are 201 with the same cleanup, exactly one of them a replay, and one cleanup exists
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
        assert answers[0].json()["data"]["id"] == answers[1].json()["data"]["id"]
        assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
        assert cleanups_with(stack, token, reference) == [answers[0].json()["data"]["id"]]


def test_a_later_repeat_replays_and_another_body_with_the_key_is_422(stack: RunningStack) -> None:
    # Given a cleanup created with a key
    token = stack.token()
    reference = f"repeat-{time.time_ns()}"
    first = call(stack, token, "POST", "/api/cleanups", cleanup_body(reference), **{"Idempotency-Key": reference})
    # When the same request comes again, and then another body with the same key
    again = call(stack, token, "POST", "/api/cleanups", cleanup_body(reference), **{"Idempotency-Key": reference})
    other = call(stack, token, "POST", "/api/cleanups", cleanup_body(reference, "OTHER-"),
                 **{"Idempotency-Key": reference})
    # Then the repeat is the same cleanup as it is now; the other body is refused on the header
    assert (first.status_code, again.status_code) == (201, 201) and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    assert again.json()["data"]["attributes"]["status"] == "completed"
    error = other.json()["errors"][0]
    assert (other.status_code, error["code"], error["source"]) == (422, "VALIDATION_ERROR",
                                                                   {"header": "Idempotency-Key"})
    assert cleanups_with(stack, token, reference) == [first.json()["data"]["id"]]


def test_an_application_over_its_budget_gets_429_and_another_application_is_unaffected(stack: RunningStack) -> None:
    # Given an application with a budget of 5 requests an hour
    live = stack.token("dev-integration-live")
    # When it makes 6 requests
    answers = [call(stack, live, "GET", "/api/cleanups") for _ in range(BUDGET + 1)]
    # Then 5 pass with the headers counting down, and the 6th is a JSON:API 429 with Retry-After
    assert [a.status_code for a in answers] == [200] * BUDGET + [429]
    assert [int(a.headers["RateLimit-Remaining"]) for a in answers] == [4, 3, 2, 1, 0, 0]
    assert {a.headers["RateLimit-Limit"] for a in answers} == {str(BUDGET)}
    assert all(0 < int(a.headers["RateLimit-Reset"]) <= 3600 for a in answers)
    refused = answers[-1]
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    # And another application keeps its whole budget
    other = call(stack, stack.token("dev-sales-channel-test"), "GET", "/api/application")
    assert other.status_code == 200 and other.headers["RateLimit-Remaining"] == str(BUDGET - 1)
