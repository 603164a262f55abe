"""Deployed-stack fixtures: one MiniStack and one `cleanups-prod` stack per session, built as docs/DEPLOY.md says."""
from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy import (
    BUCKET,
    CLIENT_DOMAIN,
    ORGANIZATION_SLUG,
    STACK,
    STAGE,
    DeployedStack,
    MiniStack,
    aws_cli,
    create_application,
    loopback_certificate,
    run_deploy,
    start_ministack,
)


@pytest.fixture(scope="session")
def receiver_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return loopback_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def ministack(receiver_certificate: tuple[Path, Path]) -> Iterator[MiniStack]:
    emulator = start_ministack(trusted_ca=receiver_certificate[0])
    emulator.reset()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def deployed(ministack: MiniStack, tmp_path_factory: pytest.TempPathFactory) -> DeployedStack:
    """docs/DEPLOY.md from an empty account: bucket, secret, certificate, `make deploy`, an application."""
    aws_cli(ministack, "s3", "mb", f"s3://{BUCKET}")
    aws_cli(ministack, "ssm", "put-parameter", "--name", "/cleanups/jwt-secret", "--type", "SecureString",
            "--value", secrets.token_hex(32))  # hex: a value starting with "-" reads as an option to the CLI
    certificate = aws_cli(ministack, "acm", "request-certificate", "--domain-name",
                          f"{ORGANIZATION_SLUG}.{CLIENT_DOMAIN}", "--query", "CertificateArn",
                          "--output", "text").stdout.strip()
    # Its own package directory: an xdist worker may deploy beside test_package.py or another worker.
    package_dir = tmp_path_factory.mktemp("package") / STAGE
    started = time.monotonic()
    done = run_deploy(ministack, STAGE, BUCKET, DOMAIN_NAME=f"{ORGANIZATION_SLUG}.{CLIENT_DOMAIN}",
                      CERTIFICATE_ARN=certificate, OUT=str(package_dir),
                      # the test's webhook receiver is on loopback, which a deployed stage refuses by default
                      WEBHOOK_ALLOW_LOOPBACK="1",
                      # MiniStack serves plain http, which the archive bucket's TLS-only policy denies
                      ARCHIVE_TLS_ONLY="false")
    assert done.returncode == 0, f"deploy.sh failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    described = aws_cli(ministack, "cloudformation", "describe-stacks", "--stack-name", STACK, "--output", "json")
    (description,) = json.loads(described.stdout)["Stacks"]
    assert description["StackStatus"] in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}, description
    stack = DeployedStack(ministack, {o["OutputKey"]: o["OutputValue"] for o in description["Outputs"]},
                          package_dir, deploy_seconds=time.monotonic() - started)
    application = create_application(stack, ORGANIZATION_SLUG)
    stack.client_id, stack.client_secret = application["client_id"], application["client_secret"]
    stack.organization_id = application["organization"]["id"]
    return stack
