"""The per-process moto world (tests/moto_world.py): each test's `tables` is what creating them anew would give;
what `kept` and `seeded` copy is what their build wrote; the app's clients, kept across tests, reach each test's
moto."""
from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.core.models import MockAWS

from chalicelib import aws
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


def _scan_all(tables: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    dynamodb = boto3.client("dynamodb")
    return {name: sorted(dynamodb.scan(TableName=name)["Items"], key=repr) for name in tables.values()}


def _next_test() -> None:
    """What happens between two tests of a worker: moto reset, the world restored fresh."""
    MockAWS.reset(MockAWS())
    moto_world.fresh(lambda: None)


def test_kept_gives_a_later_fresh_world_the_items_and_the_value_its_build_gave(tables: dict[str, str]) -> None:
    # Given a fixture's build that writes into the fresh world and returns what it wrote
    records, applications = tables["RECORDS_TABLE"], tables["APPLICATIONS_TABLE"]

    def build() -> list[str]:
        for key in ("a", "b"):
            boto3.client("dynamodb").put_item(TableName=records, Item={"pk": {"S": key}, "sk": {"S": "1"}})
        boto3.client("dynamodb").put_item(TableName=applications, Item={"client_id": {"S": "c"}})
        return ["a", "b"]
    first = moto_world.kept("test_moto_world kept", build)
    built = _scan_all(tables)
    # When a later test's fresh world asks for the same key (its build would fail if it ran)
    _next_test()
    assert all(not items for items in _scan_all(tables).values())
    later = moto_world.kept("test_moto_world kept", lambda: pytest.fail("built twice"))
    # Then it holds the same items in every table, and gets the same value
    assert later == first == ["a", "b"]
    assert _scan_all(tables) == built


def test_kept_builds_anew_in_a_world_that_already_holds_items(tables: dict[str, str]) -> None:
    # Given a world where an earlier fixture of the test wrote an item
    boto3.client("dynamodb").put_item(TableName=tables["RECORDS_TABLE"], Item={"pk": {"S": "x"}, "sk": {"S": "1"}})
    # When a fixture asks for a kept build / Then it runs (the copy is only for fresh worlds), and is not kept
    assert moto_world.kept("test_moto_world not fresh", lambda: "built") == "built"
    _next_test()
    assert moto_world.kept("test_moto_world not fresh", lambda: "built again") == "built again"


def test_seeded_copies_what_the_seed_wrote_into_a_later_tests_empty_table(tables: dict[str, str]) -> None:
    # Given a seed of the applications table, run once, and a record written before it in the same test
    applications = tables["APPLICATIONS_TABLE"]
    dynamodb = boto3.client("dynamodb")
    seeds: list[int] = []

    def seed() -> None:
        seeds.append(1)
        dynamodb.put_item(TableName=applications, Item={"client_id": {"S": "dev"}, "n": {"N": str(len(seeds))}})
    dynamodb.put_item(TableName=tables["RECORDS_TABLE"], Item={"pk": {"S": "r"}, "sk": {"S": "1"}})
    moto_world.seeded("test_moto_world seed", applications, seed)
    seeded = dynamodb.scan(TableName=applications)["Items"]
    # When a later test's empty table is seeded
    _next_test()
    moto_world.seeded("test_moto_world seed", applications, seed)
    # Then it holds what the seed wrote, without the seed running again, and nothing of the other table
    assert seeds == [1]
    assert dynamodb.scan(TableName=applications)["Items"] == seeded == [{"client_id": {"S": "dev"}, "n": {"N": "1"}}]
    assert dynamodb.scan(TableName=tables["RECORDS_TABLE"])["Items"] == []


def test_a_client_kept_from_an_earlier_test_reaches_the_current_tests_moto(tables: dict[str, str]) -> None:
    # Given the app's DynamoDB client, used in a test that wrote an item
    client = aws.client("dynamodb")
    client.put_item(TableName=tables["RECORDS_TABLE"], Item={"pk": {"S": "old"}, "sk": {"S": "1"}})
    # When the next test starts, and asks for the app's client
    _next_test()
    # Then it is the same client, and it sees that test's fresh world, not the earlier one's item
    assert aws.client("dynamodb") is client
    assert client.scan(TableName=tables["RECORDS_TABLE"])["Items"] == []
