"""`python -m bench` (`make bench`): every benchmark row, one JSON object per line on stdout.

Per backend (DynamoDB Local, then moto's DynamoDB) one stack runs inside this process (see
`bench.stack`), one seeding serves every row: per BENCH_WORKERS value a set for the cleanup (the
live dev tenant, one seed tag each) and identical ones for the raw and the strict raw baselines
(a tenant each), one more for the cleanup with the archive off, and a large set (the test dev tenant) for
the selection row, whose first 10,000-sku tag the interrupt row then uses. The preview row
seeds its own skus (with four associated records each; `bench.preview_latency`), the report row two sets of
BENCH_RECORDS. Progress goes to stderr. Rows are isolated (`Rows`): a row that raises writes an error row
(`{"row", "backend", "error"}`) and the next rows still run; the exit status is 1 if any failed.

Environment: BENCH_RECORDS (10000), BENCH_SELECTION_RECORDS (100000), BENCH_BACKENDS
("dynamodb-local,moto"), BENCH_MOTO_RECORDS (2000) and BENCH_MOTO_SELECTION_RECORDS (10000):
moto's Query walks the whole table on every page, so its sets are smaller, and labelled.
WORKERS (2): pollers of the work queue; BENCH_WORKERS ("1,2,4"): the pollers (and raw threads)
of each `cleanup_throughput` row. On DynamoDB Local, row `tenant_fairness` seeds its own tenants'
sets (`bench.tenant_fairness`: BENCH_FAIRNESS_RECORDS (BENCH_RECORDS) skus a cleanup of A,
BENCH_FAIRNESS_GATES ("off,on")), row `backend_costs` measures the emulator's own CPU per
operation kind, and row `in_list_latency` seeds its own sets (BENCH_IN_LIST_MATCHED (1,000) skus
each). BENCH_LARGE_SKUS (100,000; 0 skips it): the `large_cleanup` row, last, on a DynamoDB Local
stack of its own (`bench.large_cleanup`). The throttle row sizes itself (`bench.throttle_accuracy`).
"""
from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from bench import (
    api_latency,
    backend_costs,
    capacity,
    cleanup_report,
    cleanup_throughput,
    in_list_latency,
    interrupt_latency,
    large_cleanup,
    list_cleanups_cost,
    preview_latency,
    selection_read_amplification,
    tenant_fairness,
    throttle_accuracy,
)
from bench.data import seed_sets
from bench.stack import DEV_LIVE_CLIENT, DEV_TEST_CLIENT, Api, BenchStack, progress, rows_stream, tenant_of
from chalicelib.config import get_settings

T = TypeVar("T")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


class Rows:
    """Writes rows and isolates them: a row that raises is written as an error row (its name, backend and reason)
    and the next rows still run; `failed` names the rows that did, for the exit status."""

    def __init__(self, write: Callable[[dict[str, Any]], object]) -> None:
        self.write = write
        self.failed: list[str] = []

    def attempt(self, row: str, backend: str, make: Callable[[], T]) -> T | None:
        """`make()`'s result; None, once an error row is written, if it raised."""
        try:
            return make()
        except Exception as error:  # noqa: BLE001 - any row's failure is reported, never the end of the run
            progress(f"row {row} [{backend}] failed: {type(error).__name__}: {error}")
            self.write({"row": row, "backend": backend, "error": f"{type(error).__name__}: {error}"})
            self.failed.append(f"{row}[{backend}]")
            return None

    def each(self, row: str, backend: str, make: Callable[[], Iterable[dict[str, Any]]]) -> None:
        for found in self.attempt(row, backend, lambda: list(make())) or []:
            self.write(found)

    def one(self, row: str, backend: str, make: Callable[[], dict[str, Any]]) -> None:
        self.each(row, backend, lambda: [make()])


def run_backend(backend: str, records: int, large: int, workers: int, concurrencies: list[int], rows: Rows) -> None:
    note = "" if backend == "dynamodb-local" else (
        f"moto's DynamoDB: {records} records per cleanup, a {large}-record type for selections (moto's Query "
        "walks the whole table on every page, so its Query-bound timings are the emulator's)")
    started = time.monotonic()
    stack = BenchStack(backend, workers=workers).start()
    try:
        limit = get_settings().max_cleanup_records
        if records > limit:
            raise SystemExit(f"BENCH_RECORDS={records} is over MAX_CLEANUP_RECORDS={limit}: one cleanup cannot take it")
        sets = 3 * len(concurrencies) + 1
        progress(f"[{backend}] seeding {records} x {sets} + {large} skus (6 items each)")
        # The large set in chunks of `records` skus (one tag each): the interrupt row cleans up one tag.
        live = tenant_of(DEV_LIVE_CLIENT)
        runs, off_set, (large_set,) = cleanup_throughput.seed_runs(concurrencies, records,
                                                                    (tenant_of(DEV_TEST_CLIENT), large))
        progress(f"[{backend}] seeded in {time.monotonic() - started:.0f}s")
        rows.each("selection_read_amplification", backend,
                  lambda: selection_read_amplification.run(large_set, backend, note))
        throughput = rows.attempt("cleanup_throughput", backend, lambda: cleanup_throughput.run(
            Api(stack.api_url, DEV_LIVE_CLIENT), stack, runs, off_set, workers, backend, note))
        stack.resize(workers)
        for row in throughput[0] if throughput else []:
            rows.write(row)
        if backend == "dynamodb-local":
            rows.one("backend_costs", backend, lambda: backend_costs.run(stack))
        interrupt_records = large_set.counts["skus"] // len(large_set.tags)
        rows.one("interrupt_latency", backend, lambda: interrupt_latency.run(
            Api(stack.api_url, DEV_TEST_CLIENT), large_set.tenant, large_set.tags[0], interrupt_records, workers,
            backend, note)[0])
        rows.one("cleanup_report", backend, lambda: _report_row(Api(stack.api_url, DEV_TEST_CLIENT), records,
                                                                 backend, note))
        rows.one("preview_latency", backend,
                 lambda: preview_latency.run(stack, records, records, _int("BENCH_PREVIEW_ESTIMATE_RECORDS", 2000),
                                             _int("BENCH_PREVIEW_BURNERS", 4)))
        rows.one("list_cleanups_cost", backend, lambda: list_cleanups_cost.run(
            Api(stack.api_url, DEV_TEST_CLIENT), large_set.tenant, backend, note))
        if backend == "dynamodb-local":
            rows.one("in_list_latency", backend, lambda: in_list_latency.run(
                Api(stack.api_url, DEV_TEST_CLIENT), _int("BENCH_IN_LIST_MATCHED", 1_000), backend))
        rows.one("throttle_accuracy", backend,
                 lambda: throttle_accuracy.run(Api(stack.api_url, DEV_LIVE_CLIENT), live, workers, backend, note))
        if backend == "dynamodb-local":
            rows.each("tenant_fairness", backend, lambda: tenant_fairness.run(
                stack, _int("BENCH_FAIRNESS_RECORDS", records), tenant_fairness.gates(), backend))
        rows.one("api_latency", backend, lambda: _api_latency(stack, throughput[1] if throughput else None, note))
    finally:
        stack.stop()
        progress(f"[{backend}] done in {time.monotonic() - started:.0f}s")


def _report_row(api: Api, records: int, backend: str, note: str) -> dict[str, Any]:
    """Row `cleanup_report` on two fresh sets of `records` skus (one cleanup with errors, one interrupted)."""
    [report_set] = seed_sets([(tenant_of(DEV_TEST_CLIENT), 2 * records)], chunk=records, processes=2)
    return cleanup_report.run(api, report_set.tenant, report_set.tags[:2], records, backend, note)


def _api_latency(stack: BenchStack, completed: Any, note: str) -> dict[str, Any]:
    if completed is None:
        raise RuntimeError("no completed cleanup to read: row cleanup_throughput failed")
    return api_latency.run_on_server(stack, completed, note)


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    cleanup_report.install()  # before any botocore session: it counts the report's calls
    stream = rows_stream()
    rows = Rows(lambda row: stream.write(json.dumps(row) + "\n"))
    workers = _int("WORKERS", 2)
    concurrencies = [int(n) for n in (os.environ.get("BENCH_WORKERS") or "1,2,4").split(",") if n.strip()]
    # First: on moto in this process, before any stack points the clients elsewhere.
    rows.one("capacity", "moto", capacity.row)
    backends = [b.strip() for b in (os.environ.get("BENCH_BACKENDS") or "dynamodb-local,moto").split(",") if b.strip()]
    for backend in backends:
        if backend == "moto":
            records, large = _int("BENCH_MOTO_RECORDS", 2_000), _int("BENCH_MOTO_SELECTION_RECORDS", 10_000)
        else:
            records, large = _int("BENCH_RECORDS", 10_000), _int("BENCH_SELECTION_RECORDS", 100_000)
        # A backend whose stack or seeding fails writes its error row; the next backend still runs.
        rows.attempt("stack", backend, functools.partial(run_backend, backend, records, large, workers, concurrencies,
                                                         rows))
    large_skus = _int("BENCH_LARGE_SKUS", 100_000)
    if large_skus:
        rows.one("large_cleanup", "dynamodb-local", lambda: large_cleanup.row(large_skus, workers))
    if rows.failed:
        progress(f"rows that failed: {', '.join(rows.failed)}")
    return 1 if rows.failed else 0


if __name__ == "__main__":  # spawned seeding processes import this module too
    raise SystemExit(main())
