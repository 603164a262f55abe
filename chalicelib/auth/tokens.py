"""Issuing and verifying access tokens: HS256 JWTs, the algorithm pinned here."""
from __future__ import annotations

import functools
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import jwt
from aws_lambda_powertools.utilities.parameters import SSMProvider

from chalicelib import aws
from chalicelib.auth.applications import verify_credentials
from chalicelib.auth.caller import Caller
from chalicelib.config import SettingsError, get_settings
from chalicelib.exceptions import BadRequestError, InvalidTokenError, UnauthorizedError
from chalicelib.jsonapi.body import check_size, load_json
from chalicelib.limits import MAX_TOKEN_FIELD_CHARS

ALGORITHM = "HS256"
_CREDENTIAL = re.compile(rf"[\x21-\x7e]{{1,{MAX_TOKEN_FIELD_CHARS}}}")


@functools.cache
def _parameters(client: Any) -> SSMProvider:
    """One cache of parameter values per SSM client (tests switch emulators by dropping clients)."""
    return SSMProvider(boto3_client=client)


def _parameter(name: str, max_age: int) -> str:
    # Kept at most `max_age` seconds, so a rotated secret takes effect without a redeploy.
    return str(_parameters(aws.client("ssm")).get(name, max_age=max_age, decrypt=True))


def signing_secret() -> str:
    settings = get_settings()
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.jwt_secret_parameter:
        return _parameter(settings.jwt_secret_parameter, settings.jwt_secret_max_age_seconds)
    raise SettingsError("JWT_SECRET or JWT_SECRET_PARAMETER must be set, got neither")


def issue_token(form: Mapping[str, Any]) -> dict[str, Any]:
    """The client_credentials grant: a bearer token for a valid client id and secret."""
    if form.get("grant_type") != "client_credentials":
        raise BadRequestError("grant_type must be client_credentials", parameter="grant_type")
    scope = form.get("scope")
    if scope is not None and (not isinstance(scope, str) or len(scope) > MAX_TOKEN_FIELD_CHARS):
        raise BadRequestError(f"scope must be a string of at most {MAX_TOKEN_FIELD_CHARS} characters",
                              parameter="scope")
    application = verify_credentials(*_credentials(form))
    if application is None:
        raise UnauthorizedError("Invalid client credentials", parameter="client_id")
    issued = int(time.time())
    ttl = get_settings().token_ttl_seconds
    claims = {
        "organization": {"id": application.organization_id, "slug": application.organization_slug},
        "application": {"id": application.id, "client_id": application.client_id,
                        "kind": application.kind, "public": application.public},
        "test": application.mode == "test",
        "iat": issued,
        "exp": issued + ttl,
    }
    return {
        "access_token": jwt.encode(claims, signing_secret(), algorithm=ALGORITHM),
        "token_type": "bearer", "expires_in": ttl, "scope": "market:all", "created_at": issued,
    }


def _credentials(form: Mapping[str, Any]) -> tuple[str, str]:
    """client_id and client_secret, checked before any lookup: 401 for one no application can have."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if client_id is None or secret is None:
        raise UnauthorizedError("client_id and client_secret are required", parameter="client_id")
    for name, value in (("client_id", client_id), ("client_secret", secret)):
        if not isinstance(value, str) or not _CREDENTIAL.fullmatch(value):
            raise UnauthorizedError(f"{name} must be 1 to {MAX_TOKEN_FIELD_CHARS} visible ASCII characters",
                                    parameter=name)
    return client_id, secret


def authenticate(authorization: str | None) -> Caller:
    """The caller of a `Bearer <jwt>` header; 401 UNAUTHORIZED or INVALID_TOKEN otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("A Bearer access token is required", parameter="Authorization")
    try:
        claims = jwt.decode(token.strip(), signing_secret(), algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat"]})
    except (jwt.ExpiredSignatureError, jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as exc:
        raise InvalidTokenError(f"The access token is invalid: {exc}", parameter="Authorization") from None
    except jwt.PyJWTError as exc:
        raise UnauthorizedError(f"The access token is malformed: {exc}", parameter="Authorization") from None
    try:
        organization, application = claims["organization"], claims["application"]
        return Caller(
            organization_id=organization["id"], organization_slug=organization["slug"],
            application_id=application["id"], client_id=application["client_id"],
            kind=application["kind"], mode="test" if claims["test"] else "live",
            public=bool(application.get("public")),
        )
    except (KeyError, TypeError):
        raise UnauthorizedError("The access token lacks required claims", parameter="Authorization") from None


def parse_token_request(raw_body: bytes | str | None, content_type: str | None) -> dict[str, Any]:
    """The token request's fields, from a JSON or a form-encoded body."""
    raw = raw_body or b""
    check_size(raw)
    if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw))
    parsed = load_json(raw) if raw else {}
    if not isinstance(parsed, dict):
        raise BadRequestError("The body must be a JSON object", pointer="")
    return parsed
