"""Webhook validation and updates as pure functions."""
from __future__ import annotations

import pytest

from chalicelib.events.model import OPEN, Webhook
from chalicelib.events.validation import check_callback_url, updated, validate_create, validate_update
from chalicelib.exceptions import ValidationError
from chalicelib.tenancy import Tenant


def _webhook(**overrides) -> Webhook:
    base = {"tenant": Tenant("org", "test"), "id": "Whk0000001", "topic": "cleanups.create",
            "callback_url": "https://example.com/h", "shared_secret": "s1", "created_at": "t0", "updated_at": "t0"}
    return Webhook(**{**base, **overrides})


@pytest.mark.parametrize(("url", "local", "ok"), [
    ("https://example.com/h", False, True),
    ("http://example.com/h", True, False),
    ("http://127.0.0.1:8000/h", True, True),
    ("http://[::1]:8000/h", True, True),
    ("http://localhost/h", False, False),
    ("ftp://example.com/h", True, False),
    ("https:///nohost", False, False),
])
def test_check_callback_url_allows_https_and_local_loopback_http(url, local, ok):
    if ok:
        check_callback_url(url, allow_loopback_http=local)
    else:
        with pytest.raises(ValidationError) as raised:
            check_callback_url(url, allow_loopback_http=local)
        assert raised.value.details[0].pointer == "/data/attributes/callback_url"


def test_validate_create_lists_every_unknown_attribute():
    with pytest.raises(ValidationError) as raised:
        validate_create({"topic": "cleanups.create", "callback_url": "https://x.io", "a": 1, "b": 2}, False)
    assert [d.pointer for d in raised.value.details] == ["/data/attributes/a", "/data/attributes/b"]


def test_validate_update_refuses_enable_with_disable():
    with pytest.raises(ValidationError) as raised:
        validate_update({"_enable": True, "_disable": True}, False)
    assert raised.value.details[0].pointer == "/data/attributes/_enable"


def test_updated_applies_triggers_and_keeps_the_rest():
    # Given a disabled webhook with an open circuit
    hook = _webhook(disabled_at="t0", circuit_state=OPEN, circuit_failure_count=30)
    # When it is enabled, its circuit reset and renamed
    after = updated(hook, {"_enable": True, "_reset_circuit": True, "name": "n"}, "t1", "s2")
    # Then all three show, and the secret is kept
    assert (after.disabled_at, after.circuit_state, after.circuit_failure_count) == (None, "closed", 0)
    assert (after.name, after.updated_at, after.shared_secret) == ("n", "t1", "s1")
    assert updated(hook, {"_disable": True}, "t2", "s2").disabled_at == "t0"  # first disable time kept
