"""Rows `cleanup_throughput` and `cleanup_cost`: seeded sets deleted by cleanups and raw.

Three identical seeded sets, one after the other on the same stack: a cleanup with the
write-ahead archive (the default), a cleanup with ARCHIVE_DELETES=0 (the worker reads its
settings per message, so the variable switches it for the next cleanup), and the raw
baseline (`bench.raw`). cleanup_s runs from just before the POST to the cleanup's
`completed_at` (stamped by the server in this process, same clock), so the polling interval
adds nothing to it. Calls are every AWS call counted by `bench.calls` over a cleanup (API,
workers, the pollers' receives and deletes, the reconciler), less the status polls' own
(measured per GET after the run, when nothing else touches AWS); see `bench.cost`.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench import cost
from bench.data import NAMING_TYPES, SeededSet, count_deletable
from bench.raw import raw_delete
from bench.stack import Api, progress
from chalicelib.config import get_settings
from chalicelib.tenancy import parse_iso

POLL_SECONDS = 0.5
ARCHIVE_RATIO_GOAL = 0.8
RAW_RATIO_GOAL = 0.5


@dataclass(frozen=True)
class CleanupRun:
    id: str
    records: int
    items_deleted: int
    seconds: float
    usage: cost.Usage  # the status polls' own calls taken out


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


def polls_usage(api: Api, cleanup_id: str, samples: int) -> cost.Usage:
    """What `samples` status GETs cost."""
    before = cost.snapshot()
    for _ in range(samples):
        api.cleanup(cleanup_id)
    return cost.since(before)


@contextmanager
def archive_off() -> Iterator[None]:
    previous = os.environ.get("ARCHIVE_DELETES")
    os.environ["ARCHIVE_DELETES"] = "0"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["ARCHIVE_DELETES"]
        else:
            os.environ["ARCHIVE_DELETES"] = previous


def run_cleanup(api: Api, seeded: SeededSet, label: str) -> CleanupRun:
    """A cleanup of the set's skus (one seed tag)."""
    records, tag = seeded.counts["skus"], seeded.tags[0]
    before_items = count_deletable(seeded.tenant)
    progress(f"  cleanup ({label}) of {records} skus, tag {tag}")
    before = cost.snapshot()
    started = time.time()
    created = api.create_cleanup("skus", {"code_start": f"SEED-{tag}-"})
    final, polls = wait_terminal(api, created["id"], timeout=900)
    time.sleep(1.0)  # the last message's delete follows the handler's return
    window = cost.since(before)
    if final["status"] != "completed" or final["processed_count"] != records:
        raise RuntimeError(f"cleanup did not complete every record: {final}")
    seconds = parse_iso(final["completed_at"]).timestamp() - started
    samples = 10
    usage = window.minus(polls_usage(api, created["id"], samples), polls / samples)
    items_deleted = before_items - count_deletable(seeded.tenant)
    progress(f"  {label}: {seconds:.2f}s, {items_deleted} items, {sum(window.calls.values())} calls "
             f"({polls} polls removed): {dict(sorted(window.calls.items()))}")
    return CleanupRun(created["id"], records, items_deleted, seconds, usage)


def run(api: Api, on_set: SeededSet, off_set: SeededSet, raw_set: SeededSet, backend: str,
        note: str = "") -> tuple[list[dict[str, Any]], str]:
    """The two rows, and the id of the cleanup completed with the archive on."""
    progress(f"cleanup_throughput[{backend}]: archive on, archive off, raw")
    on = run_cleanup(api, on_set, "archive on")
    with archive_off():
        off = run_cleanup(api, off_set, "archive off")
    before = cost.snapshot()
    raw = raw_delete(raw_set.tenant)
    raw_usage = cost.since(before).only("dynamodb")  # the pollers' idle receives go on meanwhile
    progress(f"  raw: {raw.seconds:.2f}s, {raw.items_deleted} items, {raw.calls} calls")
    if not on.items_deleted == off.items_deleted == raw.items_deleted:
        raise RuntimeError(f"the sets differ: {on.items_deleted}, {off.items_deleted}, {raw.items_deleted} items")
    records, items = on.records, on.items_deleted
    naming = sum(on_set.counts[kind] for kind in NAMING_TYPES)
    sub_batches = math.ceil(records / get_settings().sub_batch_size)
    on_cost = cost.per_1k(on.usage, records, cost.min_calls(items, items, sub_batches))
    throughput: dict[str, Any] = {
        "name": "cleanup_throughput", "records": records, "items_deleted": items,
        "cleanup_s": round(on.seconds, 2), "records_per_s": round(records / on.seconds, 1),
        "raw_s": round(raw.seconds, 2),
        "ratio_vs_raw": round(raw.seconds / on.seconds, 3), "ratio_vs_raw_goal": RAW_RATIO_GOAL,
        "archive_off_s": round(off.seconds, 2), "archive_off_records_per_s": round(records / off.seconds, 1),
        "ratio_archive_on_vs_off": round(off.seconds / on.seconds, 3),
        "ratio_archive_on_vs_off_goal": ARCHIVE_RATIO_GOAL,
        "calls_per_1k": on_cost["calls_per_1k"], "min_calls_per_1k": on_cost["min_calls_per_1k"],
        "calls_vs_min": on_cost["calls_vs_min"], "calls_vs_min_goal": cost.CALLS_GOAL, "backend": backend,
    }
    if note:
        throughput["note"] = note
    variants = {"archive_on": on_cost,
                "archive_off": cost.per_1k(off.usage, records, cost.min_calls(items, naming, 0)),
                "raw": cost.per_1k(raw_usage, records, items / cost.BATCH_WRITE_PER_CALL)}
    return [throughput, cost.row(records, items, variants, backend, note)], on.id
