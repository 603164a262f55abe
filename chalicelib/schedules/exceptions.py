"""Errors of the schedules package; each is a ServiceError the HTTP layer renders."""
from __future__ import annotations

from chalicelib.exceptions import ConflictError, ValidationError


class ScheduleLimitError(ValidationError):
    """The tenant already has the maximum number of schedules."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"There are already {limit} cleanup schedules; delete one first",
                         pointer="/data")


class ScheduleBusyError(ConflictError):
    """A run asked of a schedule while another run of it is under way (or the schedule kept changing)."""

    def __init__(self, detail: str = "A run of this schedule is under way; try again in a moment") -> None:
        super().__init__(detail, pointer="/data/attributes/_run")
