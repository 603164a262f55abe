"""Cleanup previews as JSON:API resources."""
from __future__ import annotations

from typing import Any

from chalicelib.http import ApiRequest
from chalicelib.jsonapi import Resource, parse_show_query, render_one
from chalicelib.previews import TYPE, Preview


def render(preview: Preview, call: ApiRequest) -> dict[str, Any]:
    resource = Resource(type=TYPE, id=preview.id, attributes=preview.attributes(), mode=preview.tenant.mode)
    return render_one(resource, call.base_url, parse_show_query(call.params))
