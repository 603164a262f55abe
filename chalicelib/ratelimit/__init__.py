"""Rate limits: each application's request budget per window, counted across Lambda instances.

`charge` counts a request and says where its requester stands; the web adapter answers 429 when
the budget is spent and puts the `RateLimit-*` headers on every `/api` response.
"""
from __future__ import annotations

import time

from chalicelib.config import get_settings
from chalicelib.exceptions import TooManyRequestsError
from chalicelib.ratelimit.store import count_request
from chalicelib.ratelimit.window import Budget, Usage, budget_of, usage

__all__ = ["Budget", "Usage", "charge", "refuse_over_budget"]


def _now() -> float:
    return time.time()


def charge(requester: str, client_id: str | None) -> Usage | None:
    """Count one request of `requester` (an application, or an address without a valid token); None: no limit."""
    budget = budget_of(client_id, get_settings())
    if budget is None:
        return None
    epoch = _now()
    start = budget.window_start(epoch)
    count = count_request(requester, start, expires_at=start + 2 * budget.seconds)
    return usage(budget, count, epoch)


def refuse_over_budget(spent: Usage | None) -> None:
    """429 `TOO_MANY_REQUESTS` once the window's budget is spent."""
    if spent is not None and spent.exceeded:
        raise TooManyRequestsError(f"The budget of {spent.limit} requests is spent; retry in "
                                   f"{spent.reset_seconds} seconds")
