"""Rendering events, versions, webhooks and linkage as JSON:API documents (the views the routes call)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib import bootstrap, cleanups, events
from chalicelib.config import get_settings
from chalicelib.events import create_webhook
from chalicelib.filters import UnknownFilterError
from chalicelib.views import events as event_views
from tests.integration.test_events_fixtures import APP_ACTOR, events_env  # noqa: F401

GET = bootstrap.cleanup_repository().get  # what the handlers pass to the events reads

pytestmark = pytest.mark.usefixtures("events_env")
BASE = "https://api.example.com"


@dataclass
class Call:
    """What the views read of an ApiRequest: the query parameters and the base URL."""

    params: dict[str, str] = field(default_factory=dict)
    base_url: str = BASE


def test_render_page_filters_and_sorts_events(tenant):
    # Given a cleanup with create and complete events
    cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    found = events.list_events(tenant)
    # When the list is filtered by name
    document = event_views.render_page("events", found, Call({"filter[q][name_eq]": "cleanups.complete"}),
                                       "/api/events")
    # Then one event is rendered with its links and mode
    (data,) = document["data"]
    assert data["type"] == "events" and data["attributes"]["name"] == "cleanups.complete"
    assert data["links"]["self"] == f"{BASE}/api/events/{data['id']}" and data["meta"] == {"mode": "test"}
    assert set(data["relationships"]) == {"webhooks", "last_event_callbacks"}
    assert document["meta"] == {"record_count": 1, "page_count": 1}
    with pytest.raises(UnknownFilterError):  # the JSON:API layer answers it with 400 FILTER_NOT_ALLOWED
        event_views.render_page("events", found, Call({"filter[q][resource_id_eq]": "x"}), "/api/events")


def test_render_linkage_and_include_for_a_cleanup(tenant):
    # Given a cleanup with a metadata update (one version) and two events
    cleanup = cleanups.create_cleanup(bootstrap.ports(), tenant, {"resource_type": "skus"}, APP_ACTOR)
    cleanup = cleanups.update_cleanup(bootstrap.ports(), tenant, cleanup.id, {"metadata": {"k": "v"}}, APP_ACTOR)
    # When its events linkage and the cleanup with include=events,versions are rendered
    owner = f"/api/cleanups/{cleanup.id}"
    linkage = event_views.render_linkage(events.events_of_cleanup(tenant, cleanup.id, GET), Call(), owner, "events")
    shown = event_views.render_cleanup(cleanup, Call({"include": "events,versions"}))
    # Then both name the same events, and the version is included
    assert {d["type"] for d in linkage["data"]} == {"events"} and len(linkage["data"]) == 2
    assert linkage["links"] == {"self": f"{BASE}{owner}/relationships/events", "related": f"{BASE}{owner}/events"}
    by_id = sorted(linkage["data"], key=lambda d: d["id"])
    assert sorted(shown["data"]["relationships"]["events"]["data"], key=lambda d: d["id"]) == by_id
    assert sorted(r["type"] for r in shown["included"]) == ["events", "events", "versions"]


def test_render_webhook_shows_its_secret_to_its_owner(tenant):
    hook = create_webhook(tenant, {"topic": "cleanups.create", "callback_url": "https://example.com/h"}, get_settings())
    data = event_views.render(hook, Call())["data"]
    assert data["attributes"]["shared_secret"] == hook.shared_secret
    assert data["attributes"]["circuit_state"] == "closed"
