"""Generated requests (schemathesis) against the local stack, from the document it serves.

Every operation of `/api/openapi.json` gets a few generated requests, valid and invalid ones
(`--mode all`), sent with an integration token. Each response must not be a 5xx, must use a
documented status, media type and schema, and every 4xx must be a JSON:API error document
(`jsonapi_error_document` below, loaded into schemathesis as a hook module).

The run goes through schemathesis' own CLI in a subprocess: its pytest plugin's lazy loader
(`schemathesis.pytest.from_fixture`) fails on pytest 9 (`Function` has no `_nodeid`), and the CLI
reports each failure with a curl line to reproduce it. Bounded to run in about a minute on two
cores: few examples per operation, no shrinking, fuzzing phase only (the coverage phase alone
takes minutes on this document), one worker (hypothesis' lambda descriptions are not thread-safe
on Python 3.11).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import schemathesis

from tests.e2e import ROOT, RunningStack

MAX_EXAMPLES = 3
TIME_LIMIT_SECONDS = 400
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "jsonapi_error_document")


@schemathesis.check
def jsonapi_error_document(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is `{"errors": [{title, detail, code, status}, ...]}` with `status` the HTTP status."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"{response.status_code} with a non-JSON body: {response.content[:200]!r}") from None
    assert isinstance(body, dict) and set(body) == {"errors"}, f"not an error document: {body!r:.300}"
    assert body["errors"], "an empty errors array"
    for error in body["errors"]:
        assert {"title", "detail", "code", "status"} <= set(error), f"incomplete error: {error!r:.300}"
        assert error["status"] == str(response.status_code), f"status {error['status']!r} in a {response.status_code}"
    return True


def run_schemathesis(stack: RunningStack, report: Path) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{stack.api_url}/api/openapi.json",
        "--header", f"Authorization: Bearer {stack.token()}",
        "--checks", ",".join(CHECKS),
        "--phases", "fuzzing", "--mode", "all", "--max-examples", str(MAX_EXAMPLES),
        "--no-shrink", "--generation-deterministic",
        "--workers", "1", "--request-timeout", "15", "--max-failures", "50",
        # too_slow times schemathesis' own data generation, which a loaded CI machine slows, not the API
        "--suppress-health-check", "too_slow",
        "--report", "junit", "--report-dir", str(report), "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": __name__, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIME_LIMIT_SECONDS)


def test_schemathesis_generated_requests_get_documented_responses(local_stack: RunningStack,
                                                                  tmp_path: Path) -> None:
    # Given the local stack serving its OpenAPI document
    started = time.monotonic()

    # When schemathesis sends generated requests to every operation
    result = run_schemathesis(local_stack, tmp_path)

    # Then it finds nothing: no 5xx, no undocumented status, media type or body, no non-JSON:API error
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    failures = result.stdout[result.stdout.find("FAILURES"):] if "FAILURES" in result.stdout else result.stdout
    assert result.returncode == 0, (
        f"schemathesis failed (exit {result.returncode}); full output in {tmp_path / 'schemathesis.txt'}:\n"
        f"{failures[:30000]}\n{result.stderr[-3000:]}")
    assert "Tested: " in result.stdout, result.stdout[-3000:]
    print(f"schemathesis: {time.monotonic() - started:.0f}s\n{result.stdout[-1500:]}")
