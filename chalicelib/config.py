"""Settings, read from the environment when asked for, never at import.

Chalice sets `.chalice/config.json`'s environment only while a request or
event is handled (in the test client as on Lambda), so nothing here is cached
across calls except what `get_settings()` builds on each call.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    records_table: str
    cleanups_table: str
    applications_table: str
    work_queue_name: str
    jwt_secret: str | None
    jwt_secret_parameter: str | None
    token_ttl_seconds: int
    max_cleanup_records: int
    max_active_cleanups: int
    batch_size: int
    sub_batch_size: int
    error_budget_ratio: float
    reconcile_after_seconds: int
    reconcile_attempts: int
    errors_log_cap: int
    local_stack: bool
    webhook_timeout_seconds: float
    webhook_max_failures: int
    archive_bucket: str
    restore_window_days: int
    public_base_url: str = ""  # links in webhook payloads, which no request carries


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def get_settings() -> Settings:
    env = os.environ.get
    return Settings(
        records_table=env("RECORDS_TABLE", "cleanups-records"),
        cleanups_table=env("CLEANUPS_TABLE", "cleanups-cleanups"),
        applications_table=env("APPLICATIONS_TABLE", "cleanups-applications"),
        work_queue_name=env("WORK_QUEUE_NAME", "cleanups-work"),
        jwt_secret=env("JWT_SECRET") or None,
        jwt_secret_parameter=env("JWT_SECRET_PARAMETER") or None,
        token_ttl_seconds=_int("TOKEN_TTL_SECONDS", 7200),
        max_cleanup_records=_int("MAX_CLEANUP_RECORDS", 10_000),
        max_active_cleanups=_int("MAX_ACTIVE_CLEANUPS", 10),
        batch_size=_int("BATCH_SIZE", 500),
        sub_batch_size=_int("SUB_BATCH_SIZE", 100),
        error_budget_ratio=float(env("ERROR_BUDGET_RATIO", "0.1")),
        reconcile_after_seconds=_int("RECONCILE_AFTER_SECONDS", 300),
        reconcile_attempts=_int("RECONCILE_ATTEMPTS", 5),
        errors_log_cap=_int("ERRORS_LOG_CAP", 500),
        local_stack=env("LOCAL_STACK", "") == "1",
        webhook_timeout_seconds=float(env("WEBHOOK_TIMEOUT_SECONDS", "5")),
        webhook_max_failures=_int("WEBHOOK_MAX_FAILURES", 30),
        archive_bucket=env("ARCHIVE_BUCKET", "cleanups-archive"),
        restore_window_days=_int("RESTORE_WINDOW_DAYS", 30),
        public_base_url=env("PUBLIC_BASE_URL", "").rstrip("/"),
    )
