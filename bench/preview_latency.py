"""Row `preview_latency`: previews at every size, and `estimated_seconds` against the cleanup's real duration.

Three parts on one DynamoDB Local stack, each against a baseline of the same run:
- large: BENCH_RECORDS skus sharing a `reference`, alone in their tenant (100,000 for the figure;
  MAX_CLEANUP_RECORDS raised to 1,000,000), each with a price (+ tier), a stock item and a list item: the create's
  seconds (goal <= 2: it answers `pending`), the counts once completed against what was seeded
  (exact), and `items_read_per_item`, every DynamoDB item read from the POST to completion
  (`bench.calls`, the worker included) over the items counted (goal <= 1.1);
- loaded: BENCH_PREVIEW_LOADED_RECORDS skus (10,000) previewed while BENCH_PREVIEW_BURNERS busy
  processes load the machine: the create's seconds against half API Gateway's 29 s;
- estimate: two sets of BENCH_PREVIEW_ESTIMATE_RECORDS skus (2,000); a cleanup of the first teaches
  the rate, then the second is previewed and cleaned: `estimated_seconds` over the cleanup's
  seconds from its create to its completion (goal within 1.5 either way), beside the estimate the
  configured PREVIEW_ITEMS_PER_SECOND alone would give.

`python -m bench.preview_latency` runs this row alone (small first: BENCH_RECORDS=10000).
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import calls
from bench.cleanup_throughput import wait_terminal
from bench.stack import DEV_LIVE_CLIENT, DEV_TEST_CLIENT, Api, BenchStack, progress, run_alone, tenant_of
from chalicelib.config import get_settings
from chalicelib.tenancy import parse_iso
from tools.seed import seed

API_LIMIT = 29.0  # API Gateway's integration timeout, seconds
CREATE_GOAL, READ_GOAL, ESTIMATE_GOAL = 2.0, 1.1, 1.5
CAP = "1000000"
ASSOCIATED = ("prices", "price_volume_tiers", "stock_items", "sku_list_items")


def _post_preview(api: Api, filters: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    response = api.call("POST", "/api/cleanup_previews", {"data": {"type": "cleanup_previews", "attributes": {
        "resource_type": "skus", "filters": filters}}})
    seconds = time.monotonic() - started
    if response.status_code != 201:
        raise RuntimeError(f"preview: {response.status_code} {response.text[:500]}")
    return seconds, response.json()["data"]


def _completed(api: Api, preview: dict[str, Any], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    attributes = preview["attributes"]
    while attributes["status"] == "pending":
        if time.monotonic() > deadline:
            raise RuntimeError(f"preview {preview['id']} still pending after {timeout:.0f}s: {attributes}")
        time.sleep(0.5)
        response = api.call("GET", f"/api/cleanup_previews/{preview['id']}")
        response.raise_for_status()
        attributes = response.json()["data"]["attributes"]
    if attributes["status"] != "completed":
        raise RuntimeError(f"preview {preview['id']} {attributes['status']}: {attributes.get('errors')}")
    return dict(attributes)


def _exact(attributes: dict[str, Any], skus: int) -> bool:
    counted = {name: n for name, n in attributes["associated_counts"].items() if n}
    return attributes["records_count"] == skus and counted == {name: skus for name in ASSOCIATED}


@contextmanager
def _loaded(burners: int) -> Iterator[None]:
    """`burners` busy processes for the block's duration (this row's own, stopped by their ids)."""
    started = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(burners)]
    try:
        time.sleep(2)  # the load average starts to move
        yield
    finally:
        for process in started:
            process.kill()
            process.wait()


def large(api: Api, skus: int, reference: str) -> dict[str, Any]:
    """The skus of `reference`, past what a request counts: pending at once, exact, read about once."""
    raised = os.environ.get("MAX_CLEANUP_RECORDS")
    os.environ["MAX_CLEANUP_RECORDS"] = CAP  # settings are read per request and message: the stack sees it
    try:
        read_before = calls.items_read()
        started = time.monotonic()
        create_seconds, preview = _post_preview(api, {"reference_eq": reference})
        attributes = _completed(api, preview, timeout=3600)
        total_seconds = time.monotonic() - started
        read = sum(calls.delta(read_before, calls.items_read()).values())
    finally:
        if raised is None:
            os.environ.pop("MAX_CLEANUP_RECORDS", None)
        else:
            os.environ["MAX_CLEANUP_RECORDS"] = raised
    counted = attributes["items_count"]
    progress(f"  large: create {create_seconds:.2f}s ({preview['attributes']['status']}), completed after "
             f"{total_seconds:.1f}s: {attributes['records_count']} records, {counted} items, {read} items read")
    return {"skus": skus, "create_seconds": round(create_seconds, 3),
            "status_at_create": preview["attributes"]["status"], "completed_seconds": round(total_seconds, 1),
            "items_counted": counted, "items_read": read,
            "items_read_per_item": round(read / max(1, counted), 3), "exact": _exact(attributes, skus),
            "items_per_second": round(counted / total_seconds, 1)}


def loaded(api: Api, skus: int, reference: str, burners: int) -> dict[str, Any]:
    """The create of a preview of `skus` while the machine is loaded: well under the API's limit, or pending."""
    with _loaded(burners):
        load_before = os.getloadavg()[0]
        create_seconds, preview = _post_preview(api, {"reference_eq": reference})
        load_after = os.getloadavg()[0]
    attributes = _completed(api, preview, timeout=1800)
    progress(f"  loaded ({burners} burners, load {load_before:.1f}-{load_after:.1f}): create {create_seconds:.2f}s "
             f"({preview['attributes']['status']}, {preview['attributes']['counted_count']} counted in the request)")
    return {"skus": skus, "create_seconds": round(create_seconds, 3),
            "status_at_create": preview["attributes"]["status"],
            "counted_in_request": preview["attributes"]["counted_count"], "burners": burners,
            "load": [round(load_before, 1), round(load_after, 1)],
            "ratio_vs_half_limit": round(create_seconds / (API_LIMIT / 2), 3), "exact": _exact(attributes, skus)}


def _cleanup_seconds(api: Api, reference: str) -> tuple[float, dict[str, Any]]:
    created = api.create_cleanup("skus", {"reference_eq": reference})
    attributes, _ = wait_terminal(api, created["id"], timeout=3600)
    if attributes["status"] != "completed":
        raise RuntimeError(f"cleanup {created['id']} {attributes['status']}")
    seconds = (parse_iso(attributes["completed_at"]) - parse_iso(attributes["created_at"])).total_seconds()
    return seconds, attributes


def estimate(api: Api, skus: int, teacher: str, measured: str) -> dict[str, Any]:
    """A cleanup of `teacher` teaches the rate; the preview of `measured` against its own cleanup's seconds."""
    taught_seconds, _ = _cleanup_seconds(api, teacher)
    _, preview = _post_preview(api, {"reference_eq": measured})
    attributes = _completed(api, preview, timeout=1800)
    real_seconds, cleaned = _cleanup_seconds(api, measured)
    configured = math.ceil(attributes["items_count"] / get_settings().preview_items_per_second)
    ratio = attributes["estimated_seconds"] / max(real_seconds, 1e-9)
    progress(f"  estimate: teacher cleanup {taught_seconds:.1f}s; preview says {attributes['estimated_seconds']}s "
             f"(the configured rate alone {configured}s), the cleanup took {real_seconds:.1f}s")
    return {"skus": skus, "estimated_seconds": attributes["estimated_seconds"], "real_seconds": round(real_seconds, 1),
            "ratio": round(ratio, 2), "configured_estimate_seconds": configured,
            "configured_ratio": round(configured / max(real_seconds, 1e-9), 2),
            "teacher_seconds": round(taught_seconds, 1), "cleaned": cleaned["processed_count"]}


def run(stack: BenchStack, skus: int, loaded_skus: int, estimate_skus: int, burners: int) -> dict[str, Any]:
    api = Api(stack.api_url, DEV_TEST_CLIENT)
    progress(f"preview_latency: seeding {skus} + {loaded_skus} + 2 x {estimate_skus} skus (4 associated records each)")
    # One seed tag (one `reference`) a set; the large one alone in its tenant, as a paged preview by `reference`
    # reads the type's whole partition in id order, as a large cleanup's selection does.
    large_set = f"seed-{seed(tenant_of(DEV_LIVE_CLIENT), skus=skus, skus_per_list=1000, workers=8).tag}"
    test = tenant_of(DEV_TEST_CLIENT)
    loaded_set, teacher, measured = (f"seed-{seed(test, skus=n, skus_per_list=1000, workers=8).tag}"
                                     for n in (loaded_skus, estimate_skus, estimate_skus))
    parts = {"large": large(Api(stack.api_url, DEV_LIVE_CLIENT), skus, large_set),
             "loaded": loaded(api, loaded_skus, loaded_set, burners),
             "estimate": estimate(api, estimate_skus, teacher, measured)}
    met = (parts["large"]["create_seconds"] <= CREATE_GOAL and parts["large"]["exact"]
           and parts["large"]["items_read_per_item"] <= READ_GOAL and parts["loaded"]["exact"]
           and (parts["loaded"]["ratio_vs_half_limit"] < 1 or parts["loaded"]["status_at_create"] == "pending")
           and 1 / ESTIMATE_GOAL <= parts["estimate"]["ratio"] <= ESTIMATE_GOAL)
    settings = get_settings()
    goals = {"create_seconds": CREATE_GOAL, "items_read_per_item": READ_GOAL, "estimate_ratio": ESTIMATE_GOAL}
    return {"name": "preview_latency", **parts, "goals": goals,
            "met": met, "preview_page_records": settings.preview_page_records,
            "preview_in_request_seconds": settings.preview_in_request_seconds, "backend": stack.backend}


def main() -> int:
    skus = int(os.environ.get("BENCH_RECORDS") or 100_000)
    loaded_skus = int(os.environ.get("BENCH_PREVIEW_LOADED_RECORDS") or 10_000)
    estimate_skus = int(os.environ.get("BENCH_PREVIEW_ESTIMATE_RECORDS") or 2_000)
    burners = int(os.environ.get("BENCH_PREVIEW_BURNERS") or 4)
    return run_alone(lambda stack: run(stack, skus, loaded_skus, estimate_skus, burners))


if __name__ == "__main__":  # spawned seeding processes import this module too
    raise SystemExit(main())
