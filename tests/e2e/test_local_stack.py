"""The local stack over real HTTP: it starts, seeds the dev applications, builds the template's
resources on its emulators, polls the work queue, and stops on SIGTERM freeing its ports."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import jwt
import requests

from devstack.dev_applications import DEV_SECRET
from devstack.processes import port_is_free
from tests.e2e import ROOT, RunningStack, free_ports, launch_stack, start_stack


def test_local_stack_issues_a_token_for_each_dev_application(token: Callable[..., str]) -> None:
    # Given the running stack / When each dev application asks for a token
    claims = {client_id: jwt.decode(token(client_id), options={"verify_signature": False})
              for client_id in ("dev-integration-test", "dev-integration-live", "dev-sales-channel-test")}

    # Then each token names the demo organization, its application and its mode
    assert {c["organization"]["slug"] for c in claims.values()} == {"demo"}
    assert claims["dev-integration-test"]["application"]["kind"] == "integration"
    assert claims["dev-integration-test"]["test"] is True
    assert claims["dev-integration-live"]["test"] is False
    assert claims["dev-sales-channel-test"]["application"]["kind"] == "sales_channel"


def test_local_stack_rejects_a_wrong_secret_with_401(local_stack: RunningStack) -> None:
    # Given a dev client id with the wrong secret / When a token is requested
    response = requests.post(f"{local_stack.api_url}/oauth/token", timeout=10, json={
        "grant_type": "client_credentials", "client_id": "dev-integration-test", "client_secret": "wrong"})

    # Then it is refused
    assert response.status_code == 401


def test_local_stack_refuses_a_5000_character_client_id_with_401(local_stack: RunningStack) -> None:
    # Given a client id over DynamoDB's 2,048-byte key limit (DynamoDB Local enforces it; moto does not)
    # When a token is requested with it
    response = requests.post(f"{local_stack.api_url}/oauth/token", timeout=10, json={
        "grant_type": "client_credentials", "client_id": "x" * 5_000, "client_secret": "dev-secret"})

    # Then it is refused as bad credentials are, not a 500 from the key-size error
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["source"] == {"parameter": "client_id"}


def test_local_stack_creates_tables_on_dynamodb_local_and_queues_on_moto(local_stack: RunningStack) -> None:
    # Given the running stack's emulators
    dynamodb, sqs = local_stack.client("dynamodb"), local_stack.client("sqs")

    # When their resources are listed
    tables = dynamodb.list_tables()["TableNames"]
    work_url = sqs.get_queue_url(QueueName="cleanups-work")["QueueUrl"]
    redrive = json.loads(sqs.get_queue_attributes(QueueUrl=work_url, AttributeNames=["RedrivePolicy"])
                         ["Attributes"]["RedrivePolicy"])

    # Then DynamoDB (DynamoDB Local, on its own port) has the three tables and the work queue redrives to its DLQ
    assert local_stack.dynamodb_endpoint != local_stack.aws_endpoint
    assert {"cleanups-records", "cleanups-cleanups", "cleanups-applications"} <= set(tables)
    assert redrive["deadLetterTargetArn"].endswith(":cleanups-work-dlq")


def test_local_stack_consumer_receives_messages_from_the_work_queue(local_stack: RunningStack) -> None:
    # Given a message nobody can handle, sent to the stack's work queue
    sqs = local_stack.client("sqs")
    url = sqs.get_queue_url(QueueName="cleanups-work")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "e2e-unknown"}))

    # When the stack's pollers have had a moment
    deadline = time.monotonic() + 10
    in_flight = 0
    while time.monotonic() < deadline and not in_flight:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        in_flight = int(attributes["ApproximateNumberOfMessagesNotVisible"])
        time.sleep(0.1)

    # Then it was received by a poller and, as a failure, kept for a retry rather than deleted
    assert in_flight == 1
    assert attributes["ApproximateNumberOfMessages"] == "0"


def test_local_stack_refuses_to_start_on_a_port_in_use() -> None:
    # Given a port someone else listens on
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        aws_port, dynamodb_port = free_ports(2)

        # When the stack is started on it
        result = subprocess.run(
            [sys.executable, "-m", "devstack"], cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={"PATH": "/usr/bin:/bin", "PORT": str(port), "AWS_PORT": str(aws_port),
                 "DYNAMODB_PORT": str(dynamodb_port)},
        )

    # Then it exits with an error naming the port, having started nothing
    assert result.returncode == 1
    assert f"PORT={port}" in result.stderr


def test_local_stack_answers_its_first_request_only_once_every_emulator_and_its_data_are_ready() -> None:
    # Given a stack just launched, its API port watched from the first moment
    stack = launch_stack({"WORKERS": "1"})
    try:
        deadline = time.monotonic() + 90
        while port_is_free(stack.ports["PORT"]):
            assert stack.process.poll() is None and time.monotonic() < deadline, stack.log()[-3000:]
            time.sleep(0.01)

        # When a token is requested the moment the port opens
        response = requests.post(f"{stack.api_url}/oauth/token", timeout=30, json={
            "grant_type": "client_credentials", "client_id": "dev-integration-test", "client_secret": DEV_SECRET})
        tables = stack.client("dynamodb").list_tables()["TableNames"]
        queues = stack.client("sqs").list_queues().get("QueueUrls", [])
        buckets = [bucket["Name"] for bucket in stack.client("s3").list_buckets()["Buckets"]]
    finally:
        code = stack.stop()

    # Then it is issued (no 500 from a DynamoDB Local still starting), the tables, queues and bucket exist already
    assert response.status_code == 200, response.text
    assert {"cleanups-records", "cleanups-cleanups", "cleanups-applications"} <= set(tables)
    assert any(url.endswith("/cleanups-work") for url in queues) and buckets
    assert code == 0


def test_local_stack_stops_on_sigterm_and_frees_its_ports() -> None:
    # Given a second stack, answering HTTP
    stack = start_stack({"WORKERS": "1"})
    try:
        assert stack.token()
    finally:
        # When it gets SIGTERM
        code = stack.stop()

    # Then it exits cleanly and every port it used is free again (stop() checks each one)
    assert code == 0


def test_local_stack_without_java_exits_naming_what_dynamodb_local_needs(tmp_path: Path) -> None:
    # Given free ports and a PATH where no java is found
    port, aws_port, dynamodb_port = free_ports(3)

    # When the stack is started
    result = subprocess.run(
        [sys.executable, "-m", "devstack"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": str(tmp_path), "PORT": str(port), "AWS_PORT": str(aws_port), "DYNAMODB_PORT": str(dynamodb_port)},
    )

    # Then it exits with an error naming Java 17 and the package that provides it
    assert result.returncode == 1
    assert "java not found: DynamoDB Local needs Java 17+ (apt-get install openjdk-17-jre-headless)" in result.stderr
