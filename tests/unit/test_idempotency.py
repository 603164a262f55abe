"""Idempotency keys: the header's check, the body's fingerprint, and create-once on the in-memory fakes."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import cleanups
from chalicelib.cleanups import Actor, Cleanup
from chalicelib.cleanups.exceptions import CleanupLimitError
from chalicelib.exceptions import BadRequestError
from chalicelib.idempotency import Claim, IdempotencyKeyError, Outcome, claim_of, once
from chalicelib.idempotency.model import fingerprint
from chalicelib.jsonapi.errors import error_body
from chalicelib.tenancy import Tenant
from tests.unit.fakes import START, World

TENANT = Tenant("org-alpha", "test")
ACTOR = Actor(who={"application": {"id": "app", "client_id": "c", "kind": "integration"}})
BODY = {"data": {"type": "cleanups", "attributes": {"resource_type": "skus", "filters": {"code_start": "DEL"}}}}


def skus(world: World, n: int) -> None:
    for i in range(n):
        world.records.add(TENANT, "skus", f"DEL{i:03d}", START - timedelta(days=1), code=f"DEL{i:03d}")


def claim(world: World, key: str = "key-1", body: dict[str, Any] = BODY, tenant: Tenant = TENANT) -> Claim | None:
    return claim_of(tenant, "cleanups", key, json.dumps(body), world.clock.now())


def create_once(world: World, key: str = "key-1", body: dict[str, Any] = BODY,
                tenant: Tenant = TENANT) -> Outcome[Cleanup]:
    attributes = body["data"]["attributes"]
    return once(world.cleanups.claims, claim(world, key, body, tenant),
                lambda taken: cleanups.create_cleanup(world.ports, tenant, attributes, ACTOR, claim=taken),
                lambda cleanup_id: cleanups.get_cleanup(world.ports, tenant, cleanup_id))


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "é-accent", "line\nbreak"])
def test_idempotency_key_outside_1_to_255_printable_characters_is_a_422_on_the_header(key: str) -> None:
    # Given a malformed key / When a claim is made of it
    with pytest.raises(IdempotencyKeyError) as raised:
        claim_of(TENANT, "cleanups", key, "{}", START)
    # Then it is a validation error whose source is the header
    error = error_body(raised.value)["errors"][0]
    assert (error["status"], error["code"], error["source"]) == ("422", "VALIDATION_ERROR",
                                                                 {"header": "Idempotency-Key"})


def test_idempotency_key_of_255_printable_characters_makes_a_claim_for_24_hours() -> None:
    # Given the longest key, spaces and punctuation included / When a claim is made
    made = claim_of(TENANT, "cleanups", "a b~!" + "k" * 250, "{}", START)
    # Then it holds for exactly 24 hours from now
    assert made is not None and len(made.key) == 255
    assert made.expires_at - made.issued_at == 24 * 3600 and made.issued_at == int(START.timestamp())


def test_no_idempotency_key_makes_no_claim() -> None:
    assert claim_of(TENANT, "cleanups", None, "{}", START) is None


def test_fingerprint_compares_json_bodies_by_value() -> None:
    # Given the same document with other key order and spacing, and a document that differs in one value
    same = '{"b": [1, 2], "a": {"y": 1, "x": 2}}'
    reordered = '{"a":{"x":2,"y":1},"b":[1,2]}'
    # Then the first two share a fingerprint and the third does not
    assert fingerprint(same) == fingerprint(reordered.encode())
    assert fingerprint(same) != fingerprint('{"a": {"x": 2, "y": 1}, "b": [2, 1]}')


@pytest.mark.parametrize("body", [b"not json", '{"filters": {"code_eq": "NOPE"}, "filters": {}}', '{"a": "\\u0000"}'])
def test_fingerprint_refuses_a_body_the_create_refuses_with_its_400(body: bytes | str) -> None:
    # Given a body that is not JSON, or JSON that does not mean one thing (json.loads alone reads the second as
    # '{"filters": {}}', which a key used with that body would have replayed)
    # When it is fingerprinted / Then it is the create's 400, before any claim is looked up
    with pytest.raises(BadRequestError):
        fingerprint(body)


def test_create_repeated_with_its_key_and_body_replays_the_same_cleanup_as_it_is_now() -> None:
    # Given a cleanup created with a key, then interrupted
    world = World()
    skus(world, 5)
    first = create_once(world)
    cleanups.interrupt_cleanup(world.ports, TENANT, first.value.id, ACTOR)
    # When the same create is sent again with the same key
    again = create_once(world)
    # Then it is a replay of the same cleanup, as it is now, and no second cleanup or message exists
    assert (first.replayed, again.replayed) == (False, True)
    assert again.value.id == first.value.id and again.value.status == "interrupted"
    sent = [m["kind"] for m in world.queue.messages]
    assert len(world.cleanups.cleanups) == 1 and sent == ["cleanup_batch"] * 2 + ["cleanup_report"]  # sent once


def test_same_key_with_another_body_is_a_422_on_the_header_and_creates_nothing() -> None:
    # Given a cleanup created with a key
    world = World()
    skus(world, 5)
    create_once(world)
    other = {"data": {"type": "cleanups", "attributes": {"resource_type": "skus", "filters": {"code_start": "X"}}}}
    # When another body comes with the same key
    with pytest.raises(IdempotencyKeyError) as raised:
        create_once(world, body=other)
    # Then it is refused on the header, and still one cleanup exists
    assert raised.value.details[0].header == "Idempotency-Key"
    assert len(world.cleanups.cleanups) == 1


def test_create_that_loses_a_race_for_its_key_replays_the_winners_cleanup() -> None:
    # Given two requests with one key: the second commits its cleanup after the first looked for the key
    world = World()
    skus(world, 5)
    attributes = BODY["data"]["attributes"]
    winner: list[Outcome[Cleanup]] = []

    def create_after_the_racer(taken: Claim | None) -> Cleanup:
        winner.append(create_once(world))  # the racer commits between our look-up and our write
        return cleanups.create_cleanup(world.ports, TENANT, attributes, ACTOR, claim=taken)

    # When the first one writes
    loser = once(world.cleanups.claims, claim(world), create_after_the_racer,
                 lambda cleanup_id: cleanups.get_cleanup(world.ports, TENANT, cleanup_id))
    # Then its transaction was refused and it answers the racer's cleanup: one cleanup, one set of messages
    assert loser.replayed and not winner[0].replayed and loser.value.id == winner[0].value.id
    assert len(world.cleanups.cleanups) == 1 and len(world.queue.messages) == 2


def test_key_is_free_again_after_24_hours() -> None:
    # Given a cleanup created with a key a day and a second ago
    world = World()
    skus(world, 5)
    first = create_once(world)
    world.clock.advance(24 * 3600 + 1)
    # When the same create comes with the same key
    again = create_once(world)
    # Then it creates a new cleanup
    assert not again.replayed and again.value.id != first.value.id


def test_key_is_scoped_to_the_tenant_and_a_refused_create_does_not_claim_it() -> None:
    # Given the limit of active cleanups reached (2 in the fakes' settings) for the live tenant
    world = World()
    skus(world, 5)
    live = Tenant(TENANT.organization_id, "live")
    for i in range(2):
        world.records.add(live, "skus", f"DEL{i:03d}", START - timedelta(days=1), code=f"DEL{i:03d}")
    create_once(world, key="a", tenant=live)
    create_once(world, key="b", tenant=live)
    # When a create with key "k" is refused there, and the test tenant uses the same key
    with pytest.raises(CleanupLimitError):
        create_once(world, key="k", tenant=live)
    test_mode = create_once(world, key="k")
    # Then the test tenant's create is not a replay, and the key stays free in the live tenant
    assert not test_mode.replayed and test_mode.value.tenant == TENANT
    assert world.cleanups.claims.find(claim(world, "k", tenant=live)) is None  # type: ignore[arg-type]
