"""Lazily created boto3 clients, one per service and endpoint, shared by the adapters.

Endpoints come from botocore's own `AWS_ENDPOINT_URL[_<SERVICE>]` variables, so
the same code reaches AWS, the moto server or dynalite without endpoint code.
Every call made through these clients is counted (see `call_counts`): the
benchmarks read the counts to compare against the physical minimum.
"""
from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_clients: dict[tuple[str, str, str], Any] = {}
_counts: Counter[str] = Counter()

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, max_pool_connections=50)


def _count(event_name: str, **kwargs: Any) -> None:
    # event_name is "before-call.<service>.<Operation>"
    _, service, operation = event_name.split(".", 2)
    with _lock:
        _counts[f"{service}.{operation}"] += 1


def client(service: str) -> Any:
    """The process's client for `service`, created on first use."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL", "")
    key = (service, region, endpoint)
    with _lock:
        found = _clients.get(key)
    if found is not None:
        return found
    made = boto3.session.Session().client(service, region_name=region, config=_CONFIG)
    made.meta.events.register("before-call", _count)
    with _lock:
        return _clients.setdefault(key, made)


def call_counts() -> dict[str, int]:
    """Calls made through this module's clients since the process started (or the last reset)."""
    with _lock:
        return dict(_counts)


def reset_call_counts() -> None:
    with _lock:
        _counts.clear()


def register_counter(events: Any) -> None:
    """Count the calls of a client made elsewhere (PynamoDB's) with the same tally."""
    events.register("before-call", _count)


def forget_clients() -> None:
    """Drop cached clients (tests switch emulators between cases)."""
    with _lock:
        _clients.clear()
