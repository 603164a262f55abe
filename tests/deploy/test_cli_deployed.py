"""The `cleanups` command against the deployed stage: the same public API, only its URL and credentials change."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.deploy import ROOT, DeployedStack
from tools.seed import seed

pytestmark = pytest.mark.xdist_group("package")
SKUS = 20


def test_cli_logs_in_previews_and_runs_a_cleanup_on_the_deployed_stage(deployed: DeployedStack,
                                                                        tmp_path: Path) -> None:
    # Given skus in the deployed records table, and the command pointed at the stage by its environment
    store = RecordsStore(deployed.ministack.client("dynamodb"), deployed.outputs["RecordsTableName"])
    prefix = f"SEED-{seed(Tenant(deployed.organization_id, 'test'), skus=SKUS, store=store, associated=False).tag}-"
    env = {**os.environ, "CLEANUPS_API_URL": deployed.endpoint_url, "CLEANUPS_CLIENT_ID": deployed.client_id,
           "CLEANUPS_CLIENT_SECRET": deployed.client_secret, "XDG_CONFIG_HOME": str(tmp_path)}

    def cleanups(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cleanups_cli", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=240)

    # When it logs in, then creates a cleanup of them with --yes and follows it (piped: plain lines)
    logged_in = cleanups("login")
    created = cleanups("create", "-t", "skus", "-w", f"code_start={prefix}", "--yes")

    # Then the deployed worker completes it, and the command says so and exits 0
    assert logged_in.returncode == 0 and "Logged in to" in logged_in.stdout, logged_in.stderr
    assert created.returncode == 0, created.stdout + created.stderr
    assert f"{SKUS} skus match" in created.stdout
    assert f"completed: {SKUS} of {SKUS} processed, 0 errors" in created.stdout.splitlines()[-1]
    assert (tmp_path / "cleanups" / "tokens.json").stat().st_mode & 0o777 == 0o600
