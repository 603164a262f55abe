"""When a schedule runs and what its relative filter values mean at that moment: pure, no I/O.

`next_run` is the first cron time strictly after a moment (five fields, UTC, croniter);
`resolve` turns each `"now-<ISO 8601 duration>"` of a datetime order predicate into the
timestamp it names at the run's moment, leaving every other value as written.
Why a run's due time is what it is: docs/DESIGN.md#schedules
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from croniter import CroniterBadCronError, CroniterBadDateError, croniter
from dateutil.relativedelta import relativedelta

from chalicelib.filters import FilterValueError, split_key
from chalicelib.filters.exceptions import FilterError
from chalicelib.tenancy import iso

RELATIVE_PREFIX = "now-"
ORDER_TESTS = frozenset({"lt", "lteq", "gt", "gteq"})
_DURATION = re.compile(
    r"P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?")
MAX_DURATION_NUMBER = 100_000  # any larger amount is a typo, and would overflow a datetime
CRON_FIELDS = 5
MAX_CRON_CHARS = 255


class CronError(ValueError):
    """A cron expression that is not five valid fields."""


def check_cron(expression: str) -> str:
    """The expression, its fields separated by single spaces; `CronError` unless it is five valid fields."""
    fields = expression.split()
    if len(fields) != CRON_FIELDS:
        raise CronError(f"cron must have {CRON_FIELDS} fields (minute hour day-of-month month day-of-week), "
                        f"got {len(fields)}")
    normal = " ".join(fields)
    if len(normal) > MAX_CRON_CHARS:
        raise CronError(f"cron must be at most {MAX_CRON_CHARS} characters")
    try:
        croniter(normal, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as error:
        raise CronError(f"cron {normal!r} is not valid: {error}") from None
    return normal


def next_run(expression: str, after: datetime) -> datetime:
    """The first time `expression` names strictly after `after` (UTC, whole minutes)."""
    return croniter(expression, after.astimezone(UTC)).get_next(datetime).astimezone(UTC)


def next_runs(expression: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` times `expression` names after `after`."""
    found, moment = [], after
    for _ in range(count):
        moment = next_run(expression, moment)
        found.append(moment)
    return found


def duration(text: str) -> relativedelta:
    """An ISO 8601 duration (`P30D`, `P1Y2M`, `PT12H`, `P2W`) as a calendar delta; ValueError otherwise."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 duration (P30D, P1M, PT12H, ...)")
    amounts = {name: int(value) for name, value in match.groupdict().items() if value is not None}
    if any(value > MAX_DURATION_NUMBER for value in amounts.values()):
        raise ValueError(f"{text!r} is too long a duration")
    return relativedelta(**amounts)  # type: ignore[arg-type]


def is_relative(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(RELATIVE_PREFIX)


def resolve(fields: Mapping[str, str], filters: Mapping[str, Any], moment: datetime) -> dict[str, Any]:
    """`filters` with each relative value as the timestamp it names at `moment`.

    `FilterValueError` for a relative value on another predicate than lt/lteq/gt/gteq (and their
    `_any`/`_all`), on a non-datetime attribute, or with a malformed duration. An unknown key is left
    as written: the cleanup's own filter validation refuses it with its usual message.
    """
    resolved: dict[str, Any] = {}
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if not any(is_relative(item) for item in values):
            resolved[key] = value
            continue
        if not _relative_allowed(fields, key):
            resolved[key] = value  # not a filter at all: the filters' own validation names the key
            continue
        moments = [_moment(key, item, moment) if is_relative(item) else item for item in values]
        resolved[key] = moments if isinstance(value, list) else moments[0]
    return resolved


def _relative_allowed(fields: Mapping[str, str], key: str) -> bool:
    """True for an order predicate on datetime attributes; False for an unknown key; refused otherwise."""
    try:
        predicate, attributes = split_key(fields, key)
    except FilterError:
        return False
    if predicate.test not in ORDER_TESTS or predicate.flag or any(fields[a] != "datetime" for a in attributes):
        raise FilterValueError(key, "a relative value (now-P30D) applies only to lt, lteq, gt and gteq "
                                    "on a datetime attribute", in_body=True)
    return True


def _moment(key: str, value: str, moment: datetime) -> str:
    try:
        return iso(moment - duration(value.removeprefix(RELATIVE_PREFIX)))
    except (ValueError, OverflowError) as error:
        raise FilterValueError(key, str(error), in_body=True) from None

