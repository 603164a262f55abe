"""Create once per idempotency key: the first create with a key makes the resource, every repeat replays it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency.model import HEADER, Claim, IdempotencyKeyError, IdempotencyKeyTakenError, StoredClaim

T = TypeVar("T")
ATTEMPTS = 3  # a lost race is answered by the winner's claim; another loss means it expired meanwhile


class ClaimStore(Protocol):
    def find(self, claim: Claim) -> StoredClaim | None:
        """The live claim stored under `claim`'s tenant, scope and key (a consistent read); None if none."""


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T
    replayed: bool


def once(claims: ClaimStore, claim: Claim | None, create: Callable[[Claim | None], T],
         load: Callable[[str], T]) -> Outcome[T]:
    """`create(claim)` unless the key already names a resource, which `load(resource_id)` returns as it is now.

    `create` must commit `claim` atomically with what it makes and raise `IdempotencyKeyTakenError`
    when the claim's condition fails: a request that loses a race then replays the winner's resource,
    so concurrent repeats make one resource and all answer it. The same key with another body: 422.
    """
    if claim is None:
        return Outcome(create(None), replayed=False)
    for _ in range(ATTEMPTS):
        stored = claims.find(claim)
        if stored is not None:
            return Outcome(_replay(claim, stored, load), replayed=True)
        try:
            return Outcome(create(claim), replayed=False)
        except IdempotencyKeyTakenError:
            continue  # another request committed this key first: answer what it made
    raise RuntimeError(f"{HEADER} {claim.key!r} kept changing hands")


def _replay(claim: Claim, stored: StoredClaim, load: Callable[[str], T]) -> T:
    if stored.fingerprint != claim.fingerprint:
        raise IdempotencyKeyError(f"{HEADER} was already used with another request body; use a new key")
    try:
        return load(stored.resource_id)
    except RecordNotFoundError:
        raise IdempotencyKeyError(f"{HEADER} created {claim.scope} {stored.resource_id}, which has since been "
                                  "deleted; use a new key") from None
