"""The records store: hosted records per tenant, selection by filters, cascade delete, archive and restore,
and the dry run of a cleanup (`preview`).

Layout in docs/DESIGN.md ("Records table"). Public use cases take a `Tenant`,
a type name and the adapter as `store=` (a `RecordsStore`, built in `chalicelib.bootstrap`).
"""
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.records.archive import Archive, ArchiveMissingError, S3Archive, archive_key, decode
from chalicelib.records.batch import BatchOutcome, associated_counts, delete_batch
from chalicelib.records.matching import SelectionStats
from chalicelib.records.model import Record
from chalicelib.records.preview import SelectionPreview, count_associated, preview, preview_page
from chalicelib.records.restore import RestoreOutcome, restore_batch
from chalicelib.records.service import (
    create_record,
    delete_record,
    existing_ids,
    get_record,
    list_records,
    select_ids,
    select_page,
    update_record,
)

__all__ = [
    "Archive", "ArchiveMissingError", "BatchOutcome", "Record", "RecordsStore", "RestoreOutcome", "S3Archive",
    "SelectionPreview", "SelectionStats", "archive_key", "associated_counts", "count_associated", "create_record",
    "decode", "delete_batch", "delete_record", "existing_ids", "get_record", "list_records", "preview", "preview_page",
    "restore_batch", "select_ids", "select_page", "update_record",
]
