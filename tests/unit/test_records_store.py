"""The records adapter with a fake client: batch retries, chunking, error translation."""
from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.exceptions import TooManyRequestsError
from chalicelib.records.adapters.store import ConditionFailed, RecordsStore


def _key(n: int) -> dict[str, Any]:
    return {"pk": {"S": "p"}, "sk": {"S": f"{n:04d}"}}


class FakeClient:
    """Leaves the first `unprocessed` items of every call unprocessed, `rounds` times."""

    def __init__(self, rounds: int = 0, unprocessed: int = 1) -> None:
        self.rounds = rounds
        self.unprocessed = unprocessed
        self.writes: list[list[Any]] = []
        self.gets: list[list[Any]] = []

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        requests = RequestItems["t"]
        self.writes.append(requests)
        if self.rounds > 0:
            self.rounds -= 1
            return {"UnprocessedItems": {"t": requests[:self.unprocessed]}}
        return {"UnprocessedItems": {}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        keys = RequestItems["t"]["Keys"]
        self.gets.append(keys)
        if self.rounds > 0:
            self.rounds -= 1
            return {"Responses": {"t": keys[1:]}, "UnprocessedKeys": {"t": {"Keys": keys[:1]}}}
        return {"Responses": {"t": keys}}

    def put_item(self, **_: Any) -> None:
        raise ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem")


def test_batch_delete_sends_25_keys_a_call_and_deduplicates():
    client = FakeClient()
    RecordsStore(client, "t").batch_delete([_key(n % 60) for n in range(70)])
    assert [len(w) for w in client.writes] == [25, 25, 10]


def test_batch_delete_retries_unprocessed_items_with_backoff():
    client, sleeps = FakeClient(rounds=2), []
    RecordsStore(client, "t", sleep=sleeps.append).batch_delete([_key(n) for n in range(3)])
    assert [len(w) for w in client.writes] == [3, 1, 1] and len(sleeps) == 2
    assert all(0 <= s <= 2.0 for s in sleeps)


def test_batch_delete_gives_up_after_too_many_rounds():
    with pytest.raises(TooManyRequestsError):
        RecordsStore(FakeClient(rounds=100), "t", sleep=lambda _: None).batch_delete([_key(1), _key(2)])


def test_batch_get_reads_100_keys_a_call_and_retries_unprocessed_keys():
    client = FakeClient(rounds=1)
    found = RecordsStore(client, "t", sleep=lambda _: None).batch_get([_key(n) for n in range(150)])
    assert len(found) == 150 and [len(g) for g in client.gets] == [100, 1, 50]


def test_a_failed_condition_becomes_condition_failed():
    with pytest.raises(ConditionFailed):
        RecordsStore(FakeClient(), "t").put(_key(1), condition="attribute_not_exists(pk)")
