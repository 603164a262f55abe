"""Terminal means final, on the local stack under real concurrency: cleanups running side by side on two
workers are interrupted at random moments; each `_interrupt` answer's counts equal the counts 10 s later
and the records really gone."""
from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e import ROOT, RunningStack
from tests.e2e.api import Api

CLEANUPS = 6
SKUS = 400  # each with a price and tier, a stock item and a list item: a few seconds of work each
SETTLE_SECONDS = 10.0
TENANT_ORG, TENANT_MODE = "DemoOrg001", "test"  # the dev-integration-test application's tenant


def seed(stack: RunningStack, skus: int) -> str:
    """`skus` skus with their associated records, straight into DynamoDB Local; their code prefix."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    result = subprocess.run([sys.executable, "-m", "tools.seed", "--tenant-org", TENANT_ORG, "--mode", TENANT_MODE,
                             "--skus", str(skus)], cwd=ROOT, env={**inherited, **stack.env},
                            capture_output=True, text=True, timeout=300, check=True)
    tag = re.search(r"\(tag (\w+)\)", result.stdout)
    assert tag, result.stdout + result.stderr
    return f"SEED-{tag.group(1)}-"


def interrupt_at(api: Api, cleanup_id: str, delay: float) -> tuple[int, dict[str, Any]]:
    """The `_interrupt` answer's status and attributes, sent `delay` seconds from now."""
    time.sleep(delay)
    response = api.request("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
        "type": "cleanups", "id": cleanup_id, "attributes": {"_interrupt": True}}})
    body = response.json()
    return response.status_code, body["data"]["attributes"] if response.status_code == 200 else body


def test_interrupts_at_random_moments_answer_with_counts_that_no_longer_change(local_stack: RunningStack,
                                                                               api: Api) -> None:
    # Given six cleanups of 400 skus each, running side by side
    prefixes = [seed(local_stack, SKUS) for _ in range(CLEANUPS)]
    created = [api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}}}}).json()["data"]["id"] for prefix in prefixes]
    # When each is interrupted at a random moment
    rng = random.Random()
    delays = [rng.uniform(0.5, 6.0) for _ in created]
    with ThreadPoolExecutor(CLEANUPS) as pool:
        answers = list(pool.map(lambda pair: interrupt_at(api, *pair), zip(created, delays, strict=True)))
    time.sleep(SETTLE_SECONDS)
    # Then every answer that interrupted it already carried the final counts, matching the skus gone
    interrupted = 0
    for cleanup_id, prefix, (status, answer) in zip(created, prefixes, answers, strict=True):
        later = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
        if status == 422:  # it completed before its interrupt: a terminal state does not change
            assert later["status"] == "completed", later
            continue
        assert status == 200, answer
        interrupted += 1
        assert (answer["status"], answer["counts_settled"]) == ("interrupted", True), answer
        final = {k: later[k] for k in ("status", "processed_count", "errors_count", "errors_log", "counts_settled")}
        assert final == {k: answer[k] for k in final}, (answer, later)
        gone = SKUS - api.count("skus", code_start=prefix)
        assert later["processed_count"] + later["errors_count"] <= SKUS
        assert gone == later["processed_count"], (gone, later)
    assert interrupted >= CLEANUPS // 2, f"only {interrupted} of {CLEANUPS} were still running when interrupted"
