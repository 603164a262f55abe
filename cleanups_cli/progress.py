"""How far a cleanup is, how fast it goes and when it should end: pure, from successive snapshots.

The server's `progress_percent`, `records_per_second` and `estimated_completion_at` are used when it
renders them; otherwise they are computed here from the counts, the rate over the last WINDOW_SECONDS.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

WINDOW_SECONDS = 15.0
ACTIVE = ("pending", "in_progress")


@dataclass(frozen=True)
class Pace:
    status: str
    total: int
    processed: int
    errors: int
    percent: float
    rate: float | None  # records per second, None when not known (yet)
    eta_seconds: float | None

    @property
    def done(self) -> int:
        return self.processed + self.errors


class PaceMeter:
    """Feed it each snapshot of a cleanup's attributes; it answers the pace, the server's figures first."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def observe(self, attributes: dict[str, Any], at: float, now: datetime) -> Pace:
        total = int(attributes.get("records_count") or 0)
        processed, errors = int(attributes.get("processed_count") or 0), int(attributes.get("errors_count") or 0)
        status = str(attributes.get("status"))
        done = processed + errors
        self._remember(at, done)
        rate = attributes.get("records_per_second") if "records_per_second" in attributes else self._rate()
        if status != "in_progress":
            rate = None
        eta = _seconds_until(attributes.get("estimated_completion_at"), now)
        if eta is None and rate and status == "in_progress":
            eta = max(total - done, 0) / rate
        return Pace(status, total, processed, errors, percent(attributes), None if rate is None else float(rate), eta)

    def _remember(self, at: float, done: int) -> None:
        self._samples.append((at, done))
        while len(self._samples) > 2 and at - self._samples[1][0] >= self.window:
            self._samples.popleft()

    def _rate(self) -> float | None:
        (first_at, first_done), (last_at, last_done) = self._samples[0], self._samples[-1]
        if last_at - first_at < 0.5:
            return None
        return (last_done - first_done) / (last_at - first_at)


def percent(attributes: dict[str, Any]) -> float:
    """The server's `progress_percent`, or the same figure from the counts (100 for an empty cleanup)."""
    if attributes.get("progress_percent") is not None:
        return float(attributes["progress_percent"])
    total = int(attributes.get("records_count") or 0)
    done = int(attributes.get("processed_count") or 0) + int(attributes.get("errors_count") or 0)
    return 100.0 if total == 0 else round(100.0 * done / total, 1)


def _seconds_until(timestamp: Any, now: datetime) -> float | None:
    moment = parse_time(timestamp)
    return None if moment is None else max((moment - now).total_seconds(), 0.0)


def parse_time(timestamp: Any) -> datetime | None:
    if not isinstance(timestamp, str):
        return None
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def format_rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:,.1f} rec/s"


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
