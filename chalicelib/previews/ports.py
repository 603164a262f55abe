"""What the preview use cases need from the outside; `chalicelib.bootstrap.preview_ports()` builds the real one."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.cleanups.ports import Clock
from chalicelib.config import Settings
from chalicelib.filters import Condition
from chalicelib.idempotency import Claim
from chalicelib.previews.model import Preview
from chalicelib.tenancy import Tenant


@dataclass
class Selection:
    """What a cleanup of the selection would delete: ids (at most limit + 1), a sample, associated per type."""

    ids: list[str] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    associated: dict[str, int] = field(default_factory=dict)


class RecordsPreviewer(Protocol):
    def preview(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *, limit: int,
                sample_size: int) -> Selection:
        """The cleanup's own selection; over `limit` matches only the ids (limit + 1) are read."""


class PreviewRepository(Protocol):
    def save_new(self, preview: Preview, claim: Claim | None = None) -> None:
        """Store it, to expire (DynamoDB TTL) when `preview.expires_at` passes; with `claim`, only if its
        idempotency key is free (`IdempotencyKeyTakenError` otherwise)."""

    def get(self, tenant: Tenant, preview_id: str) -> Preview:
        """The tenant's preview (expired ones may still be there); `RecordNotFoundError` if there is none."""


@dataclass(frozen=True)
class Ports:
    previews: PreviewRepository
    records: RecordsPreviewer
    clock: Clock
    settings: Settings
