"""Counts every AWS call the bench process makes, by `<service>.<Operation>`.

The counter is one of botocore's built-in handlers for `before-call`: every botocore session
created after `install()` (boto3's, PynamoDB's, one per client or thread) registers it, so the
app's clients, its PynamoDB models and the SQS pollers are all counted without the app knowing.
Sessions made before `install()` are not: install first, then create clients (the bench stack
drops its cached clients when it starts).
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import boto3
from botocore import handlers

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def _count(event_name: str, **_kwargs: Any) -> None:
    # event_name is "before-call.<service>.<Operation>"
    _, service, operation = event_name.split(".", 2)
    with _lock:
        _counts[f"{service}.{operation}"] += 1


_SPEC = ("before-call", _count)


def install() -> None:
    """Count the calls of every botocore session created from now on (idempotent)."""
    if _SPEC not in handlers.BUILTIN_HANDLERS:
        handlers.BUILTIN_HANDLERS.append(_SPEC)
    boto3.setup_default_session()  # boto3.client()'s shared session, made anew with the counter


def counts() -> dict[str, int]:
    """Calls made since `install()`, by `<service>.<Operation>`."""
    with _lock:
        return dict(_counts)


def delta(before: dict[str, int], after: dict[str, int]) -> Counter[str]:
    """The calls made between two `counts()`."""
    changed = Counter(after)
    changed.subtract(before)
    return +changed
