"""Idempotency-Key on moto: through the HTTP surface (Chalice's test client) and the DynamoDB claim itself."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib import bootstrap, cleanups
from chalicelib.cleanups import Actor
from chalicelib.config import get_settings
from chalicelib.idempotency import IdempotencyKeyTakenError, claim_of
from chalicelib.idempotency.store import DynamoClaims
from chalicelib.tenancy import Tenant, now
from tests.conftest import JWT_SECRET as SECRET
from tests.factories import headers, resource_body, token
from tests.integration.conftest import RecordFactory

ORG = "DemoOrg001"
ACTOR = Actor(who={"worker": "test"})


def bearer(test: bool = True, client_id: str = "c") -> str:
    return token(SECRET, organization={"id": ORG, "slug": "demo"},
                 application={"id": "AppAAAAAA1", "client_id": client_id, "kind": "integration", "public": False},
                 test=test)


def post(client: Client, key: str | None, filters: dict[str, Any], test: bool = True) -> Any:
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.http.post("/api/cleanups", headers=headers(bearer(test), **extra),
                            body=resource_body("cleanups", {"resource_type": "skus", "filters": filters}))


@pytest.fixture
def skus(tables: dict[str, str]) -> str:
    factory = RecordFactory(Tenant(ORG, "test"))
    for n in range(3):
        factory.sku(f"IDEM{n}")
    return "IDEM"


def test_create_repeated_with_its_key_answers_201_replayed_with_the_same_cleanup(client: Client, skus: str) -> None:
    # Given a cleanup created with a key
    first = post(client, "order-42", {"code_start": skus})
    # When the same request is sent again, then without a key
    again = post(client, "order-42", {"code_start": skus})
    unkeyed = post(client, None, {"code_start": skus})
    # Then the repeat is a 201 replay of the same cleanup; only the unkeyed request made another
    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert json.loads(again.body)["data"]["id"] == json.loads(first.body)["data"]["id"]
    assert json.loads(again.body)["data"]["attributes"]["records_count"] == 3
    assert json.loads(unkeyed.body)["data"]["id"] != json.loads(first.body)["data"]["id"]
    listed = client.http.get("/api/cleanups", headers=headers(bearer()))
    assert json.loads(listed.body)["meta"]["record_count"] == 2


def test_same_key_with_another_body_is_422_on_the_header(client: Client, skus: str) -> None:
    # Given a cleanup created with a key / When another body comes with it
    post(client, "order-42", {"code_start": skus})
    response = post(client, "order-42", {"code_start": "OTHER"})
    # Then 422 VALIDATION_ERROR with source.header
    error = json.loads(response.body)["errors"][0]
    assert response.status_code == 422
    assert (error["code"], error["source"]) == ("VALIDATION_ERROR", {"header": "Idempotency-Key"})


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_malformed_idempotency_key_is_422_on_the_header(client: Client, skus: str, key: str) -> None:
    response = post(client, key, {"code_start": skus})
    assert response.status_code == 422
    assert json.loads(response.body)["errors"][0]["source"] == {"header": "Idempotency-Key"}


def test_same_key_in_the_other_mode_creates_its_own_cleanup(client: Client, skus: str) -> None:
    # Given a cleanup created with a key in test mode / When live mode uses the key
    post(client, "order-42", {"code_start": skus})
    live = post(client, "order-42", {"code_start": skus}, test=False)
    # Then live mode gets a new cleanup (of nothing: its records are elsewhere), not a replay
    assert live.status_code == 201 and "Idempotent-Replayed" not in live.headers
    assert json.loads(live.body)["data"]["attributes"]["records_count"] == 0


def test_repository_refuses_a_taken_key_and_removes_the_losers_snapshot(skus: str) -> None:
    # Given a cleanup committed with a claim
    tenant = Tenant(ORG, "test")
    ports = bootstrap.ports()
    attributes = {"resource_type": "skus", "filters": {"code_start": skus}}
    claim = claim_of(tenant, "cleanups", "race", json.dumps(attributes), now())
    winner = cleanups.create_cleanup(ports, tenant, attributes, ACTOR, claim=claim)
    # When a racer that did not see it writes its own cleanup with the same claim
    with pytest.raises(IdempotencyKeyTakenError):
        cleanups.create_cleanup(ports, tenant, attributes, ACTOR, claim=claim)
    # Then only the winner exists, its claim names it, and the racer left no snapshot batch behind
    assert [c.id for c in ports.cleanups.list_for(tenant)] == [winner.id]
    assert claim is not None and DynamoClaims().find(claim).resource_id == winner.id  # type: ignore[union-attr]
    items = boto3.client("dynamodb").scan(TableName=get_settings().cleanups_table)["Items"]
    snapshots = {item["pk"]["S"] for item in items if "#cleanup#" in item["pk"]["S"]}
    assert snapshots == {f"{tenant.key}#cleanup#{winner.id}"}


def test_expired_claim_is_ignored_and_taken_over(skus: str) -> None:
    # Given a claim made 25 hours ago (DynamoDB's TTL has not deleted it yet)
    tenant = Tenant(ORG, "test")
    ports = bootstrap.ports()
    attributes = {"resource_type": "skus", "filters": {"code_start": skus}}
    old = claim_of(tenant, "cleanups", "k", json.dumps(attributes), now() - timedelta(hours=25))
    first = cleanups.create_cleanup(ports, tenant, attributes, ACTOR, claim=old)
    fresh = claim_of(tenant, "cleanups", "k", json.dumps(attributes), now())
    assert fresh is not None
    # When it is looked up and a create claims the key again
    found = DynamoClaims().find(fresh)
    second = cleanups.create_cleanup(ports, tenant, attributes, ACTOR, claim=fresh)
    # Then the old claim read as absent, the new create won the key, and it names the new cleanup
    assert found is None and second.id != first.id
    assert DynamoClaims().find(fresh).resource_id == second.id  # type: ignore[union-attr]
