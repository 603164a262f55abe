"""Events, versions, webhooks and event callbacks as JSON:API documents; a cleanup with `include`."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chalicelib import events
from chalicelib.catalog import service_type
from chalicelib.cleanups import Cleanup
from chalicelib.events.model import Event, EventCallback, Version, Webhook
from chalicelib.events.representations import (
    callback_resource,
    event_resource,
    fieldset,
    linkage,
    version_resource,
    webhook_resource,
)
from chalicelib.http import ApiRequest
from chalicelib.jsonapi import ListQuery, Resource, parse_list_query, parse_show_query, render_list, render_one
from chalicelib.views import cleanups as cleanup_views
from chalicelib.views.listing import select

Item = Event | Version | Webhook | EventCallback
_RESOURCES: dict[type, Callable[[Any], Resource]] = {
    Event: event_resource, Version: version_resource, Webhook: webhook_resource, EventCallback: callback_resource,
}
# Histories read oldest first, delivery logs newest first, unless `sort` says otherwise.
DEFAULT_SORT = {"events": [("created_at", False)], "versions": [("created_at", False)],
                "event_callbacks": [("created_at", True)], "webhooks": []}


def resource(item: Item) -> Resource:
    return _RESOURCES[type(item)](item)


def show_query(call: ApiRequest, type_name: str) -> ListQuery:
    """The query of a route answering one `type_name` (a write reads it first: a bad one changes nothing)."""
    return parse_show_query(call.params, fieldsets={type_name: fieldset(type_name)})


def render(item: Item, call: ApiRequest, query: ListQuery | None = None) -> dict[str, Any]:
    """One event, version, webhook or event callback."""
    shown = resource(item)
    return render_one(shown, call.base_url, query or show_query(call, shown.type))


def render_page(type_name: str, items: Sequence[Item], call: ApiRequest, path: str) -> dict[str, Any]:
    """A page of `items` (all of type `type_name`), filtered and sorted as the catalog allows."""
    spec = service_type(type_name)
    query = parse_list_query(call.params, sortable=spec.sortable(), fieldsets={type_name: fieldset(type_name)})
    query.sort = query.sort or DEFAULT_SORT[type_name]
    page, total = select([resource(item) for item in items], query, spec.filterable())
    return render_list(page, total, call.base_url, path, query)


def render_linkage(items: Sequence[Item], call: ApiRequest, owner_path: str, name: str) -> dict[str, Any]:
    """`/…/relationships/<name>`: the related identifiers and the relationship's links."""
    parse_show_query(call.params)
    base = f"{call.base_url}{owner_path}"
    return {"data": linkage([resource(item) for item in items]),
            "links": {"self": f"{base}/relationships/{name}", "related": f"{base}/{name}"}}


def cleanup_included(cleanup: Cleanup, names: Sequence[str]) -> tuple[dict[str, Any], list[Resource]]:
    """For `include=events,versions`: relationship linkage by name and the resources to include."""
    readers: dict[str, Callable[[], Sequence[Item]]] = {
        "events": lambda: events.events_of_cleanup(cleanup.tenant, cleanup.id, lambda *_: cleanup),
        "versions": lambda: events.versions_of_cleanup(cleanup.tenant, cleanup.id, lambda *_: cleanup),
    }
    links: dict[str, Any] = {}
    included: list[Resource] = []
    for name in names:
        found = [resource(item) for item in readers[name]()]
        links[name] = linkage(found)
        included.extend(found)
    return links, included


def render_cleanup(cleanup: Cleanup, call: ApiRequest) -> dict[str, Any]:
    """`GET /api/cleanups/{id}`, honouring `include=events,versions`."""
    query = cleanup_views.show_query(call)
    main = cleanup_views.resource(cleanup)
    linkage, included = cleanup_included(cleanup, query.include)
    main.linkage.update(linkage)
    return render_one(main, call.base_url, query, included)
