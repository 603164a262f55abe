"""One contract, two adapters: the in-memory previews and idempotency claims answer like DynamoDB (moto).

A preview is stored once and read back as given, per tenant; a claim commits with what it makes,
binds its key (per tenant and scope) until it expires, and is then free to take again.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim, ClaimStore, IdempotencyKeyTakenError, StoredClaim
from chalicelib.idempotency.store import DynamoClaims
from chalicelib.previews import Preview, PreviewRepository
from chalicelib.previews.store import DynamoPreviewRepository
from chalicelib.tenancy import Tenant
from tests.integration.conftest import ADAPTERS, contract_adapter
from tests.unit.fakes import InMemoryPreviews

TENANT = Tenant("org-alpha", "test")
OTHER = Tenant("org-beta", "test")
ISSUED = 1_900_000_000  # epoch seconds
DAY = 24 * 3600


@dataclass
class Adapters:
    previews: PreviewRepository
    claims: ClaimStore


def _in_memory() -> Adapters:
    memory = InMemoryPreviews()
    return Adapters(memory, memory.claims)


@pytest.fixture(params=ADAPTERS)
def adapters(request: pytest.FixtureRequest) -> Adapters:
    return contract_adapter(request, _in_memory, lambda: Adapters(DynamoPreviewRepository(), DynamoClaims()))


def preview(preview_id: str = "prv0000001", tenant: Tenant = TENANT) -> Preview:
    return Preview(tenant=tenant, id=preview_id, resource_type="skus", filters={"code_start": "A"},
                   created_at="2030-01-01T12:00:00.000Z", records_count=3, associated_counts={"prices": 2},
                   sample=[{"id": "sku0000001", "code": "A1", "name": "One"}], estimated_seconds=4)


def claim(key: str = "key-1", *, tenant: Tenant = TENANT, scope: str = "cleanup_previews", fingerprint: str = "f1",
          issued_at: int = ISSUED) -> Claim:
    return Claim(tenant=tenant, scope=scope, key=key, fingerprint=fingerprint, issued_at=issued_at,
                 expires_at=issued_at + DAY)


def test_preview_is_read_back_as_saved_by_its_tenant_only(adapters: Adapters) -> None:
    # Given a preview saved
    saved = preview()
    adapters.previews.save_new(saved)
    # When its tenant reads it, then it is the same preview
    assert adapters.previews.get(TENANT, saved.id) == saved
    # And another tenant, or an unknown id, finds nothing
    for tenant, preview_id in ((OTHER, saved.id), (TENANT, "prv0000404")):
        with pytest.raises(RecordNotFoundError):
            adapters.previews.get(tenant, preview_id)


def test_claim_commits_with_its_preview_and_is_found_with_what_it_made(adapters: Adapters) -> None:
    # Given a preview saved with a claim
    adapters.previews.save_new(preview(), claim())
    # When the claim is looked up (by a later request with the same key), then it names the preview and body
    assert adapters.claims.find(claim(fingerprint="other", issued_at=ISSUED + 60)) == StoredClaim("prv0000001", "f1")
    # And a key never claimed finds nothing
    assert adapters.claims.find(claim("key-2")) is None


def test_a_taken_key_refuses_a_second_save_and_stores_nothing_of_it(adapters: Adapters) -> None:
    # Given a key claimed by a first preview
    adapters.previews.save_new(preview(), claim())
    # When a second preview is saved with the same key, then it is refused
    with pytest.raises(IdempotencyKeyTakenError):
        adapters.previews.save_new(preview("prv0000002"), claim(fingerprint="f2", issued_at=ISSUED + 60))
    # And the second preview was not stored, and the claim still names the first
    with pytest.raises(RecordNotFoundError):
        adapters.previews.get(TENANT, "prv0000002")
    assert adapters.claims.find(claim(issued_at=ISSUED + 60)) == StoredClaim("prv0000001", "f1")


def test_a_key_is_per_tenant_and_scope(adapters: Adapters) -> None:
    # Given a key claimed by a preview of one tenant
    adapters.previews.save_new(preview(), claim())
    # When the same key is used by another tenant, or for another scope, then it is free there
    assert adapters.claims.find(claim(tenant=OTHER)) is None
    assert adapters.claims.find(claim(scope="cleanups")) is None
    adapters.previews.save_new(preview("prv0000002", OTHER), claim(tenant=OTHER, fingerprint="f2"))
    assert adapters.claims.find(claim(tenant=OTHER)) == StoredClaim("prv0000002", "f2")


def test_an_expired_claim_is_not_found_and_its_key_is_taken_again(adapters: Adapters) -> None:
    # Given a claim, and a request after its expiry
    adapters.previews.save_new(preview(), claim())
    later = claim(fingerprint="f2", issued_at=ISSUED + DAY)
    # When the key is looked up, then the expired claim is not found
    assert adapters.claims.find(later) is None
    # And a new preview takes the key over
    adapters.previews.save_new(preview("prv0000002"), later)
    assert adapters.claims.find(replace(later, issued_at=ISSUED + DAY + 1)) == StoredClaim("prv0000002", "f2")
