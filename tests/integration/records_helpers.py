"""Helpers for the records table against moto: raw scans, and clients that count, conflict or crash."""
from __future__ import annotations

from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.transact import key_id

Items = dict[tuple[str, str], dict[str, Any]]


def scan() -> Items:
    """Every raw item of the records table, by (pk, sk)."""
    store = RecordsStore()
    items: Items = {}
    for page in store.client.get_paginator("scan").paginate(TableName=store.table):
        items.update({key_id(item): item for item in page["Items"]})
    return items


class WrappedClient:
    """A DynamoDB client that counts every call; subclasses change one operation."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        self.calls[name] += 1
        return getattr(self._client, name)


class CrashingClient(WrappedClient):
    """TransactWriteItems succeeds `allowed` times, then the worker dies."""

    def __init__(self, client: Any, allowed: int) -> None:
        super().__init__(client)
        self.allowed = allowed

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self.allowed <= 0:
            raise ConnectionError("the worker died")
        self.allowed -= 1
        return self._client.transact_write_items(**kwargs)


class ConflictingClient(WrappedClient):
    """TransactWriteItems is cancelled by a conflicting transaction `times` times first."""

    def __init__(self, client: Any, times: int) -> None:
        super().__init__(client)
        self.times = times

    def transact_write_items(self, TransactItems: list[Any]) -> Any:  # noqa: N803 (boto3's name)
        self.calls["transact_write_items"] += 1
        if self.times > 0:
            self.times -= 1
            reasons = [{"Code": "TransactionConflict"}] + [{"Code": "None"}] * (len(TransactItems) - 1)
            raise ClientError({"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons},
                              "TransactWriteItems")
        return self._client.transact_write_items(TransactItems=TransactItems)




class MeddlingClient(WrappedClient):
    """Runs `meddle()` once, right before the first TransactWriteItems: a write inside the read-delete window."""

    def __init__(self, client: Any, meddle: Any) -> None:
        super().__init__(client)
        self.meddle = meddle

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self.meddle is not None:
            self.meddle, meddle = None, self.meddle
            meddle()
        return self._client.transact_write_items(**kwargs)


class DyingArchive:
    """An archive whose write lands, then the worker dies."""

    def __init__(self, archive: Any) -> None:
        self.archive = archive

    def put(self, key: str, body: bytes) -> None:
        self.archive.put(key, body)
        raise ConnectionError("the worker died")

    def create(self, key: str, body: bytes) -> bytes | None:
        self.archive.create(key, body)
        raise ConnectionError("the worker died")

    def get(self, key: str) -> bytes | None:
        result: bytes | None = self.archive.get(key)
        return result
