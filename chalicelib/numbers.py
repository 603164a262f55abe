"""What DynamoDB can store as a number: 38 significant digits, magnitudes 1E-130 to 9.9E125.

A value beyond that is refused by DynamoDB itself; bodies and filters check it first,
so the client gets a 422/400 with a pointer instead of a 500.
"""
from __future__ import annotations

import math
from typing import Any

MAX_INTEGER = 10**38
MIN_MAGNITUDE, MAX_MAGNITUDE = 1e-130, 9.9e125


def number_fits(value: int | float) -> bool:
    if isinstance(value, int):
        return abs(value) < MAX_INTEGER
    magnitude = abs(value)
    return math.isfinite(value) and magnitude < MAX_MAGNITUDE and not 0 < magnitude < MIN_MAGNITUDE


def json_fits(value: Any) -> bool:
    """True when every number inside `value` (a JSON value) fits."""
    if isinstance(value, dict):
        return all(json_fits(v) for v in value.values())
    if isinstance(value, list):
        return all(json_fits(v) for v in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_fits(value)
    return True
