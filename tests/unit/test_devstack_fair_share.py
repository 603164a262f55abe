"""The local stack's TENANT_MAX_WORKERS: half its pollers unless the environment says otherwise."""
from __future__ import annotations

import pytest

from chalicelib.config import get_settings
from devstack.sqs_consumer import default_tenant_share, fair_share


def test_fair_share_is_half_the_pollers_and_at_least_one() -> None:
    assert [fair_share(n) for n in (0, 1, 2, 4, 5, 10)] == [1, 1, 1, 2, 2, 5]


def test_default_tenant_share_sets_the_setting_only_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANT_MAX_WORKERS", "")  # recorded first, so the test leaves the variable as it found it
    monkeypatch.delenv("TENANT_MAX_WORKERS")
    default_tenant_share(4)
    assert get_settings().tenant_max_workers == 2
    monkeypatch.setenv("TENANT_MAX_WORKERS", "0")
    default_tenant_share(4)
    assert get_settings().tenant_max_workers == 0
