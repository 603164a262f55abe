"""A worker killed (kill -9) in the middle of a sub-batch, on the local stack with the deployed timings:
the queue's own visibility timeout brings its batch back, the cleanup completes with exact counts
within two minutes, and nothing it was deleting is left behind half-deleted.

No setting is shortened for the test: the stack runs the template's queue (visibility 60 s) and the
default reconciler, as a deployed stage would.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.catalog import get_type
from chalicelib.records.items import cascade_parents
from tests.e2e import ROOT, start_stack
from tests.e2e.test_faults_local import (
    TENANT_MODE,
    TENANT_ORG,
    FaultStack,
    Worker,
    create_cleanup,
    remaining,
    seed,
    wait_terminal,
)

SKUS = 1000  # two messages of 500, sub-batches of 100: the defaults


@pytest.fixture(scope="module")
def stack() -> Iterator[FaultStack]:
    running = start_stack({"WORKERS": "0", "CHALICE_PROJECT_DIR": str(ROOT),
                           "RATE_LIMIT_REQUESTS": "1000000"})  # the test polls in a tight loop
    try:
        yield FaultStack(running, ROOT, running.token())
    finally:
        assert running.stop() == 0, running.log()[-3000:]


def _tenant_items(stack: FaultStack) -> list[dict[str, Any]]:
    dynamodb = stack.stack.client("dynamodb")
    request: dict[str, Any] = {"TableName": "cleanups-records"}
    items: list[dict[str, Any]] = []
    while True:
        page = dynamodb.scan(**request)
        items += [i for i in page["Items"] if i["pk"]["S"].startswith(f"{TENANT_ORG}#{TENANT_MODE}#")]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def orphans(items: list[dict[str, Any]]) -> list[str]:
    """Associated records whose cascade parent is gone, and unique-code guards whose record is gone."""
    present = {(item["pk"]["S"], item["sk"]["S"]) for item in items}
    tenant = f"{TENANT_ORG}#{TENANT_MODE}#"
    found = []
    for item in items:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if "#unique#" in pk:
            if (pk.split("#unique#", 1)[0], item["record_id"]["S"]) not in present:
                found.append(f"guard {pk}/{sk}")
            continue
        type_name = pk.removeprefix(tenant)
        for relationship, parent_type in cascade_parents(type_name).items():
            parent_id = item.get(get_type(type_name).relationships[relationship].key, {}).get("S")
            if parent_id and (tenant + parent_type, parent_id) not in present:
                found.append(f"{type_name}/{sk} of {parent_type}/{parent_id}")
    return found


def test_worker_killed_mid_sub_batch_is_noticed_and_the_cleanup_completes_exactly(stack: FaultStack) -> None:
    # Given 1,000 skus with their associated records and a cleanup of them, one worker process on it
    prefix = seed(stack, SKUS)
    assert orphans(_tenant_items(stack)) == []
    cleanup = create_cleanup(stack, prefix)
    worker = Worker(stack, workers=2)

    # When the worker is killed (kill -9) while it is deleting, and a new one is started at once
    stack.await_processed(cleanup["id"], 100)
    worker.kill()
    killed_at = time.monotonic()
    at_kill = stack.cleanup(cleanup["id"])
    restarted = Worker(stack, workers=2)
    try:
        final = wait_terminal(stack, cleanup["id"], timeout=120)
    finally:
        restarted.stop()
    recovered_in = time.monotonic() - killed_at

    # Then it completed within two minutes of the kill, every record deleted and counted once
    assert at_kill["status"] == "in_progress" and at_kill["processed_count"] < SKUS, at_kill
    assert final["status"] == "completed", final
    assert (final["processed_count"], final["errors_count"]) == (SKUS, 0)
    assert remaining(stack, prefix) == 0
    assert recovered_in < 120
    # And no associated record or unique-code guard outlived its sku
    assert orphans(_tenant_items(stack)) == []
