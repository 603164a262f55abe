"""Errors raised while reading a filter set; the JSON:API layer maps them to 400 or 422."""
from __future__ import annotations


class FilterError(Exception):
    """A filter key or value the service cannot honour; `key` is the offending filter key."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class UnknownFilterError(FilterError):
    """The key names an attribute that is not filterable, or a predicate that does not exist for it."""


class FilterValueError(FilterError):
    """The value cannot be coerced to what the predicate and the attribute's type need."""
