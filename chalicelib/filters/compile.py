"""Compilation of conditions to a DynamoDB FilterExpression, for the ones DynamoDB evaluates exactly.

Records store strings as S, numbers as N, booleans as BOOL, datetimes as canonical S, objects as M
and a NULL as an absent attribute. What DynamoDB cannot evaluate exactly as `evaluate.matches` does
(case-insensitive patterns, empty strings, jsonb array containment, limits) is left residual.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.filters.model import Condition
from chalicelib.filters.predicates import PREDICATES, Predicate

# DynamoDB limits: 4 KB of expression text, 300 operators or functions, 100 operands per IN.
MAX_TEXT = 4000
MAX_OPERATORS = 300
IN_CHUNK = 100

_COMPARATORS = {"eq": "=", "lt": "<", "lteq": "<=", "gt": ">", "gteq": ">="}


@dataclass(frozen=True)
class Expression:
    """A FilterExpression with its placeholders; values are in DynamoDB's low-level typed form."""

    text: str
    names: dict[str, str]
    values: dict[str, dict]


@dataclass
class _Builder:
    prefix: str
    names: dict[str, str] = field(default_factory=dict)  # placeholder -> attribute name
    values: dict[str, dict] = field(default_factory=dict)  # placeholder -> typed value
    operators: int = 0

    def name(self, attribute: str) -> str:
        return self._placeholder(self.names, "#", attribute)

    def value(self, typed: dict) -> str:
        return self._placeholder(self.values, ":", typed)

    # (mark, thing as JSON) -> its placeholder: a lookup per operand, not a scan (a list has thousands)
    known: dict[tuple[str, str], str] = field(default_factory=dict)

    def _placeholder(self, table: dict[str, Any], mark: str, thing: Any) -> str:
        """The placeholder already standing for `thing`, or a new one."""
        identity = (mark, json.dumps(thing, sort_keys=True))
        found = self.known.get(identity)
        if found is None:
            found = f"{mark}{self.prefix}{len(table)}"
            table[found] = thing
            self.known[identity] = found
        return found

    def op(self, text: str, count: int = 1) -> str:
        self.operators += count
        return text

    def join(self, parts: list[str], word: str) -> str:
        if len(parts) == 1:
            return parts[0]
        return self.op(f"({f' {word} '.join(parts)})", len(parts) - 1)


def compile_conditions(conditions: Sequence[Condition], *,
                       prefix: str = "f") -> tuple[Expression | None, list[Condition]]:
    """The FilterExpression for what DynamoDB evaluates exactly, and the residual conditions."""
    builder = _Builder(prefix)
    parts: list[str] = []
    residual: list[Condition] = []
    for condition in conditions:
        if not compilable(condition):
            residual.append(condition)
            continue
        trial = copy.deepcopy(builder)
        part = _condition(condition, trial)
        text = " AND ".join([*parts, part])
        if trial.operators + len(parts) > MAX_OPERATORS or len(text) > MAX_TEXT:
            residual.append(condition)
            continue
        builder = trial
        parts.append(part)
    if not parts:
        return None, residual
    return Expression(" AND ".join(parts), builder.names, builder.values), residual


def compilable(condition: Condition) -> bool:
    """Whether DynamoDB evaluates the condition exactly as `matches` does."""
    predicate = PREDICATES[condition.predicate]
    if predicate.test == "like":
        return False  # begins_with/contains are case-sensitive; LIKE here is not
    if predicate.test == "jcont":
        return _plain_object(condition.value)
    if predicate.flag:
        return True
    operands = condition.value if predicate.quantifier != "one" else [condition.value]
    # An empty string is not a value every DynamoDB accepts in ExpressionAttributeValues.
    return all(operand != "" for operand in operands)


def _plain_object(value: dict[str, Any]) -> bool:
    """Objects of non-empty keys and scalar leaves: array containment and JSON null have no exact form."""
    for key, item in value.items():
        if key == "" or item is None or item == "" or isinstance(item, list):
            return False
        if isinstance(item, dict) and not _plain_object(item):
            return False
    return True


def typed(value: Any) -> dict:
    """A Python scalar as a DynamoDB low-level attribute value."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": str(Decimal(repr(value)))}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"no DynamoDB form for {value!r}")


def _condition(condition: Condition, builder: _Builder) -> str:
    predicate = PREDICATES[condition.predicate]
    terms = [_term(predicate, condition.value, builder.name(name), builder) for name in condition.attributes]
    return builder.join(terms, "OR")


def _term(predicate: Predicate, value: Any, name: str, b: _Builder) -> str:
    negated = predicate.negated != (predicate.flag and not value)
    if predicate.test == "null":
        return b.op(f"attribute_exists({name})" if negated else f"attribute_not_exists({name})")
    if predicate.test == "blank":
        return _present(name, b) if negated else _blank(name, b)
    if predicate.test == "jcont":
        return _contains(name, value, b)
    operands = value if predicate.quantifier != "one" else [predicate.operand if predicate.flag else value]
    placeholders = list(dict.fromkeys(b.value(typed(v)) for v in operands))  # a repeated operand adds nothing
    core = _comparisons(predicate, negated, name, placeholders, b)
    if negated:
        # DynamoDB's `a <> :v` is true when `a` is absent; SQL's NULL <> 'v' is not.
        core = b.join([b.op(f"attribute_exists({name})"), core], "AND")
    if predicate.or_null:
        core = b.join([b.op(f"attribute_not_exists({name})"), core], "OR")
    return core


def _comparisons(predicate: Predicate, negated: bool, name: str, placeholders: list[str], b: _Builder) -> str:
    if predicate.test == "eq" and predicate.quantifier != "one" and negated == (predicate.quantifier == "all"):
        # eq_any is IN, not_eq_all is NOT IN: chunks of IN_CHUNK operands, ORed or ANDed.
        chunks = [placeholders[i:i + IN_CHUNK] for i in range(0, len(placeholders), IN_CHUNK)]
        ins = [b.op(f"{name} IN ({', '.join(chunk)})", 1 + len(chunk)) for chunk in chunks]
        if negated:
            return b.join([b.op(f"(NOT {term})") for term in ins], "AND")
        return b.join(ins, "OR")
    comparator = "<>" if negated and predicate.test == "eq" else _COMPARATORS[predicate.test]
    parts = [b.op(f"{name} {comparator} {placeholder}") for placeholder in placeholders]
    return b.join(parts, "AND" if predicate.quantifier == "all" else "OR")


def _present(name: str, b: _Builder) -> str:
    # Not NULL and not '': only a string can be empty, so non-strings are present whenever they exist.
    string, zero = b.value({"S": "S"}), b.value({"N": "0"})
    nonempty = b.op(f"(NOT attribute_type({name}, {string}) OR size({name}) > {zero})", 3)
    return b.join([b.op(f"attribute_exists({name})"), nonempty], "AND")


def _blank(name: str, b: _Builder) -> str:
    string, zero = b.value({"S": "S"}), b.value({"N": "0"})
    empty = b.op(f"(attribute_type({name}, {string}) AND size({name}) = {zero})", 3)
    return b.join([b.op(f"attribute_not_exists({name})"), empty], "OR")


def _contains(path: str, value: dict[str, Any], b: _Builder) -> str:
    """jsonb `@>` on an object of scalar leaves: each leaf path equals, each empty object is a map."""
    if not value:
        return b.op(f"attribute_type({path}, {b.value({'S': 'M'})})")
    parts = []
    for key, item in value.items():
        nested = f"{path}.{b.name(key)}"
        if isinstance(item, dict):
            parts.append(_contains(nested, item, b))
        else:
            parts.append(b.op(f"{nested} = {b.value(typed(item))}"))
    return b.join(parts, "AND")
