"""Row `api_latency`: GET /api/cleanups/{id} under 8 concurrent clients for 10 s, vs. GET /health.

Both run against one `chalice local` child process (the stack's server), one after the
other in the same run; the clients are threads here, each with its own keep-alive session.
Alone: `python -m bench.api_latency` (a cleanup of BENCH_RECORDS skus, 1,000 by default, to read).
"""
from __future__ import annotations

import os
import statistics
import threading
import time
from typing import Any

import requests

from bench.cleanup_throughput import wait_terminal
from bench.stack import DEV_LIVE_CLIENT, Api, BenchStack, progress, run_alone, tenant_of
from tools.seed import seed

CLIENTS = 8
SECONDS = 10.0


def _load(url: str, headers: dict[str, str], clients: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        session.headers.update(headers)
        mine: list[float] = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = session.get(url, timeout=30)
            mine.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text[:200]}")
                break
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, name=f"client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{url}: {errors[0]}")
    return latencies


def _percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1] * 1000


def run(server_url: str, api: Api, cleanup_id: str, backend: str, note: str = "") -> dict[str, Any]:
    progress(f"api_latency[{backend}]: {CLIENTS} clients x {SECONDS:.0f}s on /health, then on the cleanup")
    authorized = {name: value for name, value in api.session.headers.items()
                  if name in ("Authorization", "Accept")}
    _load(f"{server_url}/health", {}, CLIENTS, 1.0)  # warm-up: connections, imports, caches
    health = _load(f"{server_url}/health", {}, CLIENTS, SECONDS)
    show = _load(f"{server_url}/api/cleanups/{cleanup_id}", authorized, CLIENTS, SECONDS)
    p50, p99, base99 = _percentile(show, 0.5), _percentile(show, 0.99), _percentile(health, 0.99)
    progress(f"  /health: {len(health)} requests, p50 {_percentile(health, 0.5):.1f} ms, p99 {base99:.1f} ms; "
             f"cleanup: {len(show)} requests, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    row: dict[str, Any] = {"name": "api_latency", "p50_ms": round(p50, 1), "p99_ms": round(p99, 1),
                           "baseline_p99_ms": round(base99, 1), "ratio": round(p99 / base99, 2),
                           "requests": len(show), "baseline_requests": len(health), "backend": backend}
    if note:
        row["note"] = note
    return row


def run_on_server(stack: BenchStack, cleanup_id: str, note: str = "") -> dict[str, Any]:
    """The row against a `chalice local` child of `stack` (`server_process`), started for it and stopped after."""
    server, server_url = stack.server_process()
    try:
        return run(server_url, Api(server_url, DEV_LIVE_CLIENT), cleanup_id, stack.backend, note)
    finally:
        server.stop()


def run_seeded(stack: BenchStack, skus: int) -> dict[str, Any]:
    """The row on `stack`, reading a completed cleanup of `skus` freshly seeded skus (and their associated records)."""
    api = Api(stack.api_url, DEV_LIVE_CLIENT)
    tag = seed(tenant_of(DEV_LIVE_CLIENT), skus=skus, skus_per_list=1000, workers=4).tag
    cleanup_id = api.create_cleanup("skus", {"reference_eq": f"seed-{tag}"})["id"]
    wait_terminal(api, cleanup_id, timeout=600)
    return run_on_server(stack, cleanup_id, "run alone")


def main() -> int:
    return run_alone(lambda stack: run_seeded(stack, int(os.environ.get("BENCH_RECORDS") or 1_000)))


if __name__ == "__main__":  # spawned seeding processes import this module too
    raise SystemExit(main())
