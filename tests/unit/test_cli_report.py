"""`cleanups report ID [-o FILE]` against an in-memory API and object store (httpx.MockTransport)."""
from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cleanups_cli import Session, app
from cleanups_cli.tokens import TokenCache
from tests.unit.fake_cleanups_api import FakeCleanupsApi, cleanup_attributes
from tests.unit.test_cli_commands import CREDENTIALS

LINK = "https://reports.s3.test/reports/org/test/Cln0000001/report.csv.gz?X-Amz-Signature=abc"
CSV = "id,outcome,errors,prices\nSku0000001,deleted,,2\nSku0000002,error,updated_at: has been modified,0\n" \
      "Sku0000003,not_processed,,0\n"


@pytest.fixture
def api() -> FakeCleanupsApi:
    fake = FakeCleanupsApi(snapshots=[cleanup_attributes("interrupted", 3, 1, 1, report_url=LINK)])
    fake.answer_next("GET", "/reports/org/test/Cln0000001/report.csv.gz", httpx.Response(200, content=gzip.compress(
        CSV.encode())))
    return fake


def run(api: FakeCleanupsApi, tmp_path: Path, *args: str):
    session = Session(transport=api.transport(), cache=TokenCache(tmp_path / "tokens.json"), sleep=lambda _: None)
    return CliRunner().invoke(app, [*CREDENTIALS, *args], obj=session, env={
        "CLEANUPS_API_URL": "", "CLEANUPS_CLIENT_ID": "", "CLEANUPS_CLIENT_SECRET": ""})


def test_report_prints_the_csv_and_a_summary_and_never_sends_the_token_to_the_link(
        api: FakeCleanupsApi, tmp_path: Path) -> None:
    # When the report of an interrupted cleanup is asked for
    result = run(api, tmp_path, "report", "Cln0000001")
    # Then its CSV is printed, the outcomes summed up on stderr, and the link fetched without the API's token
    assert result.exit_code == 0, result.output
    assert result.stdout == CSV
    assert "3 rows: 1 deleted, 1 error, 1 not_processed" in result.stderr
    (download,) = api.sent("GET", "/reports/org/test/Cln0000001/report.csv.gz")
    assert "Authorization" not in download.headers and download.url.host == "reports.s3.test"


@pytest.mark.parametrize(("name", "gzipped"), [("report.csv", False), ("report.csv.gz", True)])
def test_report_with_an_output_file_writes_it_as_csv_or_as_downloaded(api: FakeCleanupsApi, tmp_path: Path,
                                                                     name: str, gzipped: bool) -> None:
    # When the report is written to a file
    target = tmp_path / name
    result = run(api, tmp_path, "report", "Cln0000001", "-o", str(target))
    # Then the file holds the CSV (gzip'ed when its name says so) and nothing is printed on stdout
    assert result.exit_code == 0, result.output
    assert (gzip.decompress(target.read_bytes()) if gzipped else target.read_bytes()).decode() == CSV
    assert result.stdout == ""


def test_report_of_an_active_cleanup_says_it_comes_once_it_ends(tmp_path: Path) -> None:
    # Given a cleanup still in progress (no report_url)
    api = FakeCleanupsApi(snapshots=[cleanup_attributes("in_progress", 3, 1, report_url=None)])
    # When its report is asked for / Then one error line, exit 1
    result = run(api, tmp_path, "report", "Cln0000001")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: cleanup Cln0000001 is in_progress: its report comes once it ends"


def test_report_whose_link_fails_is_an_error_line(api: FakeCleanupsApi, tmp_path: Path) -> None:
    # Given a link that answers 403 (expired)
    api.overrides.clear()
    api.answer_next("GET", "/reports/org/test/Cln0000001/report.csv.gz", httpx.Response(403, content=b"<Error/>"))
    # When the report is asked for / Then one error line, exit 1
    result = run(api, tmp_path, "report", "Cln0000001")
    assert result.exit_code == 1 and "the report download answered HTTP 403" in result.stderr
