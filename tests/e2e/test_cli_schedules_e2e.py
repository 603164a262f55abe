"""`cleanups schedules ...` against the local stack: create (preview, next runs, confirm) in a pseudo-terminal,
then pause, run now, show and delete, each checked through the public API as well."""
from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pexpect

from tests.e2e import ROOT, RunningStack
from tests.e2e.api import Api
from tests.e2e.test_cli_e2e import CLI, ESCAPES, cli_env, in_terminal, seed_skus

SKUS = 30


def test_cli_schedule_is_created_after_its_preview_paused_and_run_now(local_stack: RunningStack,
                                                                      tmp_path: Path) -> None:
    # Given skus created a day ago (the seed stamps them so), and the command in a terminal
    prefix = seed_skus(local_stack, SKUS, associated=True)
    env = cli_env(local_stack, tmp_path)
    api = Api(local_stack.api_url, local_stack.token())
    transcript = io.StringIO()

    # When a nightly schedule of them is created, confirmed at the prompt
    child = in_terminal(["schedules", "create", f"e2e {prefix}", "-t", "skus", "-w", f"code_start={prefix}",
                         "-w", "created_at_lt=now-PT1H", "--cron", "0 3 * * *", "--max-records-per-run", "1000"],
                        env, transcript)
    child.expect(r"Create schedule .* of skus\? \[y/N\]:")
    child.sendline("y")
    child.expect(r"Schedule (\w+) created: next run at (\S+)")
    schedule_id, next_run_at = child.match.group(1), child.match.group(2)
    child.expect(pexpect.EOF)
    child.close()

    # Then it showed what a run now selects (relative value resolved) and the next five 03:00 runs
    screen = " ".join(ESCAPES.sub("", transcript.getvalue()).split())
    assert child.exitstatus == 0, screen[-2000:]
    assert f"{SKUS} skus match" in screen and f"{SKUS} prices" in screen, screen
    assert "now-PT1H" not in screen.split("match", 1)[1].split("Next runs", 1)[0], "the preview got a timestamp"
    upcoming = screen.split("Next runs (UTC): ", 1)[1].split(" Create schedule", 1)[0].split(", ")
    assert len(upcoming) == 5 and all(time.endswith("03:00") for time in upcoming), upcoming
    # And the API holds it as typed, relative value included, due next at 03:00 UTC
    attributes = api.get(f"/api/cleanup_schedules/{schedule_id}")["data"]["attributes"]
    assert attributes["filters"] == {"code_start": prefix, "created_at_lt": "now-PT1H"}
    assert (attributes["enabled"], attributes["cron"], attributes["runs_count"]) == (True, "0 3 * * *", 0)
    assert attributes["next_run_at"] == next_run_at and "T03:00:00" in next_run_at

    # When it is paused, then run now
    paused = run_cli(env, "schedules", "pause", schedule_id)
    ran = run_cli(env, "schedules", "run", schedule_id)

    # Then it is paused, and the run created a cleanup of the skus, with the timestamp in its filters
    assert paused.stdout.startswith(f"Schedule {schedule_id}: paused"), paused.stdout
    assert "(created), 1 run" in " ".join(ran.stdout.split()), ran.stdout
    (run,) = api.get(f"/api/cleanup_schedules/{schedule_id}/cleanups")["data"]
    assert run["attributes"]["filters"]["code_start"] == prefix
    assert run["attributes"]["filters"]["created_at_lt"].startswith("20")
    assert api.wait_for(run["id"], timeout=120)["processed_count"] == SKUS
    assert api.get(f"/api/cleanup_schedules/{schedule_id}")["data"]["attributes"]["enabled"] is False

    # And `show` and `list` report the run; `delete` removes the schedule, not its cleanup
    shown = " ".join(run_cli(env, "schedules", "show", schedule_id).stdout.split())
    assert "last_run_outcome created" in shown and "runs_count 1" in shown and run["id"] in shown, shown
    assert schedule_id in run_cli(env, "schedules", "list").stdout
    run_cli(env, "schedules", "delete", schedule_id)
    assert api.request("GET", f"/api/cleanup_schedules/{schedule_id}").status_code == 404
    assert api.get(f"/api/cleanups/{run['id']}")["data"]["attributes"]["status"] == "completed"


def test_cli_schedule_create_refuses_a_relative_value_on_a_text_filter(local_stack: RunningStack,
                                                                       tmp_path: Path) -> None:
    # When a relative value is given to a predicate that is not an order on a date, without confirmation
    done = subprocess.run([*CLI, "schedules", "create", "wrong", "-t", "skus", "-w", "code_start=now-P1D",
                           "--cron", "0 3 * * *", "--yes"], env=cli_env(local_stack, tmp_path), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    # Then the service's refusal is one error line naming the filter, and nothing is created
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and "code_start" in done.stderr, done.stderr
    assert "created" not in done.stdout


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*CLI, *args], env={**env, "COLUMNS": "160"}, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done
