"""JSON:API calls to the deployed stage; every response checked against the OpenAPI document, as in the e2e suite."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.e2e.openapi_check import assert_conforms

JSONAPI = "application/vnd.api+json"


@dataclass
class DeployedApi:
    """`base_url` is where the stage answers (execute-api base, or a custom domain's root with `host`)."""

    base_url: str
    token: str
    host: str | None = None
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.token}", "Accept": JSONAPI, "Content-Type": JSONAPI}
        if self.host:
            self.headers["Host"] = self.host

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                params: dict[str, str] | None = None) -> requests.Response:
        response = requests.request(method, f"{self.base_url}{path}", json=body, params=params, headers=self.headers,
                                    timeout=60)
        assert_conforms(method, path, response)
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

    def wait_for(self, cleanup_id: str, timeout: float = 180.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            attributes = self.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
            if attributes["status"] in ("completed", "interrupted"):
                return attributes
            assert time.monotonic() < deadline, f"cleanup still {attributes['status']}: {attributes}"
            time.sleep(1)
