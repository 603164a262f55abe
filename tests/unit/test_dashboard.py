"""The dashboard's routes: the page and its two files, same-origin only, every URL relative to the page."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice.test import Client

import app as service
from chalicelib import dashboard

FILES = Path(dashboard.__file__).parent


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with Client(service.app, stage_name="dev") as test_client:
        yield test_client


def test_dashboard_page_is_html_with_a_same_origin_policy(client: Client) -> None:
    # When the page is asked for, without any credentials
    response = client.http.get("/dashboard")

    # Then it is the HTML page, loading its script and style, under a policy that allows only this origin
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == policy["script-src"] == policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    page = response.body.decode()
    assert '<script src="dashboard/app.js" defer></script>' in page
    assert '<link rel="stylesheet" href="dashboard/app.css">' in page


@pytest.mark.parametrize(("name", "media_type"), [("app.js", "text/javascript"), ("app.css", "text/css"),
                                                  ("schedules.js", "text/javascript")])
def test_dashboard_asset_is_served_with_its_media_type(client: Client, name: str, media_type: str) -> None:
    # When one of the page's files is asked for
    response = client.http.get(f"/dashboard/{name}")

    # Then it is that file, byte for byte, with its media type and the same policy
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == media_type
    assert response.body == (FILES / name).read_bytes()
    assert response.headers["Content-Security-Policy"] == dashboard.CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("name", ["index.py", "__init__.py", "..%2Fconfig.py", "app.jsx"])
def test_dashboard_asset_unknown_name_is_a_json_404(client: Client, name: str) -> None:
    # When a name that is not one of the page's files is asked for
    response = client.http.get(f"/dashboard/{name}")

    # Then it is a JSON error document, and no file of the package is read
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    (error,) = json.loads(response.body)["errors"]
    assert (error["code"], error["source"]) == ("RECORD_NOT_FOUND", {"parameter": "asset"})


def test_dashboard_script_calls_only_urls_relative_to_the_page() -> None:
    # Given the script: under API Gateway the page lives below a stage prefix
    script = (FILES / "app.js").read_text()

    # Then the base is derived from the page's own path, and every request is made from it
    assert 'location.pathname.replace(/\\/dashboard\\/?$/, "")' in script
    targets = re.findall(r"fetch\(([^,)]+)", script)
    assert targets and all(t.startswith(("BASE", "`${BASE}")) for t in targets), targets
    assert "fetch(BASE + path" in script  # call(method, "/api/...") goes through this one fetch
    assert not re.search(r"https?://", script)


def test_dashboard_keeps_the_token_out_of_storage_and_urls() -> None:
    # Given the script
    script = (FILES / "app.js").read_text()

    # Then no browser storage or cookie is used: the token lives in a variable only
    for kept in ("localStorage", "sessionStorage", "document.cookie", "indexedDB"):
        assert kept not in script


def test_dashboard_schedules_panel_calls_the_api_only_through_the_pages_call(client: Client) -> None:
    # Given the page and the schedules panel's script
    page = client.http.get("/dashboard").body.decode()
    script = (FILES / "schedules.js").read_text()

    # Then the page loads it, and it makes no request of its own nor keeps anything in storage:
    # it gets app.js's `call` (which holds the token) on login and drops it on logout
    assert '<script src="dashboard/schedules.js" defer></script>' in page
    assert "fetch(" not in script and "XMLHttpRequest" not in script and not re.search(r"https?://", script)
    for kept in ("localStorage", "sessionStorage", "document.cookie", "indexedDB"):
        assert kept not in script
    assert 'addEventListener("cleanups:login"' in script and 'addEventListener("cleanups:logout"' in script
    assert 'new CustomEvent("cleanups:login", { detail: { call,' in (FILES / "app.js").read_text()


def test_dashboard_files_are_small_enough_to_ship_in_the_lambda_bundle() -> None:
    # Given the three files the routes serve
    sizes = [(FILES / name).stat().st_size for name in (dashboard.PAGE, *dashboard.ASSETS)]

    # Then together they stay far below anything that matters to the bundle
    assert sum(sizes) < 64 * 1024, sizes
