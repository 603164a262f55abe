"""Parsing of `page`, `sort`, `fields`, `include` and `filter[q]` (already percent-decoded).

Each parameter means one thing or is a 400 naming it: `sort` is comma-separated sortable
fields, each optionally prefixed by one `-`; `fields[<type>]` names only fields of a type
the route renders (`fieldsets`: type -> its attributes and relationships; `id`, which every
resource has, is taken too and renders nothing more), or is empty for none. `fields[...]`
for another type is a parameter the route does not take (PARAMETER_NOT_ALLOWED).
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.exceptions import BadRequestError, ParameterNotAllowedError

Fieldsets = Mapping[str, Collection[str]]  # resource type -> the fields `fields[<type>]` may name

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

    @property
    def offset(self) -> int:
        """How many matches come before the page asked for."""
        return (self.page_number - 1) * self.page_size


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
        descending = part.startswith("-")
        name = part[1:] if descending else part
        if name not in sortable:
            raise BadRequestError(f"{part!r} is not a sortable field, optionally prefixed by -", parameter="sort")
        out.append((name, descending))
    return out


def _parse_fields(type_name: str, raw: str, known: Collection[str]) -> list[str]:
    if raw == "":
        return []  # JSON:API: an empty fieldset renders no fields
    names = raw.split(",")
    unknown = [name for name in names if name not in known and name != "id"]
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise BadRequestError(f"{listed}: not a field of {type_name}", parameter=f"fields[{type_name}]")
    return names


def _parse_include(raw: str, includable: Collection[str]) -> list[str]:
    names = [n for n in raw.split(",") if n]
    for name in names:
        if name not in includable:
            raise BadRequestError(f"{name!r} cannot be included", parameter="include")
    return names


def _common(params: Mapping[str, str], query: ListQuery, includable: Collection[str],
            known: Collection[str], fieldsets: Fieldsets) -> None:
    for name, value in params.items():
        if (match := _FIELDS.match(name)) and match.group(1) in fieldsets:
            query.fields[match.group(1)] = _parse_fields(match.group(1), value, fieldsets[match.group(1)])
        elif name == "include":
            query.include = _parse_include(value, includable)
        elif name not in known:
            raise ParameterNotAllowedError(f"{name!r} is not an allowed parameter", parameter=name)


def parse_show_query(params: Mapping[str, str] | None, includable: Collection[str] = (),
                     fieldsets: Fieldsets | None = None) -> ListQuery:
    query = ListQuery(params=dict(params or {}))
    _common(params or {}, query, includable, known=(), fieldsets=fieldsets or {})
    return query


def parse_page_query(params: Mapping[str, str] | None) -> ListQuery:
    """`page[number]` and `page[size]` only: a relationship's linkage is paged, never sorted, filtered or included."""
    for name in params or {}:
        if name not in ("page[number]", "page[size]"):
            raise ParameterNotAllowedError(f"{name!r} is not an allowed parameter", parameter=name)
    return parse_list_query(params, sortable=())


def parse_list_query(params: Mapping[str, str] | None, sortable: Collection[str],
                     includable: Collection[str] = (), fieldsets: Fieldsets | None = None) -> ListQuery:
    params = dict(params or {})
    query = ListQuery(params=params)
    query.page_number = _positive_int(params, "page[number]", 1)
    query.page_size = _positive_int(params, "page[size]", DEFAULT_PAGE_SIZE)
    if query.page_size > MAX_PAGE_SIZE:
        raise BadRequestError(f"page[size] must be at most {MAX_PAGE_SIZE}", parameter="page[size]")
    if "sort" in params:
        query.sort = _parse_sort(params["sort"], sortable)
    filter_keys = {name for name in params if _FILTER.match(name)}
    query.filters = {_FILTER.match(name).group(1): params[name] for name in filter_keys}  # type: ignore[union-attr]
    _common(params, query, includable, known={"page[number]", "page[size]", "sort", *filter_keys},
            fieldsets=fieldsets or {})
    return query
