"""What the preview use cases need from the outside; `chalicelib.bootstrap.preview_ports()` builds the real one."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.cleanups.domain.model import Cleanup
from chalicelib.cleanups.ports import Clock, Listing, WorkQueue
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


@dataclass
class Page(Selection):
    """A page of the selection in id order (at most `size` ids), counted as `Selection` is; `more` follow it."""

    more: bool = False


class RecordsPreviewer(Protocol):
    def preview(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *, limit: int,
                sample_size: int) -> Selection:
        """The cleanup's own selection; over `limit` matches only the ids (limit + 1) are read."""

    def preview_page(self, tenant: Tenant, resource_type: str, conditions: Sequence[Condition], *,
                     after: str | None, size: int, sample_size: int) -> Page:
        """The matches above `after` (None: from the first), as a large cleanup's selection pages them."""


class PreviewRepository(Protocol):
    """Previews; a pending one is moved on by conditional writes (a `False` answer: another writer won)."""

    def save_new(self, preview: Preview, claim: Claim | None = None) -> None:
        """Store it, to expire (DynamoDB TTL) when `preview.expires_at` passes; with `claim`, only if its
        idempotency key is free (`IdempotencyKeyTakenError` otherwise)."""

    def get(self, tenant: Tenant, preview_id: str) -> Preview:
        """The tenant's preview (expired ones may still be there); `RecordNotFoundError` if there is none."""

    def lease_page(self, preview: Preview, token: str, now: float, until: float) -> bool:
        """Hold the preview's next page until `until` (epoch seconds): only while it is pending at
        `preview.pages` and no unexpired lease is held."""

    def checkpoint(self, before: Preview, after: Preview, token: str) -> bool:
        """Save `after` (its counts, cursor, pages, status), only while the stored one is pending at
        `before.pages` under the lease `token`; the reconcile attempts start afresh."""

    def stale(self, before: str) -> Iterator[Preview]:
        """Pending previews not moved on since `before` (ISO), oldest first, across tenants."""

    def mark_reconciled(self, preview: Preview, updated_at: str) -> int:
        """One more reconcile attempt on a pending preview: the attempts made so far, this one included."""

    def fail(self, before: Preview, after: Preview) -> bool:
        """Save the failed `after`, only while the stored one is pending at `before.pages`."""


class RecentCleanups(Protocol):
    def page(self, tenant: Tenant, listing: Listing) -> tuple[list[Cleanup], int]:
        """The tenant's cleanups the listing names (newest first when descending)."""


@dataclass(frozen=True)
class Ports:
    previews: PreviewRepository
    records: RecordsPreviewer
    clock: Clock
    settings: Settings
    queue: WorkQueue
    cleanups: RecentCleanups
