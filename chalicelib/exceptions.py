"""The service's one error hierarchy.

Every error a client may see is a `ServiceError`; `chalicelib.jsonapi.errors`
is the only place that turns one into an HTTP response.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ErrorDetail:
    """One entry of a JSON:API `errors` array."""

    title: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class ServiceError(Exception):
    """Base of every error rendered to a client."""

    status = 500
    code = "INTERNAL_SERVER_ERROR"
    title = "Internal server error"

    def __init__(self, detail: str = "", *, pointer: str | None = None,
                 parameter: str | None = None, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(detail or self.title)
        self.details = details or [ErrorDetail(self.title, detail or self.title, pointer, parameter)]


class ValidationError(ServiceError):
    """A body or filter that names known things with values that do not fit (422)."""

    status = 422
    code = "VALIDATION_ERROR"
    title = "Validation error"


class ConflictError(ServiceError):
    """A document whose `type` does not match the route (409)."""

    status = 409
    code = "CONFLICT"
    title = "Conflict"


class BadRequestError(ServiceError):
    """A malformed request: unparseable JSON, a bad page or sort (400)."""

    status = 400
    code = "BAD_REQUEST"
    title = "Bad request"


class FilterNotAllowedError(BadRequestError):
    """A list filter on an unknown attribute or predicate (400)."""

    code = "FILTER_NOT_ALLOWED"
    title = "Filter not allowed"


class ParameterNotAllowedError(BadRequestError):
    """A query parameter the route does not take (400)."""

    code = "PARAMETER_NOT_ALLOWED"
    title = "Parameter not allowed"


class UnauthorizedError(ServiceError):
    """No credentials, bad credentials, or a caller kind the route refuses (401)."""

    status = 401
    code = "UNAUTHORIZED"
    title = "Unauthorized"


class InvalidTokenError(UnauthorizedError):
    """An expired token or one with a bad signature: clients refresh on this (401)."""

    code = "INVALID_TOKEN"
    title = "Invalid token"


class RecordNotFoundError(ServiceError):
    """No such record for this tenant (404); another tenant's id answers this too."""

    status = 404
    code = "RECORD_NOT_FOUND"
    title = "Record not found"


class UnsupportedMediaTypeError(ServiceError):
    """A body whose Content-Type is not JSON:API (415)."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    title = "Unsupported media type"


class NotAcceptableError(ServiceError):
    """An Accept header that excludes JSON:API (406)."""

    status = 406
    code = "NOT_ACCEPTABLE"
    title = "Not acceptable"


class MethodNotAllowedError(ServiceError):
    """A route asked with a method it does not serve (405)."""

    status = 405
    code = "METHOD_NOT_ALLOWED"
    title = "Method not allowed"


class TooManyRequestsError(ServiceError):
    """The backend throttled past our retries (429)."""

    status = 429
    code = "TOO_MANY_REQUESTS"
    title = "Too many requests"
