"""Logs and metrics of the functions as Lambda runs them (Chalice's test client, moto): context, correlation, EMF."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import bootstrap, cleanups, telemetry
from chalicelib.config import get_settings
from chalicelib.events import create_webhook, deliver
from chalicelib.tenancy import Tenant
from tests.conftest import JWT_SECRET
from tests.factories import headers, resource_body, token
from tests.integration.cleanup_helpers import APP_ACTOR, lambda_event, receive_all
from tests.integration.conftest import RecordFactory
from tests.integration.test_events_fixtures import events_env, queued  # noqa: F401
from tests.telemetry_capture import Captured, capture

GET_CLEANUP = bootstrap.cleanup_repository().get  # what the handlers pass to the events reads

TOKEN_TENANT = Tenant("OrgAAAAAA1", "test")  # the organization of tests.factories.token


@pytest.fixture
def captured(capsys: pytest.CaptureFixture[str]) -> Iterator[Captured]:
    with capture(capsys) as found:
        yield found


def create_over_http(client: Client, filters: dict[str, Any] | None = None) -> Any:
    body = resource_body("cleanups", {"resource_type": "skus", "filters": filters or {}})
    response = client.http.post("/api/cleanups", headers=headers(token(JWT_SECRET)), body=body)
    assert response.status_code == 201, response.body
    return json.loads(response.body)["data"]


def test_api_lines_carry_the_lambda_context_and_their_requests_correlation_id(client: Client,
                                                                               captured: Captured) -> None:
    # Given the app behind Chalice's test client
    # When two cleanups are created, one request each
    create_over_http(client)
    create_over_http(client)
    # Then each request's line carries the function's context and a correlation id of its own
    lines = captured.lines("Cleanup created")
    assert len(lines) == 2 and len({line["correlation_id"] for line in lines}) == 2
    assert all(line["function_name"] and line["function_request_id"] and "cold_start" in line for line in lines)
    # And each invocation flushed its metrics as it ended
    assert not telemetry.metrics.metric_set
    assert captured.metrics()[telemetry.CLEANUPS_CREATED] == [1, 1]


def test_worker_lines_are_correlated_by_cleanup_and_batch(client: Client, captured: Captured) -> None:
    # Given a cleanup of three skus created over HTTP, its message on the work queue
    factory = RecordFactory(TOKEN_TENANT)
    for n in range(3):
        factory.full_sku(f"DEL{n:03d}")
    cleanup = create_over_http(client, {"code_start": "DEL"})
    bodies = [message["Body"] for message in receive_all()]
    # When the worker Lambda handles it
    response = client.lambda_.invoke("on_work_message", lambda_event(bodies))
    # Then its lines carry the cleanup id as correlation id, the batch, the message and the function
    assert response.payload == {"batchItemFailures": []}
    (begun,) = captured.lines("Batch begun")
    assert (begun["correlation_id"], begun["batch"], begun["kind"]) == (cleanup["id"], 0, "cleanup_batch")
    assert begun["message_id"] and begun["function_name"]
    assert [line["correlation_id"] for line in captured.lines("Sub-batch counted")] == [cleanup["id"]]
    # And the deleted records and the sub-batch's duration are in the metrics
    metrics = captured.metrics()
    assert metrics[telemetry.RECORDS_DELETED] == [3] and len(metrics[telemetry.SUB_BATCH_DURATION]) == 1
    assert metrics["CleanupsCompleted"] == [1]


def test_a_failing_message_is_logged_with_its_traceback(client: Client, captured: Captured) -> None:
    # Given a cleanup_batch message without its batch number
    body = json.dumps({"kind": "cleanup_batch", "tenant": {"organization_id": "OrgAAAAAA1", "mode": "test"},
                       "cleanup_id": "missing"})
    event = lambda_event([body])
    # When the worker Lambda handles it
    response = client.lambda_.invoke("on_work_message", event)
    # Then SQS is told it failed, and the log says which message failed and why
    assert response.payload == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    (failed,) = captured.lines("Message failed")
    assert failed["level"] == "ERROR" and "KeyError" in failed["exception"]
    assert failed["message_id"] == event["Records"][0]["messageId"]


def test_the_schedule_logs_and_counts_the_reconcilers_report(client: Client, captured: Captured) -> None:
    # Given nothing stalled
    # When the scheduled reconciler runs
    client.lambda_.invoke("reconcile", client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]))
    # Then its report is a line and two metrics, zero each
    (line,) = captured.lines("Reconciled")
    assert (line["requeued"], line["given_up"]) == (0, 0) and line["function_name"]
    metrics = captured.metrics()
    assert metrics[telemetry.CLEANUPS_REQUEUED] == [0] and metrics[telemetry.CLEANUPS_GIVEN_UP] == [0]


@pytest.mark.usefixtures("events_env")
def test_a_failed_webhook_delivery_is_logged_and_counted(tenant: Tenant, captured: Captured,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a webhook whose receiver refuses connections, and a cleanup that fired it
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": "http://127.0.0.1:9/closed"},
                          get_settings())
    cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    (message,) = [body for body, _ in queued() if body["topic"] == "cleanups.create"]
    # When the delivery is attempted
    deliver(message, GET_CLEANUP, get_settings())
    # Then the failure has a line naming the webhook and the attempt, and counts once
    (line,) = captured.lines("Webhook delivery failed")
    assert (line["webhook_id"], line["attempt"], line.get("response_code")) == (hook.id, 1, None)  # no answer came
    assert captured.metrics()[telemetry.WEBHOOK_FAILURES] == [1]
