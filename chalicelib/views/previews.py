"""Cleanup previews as JSON:API resources."""
from __future__ import annotations

from typing import Any

from chalicelib.http import ApiRequest
from chalicelib.jsonapi import ListQuery, Resource, parse_show_query, render_one
from chalicelib.previews import TYPE, Preview
from chalicelib.previews.model import ATTRIBUTES


def show_query(call: ApiRequest) -> ListQuery:
    """The query of a route answering one preview (a create reads it first: a bad one creates nothing)."""
    return parse_show_query(call.params, fieldsets={TYPE: ATTRIBUTES})


def render(preview: Preview, call: ApiRequest, query: ListQuery | None = None) -> dict[str, Any]:
    resource = Resource(type=TYPE, id=preview.id, attributes=preview.attributes(), mode=preview.tenant.mode)
    return render_one(resource, call.base_url, query or show_query(call))
