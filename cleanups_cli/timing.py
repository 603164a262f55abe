"""The times a schedule works with, computed on the client: its next runs, its relative filter values now.

`next_runs` reads a five-field UTC cron with croniter, as the service does; `resolve` turns each
`now-<ISO 8601 duration>` value of an order predicate (`created_at_lt`, ...) into the timestamp it
names at a given instant, which is what a run would send, so a preview shows what a run now selects.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from croniter import CroniterError, croniter
from dateutil.relativedelta import relativedelta

ORDER_SUFFIXES = tuple(f"_{test}{quantifier}" for test in ("lt", "lteq", "gt", "gteq")
                       for quantifier in ("", "_any", "_all"))
RELATIVE = re.compile(r"now-P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                      r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")


class CronError(ValueError):
    """Not a five-field cron expression."""


def next_runs(cron: str, after: datetime, count: int = 5) -> list[datetime]:
    """The `count` run times after `after` (an aware UTC datetime)."""
    if len(cron.split()) != 5:
        raise CronError(f"{cron!r} is not a cron of five fields (minute hour day month weekday), e.g. '0 3 * * *'")
    try:
        times = croniter(cron, after)
        return [times.get_next(datetime) for _ in range(count)]
    except (CroniterError, ValueError) as exc:
        raise CronError(f"{cron!r} is not a cron expression: {exc}") from None


def resolve(filters: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The filters with every relative value of an order predicate (one, or in a list) as its timestamp at `now`."""
    return {key: _at(value, now) if key.endswith(ORDER_SUFFIXES) else value for key, value in filters.items()}


def _at(value: Any, now: datetime) -> Any:
    if isinstance(value, list):
        return [_at(item, now) for item in value]
    match = RELATIVE.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        return value  # not relative: the service validates it as it is
    years, months, weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    moment = now - relativedelta(years=years, months=months) - timedelta(
        weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
