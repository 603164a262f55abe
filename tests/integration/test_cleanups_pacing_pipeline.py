"""Throttle and progress through the real adapters on moto: slots on DynamoDB, give-backs on SQS,
progress events committed with their counts."""
from __future__ import annotations

import random
import time
from typing import Any

import boto3

from chalicelib import cleanups
from chalicelib.cleanups.adapters.store import DynamoCleanupRepository
from chalicelib.config import get_settings
from chalicelib.events import add_recorded
from chalicelib.events.adapters import store
from chalicelib.events.model import PROGRESS
from chalicelib.tenancy import Tenant
from tests.integration.cleanup_helpers import (
    APP_ACTOR,
    RecordingEvents,
    deliver,
    drain,
    make_skus,
    ports,
    queue_url,
    receive_all,
)

repository = DynamoCleanupRepository(add_recorded)


def create_throttled(tenant: Tenant, events: RecordingEvents, rate: int) -> Any:
    return cleanups.create_cleanup(ports(events), tenant, {"resource_type": "skus", "max_records_per_second": rate},
                                   APP_ACTOR)


def test_throttled_cleanup_runs_no_faster_than_its_rate(records: Any, tenant: Tenant, work_queue: None,
                                                         events: RecordingEvents) -> None:
    # Given eight skus and a cleanup throttled to four records per second (two-record sub-batches)
    make_skus(records, 8)
    started = time.monotonic()
    cleanup = create_throttled(tenant, events, 4)
    # When its messages are delivered one after the other
    drain(events)
    # Then it completed, its four slots half a second apart (the first begins at once)
    final = repository.get(tenant, cleanup.id)
    assert (final.status, final.processed_count, final.max_records_per_second) == ("completed", 8, 4)
    assert time.monotonic() - started >= 1.5
    assert final.paced_until is not None


def test_far_slot_is_given_back_to_sqs_delayed(records: Any, tenant: Tenant, work_queue: None,
                                               events: RecordingEvents) -> None:
    # Given a throttled cleanup whose next slot is a minute away
    make_skus(records, 4)
    cleanup = create_throttled(tenant, events, 2)
    table = boto3.resource("dynamodb").Table(get_settings().cleanups_table)
    table.update_item(Key={"pk": f"{tenant.key}#cleanups", "sk": cleanup.id},
                      UpdateExpression="SET paced_until = :t", ExpressionAttributeValues={":t": int(time.time()) + 60})
    (message,) = receive_all()
    # When it is delivered
    response = deliver([message["Body"]], events)
    # Then it succeeded without beginning anything, and the queue holds it again, not yet visible
    assert response == {"batchItemFailures": []}
    assert repository.get(tenant, cleanup.id).started == frozenset()
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url(), AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_progress_events_are_stored_once_per_count_under_duplicated_shuffled_delivery(
        records: Any, tenant: Tenant, work_queue: None, events: RecordingEvents) -> None:
    # Given twelve skus (six sub-batches) whose messages all arrive twice, shuffled
    make_skus(records, 12)
    cleanup = cleanups.create_cleanup(ports(events), tenant, {"resource_type": "skus"}, APP_ACTOR)
    bodies = [m["Body"] for m in receive_all()] * 2
    random.Random(3).shuffle(bodies)
    deliver(bodies, events)
    # Then one progress event is listed for each count but the last (six sub-batches of two, each crossing a step)
    names = [e.name for e in store.events_of(tenant, cleanup.id)]
    assert names.count(PROGRESS) == 5
    assert repository.get(tenant, cleanup.id).attributes()["progress_percent"] == 100.0
