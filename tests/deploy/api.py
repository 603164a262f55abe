"""JSON:API calls to the deployed stage: the e2e suite's client (every response checked against the OpenAPI
document), with a deployed stage's slower answers and longer waits."""
from __future__ import annotations

from dataclasses import dataclass

from tests.e2e.api import Api


@dataclass
class DeployedApi(Api):
    """`base_url` is where the stage answers (execute-api base, or a custom domain's root with `host`)."""

    request_timeout: float = 60.0
    poll_seconds: float = 1.0
    wait_seconds: float = 180.0
