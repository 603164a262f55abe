"""RecordsStore.each and concurrent batch reads: every call runs to its end, results in order, first error raised."""
from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from chalicelib.records.adapters.store import RecordsStore


class SlowClient:
    """BatchGetItem answers every key after a pause, tracking how many calls overlap."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.calls = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        with self._lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)
        with self._lock:
            self.running -= 1
        return {"Responses": {"t": RequestItems["t"]["Keys"]}}


def _keys(count: int) -> list[dict[str, Any]]:
    return [{"pk": {"S": "p"}, "sk": {"S": f"{n:04d}"}} for n in range(count)]


def test_each_returns_results_in_item_order_with_calls_overlapping():
    # Given a store making 3 calls at once and work that finishes in reverse order
    store = RecordsStore(client=object(), table="t", concurrency=3)

    def slow(n: int) -> int:
        time.sleep(0.01 * (5 - n))
        return n * n
    # When each item is worked on; then the results come back in item order
    assert store.each(slow, [0, 1, 2, 3, 4]) == [0, 1, 4, 9, 16]


def test_each_finishes_every_call_before_raising_the_first_error():
    # Given work where the 2nd and 4th items fail and the others are slow
    store = RecordsStore(client=object(), table="t", concurrency=4)
    finished: list[int] = []

    def work(n: int) -> int:
        if n in (1, 3):
            raise ValueError(f"item {n}")
        time.sleep(0.05)
        finished.append(n)
        return n
    # When the items are worked on
    with pytest.raises(ValueError, match="item 1"):
        store.each(work, [0, 1, 2, 3, 4])
    # Then the error of the first failing item is raised, after every other call finished
    assert sorted(finished) == [0, 2, 4]


def test_batch_get_reads_its_chunks_concurrently_and_returns_every_item():
    # Given 450 keys (5 chunks of at most 100) and a store making 4 calls at once
    client = SlowClient()
    store = RecordsStore(client=client, table="t", concurrency=4)
    # When they are read
    found = store.batch_get(_keys(450))
    # Then every item comes back once, in 5 calls, several of them at the same time, never more than 4
    assert sorted(i["sk"]["S"] for i in found) == [f"{n:04d}" for n in range(450)]
    assert client.calls == 5 and 2 <= client.most <= 4


def test_batch_get_with_the_default_concurrency_makes_one_call_at_a_time():
    # Given the same keys and a store left at its default
    client = SlowClient()
    # When they are read; then no two calls overlap
    assert len(RecordsStore(client=client, table="t").batch_get(_keys(450))) == 450
    assert client.most == 1
