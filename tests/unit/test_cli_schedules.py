"""`cleanups schedules ...` against an in-memory API (httpx.MockTransport): what they send, print and exit with."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from cleanups_cli import Session, app
from cleanups_cli.timing import CronError, next_runs, resolve
from cleanups_cli.tokens import TokenCache
from tests.unit.fake_cleanups_api import FakeCleanupsApi, cleanup_attributes, pending_preview

URL = "http://api.test"
CREDENTIALS = ["--url", URL, "--client-id", "dev-integration-test", "--client-secret", "dev-secret"]
NIGHTLY = ["--cron", "0 3 * * *"]


@pytest.fixture
def api() -> FakeCleanupsApi:
    return FakeCleanupsApi()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def cli(api: FakeCleanupsApi, tmp_path: Path, sleeps: list[float]):
    """`cli(*args, input=None)`: `cleanups schedules *args` run against `api`, in a wide terminal."""
    cache = TokenCache(tmp_path / "tokens.json")

    def run(*args: str, input: str | None = None):
        session = Session(transport=api.transport(), cache=cache, sleep=sleeps.append,
                          out=Console(width=200, highlight=False))
        return CliRunner().invoke(app, [*CREDENTIALS, "schedules", *args], obj=session, input=input, env={
            "CLEANUPS_API_URL": "", "CLEANUPS_CLIENT_ID": "", "CLEANUPS_CLIENT_SECRET": ""})
    return run


def created(api: FakeCleanupsApi) -> dict:
    (request,) = api.sent("POST", "/api/cleanup_schedules")
    attributes: dict = api.body(request)["data"]["attributes"]
    return attributes


def test_create_previews_with_relative_values_resolved_and_sends_them_relative(cli, api: FakeCleanupsApi) -> None:
    # When a schedule of skus older than 30 days is created with --yes
    before = datetime.now(UTC)
    result = cli("create", "old skus", "-t", "skus", "-w", "created_at_lt=now-P30D", "-w", "code_start=TSHIRT",
                 *NIGHTLY, "--max-records-per-run", "500", "--max-records-per-second", "20", "--yes")

    # Then the preview got the timestamp of 30 days ago, and the schedule the relative value as typed
    assert result.exit_code == 0, result.output
    previewed = api.body(api.sent("POST", "/api/cleanup_previews")[0])["data"]["attributes"]["filters"]
    sent_at = datetime.fromisoformat(previewed["created_at_lt"].replace("Z", "+00:00"))
    assert before - timedelta(days=30, seconds=1) <= sent_at <= datetime.now(UTC) - timedelta(days=30)
    assert previewed["code_start"] == "TSHIRT"
    assert created(api) == {"name": "old skus", "resource_type": "skus", "cron": "0 3 * * *",
                            "filters": {"created_at_lt": "now-P30D", "code_start": "TSHIRT"},
                            "max_records_per_run": 500, "max_records_per_second": 20}
    # And it showed the records, their associated counts, the next five 03:00 runs and the new id
    out = result.stdout
    assert "2 skus match" in out and "2 prices, 4 stock_items" in out
    runs = re.search(r"Next runs \(UTC\): (.*)", out)
    assert runs and [time[-5:] for time in runs.group(1).split(", ")] == ["03:00"] * 5
    assert "Schedule Sch0000001 created: next run at 2026-01-02T03:00:00Z" in out


def test_create_asks_first_and_creates_nothing_when_declined(cli, api: FakeCleanupsApi) -> None:
    result = cli("create", "old skus", "-t", "skus", "-w", "code_start=TSHIRT", *NIGHTLY, input="n\n")
    assert result.exit_code == 1
    assert "Create schedule 'old skus' (0 3 * * *) of skus?" in result.stdout
    assert api.sent("POST", "/api/cleanup_schedules") == []


def test_create_goes_ahead_when_confirmed_and_sends_no_unset_limits(cli, api: FakeCleanupsApi) -> None:
    result = cli("create", "old skus", "-t", "skus", "--filters", '{"code_start": "X"}', *NIGHTLY, input="y\n")
    assert result.exit_code == 0, result.output
    assert set(created(api)) == {"name", "resource_type", "filters", "cron"}


def test_create_warns_when_the_selection_is_over_the_run_limit(cli, api: FakeCleanupsApi) -> None:
    # Given a preview of 2 skus, when the limit per run is 1
    result = cli("create", "old skus", "-t", "skus", *NIGHTLY, "--max-records-per-run", "1", "--yes")
    # Then the user is told a run now would be skipped
    assert result.exit_code == 0, result.output
    assert "a run now would create nothing (skipped_over_limit)" in " ".join(result.stdout.split())


@pytest.mark.parametrize("cron", ["0 3 * *", "0 0 3 * * *", "61 3 * * *", "every night"])
def test_create_refuses_a_cron_that_is_not_five_valid_fields_before_any_request(cli, api: FakeCleanupsApi,
                                                                                 cron: str) -> None:
    result = cli("create", "old skus", "-t", "skus", "--cron", cron, "--yes")
    assert result.exit_code == 2
    assert "--cron" in result.output
    assert api.requests == []


def test_create_waits_for_a_pending_preview(cli, api: FakeCleanupsApi, sleeps: list[float]) -> None:
    # Given a preview too large to count at once: pending, then 1 record counted, then completed
    api.preview_states = [pending_preview(0), pending_preview(1), {}]
    # When a schedule is created
    result = cli("create", "old skus", "-t", "skus", *NIGHTLY, "--yes")
    # Then the preview is read until completed, its progress and then its counts are shown, and the schedule made
    assert result.exit_code == 0, result.output
    assert len(api.sent("GET", "/api/cleanup_previews/Prv0000001")) == 2 and sleeps == [1.0, 1.0]
    assert "counting: 1 records counted so far" in result.stdout and "2 skus match" in result.stdout
    assert len(api.sent("POST", "/api/cleanup_schedules")) == 1


def test_create_stops_at_a_failed_preview_and_creates_nothing(cli, api: FakeCleanupsApi) -> None:
    # Given a preview that fails in the worker
    api.preview_states = [pending_preview(0), {"status": "failed", "records_count": None,
                                               "errors": {"base": ["selects more than 10 records"]}}]
    # When a schedule is created, Then the failure is the error line and nothing is created
    result = cli("create", "old skus", "-t", "skus", *NIGHTLY, "--yes")
    assert result.exit_code == 1
    assert "error: preview Prv0000001 failed: selects more than 10 records" in result.stderr
    assert api.sent("POST", "/api/cleanup_schedules") == []


def test_create_renders_the_api_refusal_as_error_lines(cli, api: FakeCleanupsApi) -> None:
    api.answer_next("POST", "/api/cleanup_schedules", httpx.Response(422, json={"errors": [
        {"title": "Unprocessable", "detail": "at most 100 schedules", "code": "VALIDATION_ERROR", "status": "422",
         "source": {"pointer": "/data"}}]}))
    result = cli("create", "old skus", "-t", "skus", *NIGHTLY, "--yes")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: Unprocessable: at most 100 schedules (pointer /data)"


def test_pause_resume_and_run_patch_the_schedule(cli, api: FakeCleanupsApi) -> None:
    # Given a schedule
    cli("create", "old skus", "-t", "skus", *NIGHTLY, "--yes")
    # When it is paused, resumed and run
    paused, resumed, ran = cli("pause", "Sch0000001"), cli("resume", "Sch0000001"), cli("run", "Sch0000001")
    # Then each is one PATCH of the schedule, and each prints its state
    assert [r.exit_code for r in (paused, resumed, ran)] == [0, 0, 0], paused.output + resumed.output + ran.output
    assert [api.body(r)["data"] for r in api.sent("PATCH", "/api/cleanup_schedules/Sch0000001")] == [
        {"type": "cleanup_schedules", "id": "Sch0000001", "attributes": attributes}
        for attributes in ({"enabled": False}, {"enabled": True}, {"_run": True})]
    assert paused.stdout.startswith("Schedule Sch0000001: paused")
    assert resumed.stdout.startswith("Schedule Sch0000001: enabled")
    assert "last run 2026-01-01T12:30:00Z (created), 1 run" in ran.stdout


def test_list_shows_next_and_last_runs_newest_first(cli, api: FakeCleanupsApi) -> None:
    cli("create", "old skus", "-t", "skus", *NIGHTLY, "--yes")
    cli("run", "Sch0000001")
    result = cli("list")
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("Sch0000001")]
    assert row.split() == ["Sch0000001", "old", "skus", "skus", "0", "3", "*", "*", "*", "enabled", "2026-01-02",
                           "03:00", "2026-01-01", "12:30", "created", "1"]
    assert api.sent("GET", "/api/cleanup_schedules")[0].url.params["sort"] == "-created_at"


def test_show_prints_the_schedule_and_its_recent_runs(cli, api: FakeCleanupsApi) -> None:
    # Given a schedule that ran once (its run: a completed cleanup)
    api.snapshots = [cleanup_attributes("completed", records=2, processed=2)]
    cli("create", "old skus", "-t", "skus", "-w", "created_at_lt=now-P30D", *NIGHTLY, "--yes")
    cli("run", "Sch0000001")
    # When it is shown
    result = cli("show", "Sch0000001")
    # Then its attributes, its next and last runs, and the run's cleanup are printed
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    for expected in ("next_run_at 2026-01-02T03:00:00Z", "last_run_outcome created", "runs_count 1",
                     'filters {"created_at_lt": "now-P30D"}'):
        assert expected in lines, lines
    assert any(line.startswith("Cln0000001 skus completed 2 2 0 100.0%") for line in lines), lines
    assert api.sent("GET", "/api/cleanup_schedules/Sch0000001/cleanups")[0].url.params["sort"] == "-created_at"


def test_show_says_when_a_schedule_never_ran(cli, api: FakeCleanupsApi) -> None:
    cli("create", "old skus", "-t", "skus", *NIGHTLY, "--yes")
    result = cli("show", "Sch0000001")
    assert result.exit_code == 0, result.output
    assert "No runs yet." in result.stdout


def test_delete_removes_it_and_an_unknown_id_is_the_not_found_line(cli, api: FakeCleanupsApi) -> None:
    cli("create", "old skus", "-t", "skus", *NIGHTLY, "--yes")
    deleted = cli("delete", "Sch0000001")
    again = cli("show", "Sch0000001")
    assert deleted.exit_code == 0 and "Schedule Sch0000001 deleted" in deleted.stdout
    assert again.exit_code == 1
    assert again.stderr.strip() == ("error: Record not found: GET /api/cleanup_schedules/Sch0000001 "
                                    "does not exist")


def test_next_runs_are_the_cron_times_after_the_instant_in_utc() -> None:
    after = datetime(2026, 1, 31, 3, 0, tzinfo=UTC)
    assert next_runs("0 3 * * *", after, 2) == [datetime(2026, 2, 1, 3, tzinfo=UTC),
                                                datetime(2026, 2, 2, 3, tzinfo=UTC)]
    assert next_runs("30 4 1 * *", after, 1) == [datetime(2026, 2, 1, 4, 30, tzinfo=UTC)]
    with pytest.raises(CronError):
        next_runs("0 3 * * * *", after)


def test_resolve_turns_relative_order_values_into_timestamps_and_leaves_the_rest() -> None:
    now = datetime(2026, 3, 31, 12, 0, 0, tzinfo=UTC)
    filters = {"created_at_lt": "now-P30D", "updated_at_lteq": "now-P1MT2H", "expires_at_gt": "now-PT90S",
               "created_at_gteq": "2026-01-01", "code_start": "now-P1D", "updated_at_lt": "now-P", "size_lt": 3,
               "created_at_lt_any": ["now-P2W", "2026-01-01"]}
    assert resolve(filters, now) == {
        "created_at_lt": "2026-03-01T12:00:00Z", "updated_at_lteq": "2026-02-28T10:00:00Z",
        "expires_at_gt": "2026-03-31T11:58:30Z", "created_at_gteq": "2026-01-01", "code_start": "now-P1D",
        "updated_at_lt": "now-P", "size_lt": 3, "created_at_lt_any": ["2026-03-17T12:00:00Z", "2026-01-01"]}
