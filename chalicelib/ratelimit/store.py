"""Request counters in the cleanups table: one item per requester per window, moved by one atomic ADD.

Every Lambda instance adds to the same item, so the budget holds however many serve the API.
Items expire (the table's TTL) a window after theirs ends.
"""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute

from chalicelib.dynamo import ServiceItem, in_cleanups_table


class CounterItem(ServiceItem):
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute()


def _counters() -> type[CounterItem]:
    return in_cleanups_table(CounterItem)


def count_request(requester: str, window_start: int, expires_at: int) -> int:
    """Add one request to `requester`'s window (one UpdateItem); the window's count, this one included."""
    model = _counters()
    item = model(f"{requester}#ratelimit", str(window_start))
    item.update(actions=[model.hits.add(1), model.expires_at.set(expires_at)])
    return int(item.hits)
