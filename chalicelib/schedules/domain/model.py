"""The CleanupSchedule aggregate: what a client says, what a run leaves, and their validation. Pure, no I/O.

A schedule creates a cleanup of `resource_type` and `filters` (relative values resolved at run
time) at each `cron` time while `enabled`. `run_*` fields belong to the runner that holds the
current run (`chalicelib.schedules.service_layer.runner`); clients never see them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.catalog import cleanable_types, get_type, service_type
from chalicelib.exceptions import ErrorDetail, ValidationError
from chalicelib.filters import FilterError, parse_filters
from chalicelib.numbers import number_fits
from chalicelib.schedules.domain import timing
from chalicelib.tenancy import Tenant, iso

TYPE = "cleanup_schedules"
CREATED, SKIPPED_ACTIVE, SKIPPED_OVER_LIMIT, FAILED = "created", "skipped_active", "skipped_over_limit", "failed"
OUTCOMES = (CREATED, SKIPPED_ACTIVE, SKIPPED_OVER_LIMIT, FAILED)
RELATIONSHIPS = ("cleanups",)
MAX_PER_TENANT = 100  # schedules per organization and mode
MAX_NAME_CHARS = 255
DETAILS = ("name", "max_records_per_run", "max_records_per_second", "reference", "reference_origin", "metadata")


@dataclass
class Schedule:
    tenant: Tenant
    id: str
    name: str
    resource_type: str
    filters: dict[str, Any]
    cron: str
    created_at: str
    updated_at: str
    max_records_per_run: int
    enabled: bool = True
    max_records_per_second: int | None = None
    reference: str | None = None
    reference_origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    next_run_at: str | None = None  # None while paused
    last_run_at: str | None = None
    last_run_outcome: str | None = None
    last_cleanup_id: str | None = None  # what the last `created` run made: the active check reads it
    runs_count: int = 0
    run_token: str | None = None  # the runner holding a run, until `run_lease_until` (epoch seconds)
    run_lease_until: float | None = None
    run_due_at: str | None = None  # the due time the held run is for (None: a run asked with `_run`)
    version: int = 0  # every write is conditional on it (`ScheduleRepository.replace`)

    def attributes(self) -> dict[str, Any]:
        """What a client sees, every attribute present (nulls included)."""
        return {
            "name": self.name, "resource_type": self.resource_type, "filters": self.filters, "cron": self.cron,
            "enabled": self.enabled, "max_records_per_run": self.max_records_per_run,
            "max_records_per_second": self.max_records_per_second, "next_run_at": self.next_run_at,
            "last_run_at": self.last_run_at, "last_run_outcome": self.last_run_outcome,
            "runs_count": self.runs_count, "created_at": self.created_at, "updated_at": self.updated_at,
            "reference": self.reference, "reference_origin": self.reference_origin, "metadata": self.metadata,
        }

    def cleanup_attributes(self, moment: datetime) -> dict[str, Any]:
        """What a run at `moment` posts as a cleanup create: the filters' relative values resolved."""
        fields = get_type(self.resource_type).filterable()
        attributes: dict[str, Any] = {"resource_type": self.resource_type,
                                      "filters": timing.resolve(fields, self.filters, moment),
                                      "metadata": {**self.metadata}, "reference": self.reference,
                                      "reference_origin": self.reference_origin}
        if self.max_records_per_second is not None:
            attributes["max_records_per_second"] = self.max_records_per_second
        return attributes


def next_run_at(cron: str, enabled: bool, after: datetime) -> str | None:
    """When an enabled schedule runs next after `after`; None while paused."""
    return iso(timing.next_run(cron, after)) if enabled else None


# --- validation ------------------------------------------------------------------------------------

def _pointer(name: str) -> str:
    return f"/data/attributes/{name}"


def _refuse_unknown(attributes: dict[str, Any], allowed: set[str], verb: str) -> None:
    bad = [name for name in attributes if name not in allowed]
    if bad:
        raise ValidationError(details=[ErrorDetail("Validation error", f"{name} is not {verb}", pointer=_pointer(name))
                                       for name in bad])


def _integer(attributes: dict[str, Any], name: str, *, maximum: int | None = None, nullable: bool) -> None:
    value = attributes.get(name)
    if value is None and nullable:
        return
    within = maximum is None or (isinstance(value, int) and value <= maximum)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1 or not number_fits(value) or not within:
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValidationError(f"{name} must be an integer >= 1{upper}{', or null' if nullable else ''}",
                              pointer=_pointer(name))


def _check_details(attributes: dict[str, Any], records_cap: int) -> None:
    if "name" in attributes:
        name = attributes["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
            raise ValidationError(f"name must be a non-blank string of at most {MAX_NAME_CHARS} characters",
                                  pointer=_pointer("name"))
    for name in ("reference", "reference_origin"):
        if attributes.get(name) is not None and not isinstance(attributes[name], str):
            raise ValidationError(f"{name} must be a string", pointer=_pointer(name))
    if attributes.get("metadata") is not None and not isinstance(attributes["metadata"], dict):
        raise ValidationError("metadata must be an object", pointer=_pointer("metadata"))
    if "max_records_per_run" in attributes:
        _integer(attributes, "max_records_per_run", maximum=records_cap, nullable=False)
    _integer(attributes, "max_records_per_second", nullable=True)
    if "enabled" in attributes and not isinstance(attributes["enabled"], bool):
        raise ValidationError("enabled must be a boolean", pointer=_pointer("enabled"))


def check_cron(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("cron must be a string of five fields, UTC (0 3 * * *)", pointer=_pointer("cron"))
    try:
        return timing.check_cron(value)
    except timing.CronError as error:
        raise ValidationError(str(error), pointer=_pointer("cron")) from None


def check_selection(resource_type: Any, filters: Any, moment: datetime) -> None:
    """The filters as a cleanup of `resource_type` takes them, relative values resolved at `moment`."""
    if resource_type not in cleanable_types():
        raise ValidationError(f"resource_type must be one of {', '.join(cleanable_types())}",
                              pointer=_pointer("resource_type"))
    if not isinstance(filters, dict):
        raise ValidationError("filters must be an object", pointer=_pointer("filters"))
    fields = get_type(resource_type).filterable()
    try:
        parse_filters(fields, timing.resolve(fields, filters, moment), in_body=True)
    except FilterError as error:
        error.in_body = True
        raise


def validate_create(attributes: dict[str, Any], records_cap: int, moment: datetime) -> str:
    """422 with a pointer for anything a create may not say; the cron, normalised."""
    _refuse_unknown(attributes, service_type(TYPE).creatable(), "creatable")
    for name in ("name", "resource_type", "cron"):
        if attributes.get(name) is None:
            raise ValidationError(f"{name} is required", pointer=_pointer(name))
    _check_details(attributes, records_cap)
    cron = check_cron(attributes["cron"])
    check_selection(attributes["resource_type"], attributes.get("filters") or {}, moment)
    return cron


def validate_update(attributes: dict[str, Any], records_cap: int) -> bool:
    """422 with a pointer for anything an update may not say; True when it asks for a run now."""
    _refuse_unknown(attributes, service_type(TYPE).updatable(), "updatable")
    run = attributes.get("_run", False)
    if not isinstance(run, bool):
        raise ValidationError("_run must be a boolean", pointer=_pointer("_run"))
    if "name" in attributes and attributes["name"] is None:
        raise ValidationError("name must not be null", pointer=_pointer("name"))
    _check_details(attributes, records_cap)
    if "cron" in attributes:
        check_cron(attributes["cron"])
    return run
