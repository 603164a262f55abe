"""Tables and queues created from `infra/template.json` in moto match the template."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.auth.applications import verify_credentials
from devstack import create_resources, default_table_names, load_template
from devstack.dev_applications import DEV_SECRET, seed_dev_applications
from devstack.processes import StackError

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
TABLE_NAMES = {"RECORDS_TABLE": "local-records", "CLEANUPS_TABLE": "local-cleanups",
               "APPLICATIONS_TABLE": "local-applications"}


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    """In-process moto with fake credentials, no emulator endpoint, and table names in the environment."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", **TABLE_NAMES}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("dynamodb"), boto3.client("sqs")


def key_schema(entries: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(entry["AttributeName"], entry["KeyType"]) for entry in entries]


def test_create_resources_builds_every_template_table_with_its_keys_and_indexes(clients: tuple[Any, Any]) -> None:
    # Given the deployment template and table names from the environment
    dynamodb, sqs = clients

    # When the resources are created
    created = create_resources(dynamodb, sqs, default_table_names())

    # Then each table has the template's keys, attribute types, billing mode and GSIs, under its env name
    tables = {lid: resource["Properties"] for lid, resource in RESOURCES.items()
              if resource.get("Type") == "AWS::DynamoDB::Table"}
    compared_indexes = 0
    assert created.tables == {"RecordsTable": "local-records", "CleanupsTable": "local-cleanups",
                              "ApplicationsTable": "local-applications"}
    for logical_id, properties in tables.items():
        table = dynamodb.describe_table(TableName=created.tables[logical_id])["Table"]
        assert key_schema(table["KeySchema"]) == key_schema(properties["KeySchema"])
        assert sorted(map(str, table["AttributeDefinitions"])) == sorted(map(str, properties["AttributeDefinitions"]))
        assert table["BillingModeSummary"]["BillingMode"] == properties["BillingMode"]
        expected = {index["IndexName"]: (key_schema(index["KeySchema"]), index["Projection"]["ProjectionType"])
                    for index in properties.get("GlobalSecondaryIndexes", [])}
        actual = {index["IndexName"]: (key_schema(index["KeySchema"]), index["Projection"]["ProjectionType"])
                  for index in table.get("GlobalSecondaryIndexes", [])}
        assert actual == expected
        compared_indexes += len(actual)
    assert compared_indexes == 8  # rel0..rel3, code, reference, active, due: the comparison was not vacuous


def test_create_resources_enables_the_templates_time_to_live(clients: tuple[Any, Any]) -> None:
    # Given the template's TTL on the cleanups table
    dynamodb, sqs = clients

    # When the resources are created
    created = create_resources(dynamodb, sqs, default_table_names())

    # Then TTL is enabled on the template's attribute
    ttl = dynamodb.describe_time_to_live(TableName=created.tables["CleanupsTable"])["TimeToLiveDescription"]
    assert ttl == {"AttributeName": "expires_at", "TimeToLiveStatus": "ENABLED"}


def test_create_resources_gives_the_work_queue_its_visibility_timeout_and_a_redrive_to_the_dlq(
        clients: tuple[Any, Any]) -> None:
    # Given the template's work queue and its dead-letter queue
    dynamodb, sqs = clients
    work = RESOURCES["WorkQueue"]["Properties"]

    # When the resources are created
    created = create_resources(dynamodb, sqs, default_table_names())

    # Then the work queue redrives to the DLQ's real ARN after the template's maxReceiveCount
    url = created.queue_urls["WorkQueue"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == created.queue_arns["WorkDeadLetterQueue"]
    assert created.queue_arns["WorkDeadLetterQueue"].endswith(":cleanups-work-dlq")
    assert int(redrive["maxReceiveCount"]) == work["RedrivePolicy"]["maxReceiveCount"]
    assert attributes["VisibilityTimeout"] == str(work["VisibilityTimeout"])
    assert sqs.get_queue_url(QueueName=work["QueueName"])["QueueUrl"] == created.queue_urls["WorkQueue"]


def test_create_resources_keeps_what_already_exists(clients: tuple[Any, Any]) -> None:
    # Given resources created once, with an item stored and a message queued
    dynamodb, sqs = clients
    first = create_resources(dynamodb, sqs, default_table_names())
    dynamodb.put_item(TableName=first.tables["ApplicationsTable"], Item={"client_id": {"S": "kept"}})
    sqs.send_message(QueueUrl=first.queue_urls["WorkQueue"], MessageBody="{}")

    # When they are created again
    second = create_resources(dynamodb, sqs, default_table_names())

    # Then nothing was recreated: same queues, the item and the message are still there
    assert second == first
    assert "Item" in dynamodb.get_item(TableName=first.tables["ApplicationsTable"], Key={"client_id": {"S": "kept"}})
    attributes = sqs.get_queue_attributes(QueueUrl=first.queue_urls["WorkQueue"],
                                          AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_create_resources_refuses_a_kept_table_whose_indexes_differ_from_the_template(
        clients: tuple[Any, Any]) -> None:
    # Given a records table kept from an earlier run, made before the template had its indexes
    dynamodb, sqs = clients
    keys = RESOURCES["RecordsTable"]["Properties"]["KeySchema"]
    named = {key["AttributeName"] for key in keys}
    dynamodb.create_table(TableName=TABLE_NAMES["RECORDS_TABLE"], BillingMode="PAY_PER_REQUEST", KeySchema=keys,
                          AttributeDefinitions=[definition for definition in
                                                RESOURCES["RecordsTable"]["Properties"]["AttributeDefinitions"]
                                                if definition["AttributeName"] in named])

    # When the resources are created / Then it is an error that says how to start afresh
    with pytest.raises(StackError, match=r"local-records exists with other keys or indexes.*make reset"):
        create_resources(dynamodb, sqs, default_table_names())


def test_seed_dev_applications_keeps_the_applications_a_restarted_stack_finds(tables: dict[str, str]) -> None:
    # Given the dev applications seeded once (a stack's first start on its data folder)
    first = seed_dev_applications()

    # When they are seeded again (the restart)
    second = seed_dev_applications()

    # Then they are the same applications, ids included, and their secret still works
    assert second == first
    assert verify_credentials(first[0].client_id, DEV_SECRET) == first[0]
