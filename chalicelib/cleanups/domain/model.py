"""The Cleanup aggregate and its state machine: pure, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.catalog import cleanable_types, service_type
from chalicelib.cleanups.domain import progress
from chalicelib.cleanups.domain.budget import MAX_USER_AGENT_CHARS, check_sizes
from chalicelib.cleanups.exceptions import RecordsCountChangedError
from chalicelib.exceptions import ErrorDetail, ValidationError
from chalicelib.filters.size import check_filters_size
from chalicelib.numbers import number_fits
from chalicelib.tenancy import Tenant, iso, parse_iso

PENDING, IN_PROGRESS, INTERRUPTED, COMPLETED = "pending", "in_progress", "interrupted", "completed"
ACTIVE = frozenset({PENDING, IN_PROGRESS})
TERMINAL = frozenset({INTERRUPTED, COMPLETED})
RELATIONSHIPS = ("events", "versions")
# What the counts and the clock derive: never a change of their own in a version.
DERIVED = frozenset({"progress_percent", "records_per_second", "estimated_completion_at", "counts_settled",
                     "report_url"})
RESTORE_ACTIVE = frozenset({PENDING, IN_PROGRESS})  # restore_status values while a restore runs
DEFAULT_RESTORE_WINDOW_DAYS = 30  # cleanups stored before the window was kept on each one


@dataclass
class Cleanup:
    tenant: Tenant
    id: str
    resource_type: str
    filters: dict[str, Any]
    created_at: str
    updated_at: str
    status: str = PENDING
    records_count: int = 0
    processed_count: int = 0
    errors_count: int = 0
    errors_log: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 1
    sub_batch_size: int = 1
    batch_count: int = 0
    sub_batch_count: int = 0
    started: frozenset[int] = frozenset()  # sub-batches a worker began deleting
    counted: frozenset[int] = frozenset()  # sub-batches whose outcome is in the counts
    started_at: str | None = None
    completed_at: str | None = None
    interrupted_at: str | None = None
    reference: str | None = None
    reference_origin: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    restore_window_days: int = DEFAULT_RESTORE_WINDOW_DAYS  # as configured when the cleanup was created
    restore_status: str | None = None
    restored_count: int = 0
    restore_errors_count: int = 0
    restore_errors_log: dict[str, Any] = field(default_factory=dict)
    restore_started: frozenset[int] = frozenset()  # archived sub-batches a restore began putting back
    restore_counted: frozenset[int] = frozenset()  # archived sub-batches whose restore is in the counts
    max_records_per_second: int | None = None  # the throttle (chalicelib.cleanups.domain.pacing); None: no limit
    paced_until: float | None = None  # epoch seconds when the throttle's next free slot begins
    counted_records: int = 0  # processed_count + errors_count as one stored number a write can be conditional on
    progress_samples: dict[str, Any] = field(default_factory=dict)  # recent counts (`domain.progress`)
    interrupt_request: dict[str, Any] | None = None  # who asked to interrupt, while its in-flight sub-batches end
    retry_of: str | None = None  # the finished cleanup whose leftovers this one deletes
    # A large cleanup's selection, run by the worker while pending (chalicelib.cleanups.service_layer.selection):
    selecting: bool = False  # True until its last page is in the snapshot: no batch runs before
    selection_cursor: str | None = None  # the last id selected so far: the next page starts after it
    selection_pages: int = 0  # pages in the snapshot: the checkpoint each page's write is conditional on
    expected_records_count: int | None = None  # what the create expected, checked once selection is done
    records_limit: int | None = None  # a schedule's run: its max_records_per_run (None: MAX_CLEANUP_RECORDS)
    schedule_id: str | None = None  # the schedule whose run created it (the `schedule` relationship)
    report_written_at: str | None = None  # when its report file was composed (`service_layer.report`)
    # Never stored: signed on each read (`service_layer.report.with_link`).
    report_url: str | None = field(default=None, metadata={"stored": False})

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def may_begin(self) -> bool:
        """A sub-batch may begin: the cleanup is active and no interrupt is asked for."""
        return self.active and self.interrupt_request is None

    @property
    def in_flight(self) -> frozenset[int]:
        """Sub-batches begun and not counted yet: their records may still be going."""
        return self.started - self.counted

    @property
    def counts_settled(self) -> bool:
        """False only for a terminal cleanup whose begun sub-batch is not counted yet (its worker died)."""
        return self.active or not self.in_flight

    @property
    def restoring(self) -> bool:
        return self.restore_status in RESTORE_ACTIVE

    @property
    def restorable_until(self) -> str | None:
        """When its archive may expire: the terminal moment plus the restore window; None while active."""
        ended = self.completed_at if self.status == COMPLETED else self.interrupted_at
        if self.status not in TERMINAL or ended is None:
            return None
        return iso(parse_iso(ended) + timedelta(days=self.restore_window_days))

    @property
    def fully_restored(self) -> bool:
        """Every sub-batch the cleanup began (so may have deleted from) has its restore counted."""
        return self.restore_counted >= self.started

    @property
    def fully_counted(self) -> bool:
        return len(self.counted) >= self.sub_batch_count

    @property
    def progress_percent(self) -> float:
        return progress.percent(self.processed_count + self.errors_count, self.records_count)

    @property
    def records_per_second(self) -> float | None:
        """The recent rate while in progress (None before two counts, and once it is not in progress)."""
        return progress.rate(self.progress_samples) if self.status == IN_PROGRESS else None

    @property
    def estimated_completion_at(self) -> str | None:
        if self.status != IN_PROGRESS:
            return None
        return progress.completion(self.progress_samples, self.records_count - self.processed_count - self.errors_count)

    def attributes(self) -> dict[str, Any]:
        """What a client sees, every attribute present (nulls included)."""
        return {
            "resource_type": self.resource_type, "status": self.status, "started_at": self.started_at,
            "completed_at": self.completed_at, "interrupted_at": self.interrupted_at, "filters": self.filters,
            "records_count": self.records_count, "errors_count": self.errors_count,
            "processed_count": self.processed_count, "errors_log": self.errors_log,
            "created_at": self.created_at, "updated_at": self.updated_at, "reference": self.reference,
            "reference_origin": self.reference_origin, "metadata": self.metadata,
            "restorable_until": self.restorable_until, "restore_status": self.restore_status,
            "restored_count": self.restored_count, "restore_errors_count": self.restore_errors_count,
            "restore_errors_log": self.restore_errors_log, "max_records_per_second": self.max_records_per_second,
            "progress_percent": self.progress_percent, "records_per_second": self.records_per_second,
            "estimated_completion_at": self.estimated_completion_at, "counts_settled": self.counts_settled,
            "report_url": self.report_url,
        }


def _refuse_unknown(attributes: dict[str, Any], allowed: set[str], verb: str) -> None:
    bad = [name for name in attributes if name not in allowed]
    if bad:
        raise ValidationError(details=[
            ErrorDetail("Validation error", f"{name} is not {verb}", pointer=f"/data/attributes/{name}") for name in bad
        ])


def _check_strings(attributes: dict[str, Any]) -> None:
    for name in ("reference", "reference_origin"):
        if attributes.get(name) is not None and not isinstance(attributes[name], str):
            raise ValidationError(f"{name} must be a string", pointer=f"/data/attributes/{name}")
    if attributes.get("metadata") is not None and not isinstance(attributes["metadata"], dict):
        raise ValidationError("metadata must be an object", pointer="/data/attributes/metadata")


def validate_create(attributes: dict[str, Any], retrying: bool = False) -> None:
    """422 with a pointer for anything a create may not say; a retry may omit resource_type."""
    _refuse_unknown(attributes, service_type("cleanups").creatable(), "creatable")
    resource_type = attributes.get("resource_type")
    if resource_type is None and not retrying:
        raise ValidationError("resource_type is required", pointer="/data/attributes/resource_type")
    if resource_type is not None and resource_type not in cleanable_types():
        raise ValidationError(f"resource_type must be one of {', '.join(cleanable_types())}",
                              pointer="/data/attributes/resource_type")
    if not isinstance(attributes.get("filters", {}), dict):
        raise ValidationError("filters must be an object", pointer="/data/attributes/filters")
    check_filters_size(attributes.get("filters") or {})
    expected = attributes.get("expected_records_count")
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 0):
        raise ValidationError("expected_records_count must be an integer >= 0",
                              pointer="/data/attributes/expected_records_count")
    _check_strings(attributes)
    check_sizes(attributes)
    _check_rate(attributes)


def _check_rate(attributes: dict[str, Any]) -> None:
    rate = attributes.get("max_records_per_second")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int) or rate < 1 or not number_fits(rate)):
        raise ValidationError("max_records_per_second must be an integer >= 1, or null",
                              pointer="/data/attributes/max_records_per_second")


def check_expected_count(attributes: dict[str, Any], records_count: int) -> None:
    """A create that says how many records it expects (a preview's count) is refused when the selection differs."""
    expected = attributes.get("expected_records_count")
    if expected is not None and expected != records_count:
        raise RecordsCountChangedError(expected, records_count)


def validate_update(attributes: dict[str, Any]) -> bool:
    """422 with a pointer for anything an update may not say; True when it asks to interrupt."""
    _refuse_unknown(attributes, service_type("cleanups").updatable(), "updatable")
    interrupt = attributes.get("_interrupt", False)
    if not isinstance(interrupt, bool):
        raise ValidationError("_interrupt must be a boolean", pointer="/data/attributes/_interrupt")
    _check_strings(attributes)
    check_sizes(attributes)
    _check_rate(attributes)
    return interrupt


def plan_batches(ids: list[str], batch_size: int) -> list[list[str]]:
    """The snapshot split into the batches the queue carries, in id order."""
    return [ids[start:start + batch_size] for start in range(0, len(ids), batch_size)]


def aligned_batch_size(batch_size: int, sub_batch_size: int) -> int:
    """A batch holds whole sub-batches, so sub-batch numbers follow from batch numbers."""
    return max(1, -(-batch_size // sub_batch_size)) * sub_batch_size


def over_error_budget(cleanup: Cleanup, ratio: float) -> bool:
    """Interrupted once errors exceed `ratio` of the records (Commerce Layer's 10 % error budget)."""
    return cleanup.errors_count > ratio * cleanup.records_count


def start(cleanup: Cleanup, moment: datetime) -> Cleanup:
    return replace(cleanup, status=IN_PROGRESS, started_at=iso(moment), updated_at=iso(moment))


def complete(cleanup: Cleanup, moment: datetime) -> Cleanup:
    stamp = iso(moment)
    return replace(cleanup, status=COMPLETED, completed_at=stamp, started_at=cleanup.started_at or stamp,
                   updated_at=stamp or "")


def interrupt(cleanup: Cleanup, moment: datetime) -> Cleanup:
    return replace(cleanup, status=INTERRUPTED, interrupted_at=iso(moment), updated_at=iso(moment))


def interrupt_request(actor: Actor, moment: datetime) -> dict[str, Any]:
    """What a cleanup keeps of an interrupt asked for: who asked (for the version), and when."""
    agent = None if actor.user_agent is None else actor.user_agent[:MAX_USER_AGENT_CHARS]
    return {"who": actor.who, "ip_address": actor.ip_address, "user_agent": agent,
            "request_id": actor.request_id, "at": iso(moment)}


def requester(cleanup: Cleanup) -> Actor:
    """Who asked to interrupt `cleanup` (the worker, for its error budget, when nobody did)."""
    asked = cleanup.interrupt_request
    if asked is None:
        return WORKER
    return Actor(who=asked["who"], ip_address=asked.get("ip_address"), user_agent=asked.get("user_agent"),
                 request_id=asked.get("request_id"))


def changes(before: Cleanup, after: Cleanup) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for a version, over the client-visible attributes."""
    old, new = before.attributes(), after.attributes()
    return {name: [old[name], new[name]] for name in new if old[name] != new[name] and name not in DERIVED}


def sub_batches_of(batch_number: int, ids: list[str], batch_size: int,
                   sub_batch_size: int) -> list[tuple[int, list[str]]]:
    """A batch's sub-batches, numbered across the whole snapshot: the unit counted exactly once."""
    first = batch_number * batch_size // sub_batch_size
    starts = range(0, len(ids), sub_batch_size)
    return [(first + k, ids[start:start + sub_batch_size]) for k, start in enumerate(starts)]


def batch_messages(cleanup: Cleanup, numbers: list[int]) -> list[dict[str, Any]]:
    """The queue's `cleanup_batch` messages of the cleanup's batches `numbers`."""
    tenant = {"organization_id": cleanup.tenant.organization_id, "mode": cleanup.tenant.mode}
    return [{"kind": "cleanup_batch", "tenant": tenant, "cleanup_id": cleanup.id, "batch": n} for n in numbers]


def batch_of_sub_batch(number: int, batch_size: int, sub_batch_size: int) -> int:
    return number * sub_batch_size // batch_size


@dataclass(frozen=True)
class Actor:
    """Who changes a cleanup, for its versions: an application (with request origin) or the worker."""

    who: dict[str, Any]
    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


WORKER = Actor(who={"worker": {"name": "cleanups-worker"}})
