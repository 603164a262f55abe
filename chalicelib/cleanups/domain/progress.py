"""A cleanup's progress as arithmetic: its percentage, its 10 % steps, its recent rate. Pure, no I/O.

Events: a count that moves the total across one or more 10 % steps (`crossed`, from
the total its own atomic write returned) fires one `cleanups.progress` event carrying
the cleanup as that count left it; the count that completes the cleanup fires none.
So a cleanup fires at most 9, whatever the order or number of deliveries.

Rate: each count leaves a sample `[epoch seconds, records]` under its sub-batch number
modulo SAMPLES, so the cleanup keeps its last SAMPLES counts or so, racing workers never
overwriting each other's.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chalicelib.tenancy import iso

STEPS = range(1, 10)  # 10 % .. 90 %: 100 % is the cleanup's completion
SAMPLES = 8


def percent(counted: int, records: int) -> float:
    """0-100 with one decimal, rounded down: 100 only once every record is counted."""
    if records <= 0:
        return 100.0
    return math.floor(1000 * min(counted, records) / records) / 10


def threshold(step: int, records: int) -> int:
    """The fewest records counted at which the percentage reads `10 * step`."""
    return -(-step * records // 10)


def crossed(before: int, added: int, records: int) -> list[int]:
    """The steps a count moving the total from `before` to `before + added` crosses."""
    return [s for s in STEPS if before < threshold(s, records) <= before + added]


def sample(number: int, moment: datetime, records: int) -> tuple[str, list[float]]:
    """The slot and value a count of sub-batch `number` leaves in the samples."""
    return str(number % SAMPLES), [round(moment.timestamp(), 3), records]


def _ordered(samples: Mapping[str, Any]) -> list[tuple[float, float]]:
    return sorted((float(at), float(records)) for at, records in samples.values())


def rate(samples: Mapping[str, Any]) -> float | None:
    """Records per second between the oldest and the newest sample; None with fewer than two."""
    points = _ordered(samples)
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return None
    return round(sum(records for _, records in points[1:]) / (points[-1][0] - points[0][0]), 1)


def completion(samples: Mapping[str, Any], remaining: int) -> str | None:
    """When the rest is counted at the recent rate, from the newest sample; None without a rate."""
    per_second = rate(samples)
    if not per_second:
        return None
    latest = _ordered(samples)[-1][0]
    return iso(datetime.fromtimestamp(latest + max(0, remaining) / per_second, tz=UTC))
