"""The local stack on a data folder (`make run`): a restart finds its records, cleanups, archive and applications;
`make reset` empties the folder.

Two stacks, one after the other, on one `DATA_DIR`; the session's stack (in memory) is not used.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from chalicelib.config import get_settings
from chalicelib.records.adapters.store import RecordsStore
from chalicelib.tenancy import Tenant
from tests.e2e import ROOT, start_stack
from tests.e2e.api import Api
from tests.e2e.test_restore_e2e import wait_restore
from tools.seed import seed

DEV_TENANT = Tenant("DemoOrg001", "test")  # what dev-integration-test's tokens name
SKUS = 20


def test_local_stack_on_a_data_folder_keeps_records_cleanups_and_their_archive_across_a_restart(
        tmp_path: Path) -> None:
    # Given a stack on a data folder, where a cleanup deleted (and archived) 20 seeded skus
    env = {"WORKERS": "1", "DATA_DIR": str(tmp_path / "data")}
    first = start_stack(env)
    try:
        api = Api(first.api_url, first.token())
        store = RecordsStore(first.client("dynamodb"), get_settings().records_table)
        tag = seed(DEV_TENANT, skus=SKUS, workers=1, store=store).tag
        response = api.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": {
            "resource_type": "skus", "filters": {"reference_eq": f"seed-{tag}"}}}})
        assert response.status_code == 201, response.text
        cleanup_id = response.json()["data"]["id"]
        assert api.wait_for(cleanup_id)["processed_count"] == SKUS
        application = api.get("/api/application")["data"]["id"]
    finally:
        assert first.stop() == 0, first.log()[-3000:]

    # When a new stack starts on the same folder, and the cleanup is restored there
    second = start_stack(env)
    try:
        api = Api(second.api_url, second.token())
        found = api.get(f"/api/cleanups/{cleanup_id}")["data"]["attributes"]
        same_application = api.get("/api/application")["data"]["id"] == application
        asked = api.request("PATCH", f"/api/cleanups/{cleanup_id}", {"data": {
            "type": "cleanups", "id": cleanup_id, "attributes": {"_restore": True}}})
        done = wait_restore(api, cleanup_id) if asked.status_code == 200 else asked.json()
        skus_back = api.count("skus", reference_eq=f"seed-{tag}")
    finally:
        assert second.stop() == 0, second.log()[-3000:]

    # Then the cleanup and the dev application are the ones it left, and the archive restores every sku
    assert (found["status"], found["processed_count"]) == ("completed", SKUS)
    assert same_application
    assert (done.get("restore_status"), done.get("restored_count"), done.get("restore_errors_count")) == (
        "completed", SKUS, 0), done
    assert skus_back == SKUS

    # And `make reset` empties the data folder, so the next `make run` starts with nothing
    reset = subprocess.run(["make", "-s", "reset", f"DATA_DIR={env['DATA_DIR']}"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert reset.returncode == 0 and not Path(env["DATA_DIR"]).exists(), reset.stderr
