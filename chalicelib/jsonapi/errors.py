"""The one place that turns errors into JSON:API error documents.

Service errors carry their status; filter errors get theirs from where the filters
came from; Chalice's own error responses are translated; anything else is a 500 whose
log line names the cause (a bug, or a `SettingsError` naming the variable).
"""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Response

from chalicelib.exceptions import (
    BadRequestError,
    FilterNotAllowedError,
    MethodNotAllowedError,
    ServiceError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from chalicelib.filters import FilterError, UnknownFilterError
from chalicelib.jsonapi.media import JSONAPI

logger = Logger(service="cleanups")
_FRAMEWORK_ERRORS: dict[int, type[ServiceError]] = {405: MethodNotAllowedError, 415: UnsupportedMediaTypeError}


def client_error(error: Exception) -> ServiceError | None:
    """What the client is told about `error`; None when it is not the client's doing."""
    if isinstance(error, ServiceError):
        return error
    if isinstance(error, FilterError):
        return _filter_error(error)
    return None


def _filter_error(error: FilterError) -> ServiceError:
    if error.in_body:
        return ValidationError(f"filters: {error.key}: {error.message}", pointer="/data/attributes/filters")
    kind = FilterNotAllowedError if isinstance(error, UnknownFilterError) else BadRequestError
    return kind(error.message, parameter=f"filter[q][{error.key}]")


def framework_error(status: int, message: str) -> ServiceError:
    """One of Chalice's own error responses (405, 415, ...), as a service error of that status."""
    error = _FRAMEWORK_ERRORS.get(status, ServiceError)(message)
    error.status = status
    return error


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
        elif detail.header is not None:
            entry["source"] = {"header": detail.header}
        meta = dict(detail.meta)
        if request_id:
            meta["request_id"] = request_id
        if meta:
            entry["meta"] = meta
        errors.append(entry)
    return {"errors": errors}


def error_response(error: Exception, request_id: str | None = None, content_type: str = JSONAPI) -> Response:
    """The error document for `error`; call it in the `except` block, so an unexpected error is logged."""
    known = client_error(error)
    if known is None:
        logger.exception("Unhandled exception", extra={"request_id": request_id,
                                                      "error": f"{type(error).__name__}: {error}"})
        known = ServiceError("An unexpected error occurred; quote the request id")
    headers: dict[str, str | list[str]] = {"Content-Type": content_type}
    if request_id:
        headers["X-Request-Id"] = request_id
    return Response(body=json.dumps(error_body(known, request_id)), status_code=known.status, headers=headers)
