"""What a webhook create or update may say, and what an update does: pure, no I/O."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.catalog import service_type
from chalicelib.cleanups.domain.model import RELATIONSHIPS
from chalicelib.events.model import CLOSED, TOPICS, Webhook
from chalicelib.events.targets import TargetRefusedError, check_url
from chalicelib.exceptions import ErrorDetail, ValidationError

TRIGGERS = ("_disable", "_enable", "_reset_circuit", "_regenerate_shared_secret")
_STRINGS = ("name", "reference", "reference_origin")


def _pointer(name: str) -> str:
    return f"/data/attributes/{name}"


def _refuse_unknown(attributes: dict[str, Any], allowed: set[str], verb: str) -> None:
    bad = [name for name in attributes if name not in allowed]
    if bad:
        raise ValidationError(details=[
            ErrorDetail("Validation error", f"{name} is not {verb}", pointer=_pointer(name)) for name in bad])


def check_callback_url(value: Any, allow_loopback_http: bool) -> None:
    """https to a public address; plain http only to loopback, and only in the local stack."""
    if not isinstance(value, str) or not value:
        raise ValidationError("callback_url must be a URL", pointer=_pointer("callback_url"))
    try:
        check_url(value, allow_loopback_http)
    except TargetRefusedError as refused:
        raise ValidationError(f"callback_url is not allowed: {refused}", pointer=_pointer("callback_url")) from None


def _check_values(attributes: dict[str, Any], allow_loopback_http: bool) -> None:
    if "topic" in attributes and attributes["topic"] not in TOPICS:
        raise ValidationError(f"topic must be one of {', '.join(TOPICS)}", pointer=_pointer("topic"))
    if "callback_url" in attributes:
        check_callback_url(attributes["callback_url"], allow_loopback_http)
    for name in _STRINGS:
        if attributes.get(name) is not None and not isinstance(attributes[name], str):
            raise ValidationError(f"{name} must be a string", pointer=_pointer(name))
    if attributes.get("metadata") is not None and not isinstance(attributes["metadata"], dict):
        raise ValidationError("metadata must be an object", pointer=_pointer("metadata"))
    includes = attributes.get("include_resources")
    if includes is not None and (not isinstance(includes, list) or any(i not in RELATIONSHIPS for i in includes)):
        raise ValidationError(f"include_resources must be a list of {', '.join(RELATIONSHIPS)}",
                              pointer=_pointer("include_resources"))
    for name in TRIGGERS:
        if name in attributes and not isinstance(attributes[name], bool):
            raise ValidationError(f"{name} must be a boolean", pointer=_pointer(name))
    if attributes.get("_disable") and attributes.get("_enable"):
        raise ValidationError("_disable and _enable cannot both be true", pointer=_pointer("_enable"))


def validate_create(attributes: dict[str, Any], allow_loopback_http: bool) -> None:
    """422 with a pointer for anything a create may not say."""
    _refuse_unknown(attributes, service_type("webhooks").creatable(), "creatable")
    for name in ("topic", "callback_url"):
        if attributes.get(name) is None:
            raise ValidationError(f"{name} is required", pointer=_pointer(name))
    _check_values(attributes, allow_loopback_http)


def validate_update(attributes: dict[str, Any], allow_loopback_http: bool) -> None:
    """422 with a pointer for anything an update may not say (unknown or read-only attributes)."""
    _refuse_unknown(attributes, service_type("webhooks").updatable(), "updatable")
    for name in ("topic", "callback_url"):
        if name in attributes and attributes[name] is None:
            raise ValidationError(f"{name} cannot be blank", pointer=_pointer(name))
    _check_values(attributes, allow_loopback_http)


def updated(webhook: Webhook, attributes: dict[str, Any], moment: str, new_secret: str) -> Webhook:
    """The webhook after a validated update: plain attributes set, triggers applied."""
    plain = {k: v for k, v in attributes.items() if k not in TRIGGERS}
    if "include_resources" in plain:
        plain["include_resources"] = tuple(plain["include_resources"] or ())
    if "metadata" in plain:
        plain["metadata"] = plain["metadata"] or {}
    after = replace(webhook, **plain, updated_at=moment)
    if attributes.get("_disable"):
        after = replace(after, disabled_at=webhook.disabled_at or moment)
    if attributes.get("_enable"):
        after = replace(after, disabled_at=None)
    if attributes.get("_reset_circuit"):
        after = replace(after, circuit_state=CLOSED, circuit_failure_count=0)
    if attributes.get("_regenerate_shared_secret"):
        after = replace(after, shared_secret=new_secret)
    return after
