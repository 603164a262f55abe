"""The HTTP client: the service's public API only (`/oauth/token` and `/api/...`), tokens kept in the cache.

Every failure leaves here as a `CliError`: an API error document as `ApiError`, a connection or timeout
as `NetworkError`. A 401 `INVALID_TOKEN` (expired, or the secret rotated) gets one new token and one retry;
a 429 waits its `Retry-After` (a few times, briefly) and retries.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from cleanups_cli.errors import ApiError, CredentialsError, NetworkError
from cleanups_cli.tokens import CachedToken, TokenCache

JSONAPI = "application/vnd.api+json"
RATE_LIMIT_RETRIES = 3
LONGEST_RETRY_WAIT = 30.0
CREDENTIALS_HINT = "run `cleanups login` or set CLEANUPS_CLIENT_ID and CLEANUPS_CLIENT_SECRET"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str


class ApiClient:
    def __init__(self, base_url: str, credentials: Credentials | None, cache: TokenCache,
                 transport: httpx.BaseTransport | None = None, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.cache = cache
        self.timeout = timeout
        self._sleep = sleep
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout,
                                  headers={"Accept": JSONAPI, "User-Agent": "cleanups-cli"})

    def login(self) -> CachedToken:
        """A new token from `POST /oauth/token` (client credentials), stored in the cache for this base URL."""
        if self.credentials is None:
            raise CredentialsError(f"no client credentials for {self.base_url}: pass --client-id and --client-secret "
                                   "or set CLEANUPS_CLIENT_ID and CLEANUPS_CLIENT_SECRET")
        response = self._send("POST", "/oauth/token", json={
            "grant_type": "client_credentials", "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret})
        if response.status_code != 200:
            raise _api_error(response)
        body = response.json()
        token = CachedToken(body["access_token"], time.time() + float(body.get("expires_in", 0)),
                            self.credentials.client_id)
        self.cache.put(self.base_url, token)
        return token

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                params: dict[str, str] | None = None) -> dict[str, Any]:
        """The JSON:API document the route answers ({} for a 204); an `ApiError` for any error status."""
        token, refreshed = self._token(), False
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            response = self._send(method, path, json=body, params=params, headers={
                "Authorization": f"Bearer {token}", **({"Content-Type": JSONAPI} if body is not None else {})})
            if response.status_code == 401 and "INVALID_TOKEN" in _api_error(response).codes and not refreshed:
                token, refreshed = self._refreshed_token(), True
                continue
            if response.status_code == 429 and attempt < RATE_LIMIT_RETRIES:
                self._sleep(_retry_after(response))
                continue
            break
        if response.is_error:
            raise _api_error(response)
        return response.json() if response.content else {}

    def _token(self) -> str:
        cached = self.cache.get(self.base_url)
        same_client = self.credentials is None or cached is None or cached.client_id == self.credentials.client_id
        if cached and cached.is_fresh() and same_client:
            return cached.access_token
        if self.credentials is not None:
            return self.login().access_token
        state = f"the token for {self.base_url} has expired" if cached else f"not logged in to {self.base_url}"
        raise CredentialsError(f"{state}: {CREDENTIALS_HINT}")

    def _refreshed_token(self) -> str:
        self.cache.forget(self.base_url)
        if self.credentials is None:
            raise CredentialsError(f"the API refused the token for {self.base_url} (INVALID_TOKEN): {CREDENTIALS_HINT}")
        return self.login().access_token

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **options)
        except httpx.TimeoutException:
            raise NetworkError(f"{method} {self.base_url}{path}: no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {self.base_url}: {exc or type(exc).__name__}") from None


def _api_error(response: httpx.Response) -> ApiError:
    try:
        errors = response.json().get("errors")
    except (ValueError, AttributeError):
        errors = None
    if isinstance(errors, list) and all(isinstance(error, dict) for error in errors):
        return ApiError(response.status_code, errors)
    # Not a JSON:API document (a proxy, a gateway): its status and the start of its text.
    text = " ".join(response.text.split())[:200]
    return ApiError(response.status_code, [{"title": f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                                             "detail": text}])


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "1")), 0.0), LONGEST_RETRY_WAIT)
    except ValueError:
        return 1.0
