"""Measure on DynamoDB Local the largest item the cleanups table's layout accepts (docs/DESIGN.md#item-budget).

A table keyed like the cleanups table, with its two local indexes projecting every attribute: the largest
padding string a PutItem accepts for an item in no local index, in `by_status`, and in both. Prints one JSON
line per case. Run: `.venv/bin/python -m scripts.measure_item_limit`.
"""
from __future__ import annotations

import json
import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

from devstack import dynamodb_local
from devstack.embedded_aws import FAKE_CREDENTIALS, REGION
from devstack.processes import url, wait_for_port
from tests.e2e import free_ports

KEYS = {"pk": "t#cleanups", "sk": "abcdefghij"}


def _client(port: int) -> Any:
    return boto3.session.Session().client("dynamodb", endpoint_url=url(port), region_name=REGION,
                                          aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                          aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def _table(client: Any) -> None:
    strings = [{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "by_status", "by_reference")]
    local = [{"IndexName": name, "Projection": {"ProjectionType": "ALL"},
              "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": name, "KeyType": "RANGE"}]}
             for name in ("by_status", "by_reference")]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    client.create_table(TableName="budget", BillingMode="PAY_PER_REQUEST", AttributeDefinitions=strings,
                        KeySchema=keys, LocalSecondaryIndexes=local)


def _accepted(client: Any, keys: dict[str, str], padding: int) -> bool:
    item = {name: {"S": value} for name, value in keys.items()} | {"p": {"S": "x" * padding}}
    try:
        client.put_item(TableName="budget", Item=item)
    except ClientError as refused:
        if refused.response["Error"]["Code"] != "ValidationException":
            raise
        return False
    return True


def largest(client: Any, keys: dict[str, str]) -> int:
    """The largest padding accepted (a binary search: the limit is one size, not a range)."""
    low, high = 0, 410 * 1024
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if _accepted(client, keys, middle) else (low, middle - 1)
    return low


def main() -> None:
    (port,) = free_ports(1)
    child = dynamodb_local.spawn(port, os.environ)
    try:
        wait_for_port(port, 60, child.process)
        client = _client(port)
        _table(client)
        cases = {"no local index": KEYS, "by_status": KEYS | {"by_status": "pending#abcdefghij"},
                 "both": KEYS | {"by_status": "pending#abcdefghij", "by_reference": "3:ref#abcdefghij"}}
        for case, keys in cases.items():
            padding = largest(client, keys)
            # an item's size: its attribute names and values, UTF-8 (DynamoDB's rule for strings)
            item_bytes = sum(len(k) + len(v) for k, v in keys.items()) + len("p") + padding
            print(json.dumps({"case": case, "largest_padding": padding, "item_bytes": item_bytes,
                              "copies": 1 + len(keys) - 2, "total": item_bytes * (len(keys) - 1)}))
    finally:
        child.stop()


if __name__ == "__main__":
    main()
