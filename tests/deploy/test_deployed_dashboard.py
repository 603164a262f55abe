"""The dashboard on the deployed stage, under API Gateway's stage prefix, in headless Chromium."""
from __future__ import annotations

import pytest

from tests.browser import Dashboard, chromium
from tests.deploy import DeployedStack
from tests.deploy.api import DeployedApi

pytestmark = pytest.mark.xdist_group("package")  # the worker that holds the deployed stack


def test_deployed_dashboard_works_under_the_stage_prefix(deployed: DeployedStack) -> None:
    # Given a cleanup on the deployed stage (of a sku code nothing has)
    api = DeployedApi(deployed.endpoint_url, deployed.token())
    response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
        "resource_type": "skus", "filters": {"code_eq": "DASHBOARD-NONE"}}}})
    assert response.status_code == 201, response.text
    cleanup_id = response.json()["data"]["id"]
    assert "/_aws/execute-api/" in deployed.endpoint_url  # the page is served below a stage prefix

    with chromium() as driver:
        # When a person opens the stage's /dashboard and logs in
        page = Dashboard(driver, f"{deployed.endpoint_url}/dashboard")
        page.login(deployed.client_id, deployed.client_secret)

        # Then its script and style loaded from the prefix, the token came from the stage, and the cleanup is listed
        assert page.card(cleanup_id)["status"] in {"pending", "in_progress", "completed"}
        assert page.find("#resource-type").get_attribute("value") == "skus"  # read from the stage's OpenAPI
        assert page.console_errors() == []
