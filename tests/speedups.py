"""Speed-ups of the libraries the tests run on (moto, botocore) that change no answer, only the time.

- moto (5.x) backs up a table before TransactWriteItems by deep-copying it whole once for every action
  that names it (150,000 items for 100 actions on a 1,500-item table), to put it back if the transaction
  is cancelled. Only the items the actions name can change, so a copy of those (or a note that there was
  none) puts back the same state; a table with a stream keeps moto's whole copy, one per transaction.
- moto lexes each request's condition or filter expression anew (~9 ms for a 100-value IN list, sent by a long
  `_in` filter once per value's Query). Tokens depend only on the text: each text is lexed once per process.
- botocore parses its JSON models (endpoints, each service) once per session, and every test makes
  new sessions (moto resets boto3's default session; `chalicelib.aws` makes one per client): over a
  second of CPU per test. One loader for the process is what one session already does for its clients.
`install()` is idempotent.
"""
from __future__ import annotations

import collections
import copy
import functools
import threading
from typing import Any

import botocore.session
from botocore.loaders import create_loader
from moto.dynamodb import models
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_local = threading.local()


class _CopyEachTableOnce:
    """Stands in for the `copy` module inside moto.dynamodb.models during a transaction: a table backed up
    by its items' copies is not copied (the backup is the table itself), any other is copied once."""

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


Saved = tuple[Table, Any, Any, Any]  # a table, an item's hash and range key values, a copy of the item or None


def _saved_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[Saved]:
    """A copy of every item the actions name, as it is before the transaction (None where there is none)."""
    saved = []
    for action in transact_items:
        op_type, op = next(iter(action.items()))
        table = backend.tables.get(op.get("TableName"))
        try:
            key = op["Item"] if op_type == "Put" else op["Key"]
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (AttributeError, KeyError, TypeError):
            continue  # no such table, or no key: moto refuses the action without writing
        current = table.items.get(hash_value)
        if range_value is not None:
            current = current.get(range_value) if isinstance(current, dict) else None
        saved.append((table, hash_value, range_value, copy.deepcopy(current)))
    return saved


def _put_back(saved: list[Saved]) -> None:
    for table, hash_value, range_value, item in reversed(saved):
        if range_value is None:
            table.items.pop(hash_value, None)
            if item is not None:
                table.items[hash_value] = item
            continue
        partition = table.items.get(hash_value)
        if partition is not None:
            partition.pop(range_value, None)
        if item is not None:
            table.items[hash_value][range_value] = item
        elif partition is not None and not partition:
            del table.items[hash_value]


def install() -> None:
    _copy_each_table_once_per_transaction()
    _share_one_botocore_loader()
    _lex_each_expression_once()


def _lex_each_expression_once() -> None:
    parser: Any = ConditionExpressionParser
    original = parser._lex_condition_expression
    if getattr(original, "lexes_each_expression_once", False):
        return
    lexed: dict[str, tuple[Any, ...]] = {}

    def _lex_condition_expression(self: Any) -> collections.deque[Any]:
        text = self.condition_expression
        if text not in lexed:
            lexed[text] = tuple(original(self))
        return collections.deque(lexed[text])

    _lex_condition_expression.lexes_each_expression_once = True  # type: ignore[attr-defined]
    parser._lex_condition_expression = _lex_condition_expression


def _share_one_botocore_loader() -> None:
    if botocore.session.create_loader is create_loader:  # type: ignore[attr-defined]
        botocore.session.create_loader = functools.cache(create_loader)  # type: ignore[attr-defined]


def _copy_each_table_once_per_transaction() -> None:
    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "copies_each_table_once", False):
        return
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        streamed = any(table.stream_shard is not None for table in self.tables.values())
        saved = [] if streamed or len(transact_items) > 100 else _saved_items(self, transact_items)
        # moto's own backup of a table is then the table itself: putting it back changes nothing
        _local.copies = {} if streamed else {id(table): table for table in self.tables.values()}
        try:
            original(self, transact_items)
        except (MockValidationException, TransactionCanceledException):
            _put_back(saved)  # where moto puts its backups back
            raise
        finally:
            _local.copies = None

    transact_write_items.copies_each_table_once = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models.copy = _CopyEachTableOnce()  # type: ignore[assignment]
