"""Settings: every variable the service reads, its default and its validation, in one table.

`.chalice/config.json` carries only what differs per stage or deployment; every default
lives in `SETTINGS` below. Chalice sets that file's environment only while a request or
event is handled (in the test client as on Lambda), so `get_settings()` reads the
environment when called, never at import. Each distinct environment is parsed and
validated once; a bad value raises `SettingsError` naming the variable, on every call.
"""
from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    records_table: str
    cleanups_table: str
    applications_table: str
    work_queue_name: str
    jwt_secret: str | None
    jwt_secret_parameter: str | None
    jwt_secret_max_age_seconds: int
    token_ttl_seconds: int
    max_cleanup_records: int
    max_active_cleanups: int
    batch_size: int
    sub_batch_size: int
    delete_concurrency: int
    error_budget_ratio: float
    reconcile_after_seconds: int
    reconcile_attempts: int
    errors_log_cap: int
    webhook_allow_loopback: bool
    webhook_timeout_seconds: float
    webhook_max_failures: int
    archive_deletes: bool
    archive_bucket: str
    reports_bucket: str
    restore_window_days: int
    cleanup_retention_days: int
    rate_limit_requests: int
    rate_limit_window_seconds: int
    rate_limit_overrides: tuple[tuple[str, int], ...]
    public_base_url: str = ""  # links in webhook payloads, which no request carries
    preview_items_per_second: float = 300.0  # a preview's estimate: records and associated records deleted a second
    tenant_max_workers: int = 5  # workers one tenant's cleanup batches may hold at once (0: no limit)
    select_in_request_records: int = 10000  # past this many matches, selection goes on in the worker, page by page
    preview_page_records: int = 500  # records a preview counts per page (the worker's, and the request's first pages)
    preview_in_request_seconds: float = 1.0  # a preview request counts pages for this long, then the worker goes on
    interrupt_settle_seconds: float = 20.0  # the longest an interrupt waits for its in-flight sub-batches' counts


Parse = Callable[[str], Any]  # raw text -> value; ValueError with what was expected


def _integer(minimum: int | None = None) -> Parse:
    expected = "an integer" if minimum is None else f"an integer >= {minimum}"

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(expected) from None
        if minimum is not None and value < minimum:
            raise ValueError(expected)
        return value
    return parse


def _number(*, positive: bool) -> Parse:
    expected = "a number > 0" if positive else "a number >= 0"

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(expected) from None
        too_small = value <= 0 if positive else value < 0
        if too_small or not math.isfinite(value):
            raise ValueError(expected)
        return value
    return parse


def _flag(raw: str) -> bool:
    folded = raw.strip().lower()
    if folded not in {"1", "true", "0", "false"}:
        raise ValueError("a boolean (1, true, 0 or false)")
    return folded in {"1", "true"}


def _text(raw: str) -> str:
    return raw


def _optional(raw: str) -> str | None:
    return raw or None


def _budgets(raw: str) -> tuple[tuple[str, int], ...]:
    """`client-a=100,client-b=0`: a request budget per application (0: no limit)."""
    pairs = []
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        client_id, _, requests = entry.partition("=")
        if not client_id.strip() or not requests.strip().isdigit():
            raise ValueError("client_id=requests pairs separated by commas (client-a=100,client-b=0)")
        pairs.append((client_id.strip(), int(requests)))
    return tuple(pairs)


def _base_url(raw: str) -> str:
    return raw.rstrip("/")


@dataclass(frozen=True)
class Setting:
    """One `Settings` field: the variable that sets it, its default (None: unset) and its parser."""

    variable: str
    default: str | None
    parse: Parse


SETTINGS: dict[str, Setting] = {
    "records_table": Setting("RECORDS_TABLE", "cleanups-records", _text),
    "cleanups_table": Setting("CLEANUPS_TABLE", "cleanups-cleanups", _text),
    "applications_table": Setting("APPLICATIONS_TABLE", "cleanups-applications", _text),
    "work_queue_name": Setting("WORK_QUEUE_NAME", "cleanups-work", _text),
    "jwt_secret": Setting("JWT_SECRET", None, _optional),
    "jwt_secret_parameter": Setting("JWT_SECRET_PARAMETER", None, _optional),
    "jwt_secret_max_age_seconds": Setting("JWT_SECRET_MAX_AGE_SECONDS", "300", _integer(0)),
    "token_ttl_seconds": Setting("TOKEN_TTL_SECONDS", "7200", _integer(1)),
    "max_cleanup_records": Setting("MAX_CLEANUP_RECORDS", "10000", _integer(1)),
    "max_active_cleanups": Setting("MAX_ACTIVE_CLEANUPS", "10", _integer(1)),
    "batch_size": Setting("BATCH_SIZE", "500", _integer(1)),
    "sub_batch_size": Setting("SUB_BATCH_SIZE", "100", _integer(1)),
    "delete_concurrency": Setting("DELETE_CONCURRENCY", "4", _integer(1)),
    "error_budget_ratio": Setting("ERROR_BUDGET_RATIO", "0.1", _number(positive=False)),
    # Negative is allowed: "reconcile at once", which tests use.
    "reconcile_after_seconds": Setting("RECONCILE_AFTER_SECONDS", "90", _integer()),
    "reconcile_attempts": Setting("RECONCILE_ATTEMPTS", "5", _integer(1)),
    "errors_log_cap": Setting("ERRORS_LOG_CAP", "500", _integer(0)),
    "webhook_allow_loopback": Setting("WEBHOOK_ALLOW_LOOPBACK", "0", _flag),
    "archive_deletes": Setting("ARCHIVE_DELETES", "1", _flag),
    "archive_bucket": Setting("ARCHIVE_BUCKET", "cleanups-archive", _text),
    "reports_bucket": Setting("REPORTS_BUCKET", "cleanups-reports", _text),
    "restore_window_days": Setting("RESTORE_WINDOW_DAYS", "30", _integer(1)),
    "cleanup_retention_days": Setting("CLEANUP_RETENTION_DAYS", "400", _integer(1)),
    "webhook_timeout_seconds": Setting("WEBHOOK_TIMEOUT_SECONDS", "5", _number(positive=True)),
    "webhook_max_failures": Setting("WEBHOOK_MAX_FAILURES", "30", _integer(1)),
    # 0: no limit. The official CLI polls its cleanups at about 100 requests a minute, whatever its parallelism.
    "rate_limit_requests": Setting("RATE_LIMIT_REQUESTS", "600", _integer(0)),
    "rate_limit_window_seconds": Setting("RATE_LIMIT_WINDOW_SECONDS", "60", _integer(1)),
    "rate_limit_overrides": Setting("RATE_LIMIT_OVERRIDES", "", _budgets),
    "public_base_url": Setting("PUBLIC_BASE_URL", "", _base_url),
    "select_in_request_records": Setting("SELECT_IN_REQUEST_RECORDS", "10000", _integer(1)),
    "preview_items_per_second": Setting("PREVIEW_ITEMS_PER_SECOND", "300", _number(positive=True)),
    "preview_page_records": Setting("PREVIEW_PAGE_RECORDS", "500", _integer(1)),
    # A request's counting budget: well under API Gateway's 29 s when loaded (docs/DESIGN.md#previews-at-every-size).
    "preview_in_request_seconds": Setting("PREVIEW_IN_REQUEST_SECONDS", "1", _number(positive=False)),
    # Half the worker's MaximumConcurrency (10): one tenant never holds more than half the workers.
    "tenant_max_workers": Setting("TENANT_MAX_WORKERS", "5", _integer(0)),
    # Under API Gateway's 29 s: a sub-batch takes about a second; one uncounted after this had its worker die.
    "interrupt_settle_seconds": Setting("INTERRUPT_SETTLE_SECONDS", "20", _number(positive=True)),
}


def get_settings() -> Settings:
    """The settings of the current environment; `SettingsError` names a variable with a bad value."""
    return _parsed(tuple(os.environ.get(setting.variable) for setting in SETTINGS.values()))


def default_settings() -> Settings:
    """Every setting at its default, whatever the environment says."""
    return _parsed(tuple(None for _ in SETTINGS))


@functools.lru_cache(maxsize=16)
def _parsed(raw_values: tuple[str | None, ...]) -> Settings:
    # An unset or empty variable takes its default; errors are not cached, so they repeat.
    values = {name: _value(setting, raw or setting.default)
              for (name, setting), raw in zip(SETTINGS.items(), raw_values, strict=True)}
    settings = Settings(**values)
    if settings.cleanup_retention_days < settings.restore_window_days:
        # A cleanup expiring inside its restore window would promise a restore it cannot keep
        raise SettingsError(f"CLEANUP_RETENTION_DAYS must be at least RESTORE_WINDOW_DAYS "
                            f"({settings.restore_window_days}), got {str(settings.cleanup_retention_days)!r}")
    return settings


def _value(setting: Setting, raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{setting.variable} must be {exc}, got {raw!r}") from None
