"""Cleanup schedules end to end: real HTTP to the local stack, its scheduler thread running the due schedules."""
from __future__ import annotations

import secrets
import time
from typing import Any

from tests.e2e import RunningStack
from tests.e2e.api import Api

TYPE = "cleanup_schedules"
MINUTE_WAIT_SECONDS = 90  # the next minute boundary, plus the scheduler's 2 s interval and the run itself


def seed_skus(api: Api, prefix: str, count: int) -> None:
    category = api.create("shipping_categories", {"name": f"{prefix} category"})["id"]
    for n in range(count):
        api.create("skus", {"code": f"{prefix}{n:02d}", "name": f"Sku {n}"},
                   {"shipping_category": ("shipping_categories", category)})


def schedule(api: Api, prefix: str, cron: str) -> dict[str, Any]:
    return api.create(TYPE, {"name": f"{prefix} nightly", "resource_type": "skus", "cron": cron,
                             "filters": {"code_start": prefix, "created_at_lt": "now-PT0S"}})


def patch(api: Api, schedule_id: str, attributes: dict[str, Any]) -> Any:
    return api.request("PATCH", f"/api/{TYPE}/{schedule_id}",
                       {"data": {"type": TYPE, "id": schedule_id, "attributes": attributes}})


def runs(api: Api, schedule_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/{TYPE}/{schedule_id}/cleanups")["data"])


def test_a_schedule_due_within_the_minute_creates_its_cleanup_on_its_own_and_it_completes(
        api: Api, local_stack: RunningStack) -> None:
    # Given three skus and a schedule due at the next minute boundary
    prefix = "SC" + secrets.token_hex(3).upper()
    seed_skus(api, prefix, 3)
    created = schedule(api, prefix, "* * * * *")
    due = created["attributes"]["next_run_at"]
    # When nothing but the stack's scheduler acts (the test only reads)
    deadline = time.monotonic() + MINUTE_WAIT_SECONDS
    while (shown := api.get(f"/api/{TYPE}/{created['id']}")["data"]["attributes"])["runs_count"] == 0:
        assert time.monotonic() < deadline, f"no run by {due}: {shown}"
        time.sleep(1)
    patch(api, created["id"], {"enabled": False})  # one run is what this test watches
    # Then the run at the due time created a cleanup naming the schedule, and it deletes the three skus
    assert shown["last_run_outcome"] == "created" and shown["last_run_at"] >= due
    cleanup = runs(api, created["id"])[0]
    assert cleanup["relationships"]["schedule"]["data"] == {"type": TYPE, "id": created["id"]}
    assert cleanup["attributes"]["records_count"] == 3
    assert api.wait_for(cleanup["id"])["status"] == "completed"
    assert api.count("skus", code_start=prefix) == 0


def test_run_now_creates_one_cleanup_at_once(api: Api, local_stack: RunningStack) -> None:
    # Given two skus and a yearly schedule
    prefix = "SR" + secrets.token_hex(3).upper()
    seed_skus(api, prefix, 2)
    created = schedule(api, prefix, "0 0 1 1 *")
    # When `_run` is asked
    response = patch(api, created["id"], {"_run": True})
    # Then the answer already counts a created run, and its one cleanup deletes both skus
    assert response.status_code == 200, response.text
    attributes = response.json()["data"]["attributes"]
    assert (attributes["runs_count"], attributes["last_run_outcome"]) == (1, "created")
    assert attributes["next_run_at"] == created["attributes"]["next_run_at"]
    (cleanup,) = runs(api, created["id"])
    assert cleanup["attributes"]["records_count"] == 2
    assert api.wait_for(cleanup["id"])["status"] == "completed" and api.count("skus", code_start=prefix) == 0
    # And a second run (nothing left to match) is listed first: pages of one, newest first unless sorted otherwise
    assert patch(api, created["id"], {"_run": True}).json()["data"]["attributes"]["runs_count"] == 2
    path = f"/api/{TYPE}/{created['id']}/cleanups"
    newest, oldest = (api.get(path, **{"page[size]": "1", **sort}) for sort in ({}, {"sort": "created_at"}))
    assert newest["data"][0]["id"] != cleanup["id"] and oldest["data"][0]["id"] == cleanup["id"]
    assert newest["meta"] == oldest["meta"] == {"record_count": 2, "page_count": 2}


def test_another_tenant_can_neither_see_nor_run_a_schedule(api: Api, local_stack: RunningStack) -> None:
    # Given a schedule of the test mode, and a token of the live mode (another tenant)
    prefix = "ST" + secrets.token_hex(3).upper()
    created = schedule(api, prefix, "0 0 1 1 *")
    live = Api(local_stack.api_url, local_stack.token("dev-integration-live"))
    # When the other tenant reads, lists, runs or deletes it, Then it is not found, never run
    for method, path, body in (
            ("GET", f"/api/{TYPE}/{created['id']}", None),
            ("PATCH", f"/api/{TYPE}/{created['id']}", {"data": {"type": TYPE, "id": created["id"],
                                                                "attributes": {"_run": True}}}),
            ("DELETE", f"/api/{TYPE}/{created['id']}", None),
            ("GET", f"/api/{TYPE}/{created['id']}/cleanups", None)):
        assert live.request(method, path, body).status_code == 404
    assert created["id"] not in [s["id"] for s in live.get(f"/api/{TYPE}", **{"page[size]": "25"})["data"]]
    assert api.get(f"/api/{TYPE}/{created['id']}")["data"]["attributes"]["runs_count"] == 0
