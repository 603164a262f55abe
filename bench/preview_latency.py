"""Row `preview_latency`: one `POST /api/cleanup_previews` over seeded skus, each with five associated records.

The skus (10,000 on DynamoDB Local) are seeded with a price (with a volume and a frequency
tier), a stock item and a sku list item each, and share one `reference`, which the preview
filters on. Figures: the request's seconds; `items_read_per_item`, the DynamoDB items read
during the request (`bench.calls`: ScannedCount of the Queries, items BatchGetItem returned)
over the items the preview counts (records plus associated records), goal <= 1.1; and, as the
baseline, the seconds of the list route over the same filters (the selection alone).

`python -m bench.preview_latency` runs this row alone on its own DynamoDB Local stack.
"""
from __future__ import annotations

import os
import time
from typing import Any

from bench import calls
from bench.stack import DEV_TEST_CLIENT, Api, progress, run_alone, tenant_of
from tools.seed import seed

GOAL = 1.1


def _timed(api: Api, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
    started = time.monotonic()
    response = api.call(method, path, body)
    seconds = time.monotonic() - started
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
    return seconds, response.json()


def run(api: Api, skus: int, backend: str, note: str = "") -> dict[str, Any]:
    progress(f"preview_latency[{backend}]: seeding {skus} skus with 5 associated records each")
    seeded = seed(tenant_of(DEV_TEST_CLIENT), skus=skus, skus_per_list=1000, frequency_tiers=True)
    filters = {"reference_eq": f"seed-{seeded.tag}"}
    read_before = calls.items_read()
    seconds, document = _timed(api, "POST", "/api/cleanup_previews", {"data": {
        "type": "cleanup_previews", "attributes": {"resource_type": "skus", "filters": filters}}})
    read = sum(calls.delta(read_before, calls.items_read()).values())
    attributes = document["data"]["attributes"]
    list_seconds, listed = _timed(api, "GET", "/api/skus?filter%5Bq%5D%5Breference_eq%5D="
                                  f"seed-{seeded.tag}&page%5Bsize%5D=1")
    counted = attributes["items_count"]
    progress(f"  preview {seconds:.2f}s ({attributes['records_count']} records, {attributes['associated_counts']}), "
             f"{read} items read; the list route {list_seconds:.2f}s ({listed['meta']['record_count']} records)")
    row: dict[str, Any] = {
        "name": "preview_latency", "seconds": round(seconds, 3),
        "items_read_per_item": round(read / max(1, counted), 3), "goal": GOAL,
        "records": attributes["records_count"], "associated": sum(attributes["associated_counts"].values()),
        "items_counted": counted, "items_read": read, "estimated_seconds": attributes["estimated_seconds"],
        "baseline_list_seconds": round(list_seconds, 3), "ratio_vs_list": round(seconds / max(list_seconds, 1e-9), 2),
        "backend": backend,
    }
    if note:
        row["note"] = note
    return row


def main() -> int:
    records = int(os.environ.get("BENCH_RECORDS") or 10_000)
    return run_alone(lambda stack: run(Api(stack.api_url, DEV_TEST_CLIENT), records, "dynamodb-local"))


if __name__ == "__main__":
    raise SystemExit(main())
