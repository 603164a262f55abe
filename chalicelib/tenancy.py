"""Who owns a stored item (one organization in one mode), and the id and timestamps every item carries.

Every key the service writes starts with `Tenant.key`, so isolation is a
property of the keys, not a filter a route could forget.
"""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import overload

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # byte order
ID_LENGTH = 10


@dataclass(frozen=True)
class Tenant:
    organization_id: str
    mode: str  # "test" | "live"

    @property
    def key(self) -> str:
        return f"{self.organization_id}#{self.mode}"


def new_id() -> str:
    """A random base62 id; its byte order is the `sort=id` order."""
    return "".join(secrets.choice(BASE62) for _ in range(ID_LENGTH))


def base62_id(number: int) -> str:
    """A base62 id made from `number` (its low digits), for ids derived from content rather than drawn."""
    chars = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def now() -> datetime:
    return datetime.now(UTC)


@overload
def iso(moment: datetime) -> str: ...


@overload
def iso(moment: None) -> None: ...


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds, as Commerce Layer renders timestamps and records store them."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    # %Y does not zero-pad years before 1000 on Linux; string order must stay time order.
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Any ISO 8601 date or date-time as a UTC datetime (no offset means UTC); ValueError otherwise."""
    try:
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:  # an offset that moves year 1 or 9999 out of range
        raise ValueError(f"{text!r} is out of range") from None
