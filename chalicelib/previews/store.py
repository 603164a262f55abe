"""DynamoDB adapter of previews (PynamoDB, the cleanups table): one item each, removed by the table's TTL.

A pending preview is in the table's `active` index (`active` = "preview"), so the reconciler finds
it when its pages stall; its page lease and checkpoint are conditional updates of its item.
"""
from __future__ import annotations

from collections.abc import Iterator

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from chalicelib.dynamo import (
    ActiveIndex,
    Expiring,
    Selected,
    TenantItem,
    in_cleanups_table,
    to_domain,
    to_item,
    written,
)
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim
from chalicelib.idempotency.store import save_claimed
from chalicelib.previews.model import PENDING, Preview
from chalicelib.tenancy import Tenant

ACTIVE = "preview"  # `active` of a pending preview (the cleanups' index, its own value)


class PreviewItem(TenantItem, Selected, Expiring):
    records_count = NumberAttribute()
    associated_counts = JSONAttribute()
    sample = JSONAttribute()
    estimated_seconds = NumberAttribute()
    status = UnicodeAttribute(null=True)  # absent on a preview stored before previews could be pending: completed
    errors = JSONAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    cursor = UnicodeAttribute(null=True)
    pages = NumberAttribute(null=True)
    active = UnicodeAttribute(null=True)
    lease = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    reconcile_count = NumberAttribute(null=True)
    active_index = ActiveIndex()


def previews_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#cleanup_previews"


class DynamoPreviewRepository:
    """Implements `chalicelib.previews.PreviewRepository`."""

    @staticmethod
    def _model() -> type[PreviewItem]:
        return in_cleanups_table(PreviewItem)

    def _item(self, preview: Preview) -> PreviewItem:
        return self._model()(previews_partition(preview.tenant), preview.id)

    def save_new(self, preview: Preview, claim: Claim | None = None) -> None:
        model = self._model()
        item = to_item(model, preview, pk=previews_partition(preview.tenant), sk=preview.id,
                       expires_at=int(preview.expires_at.timestamp()),
                       active=ACTIVE if preview.status == PENDING else None)
        save_claimed(item, claim, preview.id, condition=model.sk.does_not_exist())

    def get(self, tenant: Tenant, preview_id: str) -> Preview:
        try:
            item = self._model().get(previews_partition(tenant), preview_id, consistent_read=True)
        except DoesNotExist:
            raise RecordNotFoundError(f"No cleanup preview {preview_id}") from None
        return _to_domain(item)

    def lease_page(self, preview: Preview, token: str, now: float, until: float) -> bool:
        model = self._model()
        free = model.lease_until.does_not_exist() | (model.lease_until < now)
        condition = (model.status == PENDING) & (model.pages == preview.pages) & free
        return written(lambda: self._item(preview).update(
            actions=[model.lease.set(token), model.lease_until.set(until)], condition=condition))

    def checkpoint(self, before: Preview, after: Preview, token: str) -> bool:
        model = self._model()
        actions: list[Action] = [
            model.records_count.set(after.records_count), model.associated_counts.set(after.associated_counts),
            model.sample.set(after.sample), model.estimated_seconds.set(after.estimated_seconds),
            model.status.set(after.status), model.pages.set(after.pages), model.updated_at.set(after.updated_at or ''),
            model.reconcile_count.set(0), model.lease.remove(), model.lease_until.remove(),
            model.active.set(ACTIVE) if after.status == PENDING else model.active.remove(),
        ]
        if after.cursor is not None:
            actions.append(model.cursor.set(after.cursor))
        if after.errors:
            actions.append(model.errors.set(after.errors))
        condition = (model.status == PENDING) & (model.pages == before.pages) & (model.lease == token)
        return written(lambda: self._item(before).update(actions=actions, condition=condition))

    def stale(self, before: str) -> Iterator[Preview]:
        model = self._model()
        for item in model.active_index.query(ACTIVE, model.updated_at < before):
            yield _to_domain(item)

    def mark_reconciled(self, preview: Preview, updated_at: str) -> int:
        model = self._model()
        item = self._item(preview)
        if not written(lambda: item.update(actions=[model.reconcile_count.add(1), model.updated_at.set(updated_at)],
                                           condition=model.status == PENDING)):
            return 0
        return int(item.reconcile_count or 0)

    def fail(self, before: Preview, after: Preview) -> bool:
        model = self._model()
        actions: list[Action] = [model.status.set(after.status), model.errors.set(after.errors),
                   model.updated_at.set(after.updated_at or ''), model.active.remove()]
        condition = (model.status == PENDING) & (model.pages == before.pages)
        return written(lambda: self._item(before).update(actions=actions, condition=condition))


def _to_domain(item: PreviewItem) -> Preview:
    return to_domain(Preview, item, id=item.sk)
