"""Row `cli_rate_limit`: the official CLI's chunked cleanup under the default rate limit, and with none.

The Commerce Layer CLI (`cleanups:create`, unmodified, through tests/node's preload) cleans up
BENCH_CLI_SKUS seeded skus (20,150 by default: chunks of 10,000, 10,000 and 150) against the
local stack (`python -m devstack` on free ports, as the official clients' tests start it; its HTTP
server takes the CLI's bursts of parallel connections), once with the limit off and once with
the default budget (RATE_LIMIT_REQUESTS).
The row gives each run's duration, requests, 429s and whether it completed. BENCH_CLI_CHUNK
lowers the CLI's 10,000-record chunk (tests/node/small-chunks.mjs) to run its parallel chunks
over fewer skus. `python -m bench.cli_rate_limit` runs this row alone.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.stack import DEV_TEST_CLIENT, progress, rows_stream, tenant_of
from chalicelib.config import SETTINGS, get_settings
from chalicelib.records.adapters.store import RecordsStore
from tests.e2e import RunningStack, start_stack  # the stack the official clients' tests run, on free ports
from tools.seed import seed

NODE_DIR = Path(__file__).resolve().parents[1] / "tests" / "node"
CLI_CHUNK = 10_000  # cli-core's clConfig.cleanups.max_size
DEV_TENANT = tenant_of(DEV_TEST_CLIENT)


def run_cli(stack: RunningStack, skus: int, chunk: int) -> dict[str, Any]:
    """Seed `skus` skus, run `cleanups:create` over them; its duration, requests, 429s and outcome."""
    store = RecordsStore(stack.client("dynamodb"), get_settings().records_table)
    prefix = f"SEED-{seed(DEV_TENANT, skus=skus, store=store).tag}-"
    workdir = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    statuses = workdir / "statuses.txt"
    preloads = ["--import", "./preload.mjs"] + (["--import", "./small-chunks.mjs"] if chunk != CLI_CHUNK else [])
    env = {**os.environ, "CL_LOCAL_API_URL": stack.api_url, "CL_LOCAL_STATUS_JOURNAL": str(statuses),
           "CL_CLI_ORGANIZATION": "demo", "CL_CLI_ACCESS_TOKEN": stack.token(),
           "CL_TEST_MAX_CLEANUP_SIZE": str(chunk), "NO_UPDATE_NOTIFIER": "1", "FORCE_COLOR": "0"}
    node = shutil.which("node") or "node"
    started = time.monotonic()
    done = subprocess.run([node, *preloads, "cli.mjs", "cleanups:create", "-t", "skus", "-w", f"code_start={prefix}"],
                          cwd=NODE_DIR, env=env, input="y\n", capture_output=True, text=True, timeout=3600)
    seconds = time.monotonic() - started
    codes = statuses.read_text().split() if statuses.exists() else []
    shutil.rmtree(workdir, ignore_errors=True)
    completed = done.returncode == 0 and f"Cleanup of {skus} skus completed." in done.stdout
    found = _chunk_cleanups(stack, prefix)
    if not completed:
        progress(f"the CLI did not complete: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}\n"
                 f"its cleanups: {found}")
    return {"seconds": round(seconds, 1), "requests": len(codes), "status_429": codes.count("429"),
            "completed": completed, "chunks": -(-skus // chunk), "cleanups": len(found),
            "processed": sum(c["processed_count"] for c in found), "errors": sum(c["errors_count"] for c in found)}


def _chunk_cleanups(stack: RunningStack, prefix: str) -> list[dict[str, Any]]:
    """The cleanups the CLI created for `prefix`: status and counts."""
    response = requests.get(f"{stack.api_url}/api/cleanups", timeout=60, params={
        "filter[q][reference_origin_eq]": "cli-plugin-cleanups", "page[size]": "25"}, headers={
        "Authorization": f"Bearer {stack.token()}", "Accept": "application/vnd.api+json"})
    mine = [c["attributes"] for c in response.json().get("data", [])
            if c["attributes"]["filters"].get("code_start") == prefix]
    return [{k: c[k] for k in ("status", "records_count", "processed_count", "errors_count")} | {
        "errors_log": dict(list(c["errors_log"].items())[:2])} for c in mine]


def run(skus: int, chunk: int, workers: int) -> dict[str, Any]:
    """Each run on a fresh local stack (`python -m devstack`, as `make run`), the limit off, then the default."""
    default = int(SETTINGS["rate_limit_requests"].default or 0)
    runs: dict[str, dict[str, Any]] = {}
    for label, env in (("limit_off", {"RATE_LIMIT_REQUESTS": "0"}), ("limit_on", {})):
        stack = start_stack({"WORKERS": str(workers), **env})
        try:
            progress(f"[cli_rate_limit] {label}: the CLI over {skus} skus in chunks of {chunk}")
            runs[label] = run_cli(stack, skus, chunk)
        finally:
            stack.stop()
    return {"row": "cli_rate_limit", "skus": skus, "cli_chunk": chunk, "rate_limit_requests": default,
            "rate_limit_window_seconds": get_settings().rate_limit_window_seconds, **runs,
            "ratio_on_vs_off_seconds": round(runs["limit_on"]["seconds"] / runs["limit_off"]["seconds"], 2)}


def main() -> int:
    skus = int(os.environ.get("BENCH_CLI_SKUS") or 2 * CLI_CHUNK + 150)
    chunk = int(os.environ.get("BENCH_CLI_CHUNK") or CLI_CHUNK)
    rows = rows_stream()  # stdout carries the row alone
    row = run(skus, chunk, int(os.environ.get("WORKERS") or 2))
    rows.write(json.dumps(row) + "\n")
    return 0 if row["limit_on"]["completed"] and row["limit_off"]["completed"] else 1


if __name__ == "__main__":
    sys.exit(main())
