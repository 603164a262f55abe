"""The JWT secret read from SSM (moto) and kept at most JWT_SECRET_MAX_AGE_SECONDS: rotation needs no redeploy."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib import aws
from chalicelib.auth import tokens
from chalicelib.exceptions import InvalidTokenError
from tests.factories import token

PARAMETER = "/cleanups/jwt-secret"
OLD = "old-secret-" + "o" * 64
NEW = "new-secret-" + "n" * 64


@pytest.fixture
def ssm(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The secret as a deployed stage has it: a SecureString named by JWT_SECRET_PARAMETER, cached one second.

    The app's SSM client is made anew: its parameter cache, like a cold Lambda's, holds no earlier test's secret."""
    aws.forget_clients()
    monkeypatch.delenv("JWT_SECRET")
    monkeypatch.setenv("JWT_SECRET_PARAMETER", PARAMETER)
    monkeypatch.setenv("JWT_SECRET_MAX_AGE_SECONDS", "1")
    with mock_aws():
        client = boto3.client("ssm")
        client.put_parameter(Name=PARAMETER, Type="SecureString", Value=OLD)
        yield client


def verifies(secret: str) -> bool:
    try:
        tokens.authenticate(f"Bearer {token(secret)}")
    except InvalidTokenError:
        return False
    return True


def test_rotated_secret_verifies_once_the_cached_one_is_older_than_its_max_age(ssm: Any) -> None:
    # Given a function that verified a token with the current secret
    assert verifies(OLD)
    # When the operator rotates the parameter
    ssm.put_parameter(Name=PARAMETER, Type="SecureString", Value=NEW, Overwrite=True)
    # Then the cached secret still holds until its max age (1 s) has passed
    assert verifies(OLD) and not verifies(NEW)
    time.sleep(1.2)
    # And after it the new secret verifies and the old one no longer does, with no redeploy
    assert verifies(NEW) and not verifies(OLD)


def test_tokens_are_signed_with_the_parameters_secret(ssm: Any) -> None:
    # Given the secret in SSM
    # When the signing secret is asked for
    # Then it is the parameter's decrypted value
    assert tokens.signing_secret() == OLD
