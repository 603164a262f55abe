"""Webhooks service against moto: create, validation pointers, triggers, delete, tenancy."""
from __future__ import annotations

import re

import pytest

from chalicelib.config import get_settings
from chalicelib.events import create_webhook, delete_webhook, get_webhook, list_webhooks, update_webhook
from chalicelib.exceptions import RecordNotFoundError, ValidationError
from tests.integration.test_events_fixtures import events_env  # noqa: F401

pytestmark = pytest.mark.usefixtures("events_env")
HTTPS = "https://example.com/hooks"


def _pointer(raised: pytest.ExceptionInfo[ValidationError]) -> set[str | None]:
    return {detail.pointer for detail in raised.value.details}


def test_create_webhook_generates_a_secret_and_starts_closed(tenant):
    # When a webhook is created
    hook = create_webhook(tenant, {"topic": "cleanups.complete", "callback_url": HTTPS, "name": "done",
                                   "include_resources": ["versions"], "metadata": {"team": "ops"}}, get_settings())
    # Then it has a fresh secret, a closed circuit, and reads back the same
    assert re.fullmatch(r"[0-9a-f]{32}", hook.shared_secret)
    assert (hook.circuit_state, hook.circuit_failure_count, hook.disabled_at) == ("closed", 0, None)
    assert get_webhook(tenant, hook.id) == hook
    other = create_webhook(tenant, {"topic": "cleanups.complete", "callback_url": HTTPS}, get_settings())
    assert other.shared_secret != hook.shared_secret


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"topic": "orders.create", "callback_url": HTTPS}, "/data/attributes/topic"),
    ({"callback_url": HTTPS}, "/data/attributes/topic"),
    ({"topic": "cleanups.create"}, "/data/attributes/callback_url"),
    ({"topic": "cleanups.create", "callback_url": "http://example.com/hooks"}, "/data/attributes/callback_url"),
    ({"topic": "cleanups.create", "callback_url": "http://127.0.0.1:9/hooks"}, "/data/attributes/callback_url"),
    ({"topic": "cleanups.create", "callback_url": "not a url"}, "/data/attributes/callback_url"),
    ({"topic": "cleanups.create", "callback_url": HTTPS, "shared_secret": "mine"}, "/data/attributes/shared_secret"),
    ({"topic": "cleanups.create", "callback_url": HTTPS, "include_resources": ["orders"]},
     "/data/attributes/include_resources"),
])
def test_create_webhook_rejects_bad_attributes_with_a_pointer(tenant, attributes, pointer):
    # When a webhook is created with one bad attribute, then the error points at it and nothing is stored
    with pytest.raises(ValidationError) as raised:
        create_webhook(tenant, attributes, get_settings())
    assert pointer in _pointer(raised)
    assert list_webhooks(tenant) == []


def test_create_webhook_accepts_http_to_loopback_only_in_the_local_stack(tenant, monkeypatch):
    # Given the local stack
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "1")
    # When webhooks call back to loopback and elsewhere over http
    local = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": "http://localhost:3000/h"},
                           get_settings())
    with pytest.raises(ValidationError) as raised:
        create_webhook(tenant, {"topic": "cleanups.create", "callback_url": "http://10.0.0.8/h"}, get_settings())
    # Then only loopback is accepted
    assert local.callback_url == "http://localhost:3000/h"
    assert "/data/attributes/callback_url" in _pointer(raised)


@pytest.mark.parametrize(("attributes", "pointer"), [
    ({"circuit_state": "closed"}, "/data/attributes/circuit_state"),
    ({"shared_secret": "x"}, "/data/attributes/shared_secret"),
    ({"colour": "red"}, "/data/attributes/colour"),
    ({"topic": "cleanups.delete"}, "/data/attributes/topic"),
    ({"_disable": "yes"}, "/data/attributes/_disable"),
    ({"callback_url": None}, "/data/attributes/callback_url"),
])
def test_update_webhook_rejects_bad_attributes_with_a_pointer(tenant, attributes, pointer):
    # Given a webhook
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": HTTPS}, get_settings())
    # When an update says something it may not, then 422 points at it and nothing changed
    with pytest.raises(ValidationError) as raised:
        update_webhook(tenant, hook.id, attributes, get_settings())
    assert pointer in _pointer(raised)
    assert get_webhook(tenant, hook.id) == hook


def test_update_webhook_disables_enables_and_changes_plain_attributes(tenant):
    # Given a webhook
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": HTTPS}, get_settings())
    # When it is disabled with a new topic, then enabled again
    disabled = update_webhook(tenant, hook.id, {"_disable": True, "topic": "cleanups.destroy", "name": "gone"},
                              get_settings())
    enabled = update_webhook(tenant, hook.id, {"_enable": True}, get_settings())
    # Then each step shows, and the secret never changed
    assert disabled.disabled_at is not None and (disabled.topic, disabled.name) == ("cleanups.destroy", "gone")
    assert enabled.disabled_at is None and enabled.topic == "cleanups.destroy"
    assert enabled.shared_secret == hook.shared_secret


def test_update_webhook_regenerates_the_secret_on_request(tenant):
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": HTTPS}, get_settings())
    assert update_webhook(tenant, hook.id, {"_regenerate_shared_secret": True},
                          get_settings()).shared_secret != hook.shared_secret


def test_delete_webhook_removes_it(tenant):
    # Given a webhook
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": HTTPS}, get_settings())
    # When it is deleted, then it is not found any more, nor deleted twice
    delete_webhook(tenant, hook.id)
    with pytest.raises(RecordNotFoundError):
        get_webhook(tenant, hook.id)
    with pytest.raises(RecordNotFoundError):
        delete_webhook(tenant, hook.id)


def test_webhooks_of_a_tenant_are_invisible_to_another(tenant, other_tenant):
    # Given a webhook of one tenant
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": HTTPS}, get_settings())
    # When another tenant lists, reads, updates or deletes it, then it is not there
    assert list_webhooks(other_tenant) == []
    for attempt in (lambda: get_webhook(other_tenant, hook.id),
                    lambda: update_webhook(other_tenant, hook.id, {"name": "mine"}, get_settings()),
                    lambda: delete_webhook(other_tenant, hook.id)):
        with pytest.raises(RecordNotFoundError):
            attempt()
    # And for its owner it is unchanged
    assert get_webhook(tenant, hook.id) == hook
