"""End-to-end fixtures: one local stack for the whole session, on free ports, stopped at the end."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e import RunningStack, start_stack
from tests.e2e.api import Api

HERE = Path(__file__).resolve().parent

# The session stack's extra environment: the reconciler every few seconds, so e2e tests need not wait minutes;
# a request budget far above the default, since the tests poll in tight loops with one application
# (test_guard_e2e.py runs a stack with a small budget; `make bench` runs the CLI under the default).
# Previews past 500 records are counted by the worker after the request's first page, so the CLI and the dashboard
# wait for a pending one (the default budget counts about 10,000 skus in the request).
STACK_ENV = {"WORKERS": "2", "SCHEDULE_RECONCILE_SECONDS": "2", "RATE_LIMIT_REQUESTS": "1000000",
             "PREVIEW_PAGE_RECORDS": "500", "PREVIEW_IN_REQUEST_SECONDS": "0"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e talks to a running stack: mark it `e2e`."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def local_stack() -> Iterator[RunningStack]:
    stack = start_stack(STACK_ENV)
    yield stack
    assert stack.stop() == 0, stack.log()[-3000:]


@pytest.fixture
def api(local_stack: RunningStack) -> Api:
    """The local stack's API, called with a token of the dev application."""
    return Api(local_stack.api_url, local_stack.token())


@pytest.fixture
def token(local_stack: RunningStack) -> Callable[..., str]:
    """`token(client_id="dev-integration-test")`: an access token from the running stack."""
    return local_stack.token
