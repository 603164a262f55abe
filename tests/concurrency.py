"""Calls run truly at once: the races the active-cleanup limit must survive, on moto and on DynamoDB Local."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def at_once(calls: list[Callable[[], T]]) -> list[T | Exception]:
    """Run every call on its own thread, all released together; each result or the error it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        barrier.wait()
        try:
            return call()
        except Exception as error:  # noqa: BLE001 - the outcome under test
            return error
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
