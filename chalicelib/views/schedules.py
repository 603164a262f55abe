"""Cleanup schedules as JSON:API resources."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.catalog import service_type
from chalicelib.http import ApiRequest
from chalicelib.jsonapi import (
    ListQuery,
    Resource,
    page_meta_and_links,
    parse_list_query,
    parse_page_query,
    parse_show_query,
    render_list,
    render_one,
)
from chalicelib.schedules import RELATIONSHIPS, TYPE, Schedule
from chalicelib.views.listing import newest_first, select

ByCreated = Callable[[int, int, bool], tuple[list[Schedule], int]]  # `schedules.page_schedules`: offset, limit, newest
RunIds = Callable[[int, int], tuple[list[str], int]]  # `schedules.run_ids`: offset, limit
Everything = Callable[[], list[Schedule]]  # `schedules.list_schedules`


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


def render_page(call: ApiRequest, by_created: ByCreated, everything: Everything) -> dict[str, Any]:
    """A page of the tenant's schedules: by `created_at` alone (either way, ties by id), about the page read by
    key; any other sort or filter over all of them (at most 100)."""
    spec = service_type(TYPE)
    query = parse_list_query(call.params, sortable=spec.sortable(), fieldsets=fieldsets())
    newest = newest_first(query.sort)
    if newest is not None and not query.filters:
        schedules, total = by_created(query.offset, query.page_size, newest)
        page = [resource(s) for s in schedules]
    else:
        page, total = select([resource(s) for s in everything()], query, spec.filterable())
    return render_list(page, total, call.base_url, f"/api/{TYPE}", query)


def render_linkage(schedule_id: str, run_ids: RunIds, call: ApiRequest) -> dict[str, Any]:
    """`/api/cleanup_schedules/{id}/relationships/cleanups`: a page of its runs' cleanups' identifiers, newest
    first, with the page's meta and links (a schedule running every minute keeps tens of thousands)."""
    query = parse_page_query(call.params)
    cleanup_ids, total = run_ids(query.offset, query.page_size)
    path = f"/api/{TYPE}/{schedule_id}/relationships/cleanups"
    paging = page_meta_and_links(total, call.base_url, path, query)
    return {"data": [{"type": "cleanups", "id": cleanup_id} for cleanup_id in cleanup_ids], "meta": paging["meta"],
            "links": {"self": f"{call.base_url}{path}", "related": f"{call.base_url}/api/{TYPE}/{schedule_id}/cleanups",
                      **paging["links"]}}
