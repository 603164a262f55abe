"""Speed-ups of the libraries the tests run on (moto, botocore) that change no answer, only the time.

- moto (5.x) backs up a table before TransactWriteItems by deep-copying it once for every action that
  names it: a 100-action transaction on a 1,500-item table copied 150,000 items, which made the batch
  tests minutes long. Every copy is of the same state (nothing is written before the backup loop
  ends), so one copy per table and transaction is the same backup.
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
        _local.copies = {}
        try:
            original(self, transact_items)
        finally:
            _local.copies = None

    transact_write_items.copies_each_table_once = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models.copy = _CopyEachTableOnce()  # type: ignore[assignment]
