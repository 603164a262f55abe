"""The pure evaluator: does a record satisfy conditions, with Ransack-on-PostgreSQL semantics.

Pattern predicates (ILIKE on PostgreSQL) compare both sides case-folded by `chalicelib.text.fold`.
A string tested against a long list (`_in`, `_not_in`) is looked up in a set of the list's strings, built
once per list: a record costs the same whatever the list's length.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from chalicelib.filters.model import Condition, FilterSet
from chalicelib.filters.predicates import PREDICATES, Predicate
from chalicelib.text import fold


def matches(conditions: FilterSet | Sequence[Condition], record: Mapping[str, Any]) -> bool:
    """True when `record` (attribute -> value; missing or None is NULL) satisfies every condition."""
    items = conditions.conditions if isinstance(conditions, FilterSet) else conditions
    return all(holds(condition, record) for condition in items)


def holds(condition: Condition, record: Mapping[str, Any]) -> bool:
    """ORed attributes: the condition holds when it holds for any of them (negative predicates too)."""
    predicate = PREDICATES[condition.predicate]
    return any(_holds_for(predicate, condition.value, record.get(name)) for name in condition.attributes)


def _holds_for(predicate: Predicate, value: Any, actual: Any) -> bool:
    negated = predicate.negated != (predicate.flag and not value)
    if predicate.test == "null":
        return (actual is None) != negated
    if predicate.test == "blank":
        return (actual is None or actual == "") != negated
    if actual is None:
        # SQL: any comparison with NULL is unknown, negated or not.
        return predicate.or_null
    if isinstance(actual, str) and predicate.test == "eq" and predicate.quantifier != "one":
        found = _membership(predicate, value, actual)
        if found is not None:
            return found
    operands = value if predicate.quantifier != "one" else [predicate.operand if predicate.flag else value]
    results = (_test(predicate, actual, operand) != negated for operand in operands)
    return all(results) if predicate.quantifier == "all" else any(results)


def _membership(predicate: Predicate, operands: Sequence[Any], actual: str) -> bool | None:
    """`in` (any equal) and `not_in` (all unequal) of a string by set lookup; None for the other quantified
    equalities. A string equals only a string (`_equal`), so the list's other operands never match."""
    if predicate.quantifier == "any" and not predicate.negated:
        return actual in _strings(operands)
    if predicate.quantifier == "all" and predicate.negated:
        return actual not in _strings(operands)
    return None


_STRING_SETS: dict[int, tuple[Sequence[Any], frozenset[str]]] = {}
_STRING_SETS_KEPT = 64


def _strings(operands: Sequence[Any]) -> frozenset[str]:
    """The string operands of a list, as a set, remembered by the list's identity (the list is kept with it)."""
    kept = _STRING_SETS.get(id(operands))
    if kept is not None and kept[0] is operands:
        return kept[1]
    strings = frozenset(o for o in operands if isinstance(o, str))
    if len(_STRING_SETS) >= _STRING_SETS_KEPT:
        _STRING_SETS.clear()
    _STRING_SETS[id(operands)] = (operands, strings)
    return strings


def _test(predicate: Predicate, actual: Any, operand: Any) -> bool:
    test = predicate.test
    if test == "eq":
        return _equal(actual, operand)
    if test == "like":
        return isinstance(actual, str) and _like(predicate, actual, operand)
    if test == "jcont":
        return contains(actual, operand)
    return _ordered(test, actual, operand)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _equal(actual: Any, operand: Any) -> bool:
    if isinstance(actual, bool) or isinstance(operand, bool):
        return isinstance(actual, bool) and actual is operand
    if _is_number(actual) and _is_number(operand):
        return bool(actual == operand)
    return isinstance(actual, str) and isinstance(operand, str) and actual == operand


def _ordered(test: str, actual: Any, operand: Any) -> bool:
    # Values of different kinds are not ordered against each other, as in DynamoDB.
    comparable = (_is_number(actual) and _is_number(operand)) or (
        isinstance(actual, str) and isinstance(operand, str))
    if not comparable:
        return False
    if test == "lt":
        return bool(actual < operand)
    if test == "lteq":
        return bool(actual <= operand)
    if test == "gt":
        return bool(actual > operand)
    return bool(actual >= operand)


def _like(predicate: Predicate, actual: str, operand: str) -> bool:
    text, needle = fold(actual), fold(operand)
    if predicate.pattern == "start":
        return text.startswith(needle)
    if predicate.pattern == "end":
        return text.endswith(needle)
    if predicate.pattern == "cont":
        return needle in text
    return _like_regex(needle).fullmatch(text) is not None


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str) -> re.Pattern[str]:
    """A SQL LIKE pattern (`%`, `_`, backslash escapes) as a regular expression."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def contains(container: Any, contained: Any) -> bool:
    """PostgreSQL's jsonb `container @> contained`: objects by subset, arrays by elements, scalars by equality."""
    if isinstance(contained, dict):
        return isinstance(container, dict) and all(
            name in container and contains(container[name], item) for name, item in contained.items())
    if isinstance(contained, list):
        return isinstance(container, list) and all(_in_array(container, item) for item in contained)
    return _json_kind(container) == _json_kind(contained) and container == contained


def _in_array(container: list[Any], item: Any) -> bool:
    if isinstance(item, dict | list):
        return any(contains(element, item) for element in container)
    return any(_json_kind(element) == _json_kind(item) and element == item for element in container)


def _json_kind(value: Any) -> str:
    if value is None or isinstance(value, bool | str | dict | list):
        return type(value).__name__
    return "number" if _is_number(value) else "other"
