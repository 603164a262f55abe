"""The throttle as arithmetic: time slots handed out through the cleanup item. Pure, no I/O.

A throttled cleanup (`max_records_per_second`) keeps `paced_until`, the moment its
next free slot begins. A sub-batch of n records takes the slot
`[max(now, paced_until), + n / rate)`: the write that marks it begun moves
`paced_until` to the slot's end, conditional on the rate and `paced_until` still being
those it was planned from, so workers racing on one cleanup queue up one after the
other. A slot further than MAX_WAIT_SECONDS away is not taken: the worker gives its
message back to the queue, delayed until about then.

Sub-batches are created at most one second's worth of records long (`sub_batch_size`),
so any 10-second window holds at most ten seconds of slots plus one sub-batch: within
10 % of the limit. A rate PATCHed lower than that afterwards holds on average.

Why: docs/DESIGN.md#throttle
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.cleanups.domain.model import Cleanup

MAX_WAIT_SECONDS = 2.0  # a worker sleeps at most this long for its slot
MAX_DELAY_SECONDS = 900  # SQS DelaySeconds' maximum
BATCH_SECONDS = 30.0  # a delivery begins no slot later than this: the worker's timeout (50 s) leaves room to finish


@dataclass(frozen=True)
class Pace:
    """A sub-batch's start under the throttle: what it was planned from (`rate`, `was`), when it
    may begin (`begins`, epoch seconds) and the `paced_until` it leaves (`until`)."""

    rate: int | None
    was: float | None
    begins: float
    until: float | None


def plan(cleanup: Cleanup, size: int, now: float) -> Pace:
    """The slot a sub-batch of `size` records would take now; unthrottled, it begins now and moves nothing."""
    rate = cleanup.max_records_per_second
    if rate is None:
        return Pace(None, cleanup.paced_until, now, cleanup.paced_until)
    begins = max(now, cleanup.paced_until or now)
    return Pace(rate, cleanup.paced_until, begins, round(begins + size / rate, 3))


def too_far(pace: Pace, now: float) -> bool:
    return pace.begins - now > MAX_WAIT_SECONDS


def past_budget(pace: Pace, received: float) -> bool:
    """A throttled delivery that began at `received` stops before a slot past BATCH_SECONDS of it: a batch
    at a low rate lasts longer than a worker may run, so the rest goes back to the queue."""
    return pace.rate is not None and pace.begins - received > BATCH_SECONDS


def give_back_delay(pace: Pace, now: float) -> int:
    """Whole seconds (SQS's unit) to delay a message given back: it comes back about when its slot begins."""
    return max(1, min(MAX_DELAY_SECONDS, math.floor(pace.begins - now)))


def sub_batch_size(configured: int, rate: int | None) -> int:
    """A throttled cleanup's sub-batches hold at most one second's worth of records."""
    return configured if rate is None else max(1, min(configured, rate))
