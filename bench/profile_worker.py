"""`python -m bench.profile_worker`: where one worker's time goes, by cProfile, on PROFILE_RECORDS (10000) skus.

One poller (WORKERS=1) on DynamoDB Local, after `cleanup_throughput`'s unprofiled warm-up
round, runs a cleanup of freshly seeded skus; every
`process_batch` call runs under one cProfile profiler (wall-clock time, so waiting on
DynamoDB and S3 shows up as socket reads). Prints the run's figures and the top entries by
cumulative and by own time to stdout; PROFILE_OUT names a file for the raw pstats dump.
Threads the worker starts are not profiled: their waits show up in the calls that join them.
"""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import cleanup_throughput
from bench.data import seed_sets
from bench.stack import DEV_LIVE_CLIENT, Api, BenchStack, progress, rows_stream, tenant_of
from chalicelib import cleanups

TOP = 25


def profiled(profiler: cProfile.Profile, function: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        profiler.enable()
        try:
            return function(*args, **kwargs)
        finally:
            profiler.disable()
    return run


def report(profiler: cProfile.Profile, sort: str, top: int = TOP) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(top)
    return out.getvalue()


def main() -> int:
    records = int(os.environ.get("PROFILE_RECORDS") or 10_000)
    out = rows_stream()  # the app's log lines go to stderr, the report alone to stdout
    stack = BenchStack("dynamodb-local", workers=1).start()
    profiler = cProfile.Profile()
    try:
        progress(f"seeding {records} skus (6 items each)")
        (seeded,) = seed_sets([(tenant_of(DEV_LIVE_CLIENT), records)], chunk=records)
        cleanup_throughput.warm_up(Api(stack.api_url, DEV_LIVE_CLIENT), stack, workers=1)  # the emulator's JIT
        cleanups.process_batch = profiled(profiler, cleanups.process_batch)  # type: ignore[attr-defined]
        started = time.monotonic()
        run = cleanup_throughput.run_cleanup(Api(stack.api_url, DEV_LIVE_CLIENT), seeded, "profiled, 1 worker")
        progress(f"cleanup in {run.seconds:.2f}s ({time.monotonic() - started:.0f}s with polling)")
    finally:
        stack.stop()
    if os.environ.get("PROFILE_OUT"):
        profiler.dump_stats(os.environ["PROFILE_OUT"])
    out.write(f"records {run.records}, items {run.items_deleted}, cleanup_s {run.seconds:.2f}, "
              f"records_per_s {run.records / run.seconds:.1f}\n")
    out.write(report(profiler, "cumulative"))
    out.write(report(profiler, "tottime"))
    return 0


if __name__ == "__main__":  # spawned seeding processes import this module too
    sys.exit(main())
