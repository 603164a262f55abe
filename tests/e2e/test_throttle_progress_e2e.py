"""Throttle and progress end to end: the local stack's API, its SQS consumer and worker, DynamoDB Local.

Skus are bulk-loaded bare (`tools.seed`, no associated records) so the stack outruns the limits
under test; rates are measured from the cleanup's own counts polled over HTTP.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from tests.e2e import RunningStack
from tests.e2e.api import Api
from tests.e2e.test_restore_e2e import DEV_TENANT, patch
from tests.webhook_receiver import Receiver, receiving
from tools.seed import seed


def bare_skus(local_stack: RunningStack, count: int) -> str:
    """`count` skus without associated records; the code prefix that selects them."""
    store = RecordsStore(local_stack.client("dynamodb"), get_settings().records_table)
    return f"SEED-{seed(DEV_TENANT, skus=count, workers=2, store=store, associated=False).tag}-"


def create(api: Api, prefix: str, **attributes: Any) -> dict[str, Any]:
    return api.create("cleanups", {"resource_type": "skus", "filters": {"code_start": prefix}, **attributes})


def attributes_of(api: Api, cleanup_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
    return found


def watch(api: Api, cleanup_id: str, timeout: float = 120) -> list[tuple[float, dict[str, Any]]]:
    """(moment, attributes) every 0.2 s until the cleanup is finished."""
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        attributes = attributes_of(api, cleanup_id)
        seen.append((time.monotonic(), attributes))
        if attributes["status"] in ("completed", "interrupted"):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"cleanup {cleanup_id} still running: {seen[-1][1]}")


def counted(attributes: dict[str, Any]) -> int:
    return int(attributes["processed_count"] + attributes["errors_count"])


def test_throttled_cleanup_runs_at_its_rate_and_shows_its_progress(local_stack: RunningStack, api: Api) -> None:
    # Given 300 bare skus and a cleanup of them at 50 records per second (sub-batches of 50)
    prefix = bare_skus(local_stack, 300)
    before_create = time.monotonic()
    created = create(api, prefix, max_records_per_second=50)
    assert created["attributes"]["max_records_per_second"] == 50
    # When it runs to completion
    seen = watch(api, created["id"])
    # Then its sixth slot began at least five seconds after the first, itself after the create: whatever a
    # sub-batch's delete takes, the cleanup could not finish sooner
    assert seen[-1][1]["status"] == "completed" and seen[-1][0] - before_create >= 5
    # And while in progress it showed its percentage, rate and estimate; once done 100 % and no rate
    running = [a for _, a in seen if a["status"] == "in_progress" and a["records_per_second"] is not None]
    assert running, "no rate seen while in progress"
    # (100 % is possible in progress: between the last count and the completion it settles)
    assert all(0 <= a["progress_percent"] <= 100 and a["estimated_completion_at"] for a in running)
    # The rate spans the counts seen so far: two counts may land close together, five slots cannot
    assert all(a["records_per_second"] > 0 for a in running) and running[-1]["records_per_second"] <= 50 * 1.5
    done = seen[-1][1]
    assert (done["progress_percent"], done["records_per_second"], done["estimated_completion_at"]) == (
        100.0, None, None)


def test_throttle_patch_takes_effect_and_is_refused_once_finished(local_stack: RunningStack, api: Api) -> None:
    # Given 200 bare skus cleaned up at 10 records per second (twenty seconds' worth)
    prefix = bare_skus(local_stack, 200)
    cleanup_id = create(api, prefix, max_records_per_second=10)["id"]
    while counted(attributes_of(api, cleanup_id)) == 0:
        time.sleep(0.1)
    # When the rate is raised to 1,000 after the first count
    raised = patch(api, cleanup_id, {"max_records_per_second": 1000})
    patched_at = time.monotonic()
    # Then it answers the new rate, finishes well before the old one allowed, and a version records it
    assert raised.status_code == 200 and raised.json()["data"]["attributes"]["max_records_per_second"] == 1000
    assert api.wait_for(cleanup_id, ("completed",), timeout=60)["processed_count"] == 200
    assert time.monotonic() - patched_at < 15
    versions = api.get(f"/api/cleanups/{cleanup_id}/versions")["data"]
    assert [10, 1000] in [v["attributes"]["changes"].get("max_records_per_second") for v in versions]
    # And on the completed cleanup a change is a 422 on its pointer, as is a bad value on create
    refused = patch(api, cleanup_id, {"max_records_per_second": 5})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["source"] == {"pointer": "/data/attributes/max_records_per_second"}
    bad = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "max_records_per_second": 0}}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["source"] == {"pointer": "/data/attributes/max_records_per_second"}


@pytest.fixture
def receiver() -> Iterator[str]:
    with receiving("/progress") as url:
        yield url


def test_progress_events_are_listed_in_order_and_delivered_once_per_count(local_stack: RunningStack, api: Api,
                                                                         receiver: str) -> None:
    # Given a webhook on cleanups.progress and 400 bare skus
    webhook = api.create("webhooks", {"topic": "cleanups.progress", "callback_url": receiver})
    prefix = bare_skus(local_stack, 400)
    # When they are cleaned up
    cleanup_id = create(api, prefix)["id"]
    api.wait_for(cleanup_id, ("completed",))
    # Then its first page of events reads its life in order: one progress event for each of the three counts
    # (sub-batches of 100) before the one completing it
    listed = api.get(f"/api/cleanups/{cleanup_id}/events")["data"]
    names = [e["attributes"]["name"] for e in listed]
    assert names == ["cleanups.create", "cleanups.start", *["cleanups.progress"] * 3, "cleanups.complete"]
    # And the webhook got each once, carrying the cleanup as its count left it
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        deliveries = [{"topic": headers["x-commercelayer-topic"], "body": json.loads(body)}
                      for headers, body in Receiver.received]
        mine = [r for r in deliveries if r["body"]["data"]["id"] == cleanup_id]
        if len(mine) >= 3:
            break
        time.sleep(0.3)
    assert len(mine) == 3 and {r["topic"] for r in mine} == {"cleanups.progress"}
    assert sorted(r["body"]["data"]["attributes"]["progress_percent"] for r in mine) == [25.0, 50.0, 75.0]
    api.request("DELETE", f"/api/webhooks/{webhook['id']}")
