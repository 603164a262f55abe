"""The `cleanups` command against the local stack, in a real pseudo-terminal (pexpect) where it draws its bar.

The skus are bulk-loaded into the stack's DynamoDB (tools.seed); everything else goes through the
command, which knows only the public API.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from devstack.dev_applications import DEV_SECRET
from tests.e2e import DEV_CLIENT_ID, ROOT, RunningStack
from tests.e2e.api import Api
from tools.seed import seed

DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours, cursor moves, line erases
CLI = [sys.executable, "-m", "cleanups_cli"]  # this tree's code; `make` installs the same as .venv/bin/cleanups


def cli_env(stack: RunningStack, config_home: Path) -> dict[str, str]:
    return {**os.environ, "CLEANUPS_API_URL": stack.api_url, "CLEANUPS_CLIENT_ID": DEV_CLIENT_ID,
            "CLEANUPS_CLIENT_SECRET": DEV_SECRET, "XDG_CONFIG_HOME": str(config_home), "TERM": "xterm-256color"}


def seed_skus(stack: RunningStack, count: int, associated: bool) -> str:
    """`count` skus whose codes start with the returned prefix."""
    store = RecordsStore(stack.client("dynamodb"), get_settings().records_table)
    return f"SEED-{seed(DEV_TENANT, skus=count, store=store, associated=associated).tag}-"


def in_terminal(args: list[str], env: dict[str, str], transcript: io.StringIO) -> pexpect.spawn:
    child = pexpect.spawn(CLI[0], [*CLI[1:], *args], env=env, cwd=str(ROOT), encoding="utf-8",
                          dimensions=(40, 120), timeout=60)
    child.logfile_read = transcript
    return child


def test_cli_create_yes_follows_2000_skus_to_100_percent_in_a_terminal(local_stack: RunningStack,
                                                                       tmp_path: Path) -> None:
    # Given 2,000 skus (alone: their associated records would only lengthen the run)
    prefix = seed_skus(local_stack, 2000, associated=False)
    transcript = io.StringIO()
    # When `cleanups create --yes` runs in a terminal
    child = in_terminal(["create", "-t", "skus", "-w", f"code_start={prefix}", "--yes", "--interval", "0.5"],
                        cli_env(local_stack, tmp_path), transcript)
    child.expect(r"Cleanup (\w{10}) created: 2,000 skus")
    cleanup_id = child.match.group(1)
    child.expect(rf"Cleanup {cleanup_id} completed: 2,000 of 2,000 processed, 0 errors", timeout=600)
    child.expect(pexpect.EOF)
    child.close()
    # Then it showed the preview, redrew its bar in place up to 100 %, and exited 0
    raw = transcript.getvalue()
    screen = ESCAPES.sub("", raw)
    assert child.exitstatus == 0, screen[-2000:]
    assert "2,000 skus match" in screen
    assert "100.0%" in screen and "2,000/2,000 processed" in screen
    assert "\x1b[2K" in raw, "the bar is redrawn in place on a terminal (its line erased, then written again)"
    attributes = Api(local_stack.api_url, local_stack.token()).get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
    assert (attributes["status"], attributes["processed_count"]) == ("completed", 2000)


def test_cli_preview_waits_in_a_terminal_for_a_preview_the_worker_counts(local_stack: RunningStack,
                                                                          tmp_path: Path) -> None:
    # Given 1,500 skus with their associated records: three pages of 500, the stack's request counting one
    prefix = seed_skus(local_stack, 1500, associated=True)
    transcript = io.StringIO()
    # When `cleanups preview` runs in a terminal
    child = in_terminal(["preview", "-t", "skus", "-w", f"code_start={prefix}", "--interval", "0.2"],
                        cli_env(local_stack, tmp_path), transcript)
    # Then it shows the records counted so far while the worker counts, then the exact counts, and exits 0
    child.expect(r"counting: [\d,]+ records counted so far")
    child.expect(pexpect.EOF, timeout=120)
    child.close()
    screen = ESCAPES.sub("", transcript.getvalue())
    assert child.exitstatus == 0, screen[-2000:]
    assert "1,500 skus match" in screen and "1,500 prices" in screen and "1,500 stock_items" in screen
    assert "items deleted in all: 7,500" in screen


def test_cli_watch_of_an_interrupted_cleanup_exits_non_zero(local_stack: RunningStack, tmp_path: Path) -> None:
    # Given a cleanup created by the command without following it, then interrupted by the command
    env = cli_env(local_stack, tmp_path)
    prefix = seed_skus(local_stack, 2000, associated=False)
    created = subprocess.run([*CLI, "create", "-t", "skus", "-w", f"code_start={prefix}", "--yes", "--no-watch"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    cleanup_id = created.stdout.split("Cleanup ", 1)[1].split(" ", 1)[0]
    interrupted = subprocess.run([*CLI, "interrupt", cleanup_id], env=env, cwd=ROOT, capture_output=True, text=True,
                                 timeout=60)
    assert interrupted.returncode == 0, interrupted.stderr
    # When `cleanups watch` follows it in a terminal
    transcript = io.StringIO()
    child = in_terminal(["watch", cleanup_id], env, transcript)
    child.expect(rf"Cleanup {cleanup_id} interrupted")
    child.expect(pexpect.EOF)
    child.close()
    # Then it exits non-zero, and `list` shows the cleanup interrupted
    assert child.exitstatus == 3, transcript.getvalue()[-2000:]
    listed = subprocess.run([*CLI, "list", "--status", "interrupted"], env={**env, "COLUMNS": "120"}, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and cleanup_id in listed.stdout, listed.stderr


def test_cli_reports_an_api_error_as_one_line(local_stack: RunningStack, tmp_path: Path) -> None:
    done = subprocess.run([*CLI, "preview", "-t", "skus", "-w", "no_such_attribute_eq=1"],
                          env=cli_env(local_stack, tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ") and "no_such_attribute_eq" in line, done.stderr


@pytest.fixture(autouse=True)
def _no_token_outside(tmp_path: Path) -> None:
    """Each test keeps its token in its own XDG_CONFIG_HOME (the tmp_path), never the user's ~/.config."""
    assert not (tmp_path / "cleanups").exists()
