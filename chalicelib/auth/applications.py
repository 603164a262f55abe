"""Applications (OAuth clients) stored in DynamoDB with slow-hashed secrets."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.config import get_settings
from chalicelib.dynamo import Owned, bind, to_domain, to_item
from chalicelib.tenancy import iso, new_id, now

# scrypt: a memory-hard KDF from the standard library; ~50 ms a check on a Lambda core.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class ApplicationItem(Model, Owned):
    """An OAuth client; `Owned`: the tenant (organization and mode) its tokens act for."""

    class Meta:
        table_name = "applications"

    client_id = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    public = BooleanAttribute(default=False)
    organization_slug = UnicodeAttribute()
    organization_name = UnicodeAttribute()
    secret_salt = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    created_at = UnicodeAttribute()


@dataclass(frozen=True)
class Application:
    id: str
    client_id: str
    name: str
    kind: str
    mode: str
    public: bool
    organization_id: str
    organization_slug: str
    organization_name: str
    created_at: str


def _model() -> type[ApplicationItem]:
    return bind(ApplicationItem, get_settings().applications_table)


def _hash(secret: str, salt: str) -> str:
    return hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **_SCRYPT).hex()  # type: ignore[arg-type]


def _to_domain(item: ApplicationItem) -> Application:
    return to_domain(Application, item)


def create_application(*, organization: dict, name: str, kind: str, mode: str,
                       client_id: str | None = None, secret: str | None = None) -> tuple[Application, str]:
    """Store an application; returns it with its secret, which is never stored in clear."""
    secret = secret or secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    application = Application(
        id=new_id(), client_id=client_id or secrets.token_urlsafe(24), name=name, kind=kind, mode=mode,
        public=False, organization_id=organization["id"], organization_slug=organization["slug"],
        organization_name=organization["name"], created_at=iso(now()),
    )
    item = to_item(_model(), application, secret_salt=salt, secret_hash=_hash(secret, salt))
    item.save()
    return application, secret


def verify_credentials(client_id: str, secret: str) -> Application | None:
    """The application if `secret` is its secret; None otherwise (same cost either way)."""
    try:
        if not client_id:
            raise DoesNotExist  # DynamoDB refuses an empty key
        item = _model().get(client_id, consistent_read=True)
    except DoesNotExist:
        _hash(secret, "00" * 16)  # spend the same time, so timing does not reveal client ids
        return None
    if not hmac.compare_digest(_hash(secret, item.secret_salt), item.secret_hash):
        return None
    return _to_domain(item)


def get_application(client_id: str) -> Application | None:
    try:
        return _to_domain(_model().get(client_id))
    except DoesNotExist:
        return None
