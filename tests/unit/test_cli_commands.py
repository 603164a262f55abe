"""The `cleanups` commands against an in-memory API (httpx.MockTransport): what they send, print and exit with."""
from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cleanups_cli import EXIT_INTERRUPTED, Session, app, run
from cleanups_cli.tokens import CachedToken, TokenCache
from tests.unit.fake_cleanups_api import FakeCleanupsApi, cleanup_attributes, error, pending_preview

URL = "http://api.test"
CREDENTIALS = ["--url", URL, "--client-id", "dev-integration-test", "--client-secret", "dev-secret"]


@pytest.fixture
def api() -> FakeCleanupsApi:
    return FakeCleanupsApi()


@pytest.fixture
def cache(tmp_path: Path) -> TokenCache:
    return TokenCache(tmp_path / "config" / "cleanups" / "tokens.json")


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def cli(api: FakeCleanupsApi, cache: TokenCache, sleeps: list[float]):
    """`cli(*args, input=None, credentials=True)`: the command's result, run against `api`."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, credentials: bool = True):
        session = Session(transport=api.transport(), cache=cache, sleep=sleeps.append)
        options = CREDENTIALS if credentials else ["--url", URL]
        return runner.invoke(app, [*options, *args], obj=session, input=input, env={
            "CLEANUPS_API_URL": "", "CLEANUPS_CLIENT_ID": "", "CLEANUPS_CLIENT_SECRET": ""})
    return run


def test_login_caches_the_token_for_the_url_in_a_private_file(cli, api: FakeCleanupsApi, cache: TokenCache) -> None:
    # When the user logs in
    result = cli("login")
    # Then the token is kept for this URL, with its expiry, in a file only its owner can read
    assert result.exit_code == 0, result.output
    assert "Logged in to http://api.test as Dev integration (integration)" in result.stdout
    cached = cache.get(URL)
    assert cached and cached.access_token == "token-1" and cached.expires_at > time.time() + 7000
    assert cache.path.stat().st_mode & 0o777 == 0o600


def test_commands_reuse_the_cached_token_without_credentials(cli, api: FakeCleanupsApi) -> None:
    # Given a login
    cli("login")
    # When a later command runs without credentials
    result = cli("list", credentials=False)
    # Then it uses the cached token: no second token request
    assert result.exit_code == 0, result.output
    assert len(api.sent("POST", "/oauth/token")) == 1


def test_an_expired_cached_token_is_refreshed_with_the_credentials(cli, api: FakeCleanupsApi,
                                                                   cache: TokenCache) -> None:
    # Given a cached token past its expiry
    cache.put(URL, CachedToken("old", time.time() - 1, "dev-integration-test"))
    # When a command runs with credentials
    result = cli("list")
    # Then a new token is fetched and used
    assert result.exit_code == 0, result.output
    assert api.sent("GET", "/api/cleanups")[0].headers["Authorization"] == "Bearer token-1"


def test_an_invalid_token_answer_gets_a_new_token_and_one_retry(cli, api: FakeCleanupsApi, cache: TokenCache) -> None:
    # Given a cached token the API no longer accepts (its secret was rotated)
    cache.put(URL, CachedToken("rotated-away", time.time() + 3600, "dev-integration-test"))
    # When a command runs
    result = cli("show", "Cln0000001")
    # Then the 401 INVALID_TOKEN is answered by a new token and the request succeeds
    assert result.exit_code == 0, result.output
    assert [r.headers["Authorization"] for r in api.sent("GET", "/api/cleanups/Cln0000001")] == [
        "Bearer rotated-away", "Bearer token-1"]


def test_without_token_or_credentials_the_command_says_how_to_log_in(cli) -> None:
    result = cli("list", credentials=False)
    assert result.exit_code == 1
    assert result.stderr.strip() == ("error: not logged in to http://api.test: run `cleanups login` or set "
                                     "CLEANUPS_CLIENT_ID and CLEANUPS_CLIENT_SECRET")


def test_bad_credentials_print_the_api_error_line(cli) -> None:
    result = CliRunner().invoke(app, ["--url", URL, "--client-id", "x", "--client-secret", "wrong", "login"],
                                obj=Session(transport=FakeCleanupsApi().transport(), cache=TokenCache(Path("/none"))))
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: Unauthorized: Bad credentials"


def test_api_errors_print_one_line_each_with_title_detail_and_pointer(cli, api: FakeCleanupsApi) -> None:
    # Given the API refuses the filters
    api.answer_next("POST", "/api/cleanup_previews", httpx.Response(422, json={"errors": [
        {"title": "Unprocessable", "detail": "filter foo_bar is not allowed", "code": "VALIDATION_ERROR",
         "status": "422", "source": {"pointer": "/data/attributes/filters"}},
        {"title": "Unprocessable", "detail": "filter baz is not allowed", "code": "VALIDATION_ERROR",
         "status": "422", "source": {"pointer": "/data/attributes/filters"}}]}))
    # When a preview asks for them
    result = cli("preview", "-t", "skus", "-w", "foo_bar=1", "-w", "baz=2")
    # Then each error is one readable line, and no traceback
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: Unprocessable: filter foo_bar is not allowed (pointer /data/attributes/filters)",
        "error: Unprocessable: filter baz is not allowed (pointer /data/attributes/filters)"]
    assert "Traceback" not in result.output


def test_a_non_json_answer_prints_its_status_line(cli, api: FakeCleanupsApi) -> None:
    api.answer_next("GET", "/api/cleanups", httpx.Response(502, text="<html><body>Bad gateway</body></html>"))
    result = cli("list")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: HTTP 502 Bad Gateway: <html><body>Bad gateway</body></html>"


def test_an_unreachable_api_prints_one_line(cache: TokenCache) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
    session = Session(transport=httpx.MockTransport(refuse), cache=cache)
    result = CliRunner().invoke(app, [*CREDENTIALS, "list"], obj=session)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: cannot reach http://api.test: [Errno 111] Connection refused"


def test_a_rate_limited_request_waits_retry_after_and_retries(cli, api: FakeCleanupsApi, sleeps: list[float]) -> None:
    api.answer_next("GET", "/api/cleanups", error(429, "TOO_MANY_REQUESTS", "Too many requests", "slow down"))
    api.overrides[("GET", "/api/cleanups")][0].headers["Retry-After"] = "2"
    result = cli("list")
    assert result.exit_code == 0, result.output
    assert sleeps == [2.0] and len(api.sent("GET", "/api/cleanups")) == 2


def test_list_shows_a_table_newest_first(cli, api: FakeCleanupsApi) -> None:
    api.snapshots = [cleanup_attributes("in_progress", records=200, processed=50, errors=0)]
    result = cli("list", "--status", "in_progress")
    assert result.exit_code == 0, result.output
    assert "Cln0000001" in result.stdout and "in_progress" in result.stdout and "25.0%" in result.stdout
    params = api.sent("GET", "/api/cleanups")[0].url.params
    assert (params["sort"], params["filter[q][status_eq]"], params["page[size]"]) == (
        "-created_at", "in_progress", "25")


def test_show_prints_known_and_new_attributes(cli, api: FakeCleanupsApi) -> None:
    api.snapshots = [cleanup_attributes("completed", records=2, processed=2, max_records_per_second=None,
                                        errors_log={"Sku0000009": {"base": ["gone"]}})]
    result = cli("show", "Cln0000001")
    assert result.exit_code == 0, result.output
    assert "max_records_per_second" in result.stdout and "processed_count" in result.stdout
    assert "1 records (cleanups errors Cln0000001)" in result.stdout


def test_preview_shows_records_and_associated_counts(cli, api: FakeCleanupsApi) -> None:
    result = cli("preview", "-t", "skus", "-w", "code_start=TSHIRT", "--filters", '{"reference_eq": "x"}')
    assert result.exit_code == 0, result.output
    assert api.body(api.sent("POST", "/api/cleanup_previews")[0])["data"]["attributes"] == {
        "resource_type": "skus", "filters": {"reference_eq": "x", "code_start": "TSHIRT"}}
    assert "2 skus match" in result.stdout and "2 prices, 4 stock_items" in result.stdout
    assert "items deleted in all: 8" in result.stdout


def test_preview_pending_is_waited_for_with_the_records_counted_so_far(cli, api: FakeCleanupsApi,
                                                                      sleeps: list[float]) -> None:
    # Given a preview the server counts in the worker: pending with 1,000 then 2,000 records counted, then completed
    api.preview_states = [pending_preview(1000), pending_preview(2000), {}]
    # When it is asked for
    result = cli("preview", "-t", "skus", "-w", "code_start=TSHIRT", "--interval", "0.5")
    # Then the command polled it every half second, printed its progress, and showed the counts once completed
    assert result.exit_code == 0, result.output
    assert len(api.sent("GET", "/api/cleanup_previews/Prv0000001")) == 2 and sleeps == [0.5, 0.5]
    lines = result.stdout.splitlines()
    assert lines[:2] == ["counting: 1,000 records counted so far", "counting: 2,000 records counted so far"]
    assert "2 skus match" in result.stdout and "items deleted in all: 8" in result.stdout


def test_preview_that_fails_while_counted_is_an_error_line_and_exit_1(cli, api: FakeCleanupsApi) -> None:
    # Given a preview that fails in the worker
    api.preview_states = [pending_preview(0), {"status": "failed", "records_count": None,
                                               "errors": {"base": ["selects more than 10 records"]}}]
    # When it is asked for, Then the error is on stderr, and the command exits 1
    result = cli("preview", "-t", "skus")
    assert result.exit_code == 1
    assert "error: preview Prv0000001 failed: selects more than 10 records" in result.stderr


def test_create_waits_for_a_pending_preview_then_sends_its_count(cli, api: FakeCleanupsApi) -> None:
    # Given a preview counted in the worker
    api.preview_states = [pending_preview(1), {}]
    # When a cleanup is created with --yes
    result = cli("create", "-t", "skus", "--yes", "--no-watch")
    # Then the cleanup carries the completed preview's count
    assert result.exit_code == 0, result.output
    assert api.body(api.sent("POST", "/api/cleanups")[0])["data"]["attributes"]["expected_records_count"] == 2


def test_preview_without_the_preview_route_counts_through_the_list_route(cli, api: FakeCleanupsApi) -> None:
    api.with_preview_route = False
    result = cli("preview", "-t", "skus", "-w", "code_in=TSHIRT-S,TSHIRT-M")
    assert result.exit_code == 0, result.output
    assert api.sent("GET", "/api/skus")[0].url.params["filter[q][code_in]"] == "TSHIRT-S,TSHIRT-M"
    assert "2 skus match" in result.stdout and "TSHIRT-M" in result.stdout
    assert "no preview route" in " ".join(result.stdout.split())


def test_create_yes_creates_with_the_previewed_count_and_follows_it_to_the_end(cli, api: FakeCleanupsApi) -> None:
    # Given a cleanup the API advances on each poll
    api.snapshots = [cleanup_attributes("pending", records=2),
                     cleanup_attributes("in_progress", records=2, processed=1),
                     cleanup_attributes("completed", records=2, processed=2, completed_at="2026-01-01T12:00:04.000Z")]
    # When it is created with --yes
    result = cli("create", "-t", "skus", "-w", "code_start=TSHIRT", "--yes", "--interval", "0.1")
    # Then the preview's count is sent as expected, progress lines follow, and the exit code is 0
    assert result.exit_code == 0, result.output
    sent = api.body(api.sent("POST", "/api/cleanups")[0])["data"]["attributes"]
    assert sent == {"resource_type": "skus", "filters": {"code_start": "TSHIRT"}, "expected_records_count": 2}
    lines = result.stdout.splitlines()
    assert any(line.startswith("in_progress  50.0%  1/2 processed  0 errors") for line in lines), lines
    assert lines[-1] == "Cleanup Cln0000001 completed: 2 of 2 processed, 0 errors in 3s"


def test_create_without_the_preview_route_sends_no_expected_count(cli, api: FakeCleanupsApi) -> None:
    api.with_preview_route = False
    result = cli("create", "-t", "skus", "-w", "code_start=TSHIRT", "--yes", "--no-watch")
    assert result.exit_code == 0, result.output
    assert "expected_records_count" not in api.body(api.sent("POST", "/api/cleanups")[0])["data"]["attributes"]


def test_create_asks_first_and_creates_nothing_when_declined(cli, api: FakeCleanupsApi) -> None:
    result = cli("create", "-t", "skus", "-w", "code_start=TSHIRT", input="n\n")
    assert result.exit_code == 1
    assert "Delete these 2 skus?" in result.stdout
    assert api.sent("POST", "/api/cleanups") == []


def test_create_goes_ahead_when_confirmed(cli, api: FakeCleanupsApi) -> None:
    result = cli("create", "-t", "skus", "-w", "code_start=TSHIRT", "--no-watch", input="y\n")
    assert result.exit_code == 0, result.output
    assert len(api.sent("POST", "/api/cleanups")) == 1


def test_a_malformed_where_is_a_usage_error(cli, api: FakeCleanupsApi) -> None:
    result = cli("create", "-t", "skus", "-w", "code_start", "--yes")
    assert result.exit_code == 2
    assert api.requests == []


def test_watch_exits_non_zero_when_the_cleanup_ends_interrupted(cli, api: FakeCleanupsApi) -> None:
    api.snapshots = [cleanup_attributes("in_progress", records=10, processed=2),
                     cleanup_attributes("interrupted", records=10, processed=3,
                                        interrupted_at="2026-01-01T12:00:02.000Z")]
    result = cli("watch", "Cln0000001", "--interval", "0.1")
    assert result.exit_code == EXIT_INTERRUPTED
    assert result.stdout.splitlines()[-1] == "Cleanup Cln0000001 interrupted: 3 of 10 processed, 0 errors in 1s"


def test_watch_shows_the_servers_progress_figures_when_it_renders_them(cli, api: FakeCleanupsApi) -> None:
    api.snapshots = [cleanup_attributes("in_progress", records=100, processed=40, progress_percent=40.0,
                                        records_per_second=12.5, estimated_completion_at="2999-01-01T00:00:00.000Z"),
                     cleanup_attributes("completed", records=100, processed=100, progress_percent=100.0)]
    result = cli("watch", "Cln0000001", "--interval", "0.1")
    assert result.exit_code == 0, result.output
    assert "in_progress  40.0%  40/100 processed  0 errors  12.5 rec/s  ETA" in result.stdout


def test_interrupt_and_restore_patch_the_cleanup(cli, api: FakeCleanupsApi) -> None:
    interrupted = cli("interrupt", "Cln0000001")
    restored = cli("restore", "Cln0000001")
    assert (interrupted.exit_code, restored.exit_code) == (0, 0), interrupted.output + restored.output
    assert [api.body(r)["data"]["attributes"] for r in api.sent("PATCH", "/api/cleanups/Cln0000001")] == [
        {"_interrupt": True}, {"_restore": True}]
    assert "Cleanup Cln0000001: interrupted" in interrupted.stdout
    assert "Cleanup Cln0000001: restore pending" in restored.stdout


@pytest.mark.parametrize(("output_format", "expected"), [
    ("csv", "record_id,attribute,message\nSku0000001,updated_at,\"has been modified, after\"\nSku0000002,base,gone"),
    ("json", '{\n  "Sku0000001": {\n    "updated_at": [\n      "has been modified, after"\n    ]\n  },\n'
             '  "Sku0000002": {\n    "base": [\n      "gone"\n    ]\n  }\n}'),
])
def test_errors_prints_the_errors_log(cli, api: FakeCleanupsApi, output_format: str, expected: str) -> None:
    api.snapshots = [cleanup_attributes("completed", records=3, processed=1, errors=3, errors_log={
        "Sku0000002": {"base": ["gone"]}, "Sku0000001": {"updated_at": ["has been modified, after"]}})]
    result = cli("errors", "Cln0000001", "--format", output_format)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip("\n") == expected
    assert result.stderr.strip() == "note: 3 errors, the log keeps 2 of them"


def test_an_unknown_cleanup_prints_the_not_found_line(cli) -> None:
    result = cli("show", "Missing001")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: Record not found: GET /api/cleanups/Missing001 does not exist"


def test_the_console_script_installed_by_make_runs_this_app() -> None:
    # Given the [project.scripts] entry `make` installs as .venv/bin/cleanups
    import importlib
    import tomllib

    target = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]["scripts"]["cleanups"]
    module, _, name = target.partition(":")
    # Then it names the function that runs the Typer app
    assert getattr(importlib.import_module(module), name) is run
