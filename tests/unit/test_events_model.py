"""Pure rules of events: topics per transition, versions, deterministic ids, signatures, backoff."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.cleanups.domain.model import WORKER, Actor, Cleanup, complete, interrupt, start
from chalicelib.events.model import (
    RETRY_CAP_SECONDS,
    derived_id,
    destroy_version,
    new_event,
    retry_delay,
    signature,
    status_topic,
    topics_created,
    update_version,
)
from chalicelib.tenancy import Tenant

TENANT = Tenant("org-alpha", "test")
MOMENT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
APP = Actor(who={"application": {"id": "app"}}, ip_address="1.2.3.4", user_agent="ua", request_id="r1")


def _cleanup(**overrides) -> Cleanup:
    base = Cleanup(tenant=TENANT, id="Cln0000001", resource_type="skus", filters={},
                   created_at="2026-01-01T11:00:00.000Z", updated_at="2026-01-01T11:00:00.000Z", records_count=3)
    return replace(base, **overrides)


@pytest.mark.parametrize(("after", "topic"), [
    (lambda c: start(c, MOMENT), "cleanups.start"),
    (lambda c: complete(c, MOMENT), "cleanups.complete"),
    (lambda c: interrupt(c, MOMENT), "cleanups.interrupt"),
    (lambda c: replace(c, metadata={"a": 1}), None),
])
def test_status_topic_names_the_transition(after, topic):
    cleanup = _cleanup()
    assert status_topic(cleanup, after(cleanup)) == topic


def test_topics_created_adds_complete_for_a_cleanup_born_completed():
    assert topics_created(_cleanup()) == ["cleanups.create"]
    assert topics_created(complete(_cleanup(), MOMENT)) == ["cleanups.create", "cleanups.complete"]


def test_derived_id_is_a_stable_base62_id_per_fact():
    # Given the same and different facts, then ids are equal exactly when the facts are
    first = derived_id("t", "c1", "cleanups.start")
    assert re.fullmatch(r"[0-9A-Za-z]{10}", first)
    assert first == derived_id("t", "c1", "cleanups.start")
    assert first != derived_id("t", "c1", "cleanups.complete")
    assert new_event(_cleanup(), "cleanups.start", "x").id == new_event(_cleanup(), "cleanups.start", "y").id


def test_update_version_records_changes_who_and_origin():
    # Given a pending cleanup started by the worker
    before = _cleanup()
    after = start(before, MOMENT)
    # When its version is built
    version = update_version(before, after, WORKER, "2026-01-01T12:00:00.000Z")
    # Then it names the changes as [old, new] and the worker
    assert version is not None and version.event == "update"
    assert version.changes["status"] == ["pending", "in_progress"]
    assert version.changes["started_at"] == [None, "2026-01-01T12:00:00.000Z"]
    assert version.who == {"worker": {"name": "cleanups-worker"}}
    assert update_version(before, after, WORKER, "later").id == version.id  # a retry is the same version


def test_update_version_is_none_without_visible_changes():
    cleanup = _cleanup()
    assert update_version(cleanup, replace(cleanup, counted=frozenset({1})), APP, "now") is None


def test_destroy_version_keeps_the_last_attributes_and_the_request():
    version = destroy_version(_cleanup(reference="r"), APP, "2026-01-01T12:00:00.000Z")
    assert version.event == "destroy"
    assert version.changes["reference"] == ["r", None] and "started_at" not in version.changes
    assert (version.ip_address, version.user_agent, version.uuid, version.who) == ("1.2.3.4", "ua", "r1", APP.who)


def test_signature_is_base64_hmac_sha256_of_the_body():
    body = b'{"data": {}}'
    expected = base64.b64encode(hmac.new(b"secret", body, hashlib.sha256).digest()).decode()
    assert signature(body, "secret") == expected


def test_retry_delay_doubles_up_to_the_sqs_cap():
    delays = [retry_delay(attempt) for attempt in range(1, 9)]
    assert delays[:3] == [30, 60, 120]
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False)) and max(delays) == RETRY_CAP_SECONDS
