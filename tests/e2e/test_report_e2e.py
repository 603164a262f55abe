"""The complete report on the local stack over real HTTP: downloaded through `report_url` (a presigned link to
the embedded S3) and checked row by row against the records, for a cleanup with errors and one interrupted
half-way."""
from __future__ import annotations

import csv
import io
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from chalicelib.cleanups.domain.report import read_csv
from tests.e2e import ROOT, RunningStack
from tests.e2e.api import Api
from tests.e2e.test_cli_e2e import CLI, cli_env
from tests.e2e.test_interrupt_finality_e2e import seed

SKUS = 120
ASSOCIATED = {"prices": "1", "price_volume_tiers": "1", "stock_items": "1", "sku_list_items": "1"}


def throttled_cleanup(api: Api, prefix: str, rate: int) -> str:
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}, "max_records_per_second": rate}}})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


def downloaded_report(api: Api, cleanup_id: str, timeout: float = 60.0) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The cleanup once its report_url is there, and the report's rows fetched through it without a token."""
    deadline = time.monotonic() + timeout
    while True:
        attributes = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
        if attributes["report_url"]:
            break
        assert time.monotonic() < deadline, f"no report_url: {attributes}"
        time.sleep(0.5)
    response = requests.get(attributes["report_url"], timeout=30)
    assert response.status_code == 200, response.text
    return attributes, read_csv(response.content)


def exists(api: Api, sku_id: str) -> bool:
    status = api.request("GET", f"/api/skus/{sku_id}").status_code
    assert status in (200, 404), status
    return status == 200


def assert_row_by_row(api: Api, attributes: dict[str, Any], rows: list[dict[str, str]], prefix: str) -> Counter[str]:
    """One row per selected sku; each row's outcome is what the records show; the outcomes are the counts."""
    outcomes = Counter(r["outcome"] for r in rows)
    assert len(rows) == attributes["records_count"] == SKUS
    assert (outcomes["deleted"], outcomes["error"]) == (attributes["processed_count"], attributes["errors_count"])
    assert len({r["id"] for r in rows}) == SKUS
    for row in rows:
        if row["outcome"] == "deleted":
            assert not exists(api, row["id"]) and row["errors"] == "", row
            assert {k: row[k] for k in ASSOCIATED} == ASSOCIATED, row
        else:
            assert exists(api, row["id"]), row
            assert set(row[k] for k in ASSOCIATED) == {"0"}, row
    assert api.count("skus", code_start=prefix) == SKUS - outcomes["deleted"]
    return outcomes


def test_report_of_a_cleanup_with_errors_lists_every_sku_with_its_outcome(local_stack: RunningStack, api: Api,
                                                                          tmp_path: Path) -> None:
    # Given 120 seeded skus, a throttled cleanup of them, and three of the last ones changed once it was created
    prefix = seed(local_stack, SKUS)
    cleanup_id = throttled_cleanup(api, prefix, 40)
    last = api.get("/api/skus", **{"filter[q][code_start]": prefix, "sort": "-id", "page[size]": "3"})["data"]
    for sku in last:
        response = api.request("PATCH", f"/api/skus/{sku['id']}", {"data": {
            "type": "skus", "id": sku["id"], "attributes": {"name": "changed meanwhile"}}})
        assert response.status_code == 200, response.text
    # When it completes and its report is downloaded through report_url
    assert api.wait_for(cleanup_id)["status"] == "completed"
    attributes, rows = downloaded_report(api, cleanup_id)
    # Then each row says what happened to its sku: the three changed ones are errors with their message
    outcomes = assert_row_by_row(api, attributes, rows, prefix)
    assert outcomes == {"deleted": SKUS - 3, "error": 3}
    assert {r["id"]: r["errors"] for r in rows if r["outcome"] == "error"} == {
        sku["id"]: "updated_at: has been modified after the cleanup was created" for sku in last}
    # And the CLI's `report ID -o FILE` writes the same rows
    target = tmp_path / "report.csv"
    done = subprocess.run([*CLI, "report", cleanup_id, "-o", str(target)], env=cli_env(local_stack, tmp_path),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(csv.DictReader(io.StringIO(target.read_text()))) == rows
    assert f"{SKUS} rows: {SKUS - 3} deleted, 3 error, 0 not_processed" in done.stderr


def test_report_of_a_cleanup_interrupted_half_way_lists_what_it_left(local_stack: RunningStack, api: Api) -> None:
    # Given a throttled cleanup of 120 seeded skus
    prefix = seed(local_stack, SKUS)
    cleanup_id = throttled_cleanup(api, prefix, 20)
    # When it is interrupted once about half of them are deleted, and its report is downloaded
    deadline = time.monotonic() + 60
    while api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]["processed_count"] < SKUS // 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    response = api.request("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
        "type": "cleanups", "id": cleanup_id, "attributes": {"_interrupt": True}}})
    assert response.status_code == 200, response.text
    attributes, rows = downloaded_report(api, cleanup_id)
    # Then the deleted skus are gone and the rest, still there, are not processed
    assert attributes["status"] == "interrupted"
    outcomes = assert_row_by_row(api, attributes, rows, prefix)
    assert outcomes["deleted"] >= SKUS // 2 and outcomes["not_processed"] > 0
    assert outcomes["deleted"] + outcomes["not_processed"] == SKUS
