"""Idempotency keys, pure: the header's check, what a key claims, and the body's fingerprint.

A create that carries `Idempotency-Key` claims (tenant, scope, key) for `LIFETIME`; the claim
is written in the same transaction as what the create makes, so a key names at most one
resource. How a repeat is answered: `chalicelib.idempotency.service.once`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.exceptions import ValidationError
from chalicelib.jsonapi.body import load_json
from chalicelib.tenancy import Tenant

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
LIFETIME = timedelta(hours=24)
MAX_KEY_CHARS = 255


class IdempotencyKeyError(ValidationError):
    """An `Idempotency-Key` that is malformed, or reused with another body (422 on the header)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, header=HEADER)


class IdempotencyKeyTakenError(Exception):
    """A create's claim was refused: the key already names a resource (committed by a racing request).

    Never shown to a client: `once` answers it by replaying what the key names.
    """


@dataclass(frozen=True)
class Claim:
    """What a create with an idempotency key writes beside what it makes: valid until `expires_at`."""

    tenant: Tenant
    scope: str  # the resource type created ("cleanups"): one key may serve each route once
    key: str
    fingerprint: str
    issued_at: int  # epoch seconds: a stored claim that expired by then is free to take again
    expires_at: int  # epoch seconds: the table's TTL attribute, and the explicit expiry check


@dataclass(frozen=True)
class StoredClaim:
    """A claim as committed: the resource it made and the body it was made from."""

    resource_id: str
    fingerprint: str


def check_key(value: str) -> str:
    """The header's value if it is 1-255 printable ASCII characters; `IdempotencyKeyError` otherwise."""
    if not 1 <= len(value) <= MAX_KEY_CHARS:
        raise IdempotencyKeyError(f"{HEADER} must be 1 to {MAX_KEY_CHARS} characters, got {len(value)}")
    if not all(" " <= char <= "~" for char in value):
        raise IdempotencyKeyError(f"{HEADER} must be printable ASCII characters")
    return value


def fingerprint(body: bytes | str) -> str:
    """A digest of the body, compared by JSON value (key order and spacing do not matter).

    The body is read as the create reads it (`load_json`), so one the create refuses (not JSON, a
    repeated member...) is the same 400 before any claim is looked up, never a replay.
    """
    canonical = json.dumps(load_json(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim_of(tenant: Tenant, scope: str, key: str | None, body: bytes | str, moment: datetime) -> Claim | None:
    """The claim a create makes, None without a key; `IdempotencyKeyError` for a malformed key."""
    if key is None:
        return None
    issued = int(moment.timestamp())
    return Claim(tenant, scope, check_key(key), fingerprint(body), issued, issued + int(LIFETIME.total_seconds()))


def is_live(expires_at: int, claim: Claim) -> bool:
    """A stored claim binds until its expiry; DynamoDB's TTL deletes it only later (within days), so check."""
    return expires_at > claim.issued_at
