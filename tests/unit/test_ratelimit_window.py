"""Rate-limit windows, pure: which window a moment is in, what a count leaves, whose budget applies."""
from __future__ import annotations

import dataclasses

import pytest

from chalicelib.config import default_settings
from chalicelib.ratelimit.window import Budget, budget_of, usage

BUDGET = Budget(requests=3, seconds=60)


@pytest.mark.parametrize(("epoch", "start"), [(0.0, 0), (59.999, 0), (60.0, 60), (125.5, 120)])
def test_window_starts_at_each_multiple_of_its_length(epoch: float, start: int) -> None:
    assert BUDGET.window_start(epoch) == start


def test_usage_counts_down_then_is_exceeded_with_retry_after_until_the_window_ends() -> None:
    # Given a budget of 3 a minute, 50.2 s into a window / When the 1st, 3rd and 4th requests are counted
    first, third, fourth = (usage(BUDGET, n, 6_000_050.2) for n in (1, 3, 4))
    # Then the remaining requests go 2, 0, 0, only the 4th is over, and each resets in the 10 s left (rounded up)
    assert (first.remaining, third.remaining, fourth.remaining) == (2, 0, 0)
    assert (first.exceeded, third.exceeded, fourth.exceeded) == (False, False, True)
    assert first.reset_seconds == fourth.reset_seconds == 10
    assert fourth.headers() == {"RateLimit-Limit": "3", "RateLimit-Remaining": "0",
                                "RateLimit-Reset": str(fourth.reset_seconds), "Retry-After": str(fourth.reset_seconds)}
    assert "Retry-After" not in third.headers()


def test_reset_is_at_least_one_second_at_the_very_end_of_a_window() -> None:
    assert usage(BUDGET, 1, 119.9999).reset_seconds == 1
    assert usage(BUDGET, 1, 120.0).reset_seconds == 60


def test_budget_is_the_default_unless_the_application_has_its_own_and_zero_means_none() -> None:
    # Given a default of 600 a minute, one application at 5 and one without a limit
    settings = dataclasses.replace(default_settings(), rate_limit_overrides=(("small", 5), ("free", 0)))
    # Then each gets its own budget; an address (no application) the default
    assert budget_of("any", settings) == Budget(600, 60) == budget_of(None, settings)
    assert budget_of("small", settings) == Budget(5, 60)
    assert budget_of("free", settings) is None
    assert budget_of("any", dataclasses.replace(settings, rate_limit_requests=0)) is None
