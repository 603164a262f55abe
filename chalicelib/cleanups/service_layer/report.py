"""The complete report (`report_url`), written as the cleanup goes and composed once its counts are final.

What callers rely on (why: docs/DESIGN.md#the-complete-report):
- The worker keeps the rows of each sub-batch whose count it won (`Pending`) and writes them as one
  part per delivery (`write_part`), before any write that may end the cleanup; rows of a sub-batch
  counted twice never exist (only the winning count keeps rows), a part written twice is merged once.
- Once the cleanup is terminal and no begun sub-batch is uncounted (`due`), the file is composed from
  the parts (`compose`): by the worker delivery that made it due, at its end (`ask`), else through one
  `cleanup_report` message (`finish`). A counted sub-batch without a part (its worker died between
  count and part) is rebuilt from the records and the archive, one never begun is `not_processed`.
- `with_link` gives a read cleanup its `report_url`: signed for an hour on each read, null while
  active, until the file is written, and once the reports bucket's lifecycle has expired it
  (CLEANUP_RETENTION_DAYS after it was written, as the cleanup).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.cleanups.domain import report
from chalicelib.cleanups.domain.model import Cleanup, batch_of_sub_batch, sub_batches_of
from chalicelib.cleanups.domain.retention import written_expiry
from chalicelib.cleanups.ports import Deletion, Ports
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.tenancy import Tenant, iso

KIND = "cleanup_report"


@dataclass
class Pending:
    """The rows of the sub-batches a delivery counted, not yet in a part; with `compose`, the delivery composes
    the report it makes due itself (`due`, once its work is over) instead of asking for it by a message."""

    rows: dict[int, list[report.Row]] = field(default_factory=dict)
    compose: bool = False
    due: Cleanup | None = None


def rows_of(ids: Sequence[str], deletion: Deletion) -> list[report.Row]:
    return report.rows_of(ids, deletion.deleted, deletion.errors, deletion.associated)


def error_rows(errors: Mapping[str, Any]) -> list[report.Row]:
    """The rows of a sub-batch counted as errors whole (the reconciler giving up on it)."""
    return [report.Row(i, report.ERROR, report.error_text(entry)) for i, entry in errors.items()]


def write_part(ports: Ports, cleanup: Cleanup, pending: Pending | None) -> None:
    """The pending rows as one part (one PUT), then none pending."""
    if pending is None or not pending.rows:
        return
    ports.reports.put_part(cleanup.tenant, cleanup.id, min(pending.rows), report.encode_part(pending.rows))
    pending.rows = {}


def due(cleanup: Cleanup) -> bool:
    """The counts are final: the report may be composed."""
    return not cleanup.active and cleanup.counts_settled


def message(cleanup: Cleanup) -> dict[str, Any]:
    tenant = {"organization_id": cleanup.tenant.organization_id, "mode": cleanup.tenant.mode}
    return {"kind": KIND, "tenant": tenant, "cleanup_id": cleanup.id}


def request(ports: Ports, cleanup: Cleanup) -> None:
    """Ask a worker to compose the report (a duplicate composes the same file again)."""
    ports.queue.send([message(cleanup)])


def ask(ports: Ports, cleanup: Cleanup, pending: Pending | None) -> None:
    """`cleanup` has just become due its report: kept for the delivery to compose (`pending.compose`), else a
    message (the API's and the reconciler's endings)."""
    if pending is not None and pending.compose:
        pending.due = cleanup
    else:
        request(ports, cleanup)


def finish(ports: Ports, tenant: Tenant, cleanup_id: str) -> bool:
    """Compose the report of a cleanup whose counts are final, and note it written; False if not due (yet) or
    the cleanup is gone."""
    try:
        cleanup = ports.cleanups.get(tenant, cleanup_id)
    except RecordNotFoundError:
        return False
    if not due(cleanup):
        return False
    compose(ports, cleanup)
    return True


def compose(ports: Ports, cleanup: Cleanup) -> None:
    """Write the report of `cleanup`, read once it was due (its counts, log and snapshot shape are then final),
    and note it written."""
    tenant, cleanup_id = cleanup.tenant, cleanup.id
    rows = report.merge(report.decode_part(body) for body in ports.reports.parts(tenant, cleanup_id))
    missing = set(range(cleanup.sub_batch_count)) - set(rows)
    for batch in sorted({batch_of_sub_batch(n, cleanup.batch_size, cleanup.sub_batch_size) for n in missing}):
        ids = ports.cleanups.batch_ids(tenant, cleanup_id, batch)
        for number, sub_ids in sub_batches_of(batch, ids, cleanup.batch_size, cleanup.sub_batch_size):
            if number in missing:
                rows[number] = _rebuilt(ports, cleanup, number, sub_ids)
    ordered = (row for number in sorted(rows) for row in rows[number])
    ports.reports.put_report(tenant, cleanup_id, report.render_csv(ordered, report.associated_types(
        cleanup.resource_type)))
    ports.cleanups.mark_report_written(tenant, cleanup_id, iso(ports.clock.now()))


def _rebuilt(ports: Ports, cleanup: Cleanup, number: int, ids: Sequence[str]) -> list[report.Row]:
    """A sub-batch without a part: never begun, not processed; counted, then what the records show now (an id
    still there was an error, one gone was deleted, with what its archive says went with it)."""
    if number not in cleanup.counted:
        return report.not_processed(ids)
    left = set(ports.records.existing_ids(cleanup.tenant, cleanup.resource_type, ids))
    associated = ports.records.deleted_with(cleanup.tenant, cleanup.id, number)
    errors = {i: cleanup.errors_log.get(i, report.LOST) for i in ids if i in left}
    return report.rows_of(ids, [i for i in ids if i not in left], errors, associated)


def report_expiry(ports: Ports, written_at: str) -> int:
    """When the reports bucket's lifecycle removes a file written at `written_at` (epoch seconds): S3 expires an
    object at the first midnight UTC after its creation plus the rule's days, as DynamoDB's TTL does a cleanup."""
    return written_expiry(written_at, ports.settings.cleanup_retention_days)


def with_link(ports: Ports, cleanup: Cleanup) -> Cleanup:
    """`cleanup` with its `report_url` signed now, when it has one to download."""
    written = cleanup.report_written_at
    if written is None or not due(cleanup) or report_expiry(ports, written) <= ports.clock.now().timestamp():
        return cleanup
    return replace(cleanup, report_url=ports.reports.link(cleanup.tenant, cleanup.id, report.LINK_SECONDS))
