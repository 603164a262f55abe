"""DynamoDB adapter of previews (PynamoDB, the cleanups table): one item each, removed by the table's TTL."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute
from pynamodb.exceptions import DoesNotExist

from chalicelib.dynamo import Expiring, Selected, TenantItem, in_cleanups_table, to_domain, to_item
from chalicelib.exceptions import RecordNotFoundError
from chalicelib.idempotency import Claim
from chalicelib.idempotency.store import save_claimed
from chalicelib.previews.model import Preview
from chalicelib.tenancy import Tenant


class PreviewItem(TenantItem, Selected, Expiring):
    records_count = NumberAttribute()
    associated_counts = JSONAttribute()
    sample = JSONAttribute()
    estimated_seconds = NumberAttribute()


def previews_partition(tenant: Tenant) -> str:
    return f"{tenant.key}#cleanup_previews"


class DynamoPreviewRepository:
    """Implements `chalicelib.previews.PreviewRepository`."""

    @staticmethod
    def _model() -> type[PreviewItem]:
        return in_cleanups_table(PreviewItem)

    def save_new(self, preview: Preview, claim: Claim | None = None) -> None:
        model = self._model()
        item = to_item(model, preview, pk=previews_partition(preview.tenant), sk=preview.id,
                       expires_at=int(preview.expires_at.timestamp()))
        save_claimed(item, claim, preview.id, condition=model.sk.does_not_exist())

    def get(self, tenant: Tenant, preview_id: str) -> Preview:
        try:
            item = self._model().get(previews_partition(tenant), preview_id, consistent_read=True)
        except DoesNotExist:
            raise RecordNotFoundError(f"No cleanup preview {preview_id}") from None
        return to_domain(Preview, item, id=item.sk)
