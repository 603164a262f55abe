"""The recorder against moto, driven by the real cleanup services and worker: versions, events, deliveries."""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest

from chalicelib import bootstrap, cleanups, events
from chalicelib.cleanups import WORKER
from chalicelib.cleanups.domain.model import start
from chalicelib.cleanups.service_layer.transitions import commit_transition
from chalicelib.config import get_settings
from chalicelib.events import create_webhook, update_webhook
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import now
from tests.integration.test_events_fixtures import APP_ACTOR, events_env, queued  # noqa: F401

GET = bootstrap.cleanup_repository().get  # what the handlers pass to the events reads

pytestmark = pytest.mark.usefixtures("events_env")


def _names(found: list[events.Event]) -> list[str]:
    return sorted(e.name for e in found)


def _hook(tenant, topic: str, **attributes) -> events.Webhook:
    return create_webhook(tenant, {"topic": topic, "callback_url": "https://example.com/hook", **attributes},
                          get_settings())


def test_recorder_writes_versions_and_events_for_create_start_complete(records, tenant):
    # Given two skus and a cleanup of them created by an application
    records.sku()
    records.sku()
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    # When the worker processes its only batch
    cleanups.process_batch(bootstrap.ports(), tenant, cleanup.id, 0)
    # Then the worker's two transitions are versions, and each topic fired once
    versions = sorted(events.versions_of_cleanup(tenant, cleanup.id, GET),
                      key=lambda v: v.changes["status"][0] == "in_progress")
    assert [v.changes["status"] for v in versions] == [["pending", "in_progress"], ["in_progress", "completed"]]
    assert all(v.event == "update" and v.who == WORKER.who and v.resource_type == "cleanups" for v in versions)
    assert versions[0].changes["started_at"][0] is None
    assert versions[1].changes["completed_at"][0] is None
    # (one sub-batch: its count completes the cleanup, so no progress event)
    assert _names(events.events_of_cleanup(tenant, cleanup.id, GET)) == [
        "cleanups.complete", "cleanups.create", "cleanups.start"]


def test_recorder_writes_the_interrupt_with_the_application_and_its_request(records, tenant):
    # Given a pending cleanup
    records.sku()
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    # When the application interrupts it
    cleanups.update_cleanup(bootstrap.ports(), tenant, cleanup.id, {"_interrupt": True}, APP_ACTOR)
    # Then one version says who, from where, with which request
    (version,) = events.versions_of_cleanup(tenant, cleanup.id, GET)
    assert version.changes["status"] == ["pending", "interrupted"]
    assert version.changes["interrupted_at"][0] is None
    assert version.who == APP_ACTOR.who
    assert (version.ip_address, version.user_agent, version.uuid) == ("203.0.113.7", "cleanups-cli/1.0", "req-0001")
    assert _names(events.events_of_cleanup(tenant, cleanup.id, GET)) == ["cleanups.create", "cleanups.interrupt"]


def test_recorder_versions_a_metadata_update_without_firing_a_topic(tenant):
    # Given a cleanup with nothing to delete (completed at once)
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    # When its metadata changes
    cleanups.update_cleanup(bootstrap.ports(), tenant, cleanup.id, {"metadata": {"batch": "b1"}}, APP_ACTOR)
    # Then the version holds exactly that change (and the new updated_at); no new topic fired
    (version,) = events.versions_of_cleanup(tenant, cleanup.id, GET)
    assert version.changes["metadata"] == [{}, {"batch": "b1"}]
    assert set(version.changes) == {"metadata", "updated_at"}
    assert _names(events.events_of_cleanup(tenant, cleanup.id, GET)) == ["cleanups.complete", "cleanups.create"]


def test_recorder_versions_a_destroy_that_outlives_the_cleanup(tenant):
    # Given a completed cleanup
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    # When it is deleted
    cleanups.delete_cleanup(bootstrap.ports(), tenant, cleanup.id, APP_ACTOR)
    # Then its destroy version and event remain readable, and the cleanup is gone
    (version,) = events.versions_of_cleanup(tenant, cleanup.id, GET)
    assert version.event == "destroy"
    assert version.changes["status"] == ["completed", None]
    assert "cleanups.destroy" in _names(events.events_of_cleanup(tenant, cleanup.id, GET))
    with pytest.raises(RecordNotFoundError):
        cleanups.get_cleanup(bootstrap.ports(), tenant, cleanup.id)


def test_recorder_commits_and_fires_a_transition_once_when_two_writers_race(records, tenant):
    # Given a webhook on cleanups.start and a pending cleanup
    records.sku()
    hook = _hook(tenant, "cleanups.start")
    before = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    after = start(before, now())
    # When two writers commit the same transition (a redelivered message)
    won = [commit_transition(bootstrap.ports(), before, after, WORKER) for _ in range(2)]
    # Then only the first wins: one start event, one version, and one delivery
    assert won == [True, False]
    assert _names(events.events_of_cleanup(tenant, before.id, GET)) == ["cleanups.create", "cleanups.start"]
    assert len(events.versions_of_cleanup(tenant, before.id, GET)) == 1
    deliveries = [body for body, _ in queued() if body["topic"] == "cleanups.start"]
    assert [(d["webhook_id"], d["attempt"]) for d in deliveries] == [(hook.id, 1)]


def test_recorder_enqueues_only_for_enabled_webhooks_on_the_topic(tenant):
    # Given an enabled and a disabled webhook on cleanups.create, and one on another topic
    enabled = _hook(tenant, "cleanups.create")
    disabled = _hook(tenant, "cleanups.create")
    update_webhook(tenant, disabled.id, {"_disable": True}, get_settings())
    _hook(tenant, "cleanups.destroy")
    # When a cleanup is created
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    # Then exactly the enabled create webhook gets a delivery message carrying the cleanup
    ((message, delay),) = [(b, d) for b, d in queued() if b["topic"] == "cleanups.create"]
    assert message["webhook_id"] == enabled.id and delay == 0
    assert message["resource"] == {"type": "cleanups", "id": cleanup.id, "attributes": cleanup.attributes()}
    assert message["tenant"] == {"organization_id": tenant.organization_id, "mode": tenant.mode}


def test_events_and_versions_are_invisible_to_another_tenant(tenant, other_tenant):
    # Given a cleanup of one tenant, updated once
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    updated = cleanups.update_cleanup(bootstrap.ports(), tenant, cleanup.id, {"reference": "r1"}, APP_ACTOR)
    event = events.events_of_cleanup(tenant, cleanup.id, GET)[0]
    (version,) = events.versions_of_cleanup(tenant, updated.id, GET)
    # When another tenant asks, then nothing is there for it
    assert events.list_events(other_tenant) == [] and events.list_versions(other_tenant) == []
    for read, key in ((events.get_event, event.id), (events.get_version, version.id),
                      (partial(events.events_of_cleanup, get_cleanup=GET), cleanup.id),
                      (partial(events.versions_of_cleanup, get_cleanup=GET), cleanup.id)):
        with pytest.raises(RecordNotFoundError):
            read(other_tenant, key)
    # And the owner sees them
    assert events.get_event(tenant, event.id) == event
    assert replace(events.get_version(tenant, version.id)) == version
