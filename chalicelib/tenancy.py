"""Who owns a stored item: one organization in one mode.

Every key the service writes starts with `Tenant.key`, so isolation is a
property of the keys, not a filter a route could forget.
"""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # byte order


@dataclass(frozen=True)
class Tenant:
    organization_id: str
    mode: str  # "test" | "live"

    @property
    def key(self) -> str:
        return f"{self.organization_id}#{self.mode}"


def new_id() -> str:
    """A 10-character base62 id; its byte order is the `sort=id` order."""
    return "".join(secrets.choice(_BASE62) for _ in range(10))


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds, as Commerce Layer renders timestamps."""
    if moment is None:
        return None
    utc = moment.astimezone(UTC)
    # %Y does not zero-pad years before 1000 on Linux; string order must stay time order.
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
