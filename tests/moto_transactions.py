"""moto's TransactWriteItems, made to copy each table once per transaction instead of once per item.

moto (5.x) backs up a table before a transaction by deep-copying it once for every action that names
it: a 100-action transaction on a 1,500-item table copied 150,000 items, which made the batch tests
minutes long. Every copy is of the same state (nothing is written before the backup loop ends), so
one copy per table and transaction changes no answer, only the time. `install()` is idempotent.
"""
from __future__ import annotations

import copy
import threading
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.models.table import Table

_local = threading.local()


class _CopyEachTableOnce:
    """Stands in for the `copy` module inside moto.dynamodb.models: a table is copied once per transaction."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        copies: dict[int, Any] | None = getattr(_local, "copies", None)
        if copies is None or not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in copies:
            copies[id(value)] = copy.deepcopy(value, memo)
        return copies[id(value)]


def install() -> None:
    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "copies_each_table_once", False):
        return
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _local.copies = {}
        try:
            original(self, transact_items)
        finally:
            _local.copies = None

    transact_write_items.copies_each_table_once = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models.copy = _CopyEachTableOnce()  # type: ignore[assignment]
