"""`estimated_seconds` from measured rates: the tenant's recent completed cleanups of the type. Pure.

A cleanup's rate is its records over the time from its create to its completion (what its user
waits); the estimate divides a preview's records by the rate of the latest few such cleanups
(records summed over seconds summed), or its items by PREVIEW_ITEMS_PER_SECOND when none is known.
Why: docs/DESIGN.md#previews-at-every-size
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from chalicelib.cleanups.domain.model import COMPLETED, Cleanup
from chalicelib.tenancy import parse_iso

LEARN_FROM = 5  # the latest completed cleanups of the type a rate is learned from
MIN_RECORDS = 500  # smaller cleanups time mostly the queue's latency, not deletion: they teach nothing


def learned_rate(cleanups: Iterable[Cleanup], resource_type: str) -> float | None:
    """Records a second over the latest LEARN_FROM completed cleanups of `resource_type`, or None."""
    runs = sorted(((c.completed_at or "", c.records_count, _seconds(c)) for c in cleanups
                   if c.status == COMPLETED and c.resource_type == resource_type and c.records_count >= MIN_RECORDS),
                  reverse=True)[:LEARN_FROM]
    seconds = sum(run[2] for run in runs)
    return sum(run[1] for run in runs) / seconds if runs and seconds > 0 else None


def estimate_seconds(records: int, items: int, rate: float | None, items_per_second: float) -> int:
    """Whole seconds a cleanup of `records` (with `items` in all) would take: at the learned records rate,
    else at the configured items rate."""
    return math.ceil(records / rate) if rate else math.ceil(items / items_per_second)


def _seconds(cleanup: Cleanup) -> float:
    if cleanup.completed_at is None:
        return 0.0
    return (parse_iso(cleanup.completed_at) - parse_iso(cleanup.created_at)).total_seconds()
