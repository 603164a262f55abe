"""The fairness bench's share of the local pollers: half, at least 1."""
from __future__ import annotations

from devstack.sqs_consumer import fair_share


def test_fair_share_is_half_the_pollers_and_at_least_one() -> None:
    assert [fair_share(n) for n in (0, 1, 2, 4, 5, 10)] == [1, 1, 1, 2, 2, 5]
