"""Parsing of `page`, `sort`, `fields`, `include` and `filter[q]` (already percent-decoded)."""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.exceptions import BadRequestError, ParameterNotAllowedError

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 25
_FIELDS = re.compile(r"^fields\[([a-z_]+)\]$")
_FILTER = re.compile(r"^filter\[q\]\[([A-Za-z0-9_]+)\]$")
_POSITIVE_INT = re.compile(r"0{0,9}[1-9][0-9]{0,8}", re.ASCII)


@dataclass
class ListQuery:
    page_number: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    fields: dict[str, list[str]] = field(default_factory=dict)
    include: list[str] = field(default_factory=list)
    filters: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # what came, for pagination links


def _positive_int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    # ASCII digits only: str.isdigit() admits "²", which int() refuses; 9 digits bound int()'s cost.
    if not _POSITIVE_INT.fullmatch(raw):
        raise BadRequestError(f"{name} must be a positive integer", parameter=name)
    return int(raw)


def _parse_sort(raw: str, sortable: Collection[str]) -> list[tuple[str, bool]]:
    out = []
    for part in raw.split(","):
        name = part.lstrip("-")
        if name not in sortable:
            raise BadRequestError(f"{name!r} is not a sortable field", parameter="sort")
        out.append((name, part.startswith("-")))
    return out


def _parse_include(raw: str, includable: Collection[str]) -> list[str]:
    names = [n for n in raw.split(",") if n]
    for name in names:
        if name not in includable:
            raise BadRequestError(f"{name!r} cannot be included", parameter="include")
    return names


def _common(params: Mapping[str, str], query: ListQuery, includable: Collection[str],
            known: Collection[str]) -> None:
    for name, value in params.items():
        if match := _FIELDS.match(name):
            query.fields[match.group(1)] = [f for f in value.split(",") if f]
        elif name == "include":
            query.include = _parse_include(value, includable)
        elif name not in known:
            raise ParameterNotAllowedError(f"{name!r} is not an allowed parameter", parameter=name)


def parse_show_query(params: Mapping[str, str] | None, includable: Collection[str] = ()) -> ListQuery:
    query = ListQuery(params=dict(params or {}))
    _common(params or {}, query, includable, known=())
    return query


def parse_list_query(params: Mapping[str, str] | None, sortable: Collection[str],
                     includable: Collection[str] = ()) -> ListQuery:
    params = dict(params or {})
    query = ListQuery(params=params)
    query.page_number = _positive_int(params, "page[number]", 1)
    query.page_size = _positive_int(params, "page[size]", DEFAULT_PAGE_SIZE)
    if query.page_size > MAX_PAGE_SIZE:
        raise BadRequestError(f"page[size] must be at most {MAX_PAGE_SIZE}", parameter="page[size]")
    if params.get("sort"):
        query.sort = _parse_sort(params["sort"], sortable)
    filter_keys = {name for name in params if _FILTER.match(name)}
    query.filters = {_FILTER.match(name).group(1): params[name] for name in filter_keys}  # type: ignore[union-attr]
    _common(params, query, includable, known={"page[number]", "page[size]", "sort", *filter_keys})
    return query
