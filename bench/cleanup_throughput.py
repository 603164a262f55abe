"""Rows `cleanup_throughput` (one per WORKERS value) and `cleanup_cost`: seeded sets deleted by cleanups and raw.

Per WORKERS value, three identical seeded sets one after the other on the same stack: a cleanup
with the write-ahead archive (the default) run by that many pollers, the raw baseline
(`bench.raw`: the issue's `ratio_vs_raw`) and the strict raw baseline (`bench.raw_strict`: the
cleanup's guarantees by hand, so `ratio_vs_raw_strict` is what orchestration costs on top of
them) run by as many threads. At the default WORKERS a third set is cleaned up with
ARCHIVE_DELETES=0 (the worker reads its settings per message, so the variable switches it for
the next cleanup). On DynamoDB Local, before the first WORKERS value, a warm-up round of
WARM_UP_RECORDS skus runs all three unreported: the emulator's JIT compiles the paths each
variant takes on first use, so without it the first variant measured (the cleanup at 1 worker)
paid for the others. cleanup_s runs from just before the POST to the cleanup's
`completed_at` (stamped by the server in this process, same clock), so the polling interval
adds nothing to it. Calls are every AWS call counted by `bench.calls` over a cleanup (API,
workers, the pollers' receives and deletes, the reconciler), less the status polls' own
(measured per GET after the run, when nothing else touches AWS); see `bench.cost`. On DynamoDB
Local each variant's `*_backend_cpu_s` is the emulator process's CPU over it (`bench.backend_costs`).
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from bench import cost
from bench.backend_costs import process_cpu
from bench.data import NAMING_TYPES, SeededSet, count_deletable, seed_sets
from bench.raw import RawOutcome, raw_delete
from bench.raw_strict import raw_strict_delete
from bench.stack import DEV_LIVE_CLIENT, Api, BenchStack, progress, rows_stream, tenant_of
from chalicelib.config import get_settings
from chalicelib.tenancy import Tenant, parse_iso

T = TypeVar("T")
POLL_SECONDS = 0.5
WARM_UP_RECORDS = 1_000
ARCHIVE_RATIO_GOAL = 0.8
RAW_RATIO_GOAL = 0.8


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


@dataclass(frozen=True)
class Concurrency:
    """One WORKERS value: its cleanup's set and its raw baselines' (same shape, a tenant each)."""

    workers: int
    cleanup_set: SeededSet
    raw_set: SeededSet
    strict_set: SeededSet


def _throughput_row(workers: int, on: CleanupRun, raw: RawOutcome, strict: RawOutcome, on_cost: dict[str, float],
                    cpu: dict[str, float], backend: str, note: str) -> dict[str, Any]:
    records = on.records
    row: dict[str, Any] = {
        "name": "cleanup_throughput", "workers": workers, "raw_threads": raw.threads, "records": records,
        "items_deleted": on.items_deleted, "cleanup_s": round(on.seconds, 2),
        "records_per_s": round(records / on.seconds, 1), "raw_s": round(raw.seconds, 2),
        "raw_records_per_s": round(records / raw.seconds, 1),
        "ratio_vs_raw": round(raw.seconds / on.seconds, 3), "ratio_vs_raw_goal": RAW_RATIO_GOAL,
        "raw_strict_threads": strict.threads, "raw_strict_s": round(strict.seconds, 2),
        "raw_strict_calls_per_1k": round(1000 * strict.calls / records, 1),
        "ratio_vs_raw_strict": round(strict.seconds / on.seconds, 3),
        "calls_per_1k": on_cost["calls_per_1k"], "min_calls_per_1k": on_cost["min_calls_per_1k"],
        "calls_vs_min": on_cost["calls_vs_min"], "calls_vs_min_goal": cost.CALLS_GOAL, "backend": backend,
    }
    row.update({f"{variant}_backend_cpu_s": round(seconds, 2) for variant, seconds in cpu.items()})
    if note:
        row["note"] = note
    return row


def _raw(raw_set: SeededSet, threads: int) -> tuple[RawOutcome, cost.Usage]:
    before = cost.snapshot()
    raw = raw_delete(raw_set.tenant, threads)
    usage = cost.since(before).only("dynamodb")  # the pollers' idle receives go on meanwhile
    progress(f"  raw x{threads}: {raw.seconds:.2f}s, {raw.items_deleted} items, {raw.calls} calls")
    return raw, usage


class _BackendCpu:
    """The emulator's CPU seconds over each variant, by name (none on moto: it serves SQS and S3 too)."""

    def __init__(self, stack: BenchStack) -> None:
        self.pid = stack.child_pid("DynamoDB Local") if stack.backend == "dynamodb-local" else None
        self.seconds: dict[str, float] = {}

    def over(self, variant: str, work: Callable[..., T], *args: Any) -> T:
        if self.pid is None:
            return work(*args)
        before = process_cpu(self.pid)
        result = work(*args)
        self.seconds[variant] = process_cpu(self.pid) - before
        return result


def _raw_strict(strict_set: SeededSet, threads: int) -> RawOutcome:
    strict = raw_strict_delete(strict_set.tenant, threads)
    progress(f"  raw strict x{threads}: {strict.seconds:.2f}s, {strict.items_deleted} items, {strict.calls} calls")
    return strict


def warm_up(api: Api, stack: BenchStack, workers: int) -> None:
    """The three variants once each, at `workers`, on WARM_UP_RECORDS skus seeded for them; unmeasured."""
    cleanup_set, raw_set, strict_set = seed_sets([(tenant_of(DEV_LIVE_CLIENT), WARM_UP_RECORDS),
                                                  (Tenant("BenchWarmUpRaw", "test"), WARM_UP_RECORDS),
                                                  (Tenant("BenchWarmUpStrict", "test"), WARM_UP_RECORDS)])
    progress(f"  warm-up at {workers} workers: cleanup, raw and raw strict of {WARM_UP_RECORDS} skus each")
    stack.resize(workers)
    run_cleanup(api, cleanup_set, "warm-up")
    raw_delete(raw_set.tenant, workers)
    raw_strict_delete(strict_set.tenant, workers)


def run(api: Api, stack: BenchStack, runs: Sequence[Concurrency], off_set: SeededSet, default_workers: int,
        backend: str, note: str = "") -> tuple[list[dict[str, Any]], str]:
    """A `cleanup_throughput` row per WORKERS value (the raw baseline at as many threads), the archive-off
    comparison and `cleanup_cost` at `default_workers`; the id of a cleanup completed with the archive on."""
    rows: list[dict[str, Any]] = []
    costs: list[dict[str, Any]] = []
    completed = ""
    if runs and backend == "dynamodb-local":  # a JIT to warm up; moto's table would only grow
        warm_up(api, stack, runs[0].workers)
    for concurrency in runs:
        workers = concurrency.workers
        progress(f"cleanup_throughput[{backend}] WORKERS={workers}: cleanup, raw at {workers} threads")
        stack.resize(workers)
        cpu = _BackendCpu(stack)
        on = cpu.over("cleanup", run_cleanup, api, concurrency.cleanup_set, f"archive on, {workers} workers")
        raw, raw_usage = cpu.over("raw", _raw, concurrency.raw_set, workers)
        # moto server's transactions are not thread-safe (`bench.stack`): there the strict baseline runs alone.
        strict = cpu.over("raw_strict", _raw_strict, concurrency.strict_set, 1 if backend == "moto" else workers)
        if not on.items_deleted == raw.items_deleted == strict.items_deleted:
            raise RuntimeError(f"the sets differ: {on.items_deleted} vs {raw.items_deleted} vs "
                               f"{strict.items_deleted} items")
        records, items = on.records, on.items_deleted
        sub_batches = math.ceil(records / get_settings().sub_batch_size)
        on_cost = cost.per_1k(on.usage, records, cost.min_calls(items, items, sub_batches))
        row = _throughput_row(workers, on, raw, strict, on_cost, cpu.seconds, backend, note)
        completed = on.id
        if workers == default_workers:
            with archive_off():
                off = run_cleanup(api, off_set, f"archive off, {workers} workers")
            naming = sum(off_set.counts[kind] for kind in NAMING_TYPES)
            row.update({"archive_off_s": round(off.seconds, 2),
                        "archive_off_records_per_s": round(records / off.seconds, 1),
                        "ratio_archive_on_vs_off": round(off.seconds / on.seconds, 3),
                        "ratio_archive_on_vs_off_goal": ARCHIVE_RATIO_GOAL})
            variants = {"archive_on": on_cost,
                        "archive_off": cost.per_1k(off.usage, records, cost.min_calls(items, naming, 0)),
                        "raw": cost.per_1k(raw_usage, records, items / cost.BATCH_WRITE_PER_CALL)}
            costs.append(cost.row(records, items, variants, backend, note))
        rows.append(row)
    return rows + costs, completed


def raw_tenant(workers: int) -> Tenant:
    """The raw baseline's tenant at `workers` threads: it deletes whole partitions."""
    return Tenant(f"BenchRaw{workers}", "test")


def strict_tenant(workers: int) -> Tenant:
    """The strict raw baseline's tenant at `workers` threads (`bench.raw_strict`)."""
    return Tenant(f"BenchStrict{workers}", "test")


def seed_runs(concurrencies: Sequence[int], records: int,
              *more: tuple[Tenant, int]) -> tuple[list[Concurrency], SeededSet, list[SeededSet]]:
    """Per WORKERS value a cleanup set (the live dev tenant) and its two baselines' (a tenant each), the
    archive-off set, and `more` sets, seeded in one go in chunks of `records` skus (one tag each)."""
    live = tenant_of(DEV_LIVE_CLIENT)
    wanted = [(tenant, records) for n in concurrencies for tenant in (live, raw_tenant(n), strict_tenant(n))]
    seeded = seed_sets([*wanted, (live, records), *more], chunk=records)
    runs = [Concurrency(n, *seeded[3 * i:3 * i + 3]) for i, n in enumerate(concurrencies)]
    return runs, seeded[len(wanted)], seeded[len(wanted) + 1:]


def main() -> int:
    """`python -m bench.cleanup_throughput`: these rows alone on DynamoDB Local (BENCH_RECORDS, BENCH_WORKERS)."""
    import json

    rows = rows_stream()
    records = int(os.environ.get("BENCH_RECORDS") or 2_000)
    concurrencies = [int(n) for n in (os.environ.get("BENCH_WORKERS") or "1,2,4").split(",") if n.strip()]
    default_workers = int(os.environ.get("WORKERS") or 2)
    stack = BenchStack("dynamodb-local", workers=default_workers).start()
    try:
        runs, off_set, _ = seed_runs(concurrencies, records)
        found, _ = run(Api(stack.api_url, DEV_LIVE_CLIENT), stack, runs, off_set, default_workers, "dynamodb-local")
    finally:
        stack.stop()
    for row in found:
        rows.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":  # spawned seeding processes import this module too
    raise SystemExit(main())
