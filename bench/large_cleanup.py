"""Row `large_cleanup`: a cleanup past what a request selects (selection in the worker, page by page).

MAX_CLEANUP_RECORDS is raised to 1,000,000 for the row. Two cleanups of every sku of a
tenant, one ten times the other's size (BENCH_LARGE_SKUS, 100,000, and a tenth of it):
`create_ms` is the POST's latency (it selects at most SELECT_IN_REQUEST_RECORDS ids),
`records_per_second` / `items_per_second` the throughput from the POST to the terminal
status, and `peak_traced_mb` the peak of Python allocations in this process (the API, the
pollers and the worker run here: `bench.stack`) while the cleanup ran, by `tracemalloc`
(which slows the run: the throughput is a floor). The memory bound holds when the large
cleanup's peak is about the small one's, not ten times it: `memory_ratio` (after an untraced
warm-up cleanup, so the first measured one does not pay for loading modules and clients).

`python -m bench.large_cleanup` runs the row alone on DynamoDB Local (BENCH_LARGE_SKUS to size it).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
import tracemalloc
from typing import Any

from bench.cleanup_throughput import wait_terminal
from bench.data import count_deletable, seed_sets
from bench.stack import DEV_LIVE_CLIENT, DEV_TEST_CLIENT, Api, BenchStack, progress, tenant_of
from chalicelib.tenancy import Tenant

CAP = "1000000"


def warm_up(api: Api) -> None:
    """A cleanup of the skus whose id starts with "0" (about 1 in 62), untraced: the process's first
    cleanup loads modules and clients, which the first measured one would otherwise count."""
    created = api.create_cleanup("skus", {"id_lt": "1"})
    wait_terminal(api, created["id"], timeout=600)


def measure(api: Api, tenant: Tenant, label: str) -> dict[str, Any]:
    """One cleanup of every sku of `tenant`, with its latency, throughput and peak memory."""
    items_before = count_deletable(tenant)
    tracemalloc.start()
    started = time.perf_counter()
    created = api.create_cleanup("skus", {})
    create_ms = (time.perf_counter() - started) * 1000
    final, _ = wait_terminal(api, created["id"], timeout=3600)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    items_after = count_deletable(tenant)
    if final["status"] != "completed" or final["processed_count"] != final["records_count"]:
        raise RuntimeError(f"{label}: the cleanup did not complete exactly: {final}")
    progress(f"  {label}: {final['records_count']} skus, {items_before - items_after} items in {seconds:.1f}s, "
             f"create {create_ms:.0f} ms (records_count in the 201: {created['attributes']['records_count']}), "
             f"peak {peak / 2**20:.1f} MB")
    return {"records": final["records_count"], "items": items_before - items_after, "create_ms": round(create_ms, 1),
            "records_count_in_201": created["attributes"]["records_count"], "seconds": round(seconds, 1),
            "records_per_second": round(final["records_count"] / seconds, 1),
            "items_per_second": round((items_before - items_after) / seconds, 1),
            "peak_traced_mb": round(peak / 2**20, 2)}


def run(stack: BenchStack, small: Tenant, large: Tenant, workers: int, backend: str) -> dict[str, Any]:
    """The row: the skus of `small` (the dev live tenant) and `large` (test), nothing else of theirs, each
    cleaned up whole."""
    raised, previous = {"MAX_CLEANUP_RECORDS": CAP}, {"MAX_CLEANUP_RECORDS": os.environ.get("MAX_CLEANUP_RECORDS")}
    os.environ.update(raised)  # settings are read per request and message: the stack sees it at once
    try:
        progress(f"large_cleanup[{backend}]: warm-up, small, then large")
        warm_up(Api(stack.api_url, DEV_LIVE_CLIENT))
        small_run = measure(Api(stack.api_url, DEV_LIVE_CLIENT), small, "small")
        large_run = measure(Api(stack.api_url, DEV_TEST_CLIENT), large, "large")
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    row: dict[str, Any] = {
        "name": "large_cleanup", "backend": backend, "workers": workers, **large_run,
        "small": small_run, "memory_ratio": round(large_run["peak_traced_mb"] / small_run["peak_traced_mb"], 2),
        "size_ratio": round(large_run["records"] / small_run["records"], 2),
        "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    return row


def row(skus: int, workers: int) -> dict[str, Any]:
    """The row on a DynamoDB Local stack of its own: the dev live tenant holds the small set, test the large."""
    stack = BenchStack("dynamodb-local", workers=workers).start()
    try:
        small, large = tenant_of(DEV_LIVE_CLIENT), tenant_of(DEV_TEST_CLIENT)
        progress(f"large_cleanup: seeding {skus // 10} + {skus} skus (6 items each)")
        seed_sets([(small, skus // 10), (large, skus)], chunk=10_000)
        return run(stack, small, large, workers, "dynamodb-local")
    finally:
        stack.stop()


def main() -> int:
    rows = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stdout carries the row alone
    rows.write(json.dumps(row(int(os.environ.get("BENCH_LARGE_SKUS") or 100_000),
                              int(os.environ.get("WORKERS") or 2))) + "\n")
    return 0


if __name__ == "__main__":  # spawned seeding processes import this module too
    sys.exit(main())
