"""Idempotency claims in the cleanups table (PynamoDB): one item per (tenant, scope, key).

A claim is never written alone: a create adds it to its own transaction (`add_claim`) under
`attribute_not_exists(sk) OR expires_at <= :issued_at`, so the key and what it made are
committed together or not at all, and the loser of a race learns it from the refusal.
`expires_at` is the table's TTL attribute; reads check it too (TTL deletes late).
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from chalicelib.dynamo import TenantItem, Transaction, in_cleanups_table
from chalicelib.idempotency.model import Claim, IdempotencyKeyTakenError, StoredClaim, is_live

CLAIM = "idempotency"  # the claim's action name in a transaction


class ClaimItem(TenantItem):
    fingerprint = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    expires_at = NumberAttribute()


def _claims() -> type[ClaimItem]:
    return in_cleanups_table(ClaimItem)


def _key(claim: Claim) -> tuple[str, str]:
    return f"{claim.tenant.key}#idempotency", f"{claim.scope}#{claim.key}"


def add_claim(transaction: Transaction, claim: Claim, resource_id: str) -> None:
    """Add `claim`, naming `resource_id`, to a create's transaction; refused while another live claim holds the key."""
    model = _claims()
    item = model(*_key(claim), organization_id=claim.tenant.organization_id, mode=claim.tenant.mode,
                 fingerprint=claim.fingerprint, resource_id=resource_id, expires_at=claim.expires_at)
    transaction.put(item, condition=model.sk.does_not_exist() | (model.expires_at <= claim.issued_at), name=CLAIM)


def check_claim(refused: set[str]) -> None:
    """After `Transaction.commit`: `IdempotencyKeyTakenError` when the claim was what refused it."""
    if CLAIM in refused:
        raise IdempotencyKeyTakenError


def save_claimed(item: Model, claim: Claim | None, resource_id: str, condition: Condition | None = None) -> None:
    """Save one item, with `claim` in the same transaction when there is one (a store that writes a single item)."""
    transaction = Transaction()
    transaction.put(item, condition=condition, name="item")
    if claim is not None:
        add_claim(transaction, claim, resource_id)
    refused = transaction.commit()
    check_claim(refused)
    if refused:
        raise RuntimeError(f"{type(item).__name__} {resource_id}: its condition failed")


class DynamoClaims:
    """Implements `chalicelib.idempotency.service.ClaimStore`."""

    def find(self, claim: Claim) -> StoredClaim | None:
        try:
            item = _claims().get(*_key(claim), consistent_read=True)
        except DoesNotExist:
            return None
        if not is_live(int(item.expires_at), claim):
            return None
        return StoredClaim(resource_id=item.resource_id, fingerprint=item.fingerprint)
