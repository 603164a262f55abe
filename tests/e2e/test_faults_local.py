"""Faults on the whole local stack over real HTTP: the worker killed (kill -9) and restarted,
a message lost outright, duplicated and reordered delivery through the real queue, and a
worker process whose DynamoDB throttles and leaves items unprocessed.

The stack runs with WORKERS=0; the consumer is `python -m devstack.worker`, a process
of its own. `.chalice/config.json`'s variables win over the environment in the stack (as
Chalice applies them), so small batches and RECONCILE_AFTER_SECONDS=2 come from a copy of the
project whose config says so (CHALICE_PROJECT_DIR), not from environment variables.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bench.data import count_query
from chalicelib.text import fold
from devstack.worker import READY_MARKER
from tests.e2e import ROOT, RunningStack, start_stack
from tests.integration import cleanup_helpers

# One fault stack per run: under xdist (--dist loadfile) every test of this module goes to the same worker.

FAULT_CONFIG = {"BATCH_SIZE": "20", "SUB_BATCH_SIZE": "5", "RECONCILE_AFTER_SECONDS": "2"}
JSONAPI = "application/vnd.api+json"
TENANT_ORG, TENANT_MODE = "DemoOrg001", "test"  # the dev-integration-test application's tenant


@dataclass
class FaultStack:
    stack: RunningStack
    project: Path
    token: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(method, f"{self.stack.api_url}{path}", json=body, timeout=30, headers={
            "Authorization": f"Bearer {self.token}", "Accept": JSONAPI, "Content-Type": JSONAPI})

    def cleanup(self, cleanup_id: str) -> dict[str, Any]:
        response = self.call("GET", f"/api/cleanups/{cleanup_id}")
        assert response.status_code == 200, response.text
        attributes: dict[str, Any] = response.json()["data"]["attributes"]
        return attributes

    def await_processed(self, cleanup_id: str, at_least: int, poll: float = 0.01) -> None:
        """Wait until the cleanup counts `at_least` records processed; fail after a minute."""
        deadline = time.monotonic() + 60
        while (seen := self.cleanup(cleanup_id))["processed_count"] < at_least:
            assert time.monotonic() < deadline, seen
            time.sleep(poll)

    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        return {**inherited, **self.stack.env, "CHALICE_PROJECT_DIR": str(self.project), "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def faulty() -> Iterator[FaultStack]:
    with tempfile.TemporaryDirectory(prefix="cleanups-faults-") as directory:
        project = Path(directory)
        for name in ("app.py", "chalicelib", "infra"):
            (project / name).symlink_to(ROOT / name)
        (project / ".chalice").mkdir()
        config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
        config["environment_variables"].update(FAULT_CONFIG)
        (project / ".chalice" / "config.json").write_text(json.dumps(config), encoding="utf-8")
        stack = start_stack({"WORKERS": "0", "SCHEDULE_RECONCILE_SECONDS": "1", "CHALICE_PROJECT_DIR": directory,
                             "RATE_LIMIT_REQUESTS": "1000000"})  # the tests poll in tight loops
        try:
            yield FaultStack(stack, project, stack.token())
        finally:
            assert stack.stop() == 0, stack.log()[-3000:]


# --- the worker process --------------------------------------------------------------------------

class Worker:
    """`python -m devstack.worker` (or the same with DynamoDB faults installed first)."""

    def __init__(self, stack: FaultStack, faults: dict[str, Any] | None = None, workers: int = 2) -> None:
        env = stack.env()
        if faults is None:
            argv = [sys.executable, "-m", "devstack.worker", "--workers", str(workers)]
        else:
            env["CLEANUPS_TEST_FAULTS"] = json.dumps(faults)
            argv = [sys.executable, "-c", "from tests.e2e.test_faults_local import faulty_worker; "
                    f"raise SystemExit(faulty_worker({workers}))"]
        self.log = Path(tempfile.mkstemp(prefix="worker-", suffix=".log")[1])
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while READY_MARKER not in self.output():
            assert self.process.poll() is None, f"the worker exited:\n{self.output()[-3000:]}"
            assert time.monotonic() < deadline, f"the worker is not ready:\n{self.output()[-3000:]}"
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """kill -9: no batch in flight finishes, no message is deleted."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        assert self.process.returncode in (0, -signal.SIGKILL), self.output()[-3000:]
        return self.output()


def faulty_worker(workers: int) -> int:
    """Entry point of a worker process whose DynamoDB client has `DynamoFaults` installed."""
    from chalicelib import aws
    from devstack import worker
    from tests.integration.test_faults import DynamoFaults

    faults = DynamoFaults(**json.loads(os.environ["CLEANUPS_TEST_FAULTS"])).install(aws.client("dynamodb"))
    code = worker.main(["--workers", str(workers)])
    print(f"faults injected: {json.dumps(dict(faults.injected))}", flush=True)
    return code


# --- data and assertions -------------------------------------------------------------------------

def seed(stack: FaultStack, skus: int) -> str:
    """Seed `skus` skus (each with a price and tier, a stock item, a list item); their code prefix."""
    result = subprocess.run([sys.executable, "-m", "tools.seed", "--tenant-org", TENANT_ORG,
                             "--mode", TENANT_MODE, "--skus", str(skus)], cwd=ROOT, env=stack.env(),
                            capture_output=True, text=True, timeout=120, check=True)
    tag = re.search(r"\(tag (\w+)\)", result.stdout)
    assert tag, result.stdout + result.stderr
    return f"SEED-{tag.group(1)}-"


def remaining(stack: FaultStack, prefix: str) -> int:
    dynamodb = stack.stack.client("dynamodb")
    request: dict[str, Any] = {
        "TableName": "cleanups-records", "IndexName": "code", "Select": "COUNT",
        "KeyConditionExpression": "pk = :pk AND begins_with(code_ci, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"{TENANT_ORG}#{TENANT_MODE}#skus"},
                                      ":prefix": {"S": fold(prefix)}}}
    return count_query(request, dynamodb)


def create_cleanup(stack: FaultStack, prefix: str) -> dict[str, Any]:
    response = stack.call("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}}}})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def wait_terminal(stack: FaultStack, cleanup_id: str, timeout: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (attributes := stack.cleanup(cleanup_id))["status"] not in ("completed", "interrupted"):
        assert time.monotonic() < deadline, f"still {attributes['status']}: {attributes}"
        time.sleep(0.2)
    return attributes


def assert_exact(stack: FaultStack, cleanup_id: str, prefix: str, seeded: int) -> dict[str, Any]:
    """Completed, counts add up, the skus left are exactly those not processed; each transition fired once."""
    final = wait_terminal(stack, cleanup_id)
    assert final["status"] == "completed", final
    assert final["records_count"] == seeded
    assert final["processed_count"] + final["errors_count"] == final["records_count"]
    assert remaining(stack, prefix) == seeded - final["processed_count"]
    names = event_names(stack, cleanup_id)
    # each transition once, and at most one progress event per count crossing a 10 % step, whatever the faults
    assert [n for n in names if n != "cleanups.progress"] == ["cleanups.complete", "cleanups.create", "cleanups.start"]
    assert names.count("cleanups.progress") <= 9
    return final


def event_names(stack: FaultStack, cleanup_id: str, settle_seconds: float = 5.0) -> list[str]:
    """The cleanup's events by name, waiting a moment for the completing transition (committed with its event)."""
    deadline = time.monotonic() + settle_seconds
    while True:
        events = stack.call("GET", f"/api/cleanups/{cleanup_id}/events?page[size]=25").json()["data"]
        names = sorted(event["attributes"]["name"] for event in events)
        if "cleanups.complete" in names or time.monotonic() > deadline:
            return names
        time.sleep(0.1)


def take_messages(stack: FaultStack, cleanup_id: str) -> list[dict[str, Any]]:
    """Take this cleanup's messages off the work queue; others are made visible again at once."""
    sqs = stack.stack.client("sqs")
    url = sqs.get_queue_url(QueueName="cleanups-work")["QueueUrl"]
    return cleanup_helpers.take_messages(sqs, url, lambda body: body.get("cleanup_id") == cleanup_id)


def send(stack: FaultStack, bodies: list[str]) -> None:
    sqs = stack.stack.client("sqs")
    url = sqs.get_queue_url(QueueName="cleanups-work")["QueueUrl"]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)


# --- tests ---------------------------------------------------------------------------------------

def test_faults_local_worker_killed_mid_cleanup_and_restarted_finishes_exactly(faulty: FaultStack) -> None:
    # Given 200 seeded skus and a cleanup of them (10 messages of 20, sub-batches of 5), a worker on it
    prefix = seed(faulty, 200)
    cleanup = create_cleanup(faulty, prefix)
    worker = Worker(faulty, workers=2)

    # When the worker is killed (kill -9) part-way, then started again
    faulty.await_processed(cleanup["id"], 30, poll=0.02)
    worker.kill()
    at_kill = faulty.cleanup(cleanup["id"])
    restarted = Worker(faulty, workers=2)
    try:
        # Then the batches the dead worker held (invisible for the queue's 60 s) come back, or are requeued by the
        # reconciler, and the cleanup completes with every record deleted and counted once
        final = assert_exact(faulty, cleanup["id"], prefix, 200)
    finally:
        restarted.stop()
    assert at_kill["status"] == "in_progress" and 30 <= at_kill["processed_count"] < 200
    assert remaining(faulty, prefix) == 0 and final["processed_count"] == 200


def test_faults_local_lost_message_is_finished_by_the_reconciler(faulty: FaultStack) -> None:
    # Given a cleanup of 60 skus (three messages), one of whose messages is lost outright
    prefix = seed(faulty, 60)
    cleanup = create_cleanup(faulty, prefix)
    # (the reconciler may already have enqueued copies, as nothing consumes them yet: one per batch is kept)
    bodies = {json.loads(message["Body"])["batch"]: message["Body"] for message in take_messages(faulty, cleanup["id"])}
    assert sorted(bodies) == [0, 1, 2]
    send(faulty, [bodies[1], bodies[2]])

    # When a worker consumes what is left, and the reconciler (every second, 2 s without progress) runs
    worker = Worker(faulty, workers=1)
    try:
        final = assert_exact(faulty, cleanup["id"], prefix, 60)
    finally:
        worker.stop()

    # Then the cleanup completed exactly, the lost batch included
    assert final["processed_count"] == 60 and remaining(faulty, prefix) == 0


def test_faults_local_duplicated_and_reordered_messages_count_each_record_once(faulty: FaultStack) -> None:
    # Given a cleanup of 60 skus whose messages come back reversed, each sent twice
    prefix = seed(faulty, 60)
    cleanup = create_cleanup(faulty, prefix)
    bodies = [message["Body"] for message in take_messages(faulty, cleanup["id"])]
    bodies.sort(key=lambda body: -json.loads(body)["batch"])
    send(faulty, bodies + bodies)

    # When two pollers consume them
    worker = Worker(faulty, workers=2)
    try:
        final = assert_exact(faulty, cleanup["id"], prefix, 60)
    finally:
        worker.stop()

    # Then every record is counted once (processed == records == deleted) and each transition fired once
    assert final["processed_count"] == 60


def test_faults_local_worker_with_a_throttling_table_finishes_exactly(faulty: FaultStack) -> None:
    # Given a cleanup of 60 skus, and a worker whose DynamoDB throttles and leaves batch items unprocessed
    prefix = seed(faulty, 60)
    cleanup = create_cleanup(faulty, prefix)
    worker = Worker(faulty, faults={"seed": 4, "throttle_share": 0.05, "unprocessed_share": 0.3}, workers=2)

    # When it works through the cleanup
    try:
        final = assert_exact(faulty, cleanup["id"], prefix, 60)
    finally:
        output = worker.stop()

    # Then faults were injected, retried, and the counts are exact
    injected = json.loads(re.findall(r"faults injected: (.*)", output)[-1])
    assert injected.get("unprocessed", 0) >= 1 and injected.get("throttled", 0) >= 1, injected
    assert final["processed_count"] == 60
