"""The official SDK against the deployed stage, at the custom domain's root as it builds its URLs.

The SDK calls https://<organization>.<domain>/api/... and the stage serves /oauth/token and /api/...;
the template's optional DomainName + base path mapping (root -> stage `api`) lines them up. MiniStack
routes a registered custom domain by the Host header; the domain is not in DNS here, so requests go
to MiniStack's port with that Host, and nothing else of the SDK's request changes.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess

import pytest
import requests

from tests.deploy import CLIENT_DOMAIN, ORGANIZATION_SLUG, ROOT, DeployedStack
from tests.deploy.api import DeployedApi

pytestmark = pytest.mark.xdist_group("package")
NODE_DIR = ROOT / "tests" / "node"
HOST = f"{ORGANIZATION_SLUG}.{CLIENT_DOMAIN}"


def test_custom_domain_serves_token_and_api_at_its_root(deployed: DeployedStack) -> None:
    # Given the stack deployed with DomainName demo.cleanups.example.test
    root = deployed.ministack.endpoint
    # When a client asks https://demo.cleanups.example.test/oauth/token and then /api/cleanups
    token = deployed.token(root, headers={"Host": HOST})
    listed = DeployedApi(root, token, host=HOST).get("/api/cleanups")
    # Then both answer at the domain root: no stage segment, no doubled /api
    assert listed["data"] is not None
    assert requests.get(f"{root}/api/api/cleanups", headers={"Host": HOST}, timeout=30).status_code != 200


def test_official_sdk_runs_a_cleanup_on_the_deployed_stage(deployed: DeployedStack) -> None:
    # Given the SDK configured with organization "demo" and domain "cleanups.example.test"
    node = shutil.which("node")
    assert node and (NODE_DIR / "node_modules" / "@commercelayer" / "sdk").is_dir(), "run `cd tests/node && npm ci`"
    env = {**os.environ, "CL_DOMAIN": CLIENT_DOMAIN, "CL_ORGANIZATION": ORGANIZATION_SLUG,
           "CL_CLIENT_ID": deployed.client_id, "CL_CLIENT_SECRET": deployed.client_secret,
           "CL_GATEWAY": deployed.ministack.endpoint}
    prefix = "SDKDEP" + secrets.token_hex(2).upper()
    # When it creates skus, a cleanup of them, and polls it to the end
    done = subprocess.run([node, "deployed.mjs", prefix], cwd=NODE_DIR, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    result = report["result"]
    # Then the deployed stage ran it to completion and answered the SDK's own error type for a 404
    assert result["cleanup"]["status"] == "completed", result
    assert (result["cleanup"]["records_count"], result["cleanup"]["processed_count"], result["skus_left"]) == (2, 2, 0)
    assert result["missing"] == {"status": 404, "code": "RECORD_NOT_FOUND"}
    # And every request went to https://demo.cleanups.example.test/ with the paths of the hosted API
    assert report["requests"][0] == f"POST {HOST}/oauth/token"
    assert all(r.split(" ", 1)[1].startswith(f"{HOST}/api/") for r in report["requests"][1:]), report["requests"]
