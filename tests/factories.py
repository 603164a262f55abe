"""Factories for test data: tokens, callers, JSON:API documents."""
from __future__ import annotations

import json
import time
from typing import Any

import jwt

JSONAPI = "application/vnd.api+json"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "organization": {"id": "OrgAAAAAA1", "slug": "acme"},
        "application": {"id": "AppAAAAAA1", "client_id": "client-1", "kind": "integration", "public": False},
        "test": True, "iat": now, "exp": now + 3600,
    }
    base.update(overrides)
    return base


def token(secret: str = "test-jwt-secret-at-least-32-bytes-long", algorithm: str = "HS256", **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secret, algorithm=algorithm)


def headers(bearer: str | None = None, **extra: str) -> dict[str, str]:
    out = {"Content-Type": JSONAPI, "Accept": JSONAPI}
    if bearer:
        out["Authorization"] = f"Bearer {bearer}"
    out.update(extra)
    return out


def resource_body(type_: str, attributes: dict[str, Any] | None = None, id_: str | None = None,
                  relationships: dict[str, tuple[str, str] | None] | None = None) -> str:
    data: dict[str, Any] = {"type": type_, "attributes": attributes or {}}
    if id_:
        data["id"] = id_
    if relationships:
        data["relationships"] = {
            name: {"data": None if link is None else {"type": link[0], "id": link[1]}}
            for name, link in relationships.items()
        }
    return json.dumps({"data": data})
