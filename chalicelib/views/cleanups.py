"""Cleanups as JSON:API resources."""
from __future__ import annotations

from typing import Any

from chalicelib.catalog import service_type
from chalicelib.cleanups import Actor, Cleanup
from chalicelib.cleanups.model import RELATIONSHIPS
from chalicelib.http import ApiRequest
from chalicelib.jsonapi import ListQuery, Resource, parse_list_query, parse_show_query, render_list, render_one
from chalicelib.listing import select

TYPE = "cleanups"


def resource(cleanup: Cleanup) -> Resource:
    return Resource(type=TYPE, id=cleanup.id, attributes=cleanup.attributes(), mode=cleanup.tenant.mode,
                    relationships=RELATIONSHIPS)


def actor(call: ApiRequest) -> Actor:
    origin = call.origin
    return Actor(who=call.caller.who(), ip_address=origin["ip_address"], user_agent=origin["user_agent"],
                 request_id=origin["uuid"])


def show_query(call: ApiRequest) -> ListQuery:
    return parse_show_query(call.params, includable=RELATIONSHIPS)


def render(cleanup: Cleanup, call: ApiRequest, query: ListQuery | None = None) -> dict[str, Any]:
    return render_one(resource(cleanup), call.base_url, query or show_query(call))


def render_page(cleanups: list[Cleanup], call: ApiRequest) -> dict[str, Any]:
    spec = service_type(TYPE)
    query = parse_list_query(call.params, sortable=spec.sortable(), includable=RELATIONSHIPS)
    by_id = {c.id: c for c in cleanups}
    rows = [{"id": c.id, **c.attributes()} for c in cleanups]
    page, total = select(rows, query, spec.filterable())
    return render_list([resource(by_id[row["id"]]) for row in page], total, call.base_url, f"/api/{TYPE}", query)
