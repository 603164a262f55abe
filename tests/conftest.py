"""Fixtures shared by every test layer: fake AWS credentials, and moto with the deployment's resources."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from xdist.scheduler import LoadFileScheduling

from chalicelib import queue
from devstack.provision import create_buckets, create_resources, env_var_for
from tests import moto_world, speedups

JWT_SECRET = "test-jwt-secret-at-least-32-bytes-long"

speedups.install()  # moto and botocore, minutes faster with the same answers

# One unit of work for every test that runs `chalice package`: its zip cache is not safe in parallel, and the
# deploy tests' session fixture then deploys one stack for all of them instead of one per worker.
PACKAGING = ("tests/deploy/", "tests/integration/test_package.py")


class _FilesAndOnePackaging(LoadFileScheduling):
    """`--dist loadfile`, except that the tests that package (and deploy) are one unit, on one worker."""

    def _split_scope(self, nodeid: str) -> str:
        return "packaging" if nodeid.startswith(PACKAGING) else super()._split_scope(nodeid)


def _create_world(table_names: dict[str, str]) -> None:
    create_resources(boto3.client("dynamodb"), boto3.client("sqs"), table_names)
    create_buckets(boto3.client("s3"))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> LoadFileScheduling | None:
    if config.getvalue("dist") != "loadfile":
        return None
    config.option.loadscopereorder = False  # xdist would hand out the modules with most tests first: see below
    return _FilesAndOnePackaging(config, log)


# The order workers are handed modules in: the slowest tier first, and the milliseconds-long unit tests last, so
# that both workers finish together. (xdist's own order, most tests first, left one-test modules of a minute or two,
# the deployed-timings worker loss among them, for one worker alone at the end.)
TIERS = (*PACKAGING, "tests/e2e/", "tests/integration/", "tests/unit/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules by tier (TIERS), then most tests first; each module's tests stay together and in their order."""
    modules = [item.nodeid.split("::")[0] for item in items]
    sizes = Counter(modules)

    def rank(position: int) -> tuple[int, int, str]:
        module = modules[position]
        tier = next((n for n, prefix in enumerate(TIERS) if module.startswith(prefix)), len(TIERS))
        return tier, -sizes[module], module
    items[:] = [items[position] for position in sorted(range(len(items)), key=rank)]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, one region, no emulator endpoints.

    The app's clients (`chalicelib.aws`, the models `chalicelib.dynamo` binds) are kept from test to test: making
    them is most of a short test's time, each is keyed by the endpoint it reaches, and every one reaches the moto
    of the test running (moto answers inside botocore, whichever client asks). The queue URL is looked up again."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_PROFILE",
                 "WORK_QUEUE_URL", "WEBHOOK_ALLOW_LOOPBACK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
    queue._url_for.cache_clear()


@pytest.fixture
def tables(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto with every table, queue and bucket of infra/template.json, empty; env var name -> table name.

    Each test gets a fresh moto (every service reset); the deployment's resources are restored from a copy
    made once per process (tests/moto_world.py), not created again."""
    with mock_aws():
        names = {logical_id: f"test-{logical_id}" for logical_id in ("RecordsTable", "CleanupsTable",
                                                                      "ApplicationsTable")}
        for logical_id, table_name in names.items():
            monkeypatch.setenv(env_var_for(logical_id), table_name)
        monkeypatch.setenv("ARCHIVE_BUCKET", "test-archive")
        monkeypatch.setenv("REPORTS_BUCKET", "test-reports")
        monkeypatch.setenv("DELETE_CONCURRENCY", "1")  # moto's in-process transactions are not thread-safe
        moto_world.fresh(lambda: _create_world(names))
        yield {env_var_for(logical_id): table_name for logical_id, table_name in names.items()}
