"""`scripts/deploy.sh` (what `make deploy` runs): its refusals, and an unchanged redeploy that succeeds."""
from __future__ import annotations

import pytest

from tests.deploy import BUCKET, CLIENT_DOMAIN, ORGANIZATION_SLUG, STAGE, DeployedStack, MiniStack, aws_cli, run_deploy

pytestmark = pytest.mark.xdist_group("package")


def test_deploy_refuses_a_stack_name_the_iam_policy_does_not_cover(ministack: MiniStack) -> None:
    # Given a stack name other than cleanups-<stage>
    # When deploy.sh is asked for it
    done = run_deploy(ministack, STAGE, BUCKET, STACK_NAME="cleanups-staging")
    # Then it stops before touching the account, saying which name the policy needs
    assert done.returncode == 2
    assert "must be named cleanups-prod" in done.stderr


def test_deploy_stops_with_instructions_when_the_jwt_secret_is_missing(ministack: MiniStack) -> None:
    # Given an account without the JWT secret parameter the stage would read
    # When deploy.sh runs
    done = run_deploy(ministack, STAGE, BUCKET, JWT_SECRET_PARAMETER="/cleanups/never-created")
    # Then it refuses before packaging, and prints the command that creates the parameter
    assert done.returncode == 3
    assert "aws ssm put-parameter --name /cleanups/never-created --type SecureString" in done.stderr
    assert "chalice" not in done.stdout


def test_redeploying_an_unchanged_stack_succeeds(deployed: DeployedStack) -> None:
    # Given the deployed stack and the package it was built from
    ministack = deployed.ministack
    certificate = aws_cli(ministack, "acm", "list-certificates", "--query", "CertificateSummaryList[0].CertificateArn",
                          "--output", "text").stdout.strip()
    # When the same deployment runs again
    done = run_deploy(ministack, STAGE, BUCKET, SKIP_PACKAGE="1", OUT=str(deployed.package_dir),
                      DOMAIN_NAME=f"{ORGANIZATION_SLUG}.{CLIENT_DOMAIN}", CERTIFICATE_ARN=certificate)
    # Then the empty change set is not a failure
    assert done.returncode == 0, done.stderr[-3000:]
    assert "No changes to deploy" in done.stdout + done.stderr
