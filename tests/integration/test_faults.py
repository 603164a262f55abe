"""Fault injection on the cleanup pipeline (moto, the real consumer and worker).

Faults are injected at the DynamoDB client's botocore event hooks (`DynamoFaults`), never
by replacing our own functions: throttling the SDK retries, throttling past the SDK's
retries, UnprocessedItems/UnprocessedKeys, a worker dying right after a write landed; and
SQS delivery that duplicates, reorders, loses and redelivers messages. Every cleanup must
settle with exact counts, and the records left must be exactly those not counted processed.
"""
from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse

from chalicelib import aws, cleanups, dynamo
from chalicelib.catalog import get_type
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.cleanups.domain.model import TERMINAL
from chalicelib.events import add_recorded
from chalicelib.records import RecordsStore
from chalicelib.records.items import item_relationships
from chalicelib.tenancy import Tenant
from tests.integration import records_api
from tests.integration.cleanup_helpers import (
    APP_ACTOR,
    RecordingEvents,
    create,
    deliver,
    ports,
    queue_url,
    receive_all,
)
from tests.integration.records_helpers import scan
from tools.seed import seed as seed_catalog  # (the tests below take a `seed` of their own: a random seed)

BATCH_OPERATIONS = frozenset({"BatchWriteItem", "BatchGetItem"})
# The calls that delete records: a cleanup's deletes are transactions, a record's delete batch writes.
WRITE_OPERATIONS = frozenset({"BatchWriteItem", "TransactWriteItems"})
_THROTTLED = "ProvisionedThroughputExceededException"

store = DynamoCleanupRepository(add_recorded)


class _Body:
    """The `raw` of a canned AWSResponse: botocore reads it through `stream()`."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.content


def throttled_response(url: str) -> AWSResponse:
    """What DynamoDB answers a throttled request: HTTP 400 with the exception in the JSON body."""
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{_THROTTLED}",
                       "message": "The level of configured provisioned throughput for the table was exceeded"})
    return AWSResponse(url, 400, {"x-amzn-errortype": _THROTTLED, "content-type": "application/x-amz-json-1.0"},
                       _Body(body.encode()))


@dataclass
class DynamoFaults:
    """Faults injected through a DynamoDB client's event hooks; the code under test is untouched.

    - `throttle_share`: calls answered 400 ProvisionedThroughputExceededException instead of
      being sent (before-send): botocore's retry policy sees a real throttle and retries it.
    - `fail_share`: batch calls failing with that throttle past the SDK's retries (before-call,
      where botocore does not retry, as its Stubber does): the ClientError reaches our code.
    - `unprocessed_share`: batch calls that send only the first half of their items and report
      the rest as UnprocessedItems / UnprocessedKeys, as DynamoDB does under load.
    - `crash_after_writes`: write call numbers (1-based, BatchWriteItem or TransactWriteItems) whose
      write lands, then the worker "dies" (the call raises afterwards), as a kill between two calls would.
    """

    seed: int = 0
    throttle_share: float = 0.0
    fail_share: float = 0.0
    unprocessed_share: float = 0.0
    crash_after_writes: frozenset[int] = frozenset()
    operations: frozenset[str] = BATCH_OPERATIONS | {"TransactWriteItems"}
    injected: Counter[str] = field(default_factory=Counter)
    _writes: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def install(self, client: Any) -> DynamoFaults:
        events = client.meta.events
        # First: moto's in-process mock answers at before-send too, and the first answer wins.
        events.register_first("before-send.dynamodb", self._before_send)
        events.register_first("before-call.dynamodb", self._before_call)
        events.register_first("after-call.dynamodb", self._after_call)
        return self

    def uninstall(self, client: Any) -> None:
        events = client.meta.events
        events.unregister("before-send.dynamodb", self._before_send)
        events.unregister("before-call.dynamodb", self._before_call)
        events.unregister("after-call.dynamodb", self._after_call)

    def _draw(self, share: float, kind: str) -> bool:
        with self._lock:
            hit = share > 0 and self._rng.random() < share
            if hit:
                self.injected[kind] += 1
            return hit

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        if event_name.rsplit(".", 1)[-1] in self.operations and self._draw(self.throttle_share, "throttled"):
            return throttled_response(request.url)
        return None

    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any],
                     **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name not in self.operations:
            return None
        if self._draw(self.fail_share, "failed"):
            parsed = {"Error": {"Code": _THROTTLED, "Message": "throttled past the SDK's retries"},
                      "ResponseMetadata": {"HTTPStatusCode": 400}}
            return throttled_response(params.get("url", "")), parsed
        if model.name in BATCH_OPERATIONS and self._draw(self.unprocessed_share, "unprocessed drawn"):
            context["faults_dropped"] = dropped = self._keep_half(model.name, params)
            if dropped:
                self.injected["unprocessed"] += 1
        return None

    @staticmethod
    def _keep_half(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Send the first half of the request's items; the rest (per table) to report unprocessed."""
        body = json.loads(params["body"])
        dropped: dict[str, Any] = {}
        for table, request in body["RequestItems"].items():
            entries = request if operation == "BatchWriteItem" else request["Keys"]
            keep = max(1, len(entries) // 2)
            if len(entries) <= keep:
                continue
            if operation == "BatchWriteItem":
                body["RequestItems"][table], dropped[table] = entries[:keep], entries[keep:]
            else:
                body["RequestItems"][table] = {**request, "Keys": entries[:keep]}
                dropped[table] = {**request, "Keys": entries[keep:]}
        params["body"] = json.dumps(body).encode()
        return dropped

    def _after_call(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        dropped = context.pop("faults_dropped", None)
        if dropped:
            key = "UnprocessedItems" if model.name == "BatchWriteItem" else "UnprocessedKeys"
            parsed.setdefault(key, {}).update(dropped)
        if model.name in WRITE_OPERATIONS and "Error" not in parsed:
            with self._lock:
                self._writes += 1
                crash = self._writes in self.crash_after_writes
            if crash:
                self.injected["crashed"] += 1
                raise RuntimeError(f"worker killed after {model.name} (write #{self._writes}) landed")


# --- driving the queue ---------------------------------------------------------------------------

def requeue(body: str) -> None:
    boto3.client("sqs").send_message(QueueUrl=queue_url(), MessageBody=body)


def run_until_settled(tenant: Tenant, cleanup_id: str, events: RecordingEvents, rng: random.Random, *,
                      duplicate_share: float = 0.0, rounds: int = 60) -> int:
    """At-least-once, unordered delivery: what the queue holds, shuffled, some of it twice.

    A failed message comes back on the next round, as it would after its visibility timeout.
    Returns the deliveries that failed.
    """
    failed = 0
    for _ in range(rounds):
        bodies = [message["Body"] for message in receive_all()]
        if not bodies:
            break
        bodies += [body for body in bodies if rng.random() < duplicate_share]
        rng.shuffle(bodies)
        for body in bodies:
            if deliver([body], events)["batchItemFailures"]:
                failed += 1
                requeue(body)
    return failed


# --- what must hold after any fault ----------------------------------------------------------------

def assert_settled_exactly(tenant: Tenant, cleanup_id: str, doomed: list[dict[str, str]]) -> Any:
    """Terminal; counts add up; the records left are exactly those not counted processed.

    A deleted sku's associated records are gone too, a sku left has all of its own (a root goes in
    one transaction with its associated records).
    """
    final = store.get(tenant, cleanup_id)
    assert final.status in TERMINAL, final
    assert final.records_count == len(doomed)
    if final.status == "completed":
        assert final.processed_count + final.errors_count == final.records_count
    left = set(records_api.select_ids(tenant, "skus", [])) & {ids["skus"] for ids in doomed}
    gone = [ids for ids in doomed if ids["skus"] not in left]
    assert len(gone) == final.processed_count
    assert len(left) == final.records_count - final.processed_count
    assert set(final.errors_log) <= left
    for type_name in ("prices", "price_volume_tiers", "stock_items", "sku_list_items"):
        present = set(records_api.select_ids(tenant, type_name, []))
        assert not present & {ids[type_name] for ids in gone}, f"{type_name} of a deleted sku survived"
        assert {ids[type_name] for ids in doomed if ids["skus"] in left} <= present
    return final


# --- fixtures --------------------------------------------------------------------------------------

@pytest.fixture
def small_batches(tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 4 in sub-batches of 2: a dozen records make many messages and calls to fault."""
    monkeypatch.setenv("BATCH_SIZE", "4")
    monkeypatch.setenv("SUB_BATCH_SIZE", "2")
    monkeypatch.setenv("ERROR_BUDGET_RATIO", "1")


def assert_completed_exactly(tenant: Tenant, cleanup_id: str, doomed: list[dict[str, str]],
                             events: RecordingEvents) -> None:
    """Settled exactly, every record processed without error, and it went in progress then completed once."""
    final = assert_settled_exactly(tenant, cleanup_id, doomed)
    assert (final.status, final.processed_count, final.errors_count) == ("completed", len(doomed), 0)
    assert events.statuses(cleanup_id) == ["in_progress", "completed"]


class _Waits:
    """Stands in for the `time` module where a retry backs off: notes each wait instead of sleeping it."""

    def __init__(self) -> None:
        self.waited: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waited.append(seconds)


@pytest.fixture(autouse=True)
def backoffs_take_no_time(monkeypatch: pytest.MonkeyPatch) -> _Waits:
    """The SDK's, the transactions' and the records store's backoffs between retries are noted, not slept: every
    retry still happens, in the same order; only the seconds between them go (they were most of these tests' time)."""
    waits = _Waits()
    monkeypatch.setattr(botocore.endpoint, "time", waits)
    monkeypatch.setattr(dynamo, "time", waits)
    init = RecordsStore.__init__

    def without_sleeping(self: RecordsStore, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.sleep = waits.sleep
    monkeypatch.setattr(RecordsStore, "__init__", without_sleeping)
    return waits


@pytest.fixture
def install_fault() -> Iterator[Callable[[DynamoFaults], DynamoFaults]]:
    """Installs a fault on the DynamoDB client, and uninstalls each one installed after the test."""
    installed: list[DynamoFaults] = []

    def install(fault: DynamoFaults) -> DynamoFaults:
        installed.append(fault.install(aws.client("dynamodb")))
        return fault

    yield install
    for fault in installed:
        fault.uninstall(aws.client("dynamodb"))
    aws.forget_clients()  # the faults spent the client's retry budget: the next test gets a client with a whole one


def doomed_skus(tenant: Tenant, n: int) -> list[dict[str, str]]:
    """`n` full skus seeded in bulk (a price and its tier, a stock item, a list item each): type -> id, a sku each."""
    seed_catalog(tenant, skus=n, skus_per_list=n, workers=1)
    stored = scan()

    def each(type_name: str) -> list[tuple[str, dict[str, str | None]]]:
        return [(item["sk"]["S"], item_relationships(get_type(type_name), item))
                for (pk, _), item in stored.items() if pk == f"{tenant.key}#{type_name}"]
    families = {sku: {"skus": sku} for sku, _ in each("skus")}
    for type_name in ("prices", "stock_items", "sku_list_items"):
        for record_id, related in each(type_name):
            families[str(related["sku"])][type_name] = record_id
    sku_of_price = {family["prices"]: sku for sku, family in families.items()}
    for record_id, related in each("price_volume_tiers"):
        families[sku_of_price[str(related["price"])]]["price_volume_tiers"] = record_id
    assert len(families) == n and all(len(family) == 5 for family in families.values())
    return list(families.values())


# --- tests -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("seed", "share", "injected", "at_least"), [
    (3, {"throttle_share": 0.1}, "throttled", 1),  # a tenth of batch calls throttled: the SDK retries them
    (5, {"unprocessed_share": 0.5}, "unprocessed", 5),  # half of them process half their items: the store retries
], ids=["throttled", "unprocessed"])
def test_faults_retried_inside_a_delivery_leave_exact_counts_and_fail_no_message(
        tenant: Tenant, small_batches: None, events: RecordingEvents,
        install_fault: Callable[[DynamoFaults], DynamoFaults],
        seed: int, share: dict[str, float], injected: str, at_least: int) -> None:
    # Given twelve skus and a cleanup of them, and a records table injecting the fault into batch calls
    doomed = doomed_skus(tenant, 12)
    cleanup = create(tenant, events)
    fault = install_fault(DynamoFaults(seed=seed, **share))

    # When the queue is drained
    failed = run_until_settled(tenant, cleanup.id, events, random.Random(seed))

    # Then the retries absorbed every fault (no message failed) and the cleanup completed exactly
    assert fault.injected[injected] >= at_least
    assert failed == 0
    assert_completed_exactly(tenant, cleanup.id, doomed, events)


@pytest.mark.parametrize(("faults", "seed", "duplicate_share", "injected"), [
    # a quarter of batch calls failing even after the SDK's retries; a third of the messages delivered twice
    ({"seed": 11, "fail_share": 0.25}, 11, 0.3, "failed"),
    # the worker dying right after three of its writes landed (at most three crashes: exactly three failures)
    ({"crash_after_writes": frozenset({2, 3, 5})}, 2, 0.0, "crashed"),
], ids=["throttled_past_the_sdk_retries", "worker_dying_after_a_write_landed"])
def test_faults_failing_messages_mid_batch_are_finished_by_redelivery_without_double_counts(
        tenant: Tenant, small_batches: None, events: RecordingEvents,
        install_fault: Callable[[DynamoFaults], DynamoFaults],
        faults: dict[str, Any], seed: int, duplicate_share: float, injected: str) -> None:
    # Given a cleanup of twelve skus, and the fault injected into its writes
    doomed = doomed_skus(tenant, 12)
    cleanup = create(tenant, events)
    fault = install_fault(DynamoFaults(**faults))

    # When messages are delivered in a shuffled order, failed ones coming back later
    failed = run_until_settled(tenant, cleanup.id, events, random.Random(seed), duplicate_share=duplicate_share)

    # Then messages failed mid-batch, each on an injected fault, yet every record is deleted and counted once
    assert 3 <= failed <= fault.injected[injected]
    assert_completed_exactly(tenant, cleanup.id, doomed, events)


def test_faults_lost_message_is_requeued_by_the_reconciler_amid_other_faults(
        tenant: Tenant, small_batches: None, events: RecordingEvents,
        install_fault: Callable[[DynamoFaults], DynamoFaults], monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cleanup of twelve skus (three messages), one message lost outright, and a faulty table
    doomed = doomed_skus(tenant, 12)
    cleanup = create(tenant, events)
    messages = receive_all()
    lost, kept = messages[0], messages[1:]
    for message in kept:
        requeue(message["Body"])
    install_fault(DynamoFaults(seed=7, fail_share=0.15, unprocessed_share=0.3))
    rng = random.Random(7)

    # When the rest is delivered (duplicated, reordered), then the reconciler runs on the stalled cleanup
    run_until_settled(tenant, cleanup.id, events, rng, duplicate_share=0.5)
    stalled = store.get(tenant, cleanup.id)
    monkeypatch.setenv("RECONCILE_AFTER_SECONDS", "-1")
    report = cleanups.reconcile(ports(events))
    run_until_settled(tenant, cleanup.id, events, rng, duplicate_share=0.5)

    # Then only the lost batch was missing, the reconciler sent it again, and the cleanup completed exactly
    assert stalled.status == "in_progress" and stalled.processed_count == 8
    assert report.requeued == {cleanup.id: [json.loads(lost["Body"])["batch"]]}
    assert_completed_exactly(tenant, cleanup.id, doomed, events)


def test_faults_interrupt_amid_faults_leaves_exactly_the_uncounted_records(
        tenant: Tenant, small_batches: None, events: RecordingEvents,
        install_fault: Callable[[DynamoFaults], DynamoFaults], interrupt_waits_briefly: None) -> None:
    # Given a cleanup of twelve skus on a faulty table, whose first message is delivered (with a failure)
    doomed = doomed_skus(tenant, 12)
    cleanup = create(tenant, events)
    install_fault(DynamoFaults(seed=13, fail_share=0.2, unprocessed_share=0.3))
    first, *rest = receive_all()
    deliver([first["Body"]], events)

    # When the client interrupts it, and the remaining messages (and a duplicate of the first) arrive
    cleanups.interrupt_cleanup(ports(events), tenant, cleanup.id, APP_ACTOR)
    for message in [*rest, first]:
        requeue(message["Body"])
    run_until_settled(tenant, cleanup.id, events, random.Random(13), duplicate_share=0.5)

    # Then it stays interrupted, and processed_count is exactly the records deleted
    final = assert_settled_exactly(tenant, cleanup.id, doomed)
    assert final.status == "interrupted"
    assert final.processed_count <= 4
