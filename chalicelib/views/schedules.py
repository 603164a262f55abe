"""Cleanup schedules as JSON:API resources."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib.catalog import service_type
from chalicelib.http import ApiRequest
from chalicelib.jsonapi import ListQuery, Resource, parse_list_query, parse_show_query, render_list, render_one
from chalicelib.schedules import RELATIONSHIPS, TYPE, Schedule
from chalicelib.views.listing import select


def fieldsets() -> dict[str, set[str]]:
    return {TYPE: service_type(TYPE).attribute_names() | set(RELATIONSHIPS)}


def resource(schedule: Schedule) -> Resource:
    return Resource(type=TYPE, id=schedule.id, attributes=schedule.attributes(), mode=schedule.tenant.mode,
                    relationships=RELATIONSHIPS)


def show_query(call: ApiRequest) -> ListQuery:
    """The query of a route answering one schedule (a write reads it first: a bad one changes nothing)."""
    return parse_show_query(call.params, fieldsets=fieldsets())


def render(schedule: Schedule, call: ApiRequest, query: ListQuery | None = None) -> dict[str, Any]:
    return render_one(resource(schedule), call.base_url, query or show_query(call))


def render_page(call: ApiRequest, schedules: Sequence[Schedule]) -> dict[str, Any]:
    """A page of the tenant's schedules (at most 100, read whole), filtered and sorted as the query asks."""
    spec = service_type(TYPE)
    query = parse_list_query(call.params, sortable=spec.sortable(), fieldsets=fieldsets())
    page, total = select([resource(s) for s in schedules], query, spec.filterable())
    return render_list(page, total, call.base_url, f"/api/{TYPE}", query)


def render_linkage(schedule_id: str, cleanup_ids: Sequence[str], call: ApiRequest) -> dict[str, Any]:
    """`/api/cleanup_schedules/{id}/relationships/cleanups`: the identifiers of its runs' cleanups."""
    parse_show_query(call.params)
    base = f"{call.base_url}/api/{TYPE}/{schedule_id}"
    return {"data": [{"type": "cleanups", "id": cleanup_id} for cleanup_id in cleanup_ids],
            "links": {"self": f"{base}/relationships/cleanups", "related": f"{base}/cleanups"}}
