"""One contract, two adapters: the in-memory report store answers like the S3 one (moto).

Parts come back in the order of their first sub-batch, a part written again under the same first
replaces it, a cleanup never sees another's (or another tenant's) parts, the link names the
report file for the time asked, and a deleted cleanup's objects go with it (only its own).
"""
from __future__ import annotations

import gzip
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.cleanups.adapters.report_store import S3ReportStore
from chalicelib.cleanups.ports import ReportStore
from chalicelib.config import get_settings
from chalicelib.tenancy import Tenant
from tests.integration.conftest import ADAPTERS, contract_adapter
from tests.unit.fakes import MemoryReports


@pytest.fixture(params=ADAPTERS)
def reports(request: pytest.FixtureRequest) -> ReportStore:
    fake: Callable[[], ReportStore] = MemoryReports  # so mypy infers the port, not `object`
    return contract_adapter(request, fake, lambda: S3ReportStore(get_settings().reports_bucket))


def test_parts_come_back_by_first_sub_batch_and_a_part_written_again_replaces_it(
        reports: ReportStore, tenant: Tenant) -> None:
    # Given parts starting at sub-batches 12, 3 and 3 again (a redelivery), and another cleanup's part
    reports.put_part(tenant, "c1", 12, b"twelve")
    reports.put_part(tenant, "c1", 3, b"three")
    reports.put_part(tenant, "c1", 3, b"three again")
    reports.put_part(tenant, "c2", 0, b"other cleanup")
    # When the cleanup's parts are read
    parts = reports.parts(tenant, "c1")
    # Then they are its own two, in sub-batch order, the later write of 3 kept
    assert parts == [b"three again", b"twelve"]


def test_a_tenant_never_reads_another_tenants_parts(reports: ReportStore, tenant: Tenant,
                                                    other_tenant: Tenant) -> None:
    # Given a part of one tenant's cleanup
    reports.put_part(tenant, "c1", 0, b"mine")
    # When another tenant reads the parts of a cleanup with the same id / Then it finds none
    assert reports.parts(other_tenant, "c1") == []
    assert reports.parts(tenant, "c1") == [b"mine"]


def test_a_cleanup_without_parts_has_none(reports: ReportStore, tenant: Tenant) -> None:
    # Given nothing written / When the parts are read / Then there are none
    assert reports.parts(tenant, "nothing") == []


def test_deleting_a_cleanups_report_removes_its_parts_and_keeps_every_other(
        reports: ReportStore, tenant: Tenant, other_tenant: Tenant) -> None:
    # Given two parts and the file of a cleanup, a part of another cleanup and one of another tenant's same id
    reports.put_part(tenant, "c1", 0, b"zero")
    reports.put_part(tenant, "c1", 10, b"ten")
    reports.put_report(tenant, "c1", gzip.compress(b"id,outcome\n"))
    reports.put_part(tenant, "c10", 0, b"other cleanup")
    reports.put_part(other_tenant, "c1", 0, b"other tenant")
    # When the cleanup's report is deleted, and deleted again (a retried request)
    reports.delete(tenant, "c1")
    reports.delete(tenant, "c1")
    # Then its parts are gone and the others' kept (a prefix of another id is not matched)
    assert reports.parts(tenant, "c1") == []
    assert reports.parts(tenant, "c10") == [b"other cleanup"]
    assert reports.parts(other_tenant, "c1") == [b"other tenant"]


def test_the_link_names_the_cleanups_report_for_the_time_asked(reports: ReportStore, tenant: Tenant) -> None:
    # Given a report file written twice (composed again)
    reports.put_report(tenant, "c1", gzip.compress(b"id,outcome\n"))
    reports.put_report(tenant, "c1", gzip.compress(b"id,outcome,errors\n"))
    # When a link is asked for an hour
    link = reports.link(tenant, "c1", 3600)
    # Then it names that cleanup's report and says how long it is valid
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    assert "c1" in parts.path and parts.path.endswith("report.csv.gz")
    assert query.get("X-Amz-Expires", query.get("expires")) == ["3600"]


def test_the_s3_link_downloads_the_report_file_without_credentials(tables: dict[str, str], tenant: Tenant) -> None:
    # Given the S3 store and a report written twice
    import requests

    store = S3ReportStore(get_settings().reports_bucket)
    store.put_report(tenant, "c1", gzip.compress(b"first\n"))
    store.put_report(tenant, "c1", gzip.compress(b"id,outcome,errors\n"))
    # When its link is fetched with a plain HTTP GET
    response = requests.get(store.link(tenant, "c1", 3600), timeout=10)
    # Then the latest file comes back as a gzip attachment
    assert response.status_code == 200
    assert gzip.decompress(response.content) == b"id,outcome,errors\n"
    assert "attachment" in response.headers.get("Content-Disposition", "")


def test_a_deleted_cleanups_s3_link_downloads_nothing(tables: dict[str, str], tenant: Tenant) -> None:
    # Given the S3 store and a report file
    import requests

    store = S3ReportStore(get_settings().reports_bucket)
    store.put_report(tenant, "c1", gzip.compress(b"id,outcome\n"))
    # When the cleanup's report is deleted and a link signed before is fetched
    link = store.link(tenant, "c1", 3600)
    store.delete(tenant, "c1")
    response = requests.get(link, timeout=10)
    # Then the file is gone
    assert response.status_code == 404
