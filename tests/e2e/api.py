"""A small JSON:API client for end-to-end tests: real HTTP against the running stack."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from tests.e2e.openapi_check import assert_conforms

JSONAPI = "application/vnd.api+json"


@dataclass
class Api:
    base_url: str
    token: str

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                params: dict[str, str] | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": JSONAPI, "Content-Type": JSONAPI}
        response = requests.request(method, f"{self.base_url}{path}", json=body, params=params, headers=headers,
                                    timeout=30)
        assert_conforms(method, response.url, response)  # every response the e2e tests see matches the document
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

    def wait_for(self, cleanup_id: str, statuses: tuple[str, ...] = ("completed", "interrupted"),
                 timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            attributes = self.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
            if attributes["status"] in statuses:
                return attributes
            assert time.monotonic() < deadline, f"cleanup still {attributes['status']}: {attributes}"
            time.sleep(0.3)
