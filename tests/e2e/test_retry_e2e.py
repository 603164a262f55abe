"""Retrying a finished cleanup end to end: the local stack's API and worker over real HTTP.

Catalogs are bulk-loaded with `tools.seed` (each sku with a price and its tier, a stock item and a sku
list item), all sharing the reference `seed-<tag>`.
"""
from __future__ import annotations

import time
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.e2e import RunningStack
from tests.e2e.api import Api
from tools.seed import SeedSummary, seed

DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
SKUS = 1000


@pytest.fixture
def summary(local_stack: RunningStack) -> SeedSummary:
    return seed(DEV_TENANT, skus=SKUS, workers=4,
                store=RecordsStore(local_stack.client("dynamodb"), get_settings().records_table))


def create(api: Api, attributes: dict[str, Any], retry_of: str | None = None) -> Any:
    data: dict[str, Any] = {"type": "cleanups", "attributes": attributes}
    if retry_of is not None:
        data["relationships"] = {"retry_of": {"data": {"type": "cleanups", "id": retry_of}}}
    return api.request("POST", "/api/cleanups", {"data": data})


def cleanup_of_seed(api: Api, summary: SeedSummary) -> str:
    response = create(api, {"resource_type": "skus", "filters": {"reference_eq": f"seed-{summary.tag}"}})
    assert response.status_code == 201, response.text
    cleanup_id: str = response.json()["data"]["id"]
    return cleanup_id


def skus_left(api: Api, summary: SeedSummary, **params: str) -> dict[str, Any]:
    return api.get("/api/skus", **{"filter[q][reference_eq]": f"seed-{summary.tag}", "page[size]": "1", **params})


def interrupted_half_way(api: Api, summary: SeedSummary) -> dict[str, Any]:
    """A cleanup of the seed, interrupted by its client once the worker has deleted some of it."""
    cleanup_id = cleanup_of_seed(api, summary)
    deadline = time.monotonic() + 60
    while api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]["processed_count"] == 0:
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.05)
    interrupted = api.request("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
        "type": "cleanups", "id": cleanup_id, "attributes": {"_interrupt": True}}})
    assert interrupted.status_code == 200, interrupted.text
    api.wait_for(cleanup_id)
    # The sub-batches in flight at the interrupt (one per worker) still delete, then count: wait until what
    # is gone is counted, and stays so for a few seconds (a second worker's sub-batch may begin deleting later).
    def counted_as_gone() -> dict[str, Any] | None:
        attributes = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
        attributes.pop("report_url")  # signed anew on each read
        return attributes if attributes["processed_count"] == SKUS - skus_left(api, summary)["meta"]["record_count"] \
            else None
    while (settled := counted_as_gone()) is None or (time.sleep(3) or counted_as_gone()) != settled:
        assert time.monotonic() < deadline, f"the sub-batches in flight were never counted: {settled}"
        time.sleep(0.2)
    assert settled["status"] == "interrupted" and 0 < settled["processed_count"] < SKUS, settled
    return {"id": cleanup_id, **settled}


def test_retry_of_a_cleanup_interrupted_half_way_deletes_the_rest(api: Api, summary: SeedSummary) -> None:
    # Given a cleanup of a thousand skus interrupted after its worker deleted some of them
    original = interrupted_half_way(api, summary)
    left = skus_left(api, summary)["meta"]["record_count"]
    assert left == SKUS - original["processed_count"]
    # When it is retried, naming only the original
    response = create(api, {}, retry_of=original["id"])
    # Then the retry selects what is left, names its original, and deletes the rest
    assert response.status_code == 201, response.text
    retry = response.json()["data"]
    assert (retry["attributes"]["resource_type"], retry["attributes"]["records_count"]) == ("skus", left)
    assert retry["relationships"]["retry_of"]["data"] == {"type": "cleanups", "id": original["id"]}
    assert api.get(f"/api/cleanups/{retry['id']}/retry_of")["data"]["id"] == original["id"]
    assert api.get(f"/api/cleanups/{original['id']}/relationships/retry_of")["data"] is None
    done = api.wait_for(retry["id"], timeout=120)
    assert (done["status"], done["processed_count"], done["errors_count"]) == ("completed", left, 0), done
    assert skus_left(api, summary)["meta"]["record_count"] == 0


def test_retry_of_a_cleanup_with_an_error_deletes_the_modified_record(api: Api, summary: SeedSummary) -> None:
    # Given a cleanup of a thousand skus whose last sku (by id) a client modified right after it was created
    cleanup_id = cleanup_of_seed(api, summary)
    last = skus_left(api, summary, sort="-id")["data"][0]["id"]
    touched = api.request("PATCH", f"/api/skus/{last}", {"data": {"type": "skus", "id": last,
                                                                   "attributes": {"name": "changed"}}})
    assert touched.status_code == 200, touched.text
    original = api.wait_for(cleanup_id, timeout=120)
    assert (original["status"], original["errors_count"], list(original["errors_log"])) == ("completed", 1, [last])
    # When it is retried, resource_type given
    response = create(api, {"resource_type": "skus"}, retry_of=cleanup_id)
    # Then the retry selects the one error and deletes it: it was modified before the retry was created
    assert response.status_code == 201, response.text
    retry = response.json()["data"]
    assert retry["attributes"]["records_count"] == 1
    done = api.wait_for(retry["id"])
    assert (done["status"], done["processed_count"]) == ("completed", 1)
    assert skus_left(api, summary)["meta"]["record_count"] == 0


def test_retry_refusals_point_at_what_is_wrong(api: Api, summary: SeedSummary) -> None:
    # Given an active cleanup of the seed
    active = cleanup_of_seed(api, summary)
    # When a retry names it, an unknown cleanup, or says filters or another resource_type
    refusals = [
        (create(api, {}, retry_of=active), "/data/relationships/retry_of"),
        (create(api, {}, retry_of="nosuchid00"), "/data/relationships/retry_of"),
        (create(api, {"filters": {}}, retry_of=active), "/data/attributes/filters"),
    ]
    api.wait_for(active, timeout=120)
    refusals.append((create(api, {"resource_type": "prices"}, retry_of=active), "/data/attributes/resource_type"))
    # Then each is a 422 pointing at it
    for response, pointer in refusals:
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["source"] == {"pointer": pointer}
