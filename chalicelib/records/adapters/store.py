"""The DynamoDB adapter of the records table (boto3 low-level client).

Every call the package makes goes through `RecordsStore`: batch calls retry
their unprocessed keys, and transactions their conflicts, with exponential
backoff and full jitter; storage errors are translated here (a failed
condition becomes `ConditionFailed`, a cancelled transaction `TransactionCancelled`).
With `concurrency` above 1, independent calls (a BatchGetItem's 100-key chunks, the
cleanup worker's transactions) run that many at once on threads (`each`).
"""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.exceptions import TooManyRequestsError
from chalicelib.records.items import Item, Key
from chalicelib.records.transact import (
    CONDITION_FAILED,
    Reason,
    cancellation_reasons,
    chunked,
    only_retryable,
)

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
MAX_ATTEMPTS = 10
_THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
_CONFLICTS = {"TransactionConflictException", "TransactionInProgressException"}
T = TypeVar("T")
R = TypeVar("R")


class ConditionFailed(Exception):
    """A conditional write whose condition did not hold."""


class TransactionCancelled(Exception):
    """A transaction cancelled because a condition did not hold; `reasons` align with its actions."""

    def __init__(self, reasons: list[Reason]) -> None:
        super().__init__(", ".join(r.code for r in reasons))
        self.reasons = reasons


_pools = threading.local()


def _pool(size: int) -> ThreadPoolExecutor:
    """The calling thread's own pool of `size` threads, kept across calls: a thread costs a few ms to start."""
    pools: dict[int, ThreadPoolExecutor] = _pools.__dict__.setdefault("by_size", {})
    if size not in pools:
        pools[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="records")
    return pools[size]


def _key_id(key: Mapping[str, Any]) -> tuple[str, str]:
    return key["pk"]["S"], key["sk"]["S"]


class RecordsStore:
    """The records table; `client`, `table` and `sleep` default to the real ones; `concurrency`: calls at once."""

    def __init__(self, client: Any = None, table: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, concurrency: int = 1) -> None:
        self.client = client if client is not None else aws.client("dynamodb")
        self.table = table or get_settings().records_table
        self.sleep = sleep
        self.concurrency = max(1, concurrency)

    def each(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`function` of every item, up to `concurrency` at once, results in order.

        Every call runs to its end before the first error (in item order) is raised, so a
        failure never leaves another call running behind the caller's back.
        """
        if self.concurrency == 1 or len(items) < 2:
            return [function(item) for item in items]
        futures = [_pool(self.concurrency).submit(function, item) for item in items]
        wait(futures)
        return [future.result() for future in futures]

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raise ConditionFailed(operation) from exc
            if code in _THROTTLED:
                raise TooManyRequestsError("The records table is throttling requests") from exc
            raise

    def _backoff(self, attempt: int) -> None:
        if attempt >= MAX_ATTEMPTS:
            raise TooManyRequestsError("The records table kept items unprocessed or in conflict")
        self.sleep(random.uniform(0, min(2.0, 0.05 * 2 ** attempt)))

    def get(self, key: Key) -> Item | None:
        return self._call("get_item", Key=key, ConsistentRead=True).get("Item")

    def put(self, item: Item, condition: str | None = None, names: Mapping[str, str] | None = None,
            values: Mapping[str, Any] | None = None) -> None:
        self._call("put_item", Item=item, **_conditional(condition, names, values))

    def update(self, key: Key, expression: str, names: Mapping[str, str] | None = None,
               values: Mapping[str, Any] | None = None, condition: str | None = None) -> None:
        self._call("update_item", Key=key, UpdateExpression=expression,
                   **_conditional(condition, names, values))

    def delete(self, key: Key, condition: str | None = None, names: Mapping[str, str] | None = None,
               values: Mapping[str, Any] | None = None) -> None:
        self._call("delete_item", Key=key, **_conditional(condition, names, values))

    def query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every page of a Query, following LastEvaluatedKey."""
        while True:
            page = self._call("query", **kwargs)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def batch_get(self, keys: Sequence[Key], projection: str | None = None,
                  names: Mapping[str, str] | None = None) -> list[Item]:
        """The items that exist among `keys` (in no particular order), 100 keys a call."""
        unique = list({_key_id(k): k for k in keys}.values())

        def read(chunk: Sequence[Key]) -> list[Item]:
            request: dict[str, Any] = {"Keys": list(chunk), "ConsistentRead": True}
            if projection:
                request["ProjectionExpression"] = projection
                if names:
                    request["ExpressionAttributeNames"] = dict(names)
            return self._batch_get_chunk(request)
        return [item for found in self.each(read, chunked(unique, BATCH_GET_LIMIT)) for item in found]

    def _batch_get_chunk(self, request: dict[str, Any]) -> list[Item]:
        found: list[Item] = []
        attempt = 0
        while request.get("Keys"):
            response = self._batch("batch_get_item", RequestItems={self.table: request})
            found.extend(response.get("Responses", {}).get(self.table, []))
            request = response.get("UnprocessedKeys", {}).get(self.table, {})
            if request.get("Keys"):
                attempt += 1
                self._backoff(attempt)
        return found

    def batch_put(self, items: Sequence[Item]) -> None:
        self._batch_write([{"PutRequest": {"Item": item}} for item in items])

    def batch_delete(self, keys: Sequence[Key]) -> None:
        """Delete `keys`, 25 a call; a key given twice is deleted once."""
        unique = list({_key_id(k): k for k in keys}.values())
        self._batch_write([{"DeleteRequest": {"Key": key}} for key in unique])

    def _batch_write(self, requests: Sequence[dict[str, Any]]) -> None:
        for chunk in chunked(requests, BATCH_WRITE_LIMIT):
            pending = list(chunk)
            attempt = 0
            while pending:
                response = self._batch("batch_write_item", RequestItems={self.table: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table, [])
                if pending:
                    attempt += 1
                    self._backoff(attempt)

    def transact_write(self, actions: Sequence[Mapping[str, Any]]) -> None:
        """Write `actions` (`{"Put"|"Delete": {...}}`, no TableName) all or none.

        Conflicts and throttling are retried; a failed condition raises `TransactionCancelled`.
        """
        request = [{kind: {"TableName": self.table, **body}} for action in actions for kind, body in action.items()]
        attempt = 0
        while True:
            try:
                self.client.transact_write_items(TransactItems=request)
                return
            except ClientError as exc:
                self._unless_retryable(exc)
            attempt += 1
            self._backoff(attempt)

    @staticmethod
    def _unless_retryable(exc: ClientError) -> None:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "TransactionCanceledException":
            reasons = cancellation_reasons(exc.response)
            if any(r.code == CONDITION_FAILED for r in reasons):
                raise TransactionCancelled(reasons) from exc
            if only_retryable(reasons):
                return
        if code not in _THROTTLED | _CONFLICTS:
            raise exc

    def _batch(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        # Batch calls name their table inside RequestItems, not as TableName.
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") in _THROTTLED:
                raise TooManyRequestsError("The records table is throttling requests") from exc
            raise


def _conditional(condition: str | None, names: Mapping[str, str] | None,
                 values: Mapping[str, Any] | None) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if condition:
        extra["ConditionExpression"] = condition
    if names:
        extra["ExpressionAttributeNames"] = dict(names)
    if values:
        extra["ExpressionAttributeValues"] = dict(values)
    return extra
