"""Hosted records (`/api/<type>`) as JSON:API resources: rendering and query translation."""
from __future__ import annotations

from typing import Any

from chalicelib.catalog import ResourceType, get_type, hosted_types
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.filters import Condition, parse_filters
from chalicelib.http import ApiRequest
from chalicelib.jsonapi import ListQuery, Resource, parse_list_query, render_list, render_one
from chalicelib.records import Record


def resource(record: Record, mode: str) -> Resource:
    linkage = {name: None if related is None else {"type": get_type(record.type).relationships[name].target,
                                                   "id": related}
               for name, related in record.relationships.items()}
    return Resource(type=record.type, id=record.id, attributes=record.attributes, mode=mode,
                    relationships=list(record.relationships), linkage=linkage)  # type: ignore[arg-type]


def render(record: Record, call: ApiRequest) -> dict[str, Any]:
    return render_one(resource(record, call.tenant.mode), call.base_url)


def list_query(call: ApiRequest, rtype: ResourceType) -> tuple[ListQuery, list[Condition]]:
    """The list's page/sort/fields and its filters, validated (a bad filter raises `FilterError`)."""
    query = parse_list_query(call.params, sortable=rtype.sortable(), fieldsets={rtype.name: rtype.fields()})
    return query, list(parse_filters(rtype.filterable(), query.filters).conditions)


def render_page(records: list[Record], total: int, call: ApiRequest, path: str, query: ListQuery) -> dict[str, Any]:
    return render_list([resource(r, call.tenant.mode) for r in records], total, call.base_url, path, query)


def related_list(parent_type: str, relationship: str) -> tuple[str, str]:
    """`/api/skus/{id}/prices` -> ("prices", "sku_id"): the child type and its key pointing at the parent."""
    get_type(parent_type)
    child = hosted_types().get(relationship)
    link = next((r for r in child.relationships.values() if r.target == parent_type), None) if child else None
    if child is None or link is None:
        raise RecordNotFoundError(f"{parent_type} have no related {relationship} here", parameter="relationship")
    return child.name, link.key


def parent_condition(key: str, parent_id: str) -> list[Condition]:
    return list(parse_filters({key: "string"}, {f"{key}_eq": parent_id}).conditions)
