"""A cleanup's restore: what may be asked, and the restore's own state machine. Pure, no I/O.

`restore_status` moves null -> pending (asked) -> in_progress (first archived sub-batch
picked up) -> completed (every sub-batch the cleanup began is restored and counted),
and pending or in_progress -> interrupted -> pending (resumed: its counts and the
sub-batches it counted are kept). It never touches the cleanup's `status`.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.cleanups.domain.model import COMPLETED, IN_PROGRESS, INTERRUPTED, PENDING, TERMINAL, Cleanup
from chalicelib.cleanups.exceptions import RestoreNotAllowedError
from chalicelib.exceptions import ValidationError
from chalicelib.tenancy import iso

RESTORE_POINTER = "/data/attributes/_restore"
NO_ARCHIVE = {"base": ["could not be restored: no archive (expired, or not kept)"]}
UNRESTORABLE = {"base": ["could not be restored: its restore failed on every delivery"]}


def validate_restore(attributes: dict[str, Any]) -> bool:
    """True when an update asks to restore; 422 for a non-boolean, or together with `_interrupt`."""
    restore = attributes.get("_restore", False)
    if not isinstance(restore, bool):
        raise ValidationError("_restore must be a boolean", pointer=RESTORE_POINTER)
    if restore and attributes.get("_interrupt") is True:
        raise ValidationError("_restore and _interrupt cannot be asked together", pointer=RESTORE_POINTER)
    return restore


def check_restorable(cleanup: Cleanup, moment: datetime, archived: bool) -> None:
    """422 unless the cleanup is terminal, within its window, never restored or its restore interrupted
    (a resume), and its deletes archived."""
    if cleanup.status not in TERMINAL:
        raise RestoreNotAllowedError(f"The cleanup is {cleanup.status}: only a finished cleanup can be restored")
    if cleanup.restore_status not in (None, INTERRUPTED):
        raise RestoreNotAllowedError(f"The cleanup's restore is {cleanup.restore_status}: "
                                     "only an interrupted restore can be asked again")
    until = cleanup.restorable_until
    if until is None or iso(moment) >= until:
        raise RestoreNotAllowedError(f"The cleanup was restorable until {until}")
    if not archived:
        raise RestoreNotAllowedError("This stage does not archive deletes: nothing can be restored")


def requested(cleanup: Cleanup, moment: datetime) -> Cleanup:
    """pending: a first restore starts from zero counts, a resume keeps what its earlier runs counted."""
    if cleanup.restore_status is not None:
        return replace(cleanup, restore_status=PENDING, updated_at=iso(moment))
    return replace(cleanup, restore_status=PENDING, restored_count=0, restore_errors_count=0, restore_errors_log={},
                   updated_at=iso(moment))


def unrestored(cleanup: Cleanup) -> list[int]:
    """The sub-batches the cleanup began whose restore is not counted yet (all of them for a first restore)."""
    return sorted(cleanup.started - cleanup.restore_counted)


def begun(cleanup: Cleanup, moment: datetime) -> Cleanup:
    return replace(cleanup, restore_status=IN_PROGRESS, updated_at=iso(moment))


def finished(cleanup: Cleanup, moment: datetime) -> Cleanup:
    return replace(cleanup, restore_status=COMPLETED, updated_at=iso(moment))


def stopped(cleanup: Cleanup, moment: datetime) -> Cleanup:
    return replace(cleanup, restore_status=INTERRUPTED, updated_at=iso(moment))


def restore_messages(cleanup: Cleanup, numbers: list[int]) -> list[dict[str, Any]]:
    """One `restore_batch` message per archived sub-batch."""
    tenant = {"organization_id": cleanup.tenant.organization_id, "mode": cleanup.tenant.mode}
    return [{"kind": "restore_batch", "tenant": tenant, "cleanup_id": cleanup.id, "sub_batch": n} for n in numbers]
