"""Rendering resource objects and documents with absolute links and `meta.mode`."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from chalicelib.jsonapi.query import ListQuery

Linkage = dict[str, str]


@dataclass
class Resource:
    type: str
    id: str
    attributes: dict[str, Any]
    mode: str
    relationships: Sequence[str] = ()
    # Relationship data members, rendered only when known (has_one ids, included has_many).
    linkage: dict[str, Linkage | list[Linkage] | None] = field(default_factory=dict)


def resource_object(resource: Resource, base_url: str, query: ListQuery | None = None) -> dict[str, Any]:
    self_url = f"{base_url}/api/{resource.type}/{resource.id}"
    wanted = (query.fields.get(resource.type) if query else None)
    attributes = {k: v for k, v in resource.attributes.items() if wanted is None or k in wanted}
    relationships: dict[str, Any] = {}
    # Relationships are fields too: a sparse fieldset that does not name one leaves it out (JSON:API 1.1).
    for name in (n for n in resource.relationships if wanted is None or n in wanted):
        entry: dict[str, Any] = {"links": {"self": f"{self_url}/relationships/{name}", "related": f"{self_url}/{name}"}}
        if name in resource.linkage:
            entry["data"] = resource.linkage[name]
        relationships[name] = entry
    return {
        "id": resource.id, "type": resource.type, "links": {"self": self_url},
        "attributes": attributes, "relationships": relationships, "meta": {"mode": resource.mode},
    }


def render_one(resource: Resource, base_url: str, query: ListQuery | None = None,
               included: Sequence[Resource] = ()) -> dict[str, Any]:
    document: dict[str, Any] = {"data": resource_object(resource, base_url, query)}
    if included:
        document["included"] = [resource_object(r, base_url, query) for r in included]
    return document


def _page_url(base_url: str, path: str, params: dict[str, str], number: int) -> str:
    return f"{base_url}{path}?{urlencode({**params, 'page[number]': str(number)})}"


def page_meta_and_links(total: int, base_url: str, path: str, query: ListQuery) -> dict[str, Any]:
    """A page's `meta` (record and page counts) and its `links` (first, prev, next, last) for `total` matches."""
    page_count = math.ceil(total / query.page_size)
    params = {**query.params, "page[size]": str(query.page_size)}
    last = max(page_count, 1)
    links = {"first": _page_url(base_url, path, params, 1)}
    if query.page_number > 1:
        links["prev"] = _page_url(base_url, path, params, min(query.page_number - 1, last))
    if query.page_number < page_count:
        links["next"] = _page_url(base_url, path, params, query.page_number + 1)
    links["last"] = _page_url(base_url, path, params, last)
    return {"meta": {"record_count": total, "page_count": page_count}, "links": links}


def render_list(resources: Sequence[Resource], total: int, base_url: str, path: str, query: ListQuery,
                included: Sequence[Resource] = ()) -> dict[str, Any]:
    document: dict[str, Any] = {"data": [resource_object(r, base_url, query) for r in resources],
                                **page_meta_and_links(total, base_url, path, query)}
    if included:
        document["included"] = [resource_object(r, base_url, query) for r in included]
    return document
