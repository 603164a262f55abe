"""Cleanup schedules over Chalice's test client on moto: the routes, validation, tenancy, the scheduled function."""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.tenancy import Tenant
from tests.factories import headers, resource_body
from tests.integration.conftest import RecordFactory
from tests.integration.test_http_api import bearer, error

ORG = "DemoOrg001"
TYPE = "cleanup_schedules"
NIGHTLY = {"name": "Old skus", "resource_type": "skus", "filters": {"code_start": "OLD", "created_at_lt": "now-P30D"},
           "cron": "0 3 * * *"}


def create(client: Client, attributes: dict[str, Any], token: str | None = None, **extra: str) -> Any:
    return client.http.post(f"/api/{TYPE}", headers=headers(token or bearer(org=ORG), **extra),
                            body=resource_body(TYPE, attributes))


def patch(client: Client, schedule_id: str, attributes: dict[str, Any], token: str | None = None) -> Any:
    return client.http.patch(f"/api/{TYPE}/{schedule_id}", headers=headers(token or bearer(org=ORG)),
                             body=resource_body(TYPE, attributes, id_=schedule_id))


def data(response: Any) -> Any:
    return json.loads(response.body)["data"]


def make_due(schedule_id: str, org: str = ORG) -> None:
    """Move the schedule's next run into the past, as if its time came (the store's own conditional write)."""
    store = bootstrap.schedule_ports().schedules
    before = store.get(Tenant(org, "test"), schedule_id)
    assert store.replace(before, replace(before, next_run_at="2020-01-01T03:00:00.000Z", version=before.version + 1))


def test_schedule_is_created_with_its_next_run_and_read_back(client: Client, tables: dict[str, str]) -> None:
    # When a nightly schedule is created
    response = create(client, NIGHTLY)
    # Then it is a 201 cleanup_schedules resource, enabled, capped at the cleanup cap, due at the next 03:00 UTC
    assert response.status_code == 201, response.body
    created = data(response)
    attributes = created["attributes"]
    assert created["type"] == TYPE and created["meta"] == {"mode": "test"}
    assert attributes["enabled"] is True and attributes["max_records_per_run"] == 10000
    assert attributes["next_run_at"].endswith("T03:00:00.000Z")
    assert (attributes["last_run_at"], attributes["last_run_outcome"], attributes["runs_count"]) == (None, None, 0)
    assert attributes["filters"] == NIGHTLY["filters"]  # the relative value is kept as written
    assert created["relationships"]["cleanups"]["links"]["related"].endswith(f"/{created['id']}/cleanups")
    # And GET and the list answer it
    shown = client.http.get(f"/api/{TYPE}/{created['id']}", headers=headers(bearer(org=ORG)))
    assert shown.status_code == 200 and data(shown) == created
    listed = client.http.get(f"/api/{TYPE}?sort=-created_at", headers=headers(bearer(org=ORG)))
    assert [s["id"] for s in data(listed)] == [created["id"]]


def test_run_now_creates_the_cleanup_with_resolved_filters_and_the_schedule_relationship(
        client: Client, tables: dict[str, str]) -> None:
    # Given two OLD skus and a schedule selecting OLD skus created before now-P30D... and one created before now-PT0S
    factory = RecordFactory(Tenant(ORG, "test"))
    for code in ("OLD1", "OLD2"):
        factory.sku(code)
    schedule = data(create(client, {**NIGHTLY, "filters": {"code_start": "OLD", "created_at_lt": "now-PT0S"}}))
    # When `_run` is asked
    response = patch(client, schedule["id"], {"_run": True})
    # Then the schedule counts one created run
    assert response.status_code == 200, response.body
    attributes = data(response)["attributes"]
    assert (attributes["last_run_outcome"], attributes["runs_count"]) == ("created", 1)
    # And its cleanup selected both skus, its filters showing a timestamp, and names the schedule
    runs = client.http.get(f"/api/{TYPE}/{schedule['id']}/cleanups", headers=headers(bearer(org=ORG)))
    (cleanup,) = data(runs)
    assert cleanup["attributes"]["records_count"] == 2
    assert cleanup["attributes"]["filters"]["created_at_lt"].endswith("Z")
    assert cleanup["relationships"]["schedule"]["data"] == {"type": TYPE, "id": schedule["id"]}
    related = client.http.get(f"/api/cleanups/{cleanup['id']}/schedule", headers=headers(bearer(org=ORG)))
    assert data(related)["id"] == schedule["id"]
    linkage = client.http.get(f"/api/{TYPE}/{schedule['id']}/relationships/cleanups", headers=headers(bearer(org=ORG)))
    assert data(linkage) == [{"type": "cleanups", "id": cleanup["id"]}]


def test_scheduled_function_runs_a_due_schedule_once(client: Client, tables: dict[str, str]) -> None:
    # Given a schedule whose time has come
    schedule = data(create(client, NIGHTLY))
    make_due(schedule["id"])
    # When the scheduled function is invoked twice (EventBridge delivers at least once)
    for _ in range(2):
        client.lambda_.invoke("run_schedules", client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    # Then one run was counted, its cleanup created (nothing matched: completed), the next run tomorrow at 03:00
    shown = data(client.http.get(f"/api/{TYPE}/{schedule['id']}", headers=headers(bearer(org=ORG))))["attributes"]
    assert (shown["runs_count"], shown["last_run_outcome"]) == (1, "created")
    assert shown["next_run_at"] > shown["last_run_at"] and shown["next_run_at"].endswith("T03:00:00.000Z")
    runs = data(client.http.get(f"/api/{TYPE}/{schedule['id']}/cleanups", headers=headers(bearer(org=ORG))))
    assert len(runs) == 1 and runs[0]["attributes"]["status"] == "completed"


def test_another_tenant_can_neither_see_nor_run_nor_delete_a_schedule(client: Client, tables: dict[str, str]) -> None:
    # Given a schedule of one tenant
    schedule_id = data(create(client, NIGHTLY))["id"]
    for token in (bearer(org="OtherOrg01"), bearer(org=ORG, test=False)):
        # When another organization, or the live mode, reads, runs or deletes it, Then it is 404 every time
        assert client.http.get(f"/api/{TYPE}/{schedule_id}", headers=headers(token)).status_code == 404
        assert patch(client, schedule_id, {"_run": True}, token).status_code == 404
        assert client.http.delete(f"/api/{TYPE}/{schedule_id}", headers=headers(token)).status_code == 404
        assert client.http.get(f"/api/{TYPE}/{schedule_id}/cleanups", headers=headers(token)).status_code == 404
        # And its list is empty
        assert data(client.http.get(f"/api/{TYPE}", headers=headers(token))) == []
    # And the owner's schedule never ran
    shown = data(client.http.get(f"/api/{TYPE}/{schedule_id}", headers=headers(bearer(org=ORG))))
    assert shown["attributes"]["runs_count"] == 0


def test_bad_schedules_are_422_with_a_pointer_and_store_nothing(client: Client, tables: dict[str, str]) -> None:
    cases = [
        ({**NIGHTLY, "cron": "0 3 * *"}, "/data/attributes/cron"),
        ({**NIGHTLY, "cron": "61 3 * * *"}, "/data/attributes/cron"),
        ({**NIGHTLY, "filters": {"code_start": "now-P30D"}}, "/data/attributes/filters"),
        ({**NIGHTLY, "filters": {"created_at_eq": "now-P30D"}}, "/data/attributes/filters"),
        ({**NIGHTLY, "filters": {"created_at_lt": "now-30 days"}}, "/data/attributes/filters"),
        ({**NIGHTLY, "filters": {"colour_eq": "red"}}, "/data/attributes/filters"),
        ({**NIGHTLY, "resource_type": "orders"}, "/data/attributes/resource_type"),
        ({**NIGHTLY, "max_records_per_run": 10001}, "/data/attributes/max_records_per_run"),
        ({**NIGHTLY, "max_records_per_run": 0}, "/data/attributes/max_records_per_run"),
        ({**NIGHTLY, "name": "  "}, "/data/attributes/name"),
        ({**NIGHTLY, "enabled": "yes"}, "/data/attributes/enabled"),
        ({**NIGHTLY, "next_run_at": "2030-01-01T00:00:00Z"}, "/data/attributes/next_run_at"),
        ({key: value for key, value in NIGHTLY.items() if key != "cron"}, "/data/attributes/cron"),
    ]
    for attributes, pointer in cases:
        # When a create says something a schedule may not
        response = create(client, attributes)
        # Then it is 422 pointing at it
        assert response.status_code == 422, (attributes, response.body)
        assert error(response)["source"] == {"pointer": pointer}, attributes
    # And nothing was stored
    assert data(client.http.get(f"/api/{TYPE}", headers=headers(bearer(org=ORG)))) == []


def test_pause_clears_the_next_run_and_resume_sets_the_new_crons(client: Client, tables: dict[str, str]) -> None:
    # Given a nightly schedule
    schedule_id = data(create(client, NIGHTLY))["id"]
    # When it is paused
    paused = data(patch(client, schedule_id, {"enabled": False}))["attributes"]
    # Then it has no next run
    assert paused["enabled"] is False and paused["next_run_at"] is None
    # When it is resumed on another cron
    resumed = data(patch(client, schedule_id, {"enabled": True, "cron": "30  4 * * 1"}))["attributes"]
    # Then its next run follows the new cron (normalised), a Monday at 04:30 UTC
    assert resumed["cron"] == "30 4 * * 1" and resumed["next_run_at"].endswith("T04:30:00.000Z")


def test_an_organization_holds_at_most_100_schedules(client: Client, tables: dict[str, str]) -> None:
    # Given 100 schedules of one tenant
    ids = [data(create(client, {**NIGHTLY, "name": f"s{n}"}))["id"] for n in range(100)]
    # When a 101st is created, Then it is 422 and not stored
    response = create(client, NIGHTLY)
    assert response.status_code == 422 and error(response)["source"] == {"pointer": "/data"}
    # And another tenant is not limited by them
    assert create(client, NIGHTLY, bearer(org="OtherOrg01")).status_code == 201
    # When one is deleted, Then one more may be created
    assert client.http.delete(f"/api/{TYPE}/{ids[0]}", headers=headers(bearer(org=ORG))).status_code == 204
    assert create(client, NIGHTLY).status_code == 201


def test_create_with_an_idempotency_key_creates_one_schedule(client: Client, tables: dict[str, str]) -> None:
    # When the same create is sent twice with one key
    first = create(client, NIGHTLY, **{"Idempotency-Key": "nightly-1"})
    second = create(client, NIGHTLY, **{"Idempotency-Key": "nightly-1"})
    # Then both answer the same schedule, the second as a replay
    assert first.status_code == second.status_code == 201
    assert data(first)["id"] == data(second)["id"] and second.headers["Idempotent-Replayed"] == "true"
    assert len(data(client.http.get(f"/api/{TYPE}", headers=headers(bearer(org=ORG))))) == 1
