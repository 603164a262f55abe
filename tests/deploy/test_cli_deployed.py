"""The `cleanups` command against the deployed stage: the same public API, only its URL and credentials change."""
from __future__ import annotations

import os
import re
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


def test_cli_creates_and_runs_a_schedule_on_the_deployed_stage(deployed: DeployedStack, tmp_path: Path) -> None:
    # Given skus in the deployed records table (seeded a day ago), and the command pointed at the stage
    store = RecordsStore(deployed.ministack.client("dynamodb"), deployed.outputs["RecordsTableName"])
    prefix = f"SEED-{seed(Tenant(deployed.organization_id, 'test'), skus=SKUS, store=store, associated=False).tag}-"
    env = {**os.environ, "CLEANUPS_API_URL": deployed.endpoint_url, "CLEANUPS_CLIENT_ID": deployed.client_id,
           "CLEANUPS_CLIENT_SECRET": deployed.client_secret, "XDG_CONFIG_HOME": str(tmp_path), "COLUMNS": "160"}

    def cleanups(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "cleanups_cli", "schedules", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    # When a nightly schedule of those older than an hour is created with --yes, then run now
    created = cleanups("create", f"deployed {prefix}", "-t", "skus", "-w", f"code_start={prefix}",
                       "-w", "created_at_lt=now-PT1H", "--cron", "0 3 * * *", "--yes")
    schedule_id = created.stdout.split("Schedule ", 1)[1].split(" ", 1)[0]
    ran = cleanups("run", schedule_id)

    # Then the preview counted them, the deployed API ran it, and `show` lists the run's cleanup
    assert f"{SKUS} skus match" in created.stdout, created.stdout
    assert "(created), 1 run" in " ".join(ran.stdout.split()), ran.stdout
    shown = " ".join(cleanups("show", schedule_id).stdout.split())
    assert "last_run_outcome created" in shown, shown
    assert re.search(rf"\b\w{{10}} skus (pending|in_progress|completed) {SKUS} ", shown), shown
    cleanups("delete", schedule_id)
