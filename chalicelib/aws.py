"""Lazily created boto3 clients, one per service and endpoint, shared by the adapters.

Endpoints come from botocore's own `AWS_ENDPOINT_URL[_<SERVICE>]` variables, so
the same code reaches AWS, the moto server or DynamoDB Local without endpoint code.
"""
from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_clients: dict[tuple[str, str, str, str], Any] = {}

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, max_pool_connections=50)


def location(service: str) -> tuple[str, str]:
    """Where `service` is reached now: its region, and its endpoint ("" for AWS itself)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL", "")
    return region, endpoint


def client(service: str, signature_version: str | None = None) -> Any:
    """The process's client for `service` where it is reached now (`location`), created on first use; signing
    with `signature_version` (e.g. `s3v4` for presigned links: SigV4 with an `X-Amz-Expires`)."""
    region, endpoint = location(service)
    key = (service, region, endpoint, signature_version or "")
    with _lock:
        found = _clients.get(key)
    if found is not None:
        return found
    config = _CONFIG if signature_version is None else _CONFIG.merge(Config(signature_version=signature_version))
    made = boto3.session.Session().client(service, region_name=region, config=config)
    with _lock:
        return _clients.setdefault(key, made)


def forget_clients() -> None:
    """Drop cached clients (tests switch emulators between cases)."""
    with _lock:
        _clients.clear()
