"""The service's one error hierarchy.

Every error a client may see is a `ServiceError` (or a `chalicelib.filters.FilterError`,
whose status depends on where the filters came from); `chalicelib.jsonapi.errors` is
the only place that turns one into an HTTP response. A subclass states its HTTP status,
code and title in its class line: `class XError(ServiceError, status=..., code=..., title=...)`.
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
    header: str | None = None  # a request header at fault (`source.header`)


class ServiceError(Exception):
    """Base of every error rendered to a client: an internal error (500) unless a subclass says otherwise."""

    status = 500
    code = "INTERNAL_SERVER_ERROR"
    title = "Internal server error"

    def __init_subclass__(cls, *, status: int = 0, code: str = "", title: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.status = status or cls.status
        cls.code = code or cls.code
        cls.title = title or cls.title

    def __init__(self, detail: str = "", *, pointer: str | None = None,
                 parameter: str | None = None, header: str | None = None,
                 details: list[ErrorDetail] | None = None) -> None:
        super().__init__(detail or self.title)
        self.details = details or [ErrorDetail(self.title, detail or self.title, pointer, parameter, header=header)]


class ValidationError(ServiceError, status=422, code="VALIDATION_ERROR", title="Validation error"):
    """A body or filter that names known things with values that do not fit."""


class ConflictError(ServiceError, status=409, code="CONFLICT", title="Conflict"):
    """A document whose `type` does not match the route."""


class BadRequestError(ServiceError, status=400, code="BAD_REQUEST", title="Bad request"):
    """A malformed request: unparseable JSON, a bad page or sort."""


class FilterNotAllowedError(BadRequestError, code="FILTER_NOT_ALLOWED", title="Filter not allowed"):
    """A list filter on an unknown attribute or predicate (400)."""


class ParameterNotAllowedError(BadRequestError, code="PARAMETER_NOT_ALLOWED", title="Parameter not allowed"):
    """A query parameter the route does not take (400)."""


class UnauthorizedError(ServiceError, status=401, code="UNAUTHORIZED", title="Unauthorized"):
    """No credentials, bad credentials, or a caller kind the route refuses."""


class InvalidTokenError(UnauthorizedError, code="INVALID_TOKEN", title="Invalid token"):
    """An expired token or one with a bad signature: clients refresh on this (401)."""


class RecordNotFoundError(ServiceError, status=404, code="RECORD_NOT_FOUND", title="Record not found"):
    """No such record for this tenant; another tenant's id answers this too."""


class UnsupportedMediaTypeError(ServiceError, status=415, code="UNSUPPORTED_MEDIA_TYPE",
                                title="Unsupported media type"):
    """A body whose Content-Type is not JSON:API."""


class NotAcceptableError(ServiceError, status=406, code="NOT_ACCEPTABLE", title="Not acceptable"):
    """An Accept header that excludes JSON:API."""


class MethodNotAllowedError(ServiceError, status=405, code="METHOD_NOT_ALLOWED", title="Method not allowed"):
    """A route asked with a method it does not serve."""


class TooManyRequestsError(ServiceError, status=429, code="TOO_MANY_REQUESTS", title="Too many requests"):
    """The backend throttled past our retries, or the application spent its request budget."""
