"""The per-process moto world (tests/moto_world.py): each test's `tables` is what creating them anew would give."""
from __future__ import annotations

from typing import Any

import boto3
from moto.core.models import MockAWS

from tests import moto_world
from tests.conftest import _create_world


def _described() -> dict[str, Any]:
    dynamodb, sqs, s3 = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3")
    unstable = {"CreationDateTime", "TableArn", "TableId", "CreatedTimestamp", "LastModifiedTimestamp"}
    tables = {}
    for name in dynamodb.list_tables()["TableNames"]:
        table = dynamodb.describe_table(TableName=name)["Table"]
        tables[name] = {key: value for key, value in table.items() if key not in unstable}
        tables[name]["ttl"] = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        tables[name]["items"] = dynamodb.scan(TableName=name)["Count"]
        for index in table.get("GlobalSecondaryIndexes", []):
            tables[name][index["IndexName"]] = dynamodb.scan(TableName=name, IndexName=index["IndexName"])["Count"]
    queues = {}
    for url in sqs.list_queues().get("QueueUrls", []):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        queues[url] = {key: value for key, value in attributes.items() if key not in unstable}
    buckets = {bucket["Name"]: s3.list_objects_v2(Bucket=bucket["Name"])["KeyCount"]
               for bucket in s3.list_buckets()["Buckets"]}
    return {"tables": tables, "queues": queues, "buckets": buckets}


def _dirty(tables: dict[str, str]) -> None:
    dynamodb, sqs, s3 = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3")
    for name in tables.values():
        # Every key attribute of the table and its indexes, so the item is in every index too
        definitions = dynamodb.describe_table(TableName=name)["Table"]["AttributeDefinitions"]
        values = {"S": "x", "N": "1", "B": b"x"}
        dynamodb.put_item(TableName=name, Item={
            part["AttributeName"]: {part["AttributeType"]: values[part["AttributeType"]]} for part in definitions})
    for url in sqs.list_queues()["QueueUrls"]:
        sqs.send_message(QueueUrl=url, MessageBody="in flight")
        sqs.receive_message(QueueUrl=url, VisibilityTimeout=600)
        sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=600)
    for bucket in s3.list_buckets()["Buckets"]:
        s3.put_object(Bucket=bucket["Name"], Key="object", Body=b"x")
    dynamodb.create_table(TableName="extra", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    sqs.create_queue(QueueName="extra")
    s3.create_bucket(Bucket="extra")
    boto3.client("ssm").put_parameter(Name="extra", Value="x", Type="String")


def test_moto_world_restores_what_creating_the_resources_anew_gives(tables: dict[str, str]) -> None:
    # Given a world built from scratch, as the first test of a process sees it
    MockAWS.reset(MockAWS())
    _create_world({logical_id: name for logical_id, name in zip(
        ("RecordsTable", "CleanupsTable", "ApplicationsTable"), tables.values(), strict=True)})
    built = _described()
    # And a test that filled every table, queue (in flight and delayed) and bucket and created more
    _dirty(tables)
    assert _described() != built
    # When the next test's moto is reset and the world restored
    MockAWS.reset(MockAWS())
    moto_world.fresh(lambda: None)
    # Then it is the world as built: empty, with the same tables, indexes, queues and bucket, nothing more
    assert _described() == built
    assert boto3.client("ssm").describe_parameters()["Parameters"] == []
