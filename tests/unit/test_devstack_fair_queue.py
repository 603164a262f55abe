"""The local fair queue's delivery order: the least-loaded group first, the oldest among equals."""
from __future__ import annotations

from devstack.fair_queue import fair_order, group_of


def test_fair_order_takes_the_oldest_message_when_no_group_is_in_flight() -> None:
    # Given a backlog of A with one B behind it, and nothing in flight
    groups = ["A", "A", "A", "B"]

    # When one message is taken
    picked = fair_order(groups, {}, 1)

    # Then it is the oldest
    assert picked == [0]


def test_fair_order_delivers_a_quiet_group_before_a_busy_groups_backlog() -> None:
    # Given A with two messages in flight and a backlog of A ahead of one B
    groups = ["A", "A", "A", "B"]

    # When one message is taken
    picked = fair_order(groups, {"A": 2}, 1)

    # Then it is B's, behind A's backlog
    assert picked == [3]


def test_fair_order_spreads_one_batch_over_the_groups_by_load() -> None:
    # Given A busier than B by one, C idle, and messages of each in send order
    groups = ["A", "A", "B", "B", "C", "A"]

    # When five are taken at once
    picked = fair_order(groups, {"A": 2, "B": 1}, 5)

    # Then each pick went to the least-loaded group counting the picks before it, oldest first among equals
    assert picked == [4, 2, 0, 3, 1]


def test_fair_order_returns_everything_held_when_asked_for_more() -> None:
    # Given three held messages
    groups = ["", "A", ""]

    # When ten are asked for
    picked = fair_order(groups, {"": 1}, 10)

    # Then all three come, none twice, and nothing when nothing is held
    assert sorted(picked) == [0, 1, 2]
    assert picked[0] == 1
    assert fair_order([], {"A": 1}, 3) == []


def test_group_of_is_the_message_group_id_or_one_group_without_it() -> None:
    assert group_of({"Attributes": {"MessageGroupId": "tenant-1"}}) == "tenant-1"
    assert group_of({"Attributes": {}}) == group_of({}) == ""
