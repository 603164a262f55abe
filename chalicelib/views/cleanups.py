"""Cleanups as JSON:API resources."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from chalicelib.catalog import service_type
from chalicelib.cleanups import CREATED_AT, Actor, Cleanup, Listing
from chalicelib.cleanups.domain.model import RELATIONSHIPS
from chalicelib.events.representations import fieldset
from chalicelib.filters import parse_filters
from chalicelib.http import ApiRequest
from chalicelib.jsonapi import ListQuery, Resource, parse_list_query, parse_show_query, render_list, render_one
from chalicelib.views.listing import newest_first, select

TYPE = "cleanups"
SCHEDULES = "cleanup_schedules"
# (cleanup, relationship names) -> (linkage by name, resources to include)
IncludedOf = Callable[[Cleanup, Sequence[str]], tuple[dict[str, Any], list[Resource]]]
ByKey = Callable[[Listing], tuple[list[Cleanup], int]]  # `chalicelib.cleanups.list_cleanups` with a listing
Everything = Callable[[], list[Cleanup]]  # `chalicelib.cleanups.list_cleanups`
# `chalicelib.schedules.runs_page` of one schedule: offset, limit (None: all), newest first
ByCreated = Callable[[int, int | None, bool], tuple[list[Cleanup], int]]
KEYED_FILTERS = ("status", "reference")  # `<name>_eq` alone is answered by key
_ID_ORDER: tuple[list[tuple[str, bool]], ...] = ([], [("id", False)], [("id", True)])  # the default sort is by id


def fieldsets() -> dict[str, set[str]]:
    """What `fields[...]` a cleanup route takes: the cleanup's fields, and those of what `include` adds."""
    own = service_type(TYPE).attribute_names() | {*RELATIONSHIPS, "retry_of", "schedule"}
    return {TYPE: own, **{name: fieldset(name) for name in RELATIONSHIPS}}


def retry_linkage(cleanup: Cleanup) -> dict[str, Any]:
    """`retry_of`'s data member: the retried cleanup, or null."""
    return {"retry_of": None if cleanup.retry_of is None else {"type": TYPE, "id": cleanup.retry_of}}


def schedule_linkage(cleanup: Cleanup) -> dict[str, Any]:
    """`schedule`'s data member: the schedule whose run created it, or null."""
    return {"schedule": None if cleanup.schedule_id is None else {"type": SCHEDULES, "id": cleanup.schedule_id}}


def resource(cleanup: Cleanup) -> Resource:
    return Resource(type=TYPE, id=cleanup.id, attributes=cleanup.attributes(), mode=cleanup.tenant.mode,
                    relationships=(*RELATIONSHIPS, "retry_of", "schedule"),
                    linkage={**retry_linkage(cleanup), **schedule_linkage(cleanup)})


def actor(call: ApiRequest) -> Actor:
    origin = call.origin
    return Actor(who=call.caller.who(), ip_address=origin["ip_address"], user_agent=origin["user_agent"],
                 request_id=origin["uuid"])


def show_query(call: ApiRequest) -> ListQuery:
    return parse_show_query(call.params, includable=RELATIONSHIPS, fieldsets=fieldsets())


def render(cleanup: Cleanup, call: ApiRequest, query: ListQuery | None = None) -> dict[str, Any]:
    return render_one(resource(cleanup), call.base_url, query or show_query(call))


def keyed_listing(query: ListQuery, filterable: dict[str, str]) -> Listing | None:
    """The page as the store reads it by key: no filter or one `status_eq`/`reference_eq`, in id order or
    `created_at` order (either way, ties by id).

    None for any other filter or sort: those read every cleanup of the tenant.
    """
    conditions = parse_filters(filterable, query.filters).conditions
    newest = newest_first(query.sort)
    if (query.sort not in _ID_ORDER and newest is None) or len(conditions) > 1:
        return None
    keys: dict[str, str] = {}
    for condition in conditions:
        name = condition.attributes[0]
        if condition.attributes != (name,) or name not in KEYED_FILTERS or condition.predicate != "eq":
            return None
        keys[name] = condition.value
    if newest is not None:
        return Listing(query.offset, query.page_size, descending=newest, by=CREATED_AT, **keys)
    return Listing(offset=query.offset, limit=query.page_size, descending=query.sort == _ID_ORDER[2], **keys)


def render_page(call: ApiRequest, by_key: ByKey, everything: Everything, included_of: IncludedOf) -> dict[str, Any]:
    """A page of the tenant's cleanups, read by key when it can be; `included_of` reads what
    `include=events,versions` asks for."""
    spec = service_type(TYPE)
    query = parse_list_query(call.params, sortable=spec.sortable(), includable=RELATIONSHIPS, fieldsets=fieldsets())
    listing = keyed_listing(query, spec.filterable())
    if listing is not None:
        cleanups, total = by_key(listing)
        page = [resource(c) for c in cleanups]
    else:
        cleanups = everything()
        page, total = select([resource(c) for c in cleanups], query, spec.filterable())
    return render_list(page, total, call.base_url, f"/api/{TYPE}", query, _included(page, cleanups, query, included_of))


def render_retried(retried: Cleanup | None, call: ApiRequest) -> dict[str, Any]:
    """`/api/cleanups/{id}/retry_of`: the retried cleanup, or null data."""
    return {"data": None} if retried is None else render(retried, call)


def render_retry_linkage(cleanup: Cleanup, call: ApiRequest) -> dict[str, Any]:
    """`/api/cleanups/{id}/relationships/retry_of`: the retried cleanup's identifier (or null) and the links."""
    parse_show_query(call.params)
    base = f"{call.base_url}/api/{TYPE}/{cleanup.id}"
    return {"data": retry_linkage(cleanup)["retry_of"],
            "links": {"self": f"{base}/relationships/retry_of", "related": f"{base}/retry_of"}}


def render_runs(call: ApiRequest, by_created: ByCreated, path: str, included_of: IncludedOf) -> dict[str, Any]:
    """A page of a schedule's runs (`path`): newest first unless `sort=created_at`, read about the page; any other
    sort or filter over every run of the schedule (`by_created(0, None, True)`), newest first unless sorted."""
    spec = service_type(TYPE)
    query = parse_list_query(call.params, sortable=spec.sortable(), includable=RELATIONSHIPS, fieldsets=fieldsets())
    newest = newest_first(query.sort) if query.sort else True
    if newest is not None and not query.filters:
        cleanups, total = by_created(query.offset, query.page_size, newest)
        page = [resource(c) for c in cleanups]
    else:
        cleanups, _ = by_created(0, None, True)
        ordered = replace(query, sort=query.sort or [(CREATED_AT, True)])
        page, total = select([resource(c) for c in cleanups], ordered, spec.filterable())
    return render_list(page, total, call.base_url, path, query, _included(page, cleanups, query, included_of))


def _included(page: list[Resource], cleanups: Sequence[Cleanup], query: ListQuery,
              included_of: IncludedOf) -> list[Resource]:
    """What `include` adds to a page of cleanups, each one's linkage set on its resource."""
    by_id = {c.id: c for c in cleanups}
    included: list[Resource] = []
    for main in page:
        if query.include:
            linkage, found = included_of(by_id[main.id], query.include)
            main.linkage.update(linkage)
            included += found  # events and versions belong to one cleanup: no duplicates
    return included


def render_schedule_linkage(cleanup: Cleanup, call: ApiRequest) -> dict[str, Any]:
    """`/api/cleanups/{id}/relationships/schedule`: the schedule's identifier (or null) and the links."""
    parse_show_query(call.params)
    base = f"{call.base_url}/api/{TYPE}/{cleanup.id}"
    return {"data": schedule_linkage(cleanup)["schedule"],
            "links": {"self": f"{base}/relationships/schedule", "related": f"{base}/schedule"}}
