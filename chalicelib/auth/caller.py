"""The authenticated caller of an `/api` request."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.tenancy import Tenant


@dataclass(frozen=True)
class Caller:
    organization_id: str
    organization_slug: str
    application_id: str
    client_id: str
    kind: str  # integration | sales_channel | webapp
    mode: str  # test | live
    public: bool = False

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.organization_id, self.mode)

    def who(self) -> dict:
        """The `who` of a version written on this caller's behalf."""
        return {"application": {"id": self.application_id, "client_id": self.client_id, "kind": self.kind}}
