"""`python -m bench` (`make bench`): every benchmark row, one JSON object per line on stdout.

Per backend (DynamoDB Local, then moto's DynamoDB) one stack runs inside this process (see
`bench.stack`), one seeding serves every row: per BENCH_WORKERS value a set for the cleanup (the
live dev tenant, one seed tag each) and identical ones for the raw and the strict raw baselines
(a tenant each), one more for the cleanup with the archive off, and a large set (the test dev tenant) for
the selection row, whose first 10,000-sku tag the interrupt row then uses. The preview row
seeds its own skus (with five associated records each), the report row two sets of BENCH_RECORDS.
Progress goes to stderr.

Environment: BENCH_RECORDS (10000), BENCH_SELECTION_RECORDS (100000), BENCH_BACKENDS
("dynamodb-local,moto"), BENCH_MOTO_RECORDS (2000) and BENCH_MOTO_SELECTION_RECORDS (10000):
moto's Query walks the whole table on every page, so its sets are smaller, and labelled.
WORKERS (2): pollers of the work queue; BENCH_WORKERS ("1,2,4"): the pollers (and raw threads)
of each `cleanup_throughput` row. On DynamoDB Local, row `tenant_fairness` seeds its own tenants'
sets (`bench.tenant_fairness`: BENCH_FAIRNESS_RECORDS (BENCH_RECORDS) skus a cleanup of A,
BENCH_FAIRNESS_GATES ("off,on")), and row `backend_costs` measures the emulator's own CPU per
operation kind. BENCH_LARGE_SKUS (100,000; 0 skips it): the `large_cleanup` row, last, on a
DynamoDB Local stack of its own (`bench.large_cleanup`). The throttle row sizes itself
(`bench.throttle_accuracy`).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import (
    api_latency,
    backend_costs,
    capacity,
    cleanup_report,
    cleanup_throughput,
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


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def run_backend(backend: str, records: int, large: int, workers: int, concurrencies: list[int],
                out: Callable[[dict[str, Any]], None]) -> None:
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
        for row in selection_read_amplification.run(large_set, backend, note):
            out(row)
        rows, completed = cleanup_throughput.run(Api(stack.api_url, DEV_LIVE_CLIENT), stack, runs, off_set,
                                                 workers, backend, note)
        stack.resize(workers)
        for row in rows:
            out(row)
        if backend == "dynamodb-local":
            out(backend_costs.run(stack))
        interrupt_records = large_set.counts["skus"] // len(large_set.tags)
        row, _ = interrupt_latency.run(Api(stack.api_url, DEV_TEST_CLIENT), large_set.tenant, large_set.tags[0],
                                       interrupt_records, workers, backend, note)
        out(row)
        [report_set] = seed_sets([(tenant_of(DEV_TEST_CLIENT), 2 * records)], chunk=records, processes=2)
        out(cleanup_report.run(Api(stack.api_url, DEV_TEST_CLIENT), report_set.tenant, report_set.tags[:2], records,
                               backend, note))
        out(preview_latency.run(Api(stack.api_url, DEV_TEST_CLIENT), records, backend, note))
        out(list_cleanups_cost.run(Api(stack.api_url, DEV_TEST_CLIENT), large_set.tenant, backend, note))
        out(throttle_accuracy.run(Api(stack.api_url, DEV_LIVE_CLIENT), live, workers, backend, note))
        if backend == "dynamodb-local":
            for row in tenant_fairness.run(stack, _int("BENCH_FAIRNESS_RECORDS", records), tenant_fairness.gates(),
                                           backend):
                out(row)
        server, server_url = stack.server_process()
        try:
            out(api_latency.run(server_url, Api(server_url, DEV_LIVE_CLIENT), completed, backend, note))
        finally:
            server.stop()
    finally:
        stack.stop()
        progress(f"[{backend}] done in {time.monotonic() - started:.0f}s")


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    cleanup_report.install()  # before any botocore session: it counts the report's calls
    rows = rows_stream()

    def emit(row: dict[str, Any]) -> None:
        rows.write(json.dumps(row) + "\n")
    workers = _int("WORKERS", 2)
    concurrencies = [int(n) for n in (os.environ.get("BENCH_WORKERS") or "1,2,4").split(",") if n.strip()]
    emit(capacity.row())  # first: on moto in this process, before any stack points the clients elsewhere
    backends = [b.strip() for b in (os.environ.get("BENCH_BACKENDS") or "dynamodb-local,moto").split(",") if b.strip()]
    for backend in backends:
        if backend == "moto":
            records, large = _int("BENCH_MOTO_RECORDS", 2_000), _int("BENCH_MOTO_SELECTION_RECORDS", 10_000)
        else:
            records, large = _int("BENCH_RECORDS", 10_000), _int("BENCH_SELECTION_RECORDS", 100_000)
        run_backend(backend, records, large, workers, concurrencies, emit)
    large_skus = _int("BENCH_LARGE_SKUS", 100_000)
    if large_skus:
        emit(large_cleanup.row(large_skus, workers))
    return 0


if __name__ == "__main__":  # spawned seeding processes import this module too
    raise SystemExit(main())
