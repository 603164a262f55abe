"""Idempotent creates: the `Idempotency-Key` header, its claims and their replay.

A route opts in with `@idempotent(scope, replay)` (`web`); its store commits the claim with what it
creates (`add_claim` + `check_claim` in its transaction, or `save_claimed` for a single item).
"""
from chalicelib.idempotency.model import (
    HEADER,
    REPLAYED_HEADER,
    Claim,
    IdempotencyKeyError,
    IdempotencyKeyTakenError,
    StoredClaim,
    claim_of,
)
from chalicelib.idempotency.service import ClaimStore, Outcome, once

__all__ = ["HEADER", "REPLAYED_HEADER", "Claim", "ClaimStore", "IdempotencyKeyError", "IdempotencyKeyTakenError",
           "Outcome", "StoredClaim", "claim_of", "once"]
