"""The previews' `RecordsPreviewer` port on the records package."""
from __future__ import annotations

from collections.abc import Sequence

from chalicelib import records
from chalicelib.filters import Condition
from chalicelib.previews.ports import Page, Selection
from chalicelib.tenancy import Tenant


class RecordsPreviewer:
    """Implements `chalicelib.previews.RecordsPreviewer` on the records package."""

    def __init__(self, store: records.RecordsStore) -> None:
        self.store = store

    def preview(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *, limit: int,
                sample_size: int) -> Selection:
        found = records.preview(tenant, resource_type, conditions, limit=limit, sample_size=sample_size,
                                store=self.store)
        return Selection(ids=found.ids, sample=found.sample, associated=found.associated)

    def preview_page(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *,
                     after: str | None, size: int, sample_size: int) -> Page:
        found, more = records.preview_page(tenant, resource_type, conditions, after=after, size=size,
                                           sample_size=sample_size, store=self.store)
        return Page(ids=found.ids, sample=found.sample, associated=found.associated, more=more)
