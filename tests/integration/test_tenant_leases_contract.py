"""One contract, two adapters: the in-memory tenant leases answer like the DynamoDB ones (moto).

A slot is taken only while free or expired, released only by its holder, per tenant: what
`chalicelib.cleanups.domain.fairness` rests on to bound each tenant's workers.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.cleanups.adapters.lease_store import DynamoTenantLeases
from chalicelib.cleanups.domain import fairness
from chalicelib.cleanups.domain.fairness import Held
from chalicelib.cleanups.ports import TenantLeases
from chalicelib.tenancy import Tenant
from tests.integration.conftest import ADAPTERS, contract_adapter
from tests.unit.fakes import InMemoryLeases


@pytest.fixture(params=ADAPTERS)
def leases(request: pytest.FixtureRequest) -> TenantLeases:
    fake: Callable[[], TenantLeases] = InMemoryLeases  # so mypy infers the port, not `object`
    return contract_adapter(request, fake, DynamoTenantLeases)


def test_claim_takes_a_free_slot_once_and_release_frees_it_for_its_holder_only(
        leases: TenantLeases, tenant: Tenant) -> None:
    # Given slot 0 claimed by worker a until 200
    assert leases.claim(tenant, 0, Held("a", 200.0), now=100.0)
    # When worker b claims it before then, and a stranger releases it / Then both leave a holding it
    assert not leases.claim(tenant, 0, Held("b", 260.0), now=150.0)
    leases.release(tenant, 0, "b")
    assert leases.held(tenant) == {0: Held("a", 200.0)}
    # And once a releases it, b takes it
    leases.release(tenant, 0, "a")
    assert leases.held(tenant) == {} and leases.claim(tenant, 0, Held("b", 260.0), now=150.0)


def test_an_expired_lease_is_claimed_again_and_the_late_release_of_its_dead_holder_frees_nothing(
        leases: TenantLeases, tenant: Tenant) -> None:
    # Given worker a's lease on slot 0 that expired at 200 (a crashed)
    assert leases.claim(tenant, 0, Held("a", 200.0), now=100.0)
    # When b claims it at 200 / Then b holds it, and a's late release leaves it to b
    assert leases.claim(tenant, 0, Held("b", 260.0), now=200.0)
    leases.release(tenant, 0, "a")
    assert leases.held(tenant) == {0: Held("b", 260.0)}


def test_two_workers_racing_for_one_slot_from_the_same_read_get_it_once(leases: TenantLeases, tenant: Tenant,
                                                                       other_tenant: Tenant) -> None:
    # Given two workers that both read slot 0 as free
    seen_by_a, seen_by_b = leases.held(tenant), leases.held(tenant)
    assert fairness.free_slot(seen_by_a, 2, 100.0) == fairness.free_slot(seen_by_b, 2, 100.0) == 0
    # When both claim it / Then exactly one has it; another tenant's slots are its own
    outcomes = [leases.claim(tenant, 0, Held(who, 160.0), now=100.0) for who in ("a", "b")]
    assert outcomes == [True, False] and leases.held(tenant) == {0: Held("a", 160.0)}
    assert leases.held(other_tenant) == {} and leases.claim(other_tenant, 0, Held("c", 160.0), now=100.0)
