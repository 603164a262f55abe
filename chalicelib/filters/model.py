"""The parsed form of a filter set: what parse produces and evaluate/compile consume."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Condition:
    """One `<attr>[_or_<attr>...]_<predicate>` key with its coerced value."""

    key: str
    attributes: tuple[str, ...]
    predicate: str
    # Coerced to the attribute type: a list for *_in/*_any/*_all, a dict for jcont, a bool for flags.
    value: Any


@dataclass(frozen=True)
class FilterSet:
    """Conditions that must all hold."""

    conditions: tuple[Condition, ...]
