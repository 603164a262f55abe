"""The one place that turns errors into JSON:API error documents."""
from __future__ import annotations

import json
from typing import Any

from chalice import Response

from chalicelib.exceptions import ServiceError

JSONAPI = "application/vnd.api+json"


def error_body(error: ServiceError, request_id: str | None = None) -> dict[str, Any]:
    errors = []
    for detail in error.details:
        entry: dict[str, Any] = {
            "title": detail.title, "detail": detail.detail, "code": error.code, "status": str(error.status),
        }
        if detail.pointer is not None:
            entry["source"] = {"pointer": detail.pointer}
        elif detail.parameter is not None:
            entry["source"] = {"parameter": detail.parameter}
        meta = dict(detail.meta)
        if request_id:
            meta["request_id"] = request_id
        if meta:
            entry["meta"] = meta
        errors.append(entry)
    return {"errors": errors}


def error_response(error: ServiceError, request_id: str | None = None,
                   content_type: str = JSONAPI) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": content_type}
    if request_id:
        headers["X-Request-Id"] = request_id
    return Response(body=json.dumps(error_body(error, request_id)), status_code=error.status, headers=headers)
