"""Row `tenant_fairness`: a small cleanup of one tenant while another's ten large ones hold the queue.

Tenant A (the live dev tenant) creates ten cleanups of BENCH_FAIRNESS_RECORDS skus each;
2 s later tenant B (the test dev tenant) creates a cleanup of 100 skus. `b_loaded_seconds`
is B's time to complete (its `completed_at` minus its `created_at`), `b_idle_seconds` the
same cleanup's on the idle stack just before, `one_batch_seconds` a cleanup of one batch
(BATCH_SIZE skus) on the idle stack, after an unmeasured one of as many: DynamoDB Local's JIT
compiles a cleanup's paths on first use, and a cold first batch would widen the goal. Goal:
`b_loaded_seconds` <= 2 x `b_idle_seconds` plus one batch. One row per gate setting:
TENANT_MAX_WORKERS at half the pollers ("on", as the worker's MaximumConcurrency of 10 has 5
on AWS) and 0 ("off").

`python -m bench.tenant_fairness` runs the row alone on DynamoDB Local: BENCH_FAIRNESS_RECORDS
(10000, the issue's size), WORKERS (4) pollers, BENCH_FAIRNESS_GATES ("off,on"),
BENCH_FAIRNESS_INTERRUPT_A ("1": once B has completed, A's cleanups are interrupted rather than
waited for, and `a_seconds` reads "interrupted"; for sizes where A's hundreds of batches take long).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime
from typing import Any

from bench.cleanup_throughput import wait_terminal
from bench.data import seed_sets
from bench.stack import DEV_LIVE_CLIENT, DEV_TEST_CLIENT, Api, BenchStack, progress, rows_stream, tenant_of
from chalicelib.config import get_settings
from devstack.sqs_consumer import fair_share

A_CLEANUPS = 10
B_SKUS = 100
HEAD_START_SECONDS = 2.0


def _seconds(attributes: dict[str, Any]) -> float:
    created = datetime.fromisoformat(attributes["created_at"].replace("Z", "+00:00"))
    completed = datetime.fromisoformat(attributes["completed_at"].replace("Z", "+00:00"))
    return (completed - created).total_seconds()


def _cleanup_seconds(api: Api, tag: str) -> float:
    created = api.create_cleanup("skus", {"code_start": f"SEED-{tag}-"})
    final, _ = wait_terminal(api, created["id"], timeout=900)
    if final["status"] != "completed":
        raise RuntimeError(f"cleanup of {tag} ended {final['status']}")
    return _seconds(final)


def seed(records: int, gates: int) -> tuple[list[str], list[str], list[str]]:
    """A's tags (ten per gate setting), B's 100-sku tags (idle and loaded per setting), B's two one-batch
    tags (the warm-up's, the measured one's)."""
    a_set = seed_sets([(tenant_of(DEV_LIVE_CLIENT), A_CLEANUPS * gates * records)], chunk=records)[0]
    b_set = seed_sets([(tenant_of(DEV_TEST_CLIENT), 2 * gates * B_SKUS)], chunk=B_SKUS)[0]
    batch_set = seed_sets([(tenant_of(DEV_TEST_CLIENT), 2 * get_settings().batch_size)],
                          chunk=get_settings().batch_size)[0]
    return list(a_set.tags), list(b_set.tags), list(batch_set.tags)


def run_gate(stack: BenchStack, limit: int, a_tags: list[str], b_tags: list[str], one_batch: float,
             records: int, backend: str) -> dict[str, Any]:
    """One scenario with TENANT_MAX_WORKERS = `limit` (0: no gate)."""
    os.environ["TENANT_MAX_WORKERS"] = str(limit)  # the pollers run in this process and read it per message
    a_api, b_api = Api(stack.api_url, DEV_LIVE_CLIENT), Api(stack.api_url, DEV_TEST_CLIENT)
    idle = _cleanup_seconds(b_api, b_tags[0])
    progress(f"tenant_fairness[{backend}] gate {limit or 'off'}: B idle {idle:.2f}s; A creates "
             f"{A_CLEANUPS} x {records}")
    started = time.monotonic()
    a_ids = [a_api.create_cleanup("skus", {"code_start": f"SEED-{tag}-"})["id"] for tag in a_tags]
    time.sleep(HEAD_START_SECONDS)
    loaded = _cleanup_seconds(b_api, b_tags[1])
    interrupt_a = os.environ.get("BENCH_FAIRNESS_INTERRUPT_A") == "1"
    progress(f"  B loaded {loaded:.2f}s; {'interrupting' if interrupt_a else 'waiting for'} A")
    for cleanup_id in a_ids if interrupt_a else []:
        a_api.interrupt(cleanup_id)  # one already completed refuses: it is terminal all the same
    for cleanup_id in a_ids:
        wait_terminal(a_api, cleanup_id, timeout=3600)
    a_seconds = "interrupted" if interrupt_a else round(time.monotonic() - started, 1)
    goal = 2 * idle + one_batch
    return {"name": "tenant_fairness", "gate": "on" if limit else "off", "tenant_max_workers": limit,
            "workers": stack.workers, "a_cleanups": A_CLEANUPS, "a_skus_per_cleanup": records, "b_skus": B_SKUS,
            "b_idle_seconds": round(idle, 2), "b_loaded_seconds": round(loaded, 2),
            "ratio": round(loaded / idle, 2), "one_batch_seconds": round(one_batch, 2),
            "goal_seconds": round(goal, 2), "within_goal": loaded <= goal, "a_seconds": a_seconds,
            "backend": backend}


def run(stack: BenchStack, records: int, gates: list[str], backend: str) -> list[dict[str, Any]]:
    progress(f"tenant_fairness[{backend}]: seeding {A_CLEANUPS * len(gates)} x {records} skus for A")
    a_tags, b_tags, (warm_up_tag, batch_tag) = seed(records, len(gates))
    before = os.environ.get("TENANT_MAX_WORKERS")
    try:
        os.environ["TENANT_MAX_WORKERS"] = str(fair_share(stack.workers))
        b_api = Api(stack.api_url, DEV_TEST_CLIENT)
        _cleanup_seconds(b_api, warm_up_tag)  # unmeasured: the emulator's JIT
        one_batch = _cleanup_seconds(b_api, batch_tag)
        rows = []
        for index, gate in enumerate(gates):
            limit = fair_share(stack.workers) if gate == "on" else 0
            rows.append(run_gate(stack, limit, a_tags[index * A_CLEANUPS:(index + 1) * A_CLEANUPS],
                                 b_tags[2 * index:2 * index + 2], one_batch, records, backend))
        return rows
    finally:  # the other rows run with the setting they were given
        os.environ.pop("TENANT_MAX_WORKERS", None)
        os.environ.update({"TENANT_MAX_WORKERS": before} if before is not None else {})


def gates() -> list[str]:
    return [g.strip() for g in (os.environ.get("BENCH_FAIRNESS_GATES") or "off,on").split(",") if g.strip()]


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    rows = rows_stream()
    records = int(os.environ.get("BENCH_FAIRNESS_RECORDS") or 10_000)
    stack = BenchStack("dynamodb-local", workers=int(os.environ.get("WORKERS") or 4)).start()
    try:
        for row in run(stack, records, gates(), "dynamodb-local"):
            rows.write(json.dumps(row) + "\n")
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":  # spawned seeding processes import this module too
    sys.exit(main())
