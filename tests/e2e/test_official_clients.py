"""The official Commerce Layer clients, unmodified, against the local stack over real HTTP.

`@commercelayer/sdk` and the CLI's `cleanups` plugin (run through `@oclif/core`) are installed in
tests/node by `make test` (`npm ci`). Only their request URL is redirected: the SDK through its own
`fetch` option, the CLI through a `node --import` preload replacing `globalThis.fetch`. The node
drivers print what the clients returned; these tests assert on that and on what the service holds.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.e2e import ROOT, RunningStack
from tests.e2e.api import Api
from tools.seed import seed

NODE_DIR = ROOT / "tests" / "node"
DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
CLI_MAX_CLEANUP_SIZE = 10_000  # cli-core's clConfig.cleanups.max_size, the plugin's chunk size

# One xdist worker runs them all (--dist loadfile), so the module's fixtures (a CLI run, a token) are made once.


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    requests: list[str]  # "METHOD /path?query" for each request, in order, from the preload's journal

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    assert executable, "node is not on PATH"
    assert (NODE_DIR / "node_modules" / "@commercelayer" / "sdk").is_dir(), \
        "the official clients are not installed: run `cd tests/node && npm ci` (make test does)"
    return executable


@pytest.fixture(scope="module")
def api(local_stack: RunningStack) -> Api:
    return Api(local_stack.api_url, local_stack.token())


def run_sdk(node: str, stack: RunningStack, scenario: str, *args: str) -> dict[str, Any]:
    """`node sdk.mjs <scenario>`: the SDK's observations, as the driver printed them."""
    env = {**os.environ, "CL_LOCAL_API_URL": stack.api_url}
    done = subprocess.run([node, "sdk.mjs", scenario, *args], cwd=NODE_DIR, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"sdk.mjs {scenario} failed:\n{done.stderr}\n{done.stdout}"
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def run_cli(node: str, stack: RunningStack, token: str, tmp_path: Path, *args: str, stdin: str = "",
            preloads: Sequence[str] = ("preload.mjs",), extra_env: dict[str, str] | None = None,
            timeout: float = 120) -> CliRun:
    """The plugin's command `args`, as a user with CL_CLI_ORGANIZATION / CL_CLI_ACCESS_TOKEN set runs it."""
    journal = tmp_path / f"journal-{time.monotonic_ns()}.txt"
    env = {**os.environ, "CL_LOCAL_API_URL": stack.api_url, "CL_LOCAL_JOURNAL": str(journal),
           "CL_CLI_ORGANIZATION": "demo", "CL_CLI_ACCESS_TOKEN": token,
           # no update check against the registry, no colour codes in what we read
           "NO_UPDATE_NOTIFIER": "1", "FORCE_COLOR": "0", **(extra_env or {})}
    imports = [arg for preload in preloads for arg in ("--import", f"./{preload}")]
    done = subprocess.run([node, *imports, "cli.mjs", *args], cwd=NODE_DIR, env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)
    requests = journal.read_text().splitlines() if journal.exists() else []
    return CliRun(done.returncode, done.stdout, done.stderr, requests)


def seed_skus(stack: RunningStack, count: int) -> str:
    """`count` skus (with prices, stock items, list items) loaded in bulk; the code prefix they share."""
    store = RecordsStore(stack.client("dynamodb"), get_settings().records_table)
    summary = seed(DEV_TENANT, skus=count, store=store)
    return f"SEED-{summary.tag}-"


def count_skus(api: Api, prefix: str) -> int:
    return int(api.get("/api/skus", **{"filter[q][code_start]": prefix, "page[size]": "1"})["meta"]["record_count"])


def settle(api: Api, cleanup_id: str, prefix: str, timeout: float = 20.0) -> tuple[dict[str, Any], int]:
    """An interrupted cleanup and its skus left, once processed_count accounts for every sku deleted."""
    deadline = time.monotonic() + timeout
    while True:
        attributes = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
        left = count_skus(api, prefix)
        if left + attributes["processed_count"] == attributes["records_count"] or time.monotonic() > deadline:
            return attributes, left
        time.sleep(0.2)


def sku_ids(api: Api, prefix: str) -> list[str]:
    """Every id under `prefix`, in `sort=id` order (the order the CLI's id_gt / id_lteq chunks use)."""
    ids: list[str] = []
    page = 1
    while True:
        body = api.get("/api/skus", **{"filter[q][code_start]": prefix, "sort": "id", "page[size]": "25",
                                       "page[number]": str(page), "fields[skus]": "code"})
        ids += [record["id"] for record in body["data"]]
        if page >= body["meta"]["page_count"]:
            return ids
        page += 1


def cleanups_of_group(api: Api, group_id: str) -> list[dict[str, Any]]:
    """The chunk cleanups the CLI made for one group, by reference (`<group>-0001`, ...)."""
    body = api.get("/api/cleanups", **{"filter[q][reference_start]": f"{group_id}-", "sort": "reference",
                                       "page[size]": "25"})
    return [{"id": c["id"], **c["attributes"]} for c in body["data"]]


def expected_chunks(ids: list[str], size: int) -> list[dict[str, str]]:
    """The id_gt / id_lteq bounds the plugin's splitRecords derives from `sort=id` pages of size 1."""
    ends = [ids[min(len(ids), start + size) - 1] for start in range(0, len(ids), size)]
    return [{**({"id_gt": ends[n - 1]} if n else {}), "id_lteq": end} for n, end in enumerate(ends)]


def group_id_printed(run: CliRun) -> str:
    found = re.search(r"same unique group ID (\w+)", run.stdout)
    assert found, f"no group id in the CLI's output:\n{run}"
    return found.group(1)


# --- @commercelayer/sdk ---------------------------------------------------------------------------

def test_sdk_creates_and_lists_the_records_a_cleanup_removes(node: str, local_stack: RunningStack) -> None:
    # Given the SDK with a token from the service / When it creates skus, a price list and prices, and lists them
    report = run_sdk(node, local_stack, "records", f"SDK{time.time_ns() % 10**9}")
    result = report["result"]

    # Then every record came back typed, with its relationships denormalized the SDK's way
    assert result["category"]["type"] == "shipping_categories"
    assert [s["shipping_category"]["id"] for s in result["skus"]] == [result["category"]["id"]] * 3
    assert {p["currency_code"] for p in result["prices"]} == {"EUR"}  # derived from the price list
    assert [p["sku"]["id"] for p in result["prices"]] == [s["id"] for s in result["skus"]]
    # And lists honour filters, sort, page size and pages (meta as the SDK reads it)
    codes = sorted((s["code"] for s in result["skus"]), reverse=True)
    assert result["first_page"]["codes"] == codes[:2] and result["first_page"]["has_next"] is True
    assert result["second_page"]["codes"] == codes[2:] and result["second_page"]["has_next"] is False
    assert result["first_page"]["meta"] == {"pageCount": 2, "recordCount": 3, "currentPage": 1, "recordsPerPage": 2}
    # And a sparse fieldset leaves only the asked field: no other attribute, no unasked relationship
    assert result["sparse"]["keys"] == [["code", "id", "type"]] and result["sparse"]["code"] in codes
    assert sorted(result["prices_of_list"]["ids"]) == sorted(p["id"] for p in result["prices"])
    # And the SDK only ever spoke to the redirected origin's /api
    assert all(line.split(" ", 1)[1].startswith("/api/") for line in report["requests"])


def test_sdk_runs_a_cleanup_from_create_to_delete(node: str, local_stack: RunningStack) -> None:
    # Given three skus with prices made through the SDK
    prefix = f"SDK{time.time_ns() % 10**9}"

    # When the SDK creates a cleanup for them, lists, updates, polls it to completion and deletes it
    result = run_sdk(node, local_stack, "lifecycle", prefix)["result"]

    # Then create echoed the filters, reference and metadata, and fixed records_count
    created = result["created"]
    assert created["type"] == "cleanups" and created["status"] == "pending"
    assert created["filters"] == {"code_start": f"{prefix}-"}
    assert (created["reference"], created["reference_origin"]) == (f"{prefix}-ref", "sdk-e2e")
    assert created["metadata"] == {"suite": "official-clients", "prefix": prefix}
    assert created["records_count"] == 3
    # And the filtered, sorted, paged, sparse list found exactly it, with only the asked fields
    assert result["listed"]["ids"] == [created["id"]]
    assert result["listed"]["keys"] == [["id", "records_count", "reference", "status", "type"]]
    assert result["listed"]["meta"]["recordCount"] == 1
    # And the update replaced the metadata
    assert result["updated"]["metadata"] == {"suite": "official-clients", "updated": True}
    # And the run completed with exact counts, taking the skus and their prices with it
    done = result["done"]
    assert done["status"] == "completed" and done["completed_at"] and done["started_at"]
    assert (done["records_count"], done["processed_count"], done["errors_count"]) == (3, 3, 0)
    assert (result["skus_before"], result["skus_after"]) == (3, 0)
    assert (result["prices_before"], result["prices_after"]) == (3, 0)
    # And once deleted it is an ApiError 404 to retrieve
    gone = result["retrieve_after_delete"]
    assert (gone["is_api_error"], gone["status"], gone["first"]["code"]) == (True, 404, "RECORD_NOT_FOUND")


def test_sdk_interrupts_a_running_cleanup(node: str, local_stack: RunningStack, api: Api) -> None:
    # Given 300 skus seeded in bulk, enough to keep the workers busy for a while
    prefix = seed_skus(local_stack, 300)

    # When the SDK creates a cleanup for them and at once calls `_interrupt`
    result = run_sdk(node, local_stack, "interrupt", prefix)["result"]

    # Then the PATCH answered with the interrupted cleanup
    interrupted = result["interrupted"]
    assert result["created"]["records_count"] == 300
    assert interrupted["status"] == "interrupted" and interrupted["interrupted_at"]
    assert interrupted["completed_at"] is None
    # And, once the in-flight sub-batches settle, exactly what was not processed is still there
    settled, left = settle(api, interrupted["id"], prefix)
    assert settled["status"] == "interrupted"
    assert settled["processed_count"] < 300
    assert left == 300 - settled["processed_count"]
    # And a second `_interrupt` on the terminal cleanup is the SDK's ApiError 422, pointing at the attribute
    again = result["again"]
    assert (again["status"], again["first"]["code"]) == (422, "VALIDATION_ERROR")
    assert again["first"]["source"] == {"pointer": "/data/attributes/_interrupt"}


def test_sdk_raises_api_errors_with_status_and_codes(node: str, local_stack: RunningStack) -> None:
    # Given the SDK / When it asks for things the service refuses
    result = run_sdk(node, local_stack, "errors", f"SDK{time.time_ns() % 10**9}")["result"]

    # Then each is an ApiError of type response, carrying the HTTP status and the service's error objects
    expected = {
        "unknown_id": (404, "RECORD_NOT_FOUND", None),
        "bad_resource_type": (422, "VALIDATION_ERROR", {"pointer": "/data/attributes/resource_type"}),
        "unknown_filter": (422, "VALIDATION_ERROR", {"pointer": "/data/attributes/filters"}),
        "unknown_list_filter": (400, "FILTER_NOT_ALLOWED", {"parameter": "filter[q][colour_eq]"}),
        "page_too_large": (400, "BAD_REQUEST", {"parameter": "page[size]"}),
        "sku_without_category": (422, "VALIDATION_ERROR", {"pointer": "/data/relationships/shipping_category"}),
    }
    for case, (status, code, source) in expected.items():
        error = result[case]
        assert error is not None, f"{case}: the SDK raised nothing"
        assert (error["name"], error["is_api_error"], error["type"]) == ("ApiError", True, "response"), case
        assert (error["status"], error["code"]) == (status, str(status)), case
        assert (error["first"]["code"], error["first"]["status"]) == (code, str(status)), case
        assert error["first"].get("source") == source, case


# --- the CLI's cleanups plugin --------------------------------------------------------------------

@pytest.fixture(scope="module")
def cli_token(local_stack: RunningStack) -> str:
    return local_stack.token()


@pytest.fixture(scope="module")
def cli_created(node: str, local_stack: RunningStack, cli_token: str, api: Api,
                tmp_path_factory: pytest.TempPathFactory) -> tuple[str, CliRun]:
    """`cleanups:create -t skus -w code_start=<prefix>` over five seeded skus, run once for the module."""
    prefix = seed_skus(local_stack, 5)
    assert count_skus(api, prefix) == 5
    run = run_cli(node, local_stack, cli_token, tmp_path_factory.mktemp("cli"),
                  "cleanups:create", "-t", "skus", "-w", f"code_start={prefix}")
    return prefix, run


def test_cli_create_cleans_up_the_matching_skus(cli_created: tuple[str, CliRun], api: Api) -> None:
    # Given five seeded skus / When `cleanups:create -t skus -w code_start=<prefix>` ran
    prefix, run = cli_created

    # Then it exited 0 and said so
    assert run.returncode == 0, str(run)
    assert "Cleanup of 5 skus completed." in run.stdout
    # And it checked the application, counted, probed the last id with sort=id&page[size]=1, then created
    assert run.requests[0] == "GET /api/application"
    probes = [r for r in run.requests if r.startswith("GET /api/skus?sort=id&page%5Bnumber%5D=5&page%5Bsize%5D=1")]
    assert len(probes) == 1, run.requests
    assert run.requests.count("POST /api/cleanups") == 1
    # And the service holds one completed cleanup for them, filtered as asked, and no sku is left
    body = api.get("/api/cleanups", **{"filter[q][reference_origin_eq]": "cli-plugin-cleanups",
                                       "sort": "-created_at", "page[size]": "25"})
    mine = [c for c in body["data"] if c["attributes"]["filters"].get("code_start") == prefix]
    assert len(mine) == 1, body
    attributes = mine[0]["attributes"]
    assert attributes["status"] == "completed"
    assert (attributes["records_count"], attributes["processed_count"], attributes["errors_count"]) == (5, 5, 0)
    assert set(attributes["filters"]) == {"code_start", "id_lteq"}
    assert re.fullmatch(r"\w{6}-0001", attributes["reference"]) and "group_id" in attributes["metadata"]
    # And the monitor's last line names the cleanup as completed
    assert re.search(rf"{mine[0]['id']}\s*\|.*completed", run.stderr), run.stderr
    assert count_skus(api, prefix) == 0


def test_cli_list_and_details_show_the_cleanup(node: str, local_stack: RunningStack, cli_token: str, api: Api,
                                               cli_created: tuple[str, CliRun], tmp_path: Path) -> None:
    # Given the cleanup `cleanups:create` made
    prefix, _ = cli_created
    body = api.get("/api/cleanups", **{"filter[q][reference_origin_eq]": "cli-plugin-cleanups",
                                       "sort": "-created_at", "page[size]": "25"})
    cleanup_id = next(c["id"] for c in body["data"] if c["attributes"]["filters"].get("code_start") == prefix)

    # When `cleanups:list -A -t skus -s completed` and `cleanups:details <id> -l` run
    listed = run_cli(node, local_stack, cli_token, tmp_path, "cleanups:list", "-A", "-t", "skus", "-s", "completed")
    details = run_cli(node, local_stack, cli_token, tmp_path, "cleanups:details", cleanup_id, "-l")

    # Then both exit 0; the list's table has its row, sent with the plugin's filters and sort
    assert listed.returncode == 0, str(listed)
    assert re.search(rf"│ {cleanup_id} │ skus\s+│ completed │\s+5\s+│", listed.stdout), listed.stdout
    assert any("sort=-started_at" in r and "resource_type_eq%5D=skus" in r and "status_eq%5D=completed" in r
               for r in listed.requests), listed.requests
    # And the details table shows its attributes, the filters as a nested table, and an empty error log
    assert details.returncode == 0, str(details)
    for row in (rf"id │ {cleanup_id}", r"resource_type │ skus", r"status │ completed", r"records_count │ 5",
                r"processed_count │ 5", r"errors_count │ 0", rf"code_start │ {prefix}"):
        assert re.search(row, details.stdout), f"{row!r} not in\n{details.stdout}"
    assert "ERROR LOG\t[ 0 errors ]" in details.stdout


def test_cli_details_of_an_unknown_cleanup_exits_2(node: str, local_stack: RunningStack, cli_token: str,
                                                   tmp_path: Path) -> None:
    # Given an id nobody has / When `cleanups:details` asks for it
    run = run_cli(node, local_stack, cli_token, tmp_path, "cleanups:details", "nOsUcHiD00")

    # Then the plugin read the 404 as not found (its message says "export": the plugin's own wording)
    assert run.returncode == 2, str(run)
    assert "Unable to find export with id nOsUcHiD00" in run.stderr
    assert run.requests == ["GET /api/cleanups/nOsUcHiD00"]


def test_cli_create_with_nothing_to_clean_exits_2(node: str, local_stack: RunningStack, cli_token: str,
                                                  tmp_path: Path) -> None:
    # Given a filter no sku matches / When `cleanups:create` runs
    run = run_cli(node, local_stack, cli_token, tmp_path, "cleanups:create", "-t", "skus", "-w",
                  f"code_start=NOTHING-{time.time_ns()}-")

    # Then it stops after counting, creating nothing
    assert run.returncode == 2, str(run)
    assert "No skus to cleanup" in run.stderr
    assert "POST /api/cleanups" not in run.requests


def test_cli_create_splits_over_its_limit_into_chunk_cleanups(node: str, local_stack: RunningStack,
                                                              cli_token: str, api: Api, tmp_path: Path) -> None:
    # Given 25 skus, and the plugin's 10,000-record chunk size lowered to 10 (small-chunks.mjs): same code path
    prefix = seed_skus(local_stack, 25)
    ids = sku_ids(api, prefix)

    # When `cleanups:create` runs, a key pressed at its "press any key" prompt
    run = run_cli(node, local_stack, cli_token, tmp_path, "cleanups:create", "-t", "skus", "-w",
                  f"code_start={prefix}", stdin="y\n", preloads=("preload.mjs", "small-chunks.mjs"),
                  extra_env={"CL_TEST_MAX_CLEANUP_SIZE": "10"})

    # Then it announced three chunks under one group id and finished
    assert run.returncode == 0, str(run)
    assert "split into a set of 3 distinct chunks" in run.stdout
    assert "Cleanup of 25 skus completed." in run.stdout
    # And it found the boundaries with sort=id&page[size]=1 at pages 10, 20 and 25
    probed = [int(m.group(1)) for r in run.requests if (m := re.search(r"sort=id&page%5Bnumber%5D=(\d+)", r))]
    assert probed == [10, 20, 25]
    # And the service holds three completed cleanups whose id_gt / id_lteq ranges tile the skus exactly
    chunks = cleanups_of_group(api, group_id_printed(run))
    assert [c["filters"] for c in chunks] == [{"code_start": prefix, **bounds} for bounds in expected_chunks(ids, 10)]
    assert [(c["status"], c["records_count"], c["processed_count"]) for c in chunks] == \
        [("completed", 10, 10), ("completed", 10, 10), ("completed", 5, 5)]
    assert count_skus(api, prefix) == 0
    # And `cleanups:group <group id>` lists the three of them
    group = run_cli(node, local_stack, cli_token, tmp_path, "cleanups:group", group_id_printed(run))
    assert group.returncode == 0, str(group)
    assert all(c["id"] in group.stdout for c in chunks)


@pytest.mark.slow
def test_cli_create_splits_over_20000_skus_into_chunks_of_10000(node: str, local_stack: RunningStack,
                                                                cli_token: str, api: Api, tmp_path: Path) -> None:
    # Given a little over 20,000 skus (the plugin's unmodified chunk size is 10,000)
    total = 2 * CLI_MAX_CLEANUP_SIZE + 150
    started = time.monotonic()
    prefix = seed_skus(local_stack, total)
    seeded = time.monotonic()

    # When `cleanups:create` runs unmodified, a key pressed at its prompt
    run = run_cli(node, local_stack, cli_token, tmp_path, "cleanups:create", "-t", "skus", "-w",
                  f"code_start={prefix}", stdin="y\n", timeout=900)
    finished = time.monotonic()

    # Then three chunk cleanups of 10,000, 10,000 and 150 records all completed and no sku is left
    assert run.returncode == 0, str(run)
    assert f"Cleanup of {total} skus completed." in run.stdout
    chunks = cleanups_of_group(api, group_id_printed(run))
    assert [(c["status"], c["records_count"], c["processed_count"], c["errors_count"]) for c in chunks] == \
        [("completed", CLI_MAX_CLEANUP_SIZE, CLI_MAX_CLEANUP_SIZE, 0)] * 2 + [("completed", 150, 150, 0)]
    assert [sorted(c["filters"]) for c in chunks] == [["code_start", "id_lteq"]] + [["code_start", "id_gt",
                                                                                      "id_lteq"]] * 2
    assert chunks[1]["filters"]["id_gt"] == chunks[0]["filters"]["id_lteq"]
    assert chunks[2]["filters"]["id_gt"] == chunks[1]["filters"]["id_lteq"]
    assert count_skus(api, prefix) == 0
    print(f"seeded {total} skus in {seeded - started:.0f}s; CLI run {finished - seeded:.0f}s")
