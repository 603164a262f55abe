"""Errors raised while reading a filter set; `chalicelib.jsonapi.errors` maps them to 400 or 422."""
from __future__ import annotations


class FilterError(Exception):
    """A filter key or value the service cannot honour; `key` is the offending filter key.

    `in_body` says where the filter set came from: a request body (a cleanup's `filters`,
    a 422 on that attribute) or a list's `filter[q][...]` query parameters (a 400 naming one).
    """

    def __init__(self, key: str, message: str, *, in_body: bool = False) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
        self.in_body = in_body


class UnknownFilterError(FilterError):
    """The key names an attribute that is not filterable, or a predicate that does not exist for it."""


class FilterValueError(FilterError):
    """The value cannot be coerced to what the predicate and the attribute's type need."""
