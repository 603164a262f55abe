"""A schedule's runs over HTTP (moto): `GET /api/cleanup_schedules/{id}/cleanups` pages them newest first by
default, either way by `created_at`, with the list's meta and links; a deleted cleanup leaves them; a `_run` on
a schedule deleted while it ran is a 404."""
from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.schedules.service_layer import runner
from chalicelib.tenancy import Tenant
from tests.factories import headers
from tests.integration.test_http_api import bearer
from tests.integration.test_schedules_http import NIGHTLY, ORG, TYPE, create, data, patch

RUNS = 5


def get(client: Client, path: str, org: str = ORG) -> Any:
    response = client.http.get(path, headers=headers(bearer(org=org)))
    return response.status_code, json.loads(response.body)


def schedule_with_runs(client: Client) -> tuple[str, list[str]]:
    """A schedule run `RUNS` times (nothing matches: each cleanup is born completed); its cleanups oldest first."""
    schedule_id = data(create(client, NIGHTLY))["id"]
    for _ in range(RUNS):
        assert patch(client, schedule_id, {"_run": True}).status_code == 200
    ids = [c.id for c in bootstrap.ports().cleanups.list_for(Tenant(ORG, "test")) if c.schedule_id == schedule_id]
    created = {c: bootstrap.ports().cleanups.get(Tenant(ORG, "test"), c).created_at for c in ids}
    return schedule_id, sorted(ids, key=lambda c: (created[c], c))


def test_runs_are_paged_newest_first_by_default_and_either_way_by_created_at(
        client: Client, tables: dict[str, str]) -> None:
    # Given a schedule run five times, and a cleanup of the tenant that no schedule created
    schedule_id, oldest_first = schedule_with_runs(client)
    client.http.post("/api/cleanups", headers=headers(bearer(org=ORG)), body=json.dumps(
        {"data": {"type": "cleanups", "attributes": {"resource_type": "skus", "filters": {"code_eq": "none"}}}}))
    base = f"/api/{TYPE}/{schedule_id}/cleanups?page[size]=2"
    for sort, expected in (("", oldest_first[::-1]), ("&sort=-created_at", oldest_first[::-1]),
                           ("&sort=created_at", oldest_first)):
        # When every page of 2 is read in that order
        pages = [get(client, f"{base}{sort}&page[number]={number}")[1] for number in (1, 2, 3)]
        # Then they list the runs once each in that order, each with the list's meta and links
        assert [c["id"] for page in pages for c in page["data"]] == expected, sort
        assert {json.dumps(page["meta"]) for page in pages} == {json.dumps({"record_count": 5, "page_count": 3})}
        assert "next" in pages[0]["links"] and "next" not in pages[2]["links"]
        assert pages[2]["links"]["last"].endswith("page%5Bnumber%5D=3")
    # And a filter is answered over the schedule's runs, newest first
    status, filtered = get(client, f"{base}&filter[q][status_eq]=completed")
    assert status == 200 and [c["id"] for c in filtered["data"]] == oldest_first[::-1][:2]
    assert filtered["meta"]["record_count"] == 5


def test_the_runs_linkage_is_paged_newest_first_with_its_meta_and_links(client: Client, tables: dict[str, str]) -> None:
    # Given a schedule run five times
    schedule_id, oldest_first = schedule_with_runs(client)
    base = f"/api/{TYPE}/{schedule_id}/relationships/cleanups"
    # When its linkage is read by pages of 2
    pages = [get(client, f"{base}?page[size]=2&page[number]={number}")[1] for number in (1, 2, 3)]
    # Then the pages name every run once, newest first, each with the relationship's links and the page's
    assert [c["id"] for page in pages for c in page["data"]] == oldest_first[::-1]
    assert all(c["type"] == "cleanups" for page in pages for c in page["data"])
    assert {json.dumps(page["meta"]) for page in pages} == {json.dumps({"record_count": 5, "page_count": 3})}
    assert pages[0]["links"]["self"].endswith(base) and pages[0]["links"]["related"].endswith(f"{schedule_id}/cleanups")
    assert "next" in pages[0]["links"] and "next" not in pages[2]["links"] and "prev" in pages[2]["links"]
    # And unpaged, it is the first page of the default size; a sort or a filter is not a parameter it takes
    assert [c["id"] for c in get(client, base)[1]["data"]] == oldest_first[::-1]
    for refused in ("sort=-created_at", "filter[q][status_eq]=completed", "include=cleanups"):
        status, error = get(client, f"{base}?{refused}")
        assert (status, error["errors"][0]["code"]) == (400, "PARAMETER_NOT_ALLOWED"), refused


def test_a_deleted_cleanup_leaves_its_schedules_runs_and_another_tenant_sees_none(
        client: Client, tables: dict[str, str]) -> None:
    # Given a schedule run five times
    schedule_id, oldest_first = schedule_with_runs(client)
    # When one of its cleanups is deleted
    deleted = client.http.delete(f"/api/cleanups/{oldest_first[2]}", headers=headers(bearer(org=ORG)))
    assert deleted.status_code == 204, deleted.body
    # Then the runs, their count and the linkage no longer name it
    kept = [c for c in oldest_first[::-1] if c != oldest_first[2]]
    status, runs = get(client, f"/api/{TYPE}/{schedule_id}/cleanups")
    assert [c["id"] for c in runs["data"]] == kept and runs["meta"]["record_count"] == 4
    _, linkage = get(client, f"/api/{TYPE}/{schedule_id}/relationships/cleanups")
    assert [c["id"] for c in linkage["data"]] == kept
    # And another tenant finds no such schedule
    assert get(client, f"/api/{TYPE}/{schedule_id}/cleanups", org="OtherOrg01")[0] == 404
    assert get(client, f"/api/{TYPE}/{schedule_id}/relationships/cleanups", org="OtherOrg01")[0] == 404


def test_a_run_now_on_a_schedule_deleted_while_it_ran_is_404(
        client: Client, tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a schedule that is deleted while its `_run` creates the cleanup
    schedule_id = data(create(client, NIGHTLY))["id"]
    create_cleanup = runner.create_cleanup

    def deleted_meanwhile(*args: Any, **kwargs: Any) -> Any:
        assert client.http.delete(f"/api/{TYPE}/{schedule_id}", headers=headers(bearer(org=ORG))).status_code == 204
        return create_cleanup(*args, **kwargs)
    monkeypatch.setattr(runner, "create_cleanup", deleted_meanwhile)
    # When the `_run` ends
    response = patch(client, schedule_id, {"_run": True})
    # Then it answers 404 as for any missing schedule, not 409
    assert response.status_code == 404, response.body
    assert json.loads(response.body)["errors"][0]["status"] == "404"
