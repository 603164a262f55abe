"""The recorder reads a tenant's webhooks once per WEBHOOKS_FRESH_SECONDS, never one tenant's for another."""
from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.cleanups.domain.model import Cleanup
from chalicelib.events.model import PROGRESS, Webhook
from chalicelib.events.recorder import WEBHOOKS_FRESH_SECONDS, CleanupEventsRecorder
from chalicelib.tenancy import Tenant
from tests.unit.fakes import AdvancingClock, InMemoryEventLog, InMemoryQueue

ALPHA, BETA = Tenant("org-alpha", "test"), Tenant("org-beta", "test")


@dataclass
class CountingLog(InMemoryEventLog):
    reads: list[Tenant] = field(default_factory=list)

    def webhooks(self, tenant: Tenant) -> list[Webhook]:
        self.reads.append(tenant)
        return super().webhooks(tenant)


def _hook(tenant: Tenant) -> Webhook:
    return Webhook(tenant=tenant, id=f"hook-{tenant.organization_id}", topic=PROGRESS,
                   callback_url="https://example.com/h", shared_secret="s", created_at="c", updated_at="u")


def _cleanup(tenant: Tenant) -> Cleanup:
    moment = "2026-01-01T11:00:00.000Z"
    return Cleanup(tenant=tenant, id=f"cln-{tenant.organization_id}", resource_type="skus", filters={},
                   created_at=moment, updated_at=moment, records_count=100)


def _dispatch_step(recorder: CleanupEventsRecorder, tenant: Tenant, step: int) -> None:
    recorder.dispatch(recorder.recorded_progress(_cleanup(tenant), [step]))


def test_progress_events_of_one_tenant_read_its_webhooks_once_while_fresh():
    # Given a recorder and a webhook per tenant
    log, queue, clock = CountingLog(hooks=[_hook(ALPHA), _hook(BETA)]), InMemoryQueue(), AdvancingClock()
    recorder = CleanupEventsRecorder(log, queue, clock)
    # When two of alpha's steps and one of beta's are dispatched, then alpha's again once the read is stale
    _dispatch_step(recorder, ALPHA, 10)
    _dispatch_step(recorder, ALPHA, 20)
    _dispatch_step(recorder, BETA, 10)
    clock.advance(WEBHOOKS_FRESH_SECONDS)
    _dispatch_step(recorder, ALPHA, 30)
    # Then each tenant's webhooks were read once while fresh, and each delivery went to its own tenant's webhook
    assert log.reads == [ALPHA, BETA, ALPHA]
    assert [m["webhook_id"] for m in queue.messages] == ["hook-org-alpha", "hook-org-alpha", "hook-org-beta",
                                                         "hook-org-alpha"]
