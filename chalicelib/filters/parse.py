"""Parsing of `{"<attr>[_or_<attr>...]_<predicate>": value}` into conditions."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.filters.exceptions import FilterError, UnknownFilterError
from chalicelib.filters.model import Condition, FilterSet
from chalicelib.filters.predicates import BY_SUFFIX_LENGTH, Predicate
from chalicelib.filters.values import coerce_value

_OR = "_or_"


def parse_filters(fields: Mapping[str, str], raw: Mapping[str, Any], *, in_body: bool = False) -> FilterSet:
    """The conditions of `raw`, against `fields` (filterable attribute name -> type).

    `in_body`: `raw` came in a request body rather than as query parameters (see `FilterError`).
    """
    try:
        return FilterSet(tuple(parse_condition(fields, key, value) for key, value in raw.items()))
    except FilterError as error:
        error.in_body = in_body  # only the caller knows where the filters came from
        raise


def parse_condition(fields: Mapping[str, str], key: str, value: Any) -> Condition:
    predicate, attributes = split_key(fields, key)
    kinds = {fields[name] for name in attributes}
    if len(kinds) > 1:
        # One coerced value serves every ORed attribute, so they must share a type.
        raise UnknownFilterError(key, "attributes joined by _or_ must have the same type")
    (kind,) = kinds
    if kind not in predicate.types:
        raise UnknownFilterError(key, f"predicate {predicate.name!r} does not apply to {kind} attributes")
    return Condition(key, attributes, predicate.name, coerce_value(predicate, kind, value, key))


def split_key(fields: Mapping[str, str], key: str) -> tuple[Predicate, tuple[str, ...]]:
    """The longest predicate suffix whose remaining prefix names known attributes."""
    suffixed = False
    for predicate in BY_SUFFIX_LENGTH:
        if not key.endswith(f"_{predicate.name}"):
            continue
        suffixed = True
        attributes = _split_attributes(fields, key[: -len(predicate.name) - 1])
        if attributes:
            return predicate, attributes
    if suffixed:
        raise UnknownFilterError(key, f"{key!r} does not name a filterable attribute")
    raise UnknownFilterError(key, f"{key!r} does not end with a known predicate")


def _split_attributes(fields: Mapping[str, str], text: str) -> tuple[str, ...] | None:
    """`a_or_b` as (a, b), trying every `_or_` so attribute names may themselves contain one."""
    if text in fields:
        return (text,)
    start = text.find(_OR)
    while start > 0:
        head = text[:start]
        rest = _split_attributes(fields, text[start + len(_OR):]) if head in fields else None
        if rest:
            return (head, *rest)
        start = text.find(_OR, start + 1)
    return None
