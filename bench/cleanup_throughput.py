"""Row `cleanup_throughput`: a seeded set deleted by a cleanup vs. the same set deleted raw.

cleanup_s runs from just before the POST to the cleanup's `completed_at` (stamped by
the server in this process, same clock), so the polling interval adds nothing to it.
Calls are every AWS call counted by `bench.calls` over the cleanup (API, workers,
the pollers' receives and deletes, the reconciler), less the status polls' own calls
(measured per GET after the run, when nothing else touches DynamoDB).
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench import calls as aws_calls
from bench.data import SeededSet, count_deletable
from bench.raw import raw_delete
from bench.stack import Api, progress
from chalicelib.tenancy import parse_iso

POLL_SECONDS = 0.5


def _dynamodb_calls(counts: Counter[str] | dict[str, int]) -> int:
    return sum(n for op, n in counts.items() if op.startswith("dynamodb."))


def wait_terminal(api: Api, cleanup_id: str, timeout: float) -> tuple[dict[str, Any], int]:
    """The cleanup once completed or interrupted, and how many GETs that took."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        attributes = api.cleanup(cleanup_id)
        polls += 1
        if attributes["status"] in ("completed", "interrupted"):
            return attributes, polls
        if time.monotonic() > deadline:
            raise RuntimeError(f"cleanup {cleanup_id} still {attributes['status']} after {timeout:.0f}s")
        time.sleep(POLL_SECONDS)


def calls_per_get(api: Api, cleanup_id: str, samples: int = 10) -> float:
    before = aws_calls.counts()
    for _ in range(samples):
        api.cleanup(cleanup_id)
    return _dynamodb_calls(aws_calls.delta(before, aws_calls.counts())) / samples


def run(api: Api, cleanup_set: SeededSet, raw_set: SeededSet, backend: str,
        note: str = "") -> tuple[dict[str, Any], str]:
    """The row, and the completed cleanup's id."""
    records = cleanup_set.counts["skus"]
    before_items = count_deletable(cleanup_set.tenant)
    progress(f"cleanup_throughput[{backend}]: cleanup of {records} skus ({before_items} items)")
    tag = cleanup_set.tags[0]
    calls_before = aws_calls.counts()
    started = time.time()
    created = api.create_cleanup("skus", {"code_start": f"SEED-{tag}-"})
    progress(f"  POST answered after {time.time() - started:.2f}s")
    final, polls = wait_terminal(api, created["id"], timeout=900)
    time.sleep(1.0)  # the last message's delete follows the handler's return
    window = aws_calls.delta(calls_before, aws_calls.counts())
    if final["status"] != "completed" or final["processed_count"] != records:
        raise RuntimeError(f"cleanup did not complete every record: {final}")
    cleanup_s = parse_iso(final["completed_at"]).timestamp() - started
    per_get = calls_per_get(api, created["id"])
    calls = sum(window.values()) - per_get * polls
    items_deleted = before_items - count_deletable(cleanup_set.tenant)
    progress(f"  cleanup {cleanup_s:.2f}s, {items_deleted} items, {sum(window.values())} calls "
             f"({polls} polls x {per_get:.1f} removed): {dict(sorted(window.items()))}")
    progress(f"cleanup_throughput[{backend}]: raw delete of {raw_set.counts['skus']} skus")
    raw = raw_delete(raw_set.tenant)
    progress(f"  raw {raw.seconds:.2f}s, {raw.items_deleted} items, {raw.calls} calls")
    if raw.items_deleted != items_deleted:
        raise RuntimeError(f"the raw set ({raw.items_deleted} items) differs from the cleanup's ({items_deleted})")
    row: dict[str, Any] = {
        "name": "cleanup_throughput", "records": records, "items_deleted": items_deleted,
        "cleanup_s": round(cleanup_s, 2), "raw_s": round(raw.seconds, 2),
        "ratio_vs_raw": round(raw.seconds / cleanup_s, 3),
        "calls_per_1k": round(calls * 1000 / records, 1),
        "min_calls_per_1k": round(items_deleted * 1000 / records / 25, 1),
        "backend": backend,
    }
    if note:
        row["note"] = note
    return row, created["id"]
