"""Row `interrupt_latency`: how long an `_interrupt` takes to answer, and whether its answer is final.

A cleanup of one seeded tag (10,000 skus) is interrupted once about half is processed.
`answer_ms` is the PATCH's round trip: the service answers once every sub-batch begun before the
interrupt is counted (terminal means final). `counts_moved_after_answer` is the final
`processed_count` (read once neither it nor the skus left changed for SETTLE_SECONDS) minus the
answer's; `deleted_after_answer` is the skus present just after the answer (one COUNT Query) minus
those present once settled. Both are 0 when the answer is final; `counts_settled` is the answer's.
The run checks processed_final == records actually gone (the counts are exact).
"""
from __future__ import annotations

import os
import time
from typing import Any

from bench.cleanup_throughput import wait_terminal
from bench.data import count_code_prefix, seed_sets
from bench.stack import DEV_TEST_CLIENT, Api, BenchStack, progress, run_alone, tenant_of
from chalicelib.config import get_settings

SETTLE_SECONDS = 10.0  # longer than a sub-batch takes on a loaded machine


def _settled(api: Api, cleanup_id: str, tenant: Any, prefix: str) -> tuple[dict[str, Any], int]:
    """The cleanup and the skus left once neither changed for SETTLE_SECONDS: a sub-batch in flight
    at the interrupt goes on deleting, and is counted only once it is done."""
    seen = (api.cleanup(cleanup_id), count_code_prefix(tenant, prefix))
    still_since = time.monotonic()
    while time.monotonic() - still_since < SETTLE_SECONDS:
        time.sleep(0.5)
        now = (api.cleanup(cleanup_id), count_code_prefix(tenant, prefix))
        if (now[0]["processed_count"], now[1]) != (seen[0]["processed_count"], seen[1]):
            seen, still_since = now, time.monotonic()
    return seen


def run(api: Api, tenant: Any, tag: str, records: int, workers: int, backend: str,
        note: str = "") -> tuple[dict[str, Any], str]:
    prefix = f"SEED-{tag}-"
    start = count_code_prefix(tenant, prefix)
    progress(f"interrupt_latency[{backend}]: cleanup of {start} skus, interrupted half-way")
    created = api.create_cleanup("skus", {"code_start": prefix})
    while True:
        attributes = api.cleanup(created["id"])
        if attributes["status"] != "pending" and attributes["processed_count"] >= records // 2:
            break
        if attributes["status"] in ("completed", "interrupted"):
            raise RuntimeError(f"the cleanup finished before the interrupt: {attributes}")
        time.sleep(0.05)
    asked = time.perf_counter()
    response = api.interrupt(created["id"])
    answered = time.perf_counter()
    if response.status_code != 200:
        raise RuntimeError(f"PATCH _interrupt: {response.status_code} {response.text[:300]}")
    present_after = count_code_prefix(tenant, prefix)
    lag_ms = (time.perf_counter() - answered) * 1000
    answer = response.json()["data"]["attributes"]
    at_200 = answer["processed_count"]
    wait_terminal(api, created["id"], timeout=300)
    final, present_final = _settled(api, created["id"], tenant, prefix)
    deleted = start - present_final
    progress(f"  200 said processed={at_200}; COUNT after 200={present_after}; final processed="
             f"{final['processed_count']} status={final['status']}; deleted in all={deleted}")
    if final["status"] != "interrupted" or final["processed_count"] != deleted:
        raise RuntimeError(f"processed_count {final['processed_count']} != records deleted {deleted}: {final}")
    sub_batch_size = get_settings().sub_batch_size
    row: dict[str, Any] = {
        "name": "interrupt_latency", "answer_ms": round((answered - asked) * 1000, 1),
        "counts_moved_after_answer": final["processed_count"] - at_200,
        "deleted_after_answer": present_after - present_final, "counts_settled": answer["counts_settled"],
        "answer_status": answer["status"], "sub_batch_size": sub_batch_size, "workers": workers,
        "backend": backend, "count_lag_ms": round(lag_ms, 1), "processed_at_answer": at_200,
        "processed_final": final["processed_count"], "records": start,
    }
    if note:
        row["note"] = note
    return row, created["id"]


def main() -> int:
    """`python -m bench.interrupt_latency`: the row alone, on BENCH_RECORDS (10,000) skus of its own."""
    records = int(os.environ.get("BENCH_RECORDS") or 10_000)

    def row(stack: BenchStack) -> dict[str, Any]:
        tenant = tenant_of(DEV_TEST_CLIENT)
        [seeded] = seed_sets([(tenant, records)], chunk=records, processes=1)
        return run(Api(stack.api_url, DEV_TEST_CLIENT), tenant, seeded.tags[0], records, stack.workers,
                   "dynamodb-local")[0]
    return run_alone(row)


if __name__ == "__main__":
    raise SystemExit(main())
