"""The `RecordStore` port on the records package (DynamoDB, and S3 for the archive)."""
from __future__ import annotations

from collections.abc import Sequence

from chalicelib import records, telemetry
from chalicelib.cleanups.ports import Deletion, Restoration
from chalicelib.filters import Condition
from chalicelib.tenancy import Tenant


class HostedRecords:
    """Implements `chalicelib.cleanups.RecordStore` on the records package (DynamoDB, S3 for the archive)."""

    def __init__(self, archive: records.Archive | None, reads: records.RecordsStore,
                 deletes: records.RecordsStore) -> None:
        self.archive = archive  # None: deletes are not archived, and cannot be restored
        self.reads, self.deletes = reads, deletes  # deletes: the store running `delete_concurrency` calls at once

    def select_ids(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition],
                   limit: int) -> list[str]:
        return records.select_ids(tenant, resource_type, conditions, limit=limit, store=self.reads)

    def select_page(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], after: str | None,
                    size: int) -> tuple[list[str], bool]:
        return records.select_page(tenant, resource_type, conditions, after=after, size=size, store=self.reads)

    def existing_ids(self, tenant: Tenant, resource_type: str, ids: Sequence[str]) -> list[str]:
        return records.existing_ids(tenant, resource_type, ids, store=self.reads)

    def delete_sub_batch(self, tenant: Tenant, resource_type: str, ids: Sequence[str], *,
                         not_modified_after: str, cleanup_id: str, number: int) -> Deletion:
        key = records.archive_key(tenant, cleanup_id, number) if self.archive is not None else None
        with telemetry.sub_batch_timed(cleanup_id, number):
            outcome = records.delete_batch(tenant, resource_type, ids, not_modified_after=not_modified_after,
                                           archive=self.archive, archive_key=key, store=self.deletes)
        return Deletion(deleted=list(outcome.deleted), errors=dict(outcome.errors), associated=outcome.associated)

    def deleted_with(self, tenant: Tenant, cleanup_id: str, number: int) -> dict[str, dict[str, int]]:
        body = self.archive.get(records.archive_key(tenant, cleanup_id, number)) if self.archive is not None else None
        return {} if body is None else records.associated_counts(records.decode(body).groups)

    def restore_sub_batch(self, tenant: Tenant, cleanup_id: str, number: int) -> Restoration:
        if self.archive is None:
            return Restoration(archived=False)
        try:
            outcome = records.restore_batch(tenant, self.archive, records.archive_key(tenant, cleanup_id, number),
                                            store=self.reads)
        except records.ArchiveMissingError:
            return Restoration(archived=False)
        return Restoration(restored=list(outcome.restored), errors=dict(outcome.errors))
