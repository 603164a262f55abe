"""The throttle bench measures limits the stack can reach: it scales them down only when it must."""
from bench.throttle_accuracy import reachable


def test_reachable_keeps_the_requested_limits_when_the_stack_is_fast_enough() -> None:
    # Given a stack whose unthrottled rate is well over the second limit
    # When the bench picks its limits
    # Then they are the requested ones
    assert reachable((200, 500), capacity=600.0) == (200, 500)


def test_reachable_scales_both_limits_in_proportion_below_the_stacks_rate() -> None:
    # Given a stack that cannot reach the second limit
    # When the bench picks its limits
    first, second = reachable((200, 500), capacity=234.0)
    # Then the second is 80 % of the stack's rate and the first keeps its share of the second
    assert second == 187
    assert first == 74
    assert second <= 0.8 * 234.0
