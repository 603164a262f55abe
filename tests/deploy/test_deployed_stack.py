"""The packaged stack, deployed by `scripts/deploy.sh` to MiniStack, driven over its API Gateway endpoint.

No local poller or schedule thread runs in this suite: the cleanup work is done by the deployed worker
Lambda, fed by the template's SQS event source mapping, and the reconciler by the template's schedule.
The tests read that from MiniStack itself (the mapping, the functions' CloudWatch log groups).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.cleanups.domain.report import read_csv
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.deploy import DeployedStack, eventually
from tests.deploy.api import DeployedApi
from tests.webhook_receiver import Receiver, receiving
from tools.seed import seed

# One xdist worker for every test that builds the package: chalice's zip cache is not safe in parallel.
pytestmark = pytest.mark.xdist_group("package")


@pytest.fixture(scope="module")
def api(deployed: DeployedStack) -> DeployedApi:
    return DeployedApi(deployed.endpoint_url, deployed.token())


def seed_skus(stack: DeployedStack, count: int) -> str:
    """`count` skus with their prices, stock items and list items, written straight to the deployed table."""
    store = RecordsStore(stack.ministack.client("dynamodb"), stack.outputs["RecordsTableName"])
    return f"SEED-{seed(Tenant(stack.organization_id, 'test'), skus=count, store=store).tag}-"


def create_cleanup(api: DeployedApi, prefix: str) -> dict[str, Any]:
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_start": prefix}}}})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def structured(stack: DeployedStack, output: str) -> list[dict[str, Any]]:
    """The JSON lines (Powertools log lines, EMF blobs) in a function's log group."""
    return [json.loads(message) for message in stack.log_messages(output) if message.startswith("{")]


def invocations(stack: DeployedStack, output: str) -> int:
    return sum(message.startswith("START RequestId") for message in stack.log_messages(output))


def test_deployed_stack_issues_tokens_and_stores_records(deployed: DeployedStack, api: DeployedApi) -> None:
    # Given the application the operator command created in the deployed applications table
    # When it asks the deployed token endpoint for a token and creates records with it
    category = api.create("shipping_categories", {"name": "Deployed"})
    sku = api.create("skus", {"code": "DEPLOYED-1", "name": "Deployed 1"},
                     {"shipping_category": ("shipping_categories", category["id"])})
    # Then the records are stored and listed by the deployed API Lambda
    listed = api.get("/api/skus", **{"filter[q][code_eq]": "DEPLOYED-1"})
    assert [item["id"] for item in listed["data"]] == [sku["id"]]
    assert deployed.outputs["EndpointURL"].endswith("/api/")


def test_deployed_worker_lambda_completes_a_3000_sku_cleanup(deployed: DeployedStack, api: DeployedApi) -> None:
    # Given 3,000 skus and a worker that has not run yet
    prefix = seed_skus(deployed, 3000)
    before = invocations(deployed, "OnWorkMessageLogGroupName")
    # When a cleanup of them is created over the deployed API
    cleanup = create_cleanup(api, prefix)
    attributes = api.wait_for(cleanup["id"])
    # Then it completes with exact counts and the skus are gone
    assert attributes["status"] == "completed", attributes
    assert (attributes["records_count"], attributes["processed_count"], attributes["errors_count"]) == (3000, 3000, 0)
    assert api.count("skus", code_start=prefix) == 0
    # And the work was done by the deployed worker Lambda, invoked by the template's event source mapping
    # (one invocation per 500-record message: BatchSize 1), not by anything in this process
    (mapping,) = deployed.ministack.client("lambda").list_event_source_mappings(
        FunctionName=deployed.outputs["OnWorkMessageLogGroupName"].removeprefix("/aws/lambda/"))["EventSourceMappings"]
    assert mapping["EventSourceArn"].endswith(":cleanups-work") and mapping["State"] == "Enabled"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # (CloudWatch Logs receives a function's lines when its invocation ends: read until they are all in)
    ran = eventually(lambda: invocations(deployed, "OnWorkMessageLogGroupName") - before, lambda n: n >= 6, timeout=30)
    assert ran >= 3000 // 500
    # And the worker logged each counted sub-batch as a structured line correlated to the cleanup, with EMF metrics
    # (the invocations above may include others than the six that count, and a count's invocation may still be
    # running: read until the counted lines add up)
    def counted_lines() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        lines = structured(deployed, "OnWorkMessageLogGroupName")
        return lines, [line for line in lines if line.get("message") == "Sub-batch counted"
                       and line.get("correlation_id") == cleanup["id"]]
    lines, counted = eventually(counted_lines, lambda read: sum(line["deleted"] for line in read[1]) >= 3000,
                                timeout=30)
    assert sum(line["deleted"] for line in counted) == 3000 and all(line["function_name"] for line in counted)
    assert any(line.get("_aws", {}).get("CloudWatchMetrics", [{}])[0].get("Namespace") == "Cleanups" for line in lines)


def test_deployed_stage_lists_cleanups_newest_first_from_its_created_at_index(deployed: DeployedStack,
                                                                             api: DeployedApi) -> None:
    # Given the deployed cleanups table, its created_at index built by CloudFormation from the template
    table = deployed.ministack.client("dynamodb").describe_table(
        TableName=deployed.outputs["CleanupsTableName"])["Table"]
    keys = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in table["GlobalSecondaryIndexes"]}
    assert keys["created_at"] == ["pk", "created_at"]  # (MiniStack reports no IndexStatus)
    # When five cleanups are created (each matches nothing: born completed) and the first page is read newest first
    made = [create_cleanup(api, f"NOTHING-{secrets.token_hex(4)}-") for _ in range(5)]
    listed = api.get("/api/cleanups", sort="-created_at", **{"page[size]": "5"})
    # Then they are that page, newest first (ties by id), read from the index: the API Lambda logged no fallback
    newest = sorted(sorted(made, key=lambda c: c["id"]), key=lambda c: c["attributes"]["created_at"], reverse=True)
    assert [item["id"] for item in listed["data"]] == [c["id"] for c in newest]
    assert not [line for line in structured(deployed, "APIHandlerLogGroupName")
                if "refused a query" in str(line.get("message"))]


def test_deployed_interrupt_stops_the_cleanup_with_consistent_counts(deployed: DeployedStack,
                                                                      api: DeployedApi) -> None:
    # Given a running cleanup over 1,000 seeded skus
    prefix = seed_skus(deployed, 1000)
    cleanup = create_cleanup(api, prefix)
    # When the client sends _interrupt right away
    response = api.request("PATCH", f"/api/cleanups/{cleanup['id']}", {"data": {
        "type": "cleanups", "id": cleanup["id"], "attributes": {"_interrupt": True}}})
    # Then the cleanup is interrupted, and what the workers deleted is exactly what they counted
    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["status"] == "interrupted"
    settled = eventually(lambda: (api.get(f"/api/cleanups/{cleanup['id']}")["data"]["attributes"],
                                  api.count("skus", code_start=prefix)),
                         lambda seen: seen[0]["processed_count"] + seen[1] == 1000, timeout=60, pause=1)
    assert settled[0]["processed_count"] + settled[1] == settled[0]["records_count"] == 1000


def test_deployed_report_url_downloads_one_row_per_sku(deployed: DeployedStack, api: DeployedApi) -> None:
    # Given a completed cleanup of 300 seeded skus (each with a price, its tier, a stock item and a list item)
    prefix = seed_skus(deployed, 300)
    cleanup = create_cleanup(api, prefix)
    assert api.wait_for(cleanup["id"])["status"] == "completed"
    # When its report_url (written by the deployed worker, signed by the deployed API) is fetched without a token
    attributes = eventually(lambda: api.get(f"/api/cleanups/{cleanup['id']}")["data"]["attributes"],
                            lambda a: bool(a["report_url"]), timeout=60, pause=1)
    response = requests.get(attributes["report_url"], timeout=60)
    # Then it is the gzip'ed CSV with one deleted row per sku and what went with each
    assert response.status_code == 200, response.text[:500]
    rows = read_csv(response.content)
    assert len(rows) == len({r["id"] for r in rows}) == attributes["records_count"] == 300
    assert {r["outcome"] for r in rows} == {"deleted"}
    assert all((r["prices"], r["price_volume_tiers"], r["stock_items"], r["sku_list_items"]) == ("1",) * 4
               for r in rows)
    assert all(api.request("GET", f"/api/skus/{r['id']}").status_code == 404 for r in rows[:10])


@pytest.fixture
def receiver(receiver_certificate: tuple[Path, Path]) -> Iterator[str]:
    """An https receiver on loopback (the deployed stage accepts only https callback URLs)."""
    with receiving("/hook", receiver_certificate) as url:
        yield url


def test_deployed_worker_delivers_a_signed_webhook(deployed: DeployedStack, api: DeployedApi, receiver: str) -> None:
    # Given a webhook on cleanups.complete pointing at a receiver on loopback
    webhook = api.create("webhooks", {"topic": "cleanups.complete", "callback_url": receiver})
    prefix = seed_skus(deployed, 3)
    # When a cleanup completes
    cleanup = create_cleanup(api, prefix)
    assert api.wait_for(cleanup["id"])["status"] == "completed"
    # Then the deployed worker POSTs the event, signed with the webhook's shared secret
    deliveries = eventually(lambda: [r for r in Receiver.received if json.loads(r[1])["data"]["id"] == cleanup["id"]],
                            bool, timeout=60)
    assert deliveries, "no delivery arrived"
    headers, body = deliveries[0]
    secret = webhook["attributes"]["shared_secret"].encode()
    expected = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    assert headers["x-commercelayer-signature"] == expected
    assert headers["x-commercelayer-topic"] == "cleanups.complete"
    api.request("DELETE", f"/api/webhooks/{webhook['id']}")


def test_deployed_queue_moves_a_poison_message_to_the_dlq(deployed: DeployedStack) -> None:
    # Given the deployed work queue, its visibility timeout shortened for this test only: ten receives
    # at the template's 60 s would take ten minutes
    sqs = deployed.ministack.client("sqs")
    queue_url, dlq_url = deployed.outputs["WorkQueueUrl"], deployed.outputs["WorkDeadLetterQueueUrl"]
    visibility = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"VisibilityTimeout": "1"})
    try:
        # When a message no handler can read is sent to it
        marker = f"poison-{secrets.token_hex(4)}"
        sqs.send_message(QueueUrl=queue_url, MessageBody=marker)
        # Then the worker fails it on every receive and the redrive policy moves it to the DLQ
        def dead_letters() -> list[str]:
            received = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            return [m["Body"] for m in received.get("Messages", [])]
        assert marker in eventually(dead_letters, lambda bodies: marker in bodies, timeout=90, pause=1)
    finally:
        sqs.set_queue_attributes(QueueUrl=queue_url, Attributes=visibility)


def test_deployed_schedule_runs_the_reconciler(deployed: DeployedStack) -> None:
    # Given the stack's EventBridge schedule (rate 1 minute) on the Reconcile function
    # When up to a minute and a half has passed since the deployment
    # Then the deployed Reconcile function has been invoked by it and finished without error
    messages = eventually(lambda: deployed.log_messages("ReconcileLogGroupName"),
                          lambda found: any(m.startswith("REPORT RequestId") for m in found), timeout=90, pause=2)
    assert any(m.startswith("REPORT RequestId") for m in messages), messages
    assert not any("Traceback" in m for m in messages), messages


def test_deployed_scheduled_function_creates_a_due_schedules_cleanup(deployed: DeployedStack, api: DeployedApi) -> None:
    # Given seeded skus and a schedule due at the next minute boundary, selecting them
    prefix = seed_skus(deployed, 2)
    response = api.request("POST", "/api/cleanup_schedules", {"data": {"type": "cleanup_schedules", "attributes": {
        "name": "every minute", "resource_type": "skus", "cron": "* * * * *",
        "filters": {"code_start": prefix, "created_at_lt": "now-PT0S"}}}})
    assert response.status_code == 201, response.text
    schedule_id = response.json()["data"]["id"]
    # When the stack's EventBridge schedule invokes the deployed RunSchedules function (nothing else acts)
    shown = eventually(lambda: api.get(f"/api/cleanup_schedules/{schedule_id}")["data"]["attributes"],
                       lambda attributes: attributes["runs_count"] > 0, timeout=180, pause=3)
    api.request("PATCH", f"/api/cleanup_schedules/{schedule_id}", {"data": {
        "type": "cleanup_schedules", "id": schedule_id, "attributes": {"enabled": False}}})
    # Then its run created a cleanup of the two skus, which the deployed worker completes
    assert shown["last_run_outcome"] == "created", shown
    (cleanup, *_) = api.get(f"/api/cleanup_schedules/{schedule_id}/cleanups")["data"]
    assert cleanup["attributes"]["records_count"] == 2
    assert api.wait_for(cleanup["id"])["status"] == "completed"
    # And the function logged the run
    assert any(line.get("message") == "Schedule ran" and line.get("schedule_id") == schedule_id
               for line in structured(deployed, "RunSchedulesLogGroupName"))


def test_deployed_stack_keeps_logs_30_days_and_alarms_on_failures(deployed: DeployedStack) -> None:
    # Given the deployed stack
    logs, cloudwatch = deployed.ministack.client("logs"), deployed.ministack.client("cloudwatch")
    # When its log groups and alarms are read
    names = [deployed.outputs[f"{fn}LogGroupName"] for fn in ("APIHandler", "OnWorkMessage", "Reconcile",
                                                              "RunSchedules")]
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]}
    alarms = cloudwatch.describe_alarms()["MetricAlarms"]
    # Then each function's log group is the one Lambda writes to, with retention, and the four alarms exist
    assert all(groups[name]["retentionInDays"] == 30 for name in names)
    assert {(a["Namespace"], a["MetricName"]) for a in alarms} >= {
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"), ("AWS/Lambda", "Errors"), ("AWS/ApiGateway", "5XXError"),
        ("Cleanups", "CleanupsGivenUp"), ("Cleanups", "ScheduleRunsFailed")}


def test_unknown_route_on_ministack_is_not_the_templates_gateway_response(deployed: DeployedStack) -> None:
    # Given a path no route serves
    # When it is requested from the deployed stage
    response = requests.get(f"{deployed.endpoint_url}/api/no/such/route/here", timeout=30)
    # Then the gateway refuses it; MiniStack DIFFERS from AWS here: it does not import the gateway
    # responses of the API definition (x-amazon-apigateway-gateway-responses), so the body is its own
    # error, not the JSON:API 404 AWS returns (tests/integration/test_package.py checks those responses)
    assert response.status_code in (403, 404)
    assert response.headers.get("Content-Type") != "application/vnd.api+json"
