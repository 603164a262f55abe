"""The patched moto TransactWriteItems (tests/speedups.py) still rolls back every table it touched."""
from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError


def _put(table: str, pk: str, **condition: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": "x"}}, **condition}}


def _keys(client: Any, table: str) -> set[str]:
    return {item["pk"]["S"] for item in client.scan(TableName=table)["Items"]}


def test_a_cancelled_transaction_leaves_both_tables_as_they_were(tables: dict[str, str]) -> None:
    # Given one item in the records table, and a transaction writing both tables whose last action fails
    client = boto3.client("dynamodb")
    records, cleanups = tables["RECORDS_TABLE"], tables["CLEANUPS_TABLE"]
    client.put_item(TableName=records, Item={"pk": {"S": "taken"}, "sk": {"S": "x"}})
    actions = [_put(records, "a"), _put(cleanups, "b"), _put(records, "c"),
               _put(records, "taken", ConditionExpression="attribute_not_exists(pk)")]
    # When it runs, then it is cancelled
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=actions)
    # And neither table kept any of its writes
    assert _keys(client, records) == {"taken"} and _keys(client, cleanups) == set()
    # And a transaction that succeeds afterwards writes both
    client.transact_write_items(TransactItems=actions[:3])
    assert _keys(client, records) == {"taken", "a", "c"} and _keys(client, cleanups) == {"b"}


def test_a_cancelled_transaction_puts_back_the_items_it_updated_replaced_deleted_or_created(
        tables: dict[str, str]) -> None:
    # Given three items of the records table, and a transaction that updates one, replaces one, deletes one,
    # creates two (one by update) and then fails its condition
    client = boto3.client("dynamodb")
    records = tables["RECORDS_TABLE"]
    for pk in ("updated", "replaced", "deleted"):
        client.put_item(TableName=records, Item={"pk": {"S": pk}, "sk": {"S": "x"}, "n": {"N": "1"}})
    before = client.scan(TableName=records, ConsistentRead=True)["Items"]
    key = {"pk": {"S": "updated"}, "sk": {"S": "x"}}
    actions = [
        {"Update": {"TableName": records, "Key": key, "UpdateExpression": "SET n = n + :one, m = :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": records, "Item": {"pk": {"S": "replaced"}, "sk": {"S": "x"}}}},
        {"Delete": {"TableName": records, "Key": {"pk": {"S": "deleted"}, "sk": {"S": "x"}}}},
        _put(records, "created"),
        {"Update": {"TableName": records, "Key": {"pk": {"S": "upserted"}, "sk": {"S": "y"}},
                    "UpdateExpression": "SET n = :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        _put(records, "absent", ConditionExpression="attribute_exists(pk)"),
    ]
    # When it runs, then it is cancelled
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=actions)
    # Then the table is item for item as it was
    after = client.scan(TableName=records, ConsistentRead=True)["Items"]
    assert sorted(after, key=lambda item: item["pk"]["S"]) == sorted(before, key=lambda item: item["pk"]["S"])
    # And the same transaction without its failing action writes every change
    client.transact_write_items(TransactItems=actions[:-1])
    assert _keys(client, records) == {"updated", "replaced", "created", "upserted"}
    assert client.get_item(TableName=records, Key=key)["Item"]["n"] == {"N": "2"}
