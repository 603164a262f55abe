"""Request budgets in fixed windows, pure: which window a moment falls in and what a count leaves.

A window of `seconds` starts at each multiple of `seconds` since the epoch, so every Lambda
instance agrees on it without talking to the others; the count itself is shared (`store`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.config import Settings

LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER = "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"
RETRY_AFTER_HEADER = "Retry-After"


@dataclass(frozen=True)
class Budget:
    requests: int
    seconds: int

    def window_start(self, epoch: float) -> int:
        return int(epoch // self.seconds) * self.seconds


@dataclass(frozen=True)
class Usage:
    """Where a requester stands after counting one more request in the current window."""

    limit: int
    remaining: int
    reset_seconds: int  # until the window ends (at least 1: headers carry whole seconds)
    exceeded: bool

    def headers(self) -> dict[str, str]:
        out = {LIMIT_HEADER: str(self.limit), REMAINING_HEADER: str(self.remaining),
               RESET_HEADER: str(self.reset_seconds)}
        if self.exceeded:
            out[RETRY_AFTER_HEADER] = str(self.reset_seconds)
        return out


def usage(budget: Budget, count: int, epoch: float) -> Usage:
    """The usage once `count` requests (this one included) were made in the window holding `epoch`."""
    ends = budget.window_start(epoch) + budget.seconds
    return Usage(limit=budget.requests, remaining=max(0, budget.requests - count),
                 reset_seconds=max(1, math.ceil(ends - epoch)), exceeded=count > budget.requests)


def budget_of(client_id: str | None, settings: Settings) -> Budget | None:
    """A requester's budget (an application's own when configured); None when it has no limit."""
    requests = dict(settings.rate_limit_overrides).get(client_id or "", settings.rate_limit_requests)
    return Budget(requests, settings.rate_limit_window_seconds) if requests > 0 else None
