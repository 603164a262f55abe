"""A small JSON:API client for end-to-end tests: real HTTP against the running stack (or a deployed stage)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from tests.e2e.openapi_check import assert_conforms

JSONAPI = "application/vnd.api+json"


@dataclass
class Api:
    """`base_url` is where the API answers; `host`, when given, is sent as the Host header (a custom domain)."""

    base_url: str
    token: str
    host: str | None = None
    request_timeout: float = 30.0
    poll_seconds: float = 0.3
    wait_seconds: float = 60.0

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": JSONAPI, "Content-Type": JSONAPI}
        return {**headers, "Host": self.host} if self.host else headers

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                params: dict[str, str] | None = None) -> requests.Response:
        response = requests.request(method, f"{self.base_url}{path}", json=body, params=params, headers=self.headers,
                                    timeout=self.request_timeout)
        assert_conforms(method, path.split("?")[0], response)  # every response the tests see matches the document
        return response

    def create(self, type_: str, attributes: dict[str, Any],
               relationships: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"type": type_, "attributes": attributes}
        if relationships:
            data["relationships"] = {name: {"data": {"type": t, "id": i}} for name, (t, i) in relationships.items()}
        response = self.request("POST", f"/api/{type_}", {"data": data})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    def get(self, path: str, **params: str) -> dict[str, Any]:
        response = self.request("GET", path, params=params or None)
        assert response.status_code == 200, response.text
        return response.json()

    def count(self, type_: str, **filters: str) -> int:
        params = {f"filter[q][{name}]": value for name, value in filters.items()}
        return int(self.get(f"/api/{type_}", **params, **{"page[size]": "1"})["meta"]["record_count"])

    def wait_for(self, cleanup_id: str, statuses: tuple[str, ...] = ("completed", "interrupted"),
                 timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.wait_seconds)
        while True:
            attributes = self.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
            if attributes["status"] in statuses:
                return attributes
            assert time.monotonic() < deadline, f"cleanup still {attributes['status']}: {attributes}"
            time.sleep(self.poll_seconds)
