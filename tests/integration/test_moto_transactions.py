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
