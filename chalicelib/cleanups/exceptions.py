"""Errors of the cleanups package; each is a ServiceError the HTTP layer renders."""
from __future__ import annotations

from chalicelib.exceptions import ValidationError


class CleanupLimitError(ValidationError):
    """The tenant already has the maximum number of pending or in-progress cleanups."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"There are already {limit} active cleanups; wait for one to finish",
                         pointer="/data/attributes/resource_type")


class TooManyRecordsError(ValidationError):
    """The filters select more records than one cleanup may delete."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"The filters select more than {limit} records; narrow them",
                         pointer="/data/attributes/filters")


class RecordsCountChangedError(ValidationError):
    """A create whose `expected_records_count` differs from what its filters select now."""

    def __init__(self, expected: int, records_count: int) -> None:
        super().__init__(f"The filters now select {records_count} records, not {expected}",
                         pointer="/data/attributes/expected_records_count")


class CleanupFinishedError(ValidationError):
    """An interrupt asked of a cleanup that is already completed or interrupted."""

    def __init__(self, status: str) -> None:
        super().__init__(f"The cleanup is already {status}", pointer="/data/attributes/_interrupt")


class RestoreNotAllowedError(ValidationError):
    """A restore asked of a cleanup that is active, whose restore runs or completed, outside its window, or not
    archived."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, pointer="/data/attributes/_restore")


class RestoreFinishedError(ValidationError):
    """An interrupt asked of a finished cleanup whose restore is already completed or interrupted."""

    def __init__(self, restore_status: str) -> None:
        super().__init__(f"The cleanup's restore is already {restore_status}", pointer="/data/attributes/_interrupt")


class ThrottleFinishedError(ValidationError):
    """A throttle change asked of a cleanup that is already completed or interrupted."""

    def __init__(self, status: str) -> None:
        super().__init__(f"The cleanup is already {status}: its throttle no longer applies",
                         pointer="/data/attributes/max_records_per_second")


class RetryNotAllowedError(ValidationError):
    """A retry naming no finished cleanup of the tenant, or saying what only its original may say."""

    def __init__(self, detail: str, pointer: str = "/data/relationships/retry_of") -> None:
        super().__init__(detail, pointer=pointer)
