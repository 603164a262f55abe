"""DynamoDB Local's command line: the Java version it needs, and where it keeps its data."""
from __future__ import annotations

from pathlib import Path

import pytest

from devstack.dynamodb_local import command, java_major_version
from devstack.processes import StackError
from devstack.stack import StackConfig


@pytest.mark.parametrize(("banner", "major"), [
    ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)', 17),
    ('openjdk version "21" 2023-09-19', 21),
    ('java version "1.8.0_402"\nJava(TM) SE Runtime Environment', 8),
])
def test_java_major_version_reads_old_and_new_banners(banner: str, major: int) -> None:
    # Given a `java -version` banner / When its major version is read / Then it is the release number
    assert java_major_version(banner) == major


def test_java_major_version_refuses_a_banner_without_a_version() -> None:
    # Given output that is not a java banner / When it is read / Then the error quotes it
    with pytest.raises(StackError, match="not java"):
        java_major_version("not java at all")


def test_command_keeps_data_in_the_folder_given_and_in_memory_otherwise() -> None:
    # Given a java and a jar / When the command is made with and without a data folder
    on_disk = command("java", Path("/jars/DynamoDBLocal.jar"), 4567, Path("/data/dynamodb"))
    in_memory = command("java", Path("/jars/DynamoDBLocal.jar"), 4567)

    # Then the one stores in the folder, the other in memory, both as one shared database
    assert on_disk[on_disk.index("-dbPath") + 1] == "/data/dynamodb" and "-inMemory" not in on_disk
    assert "-inMemory" in in_memory and "-dbPath" not in in_memory
    assert "-sharedDb" in on_disk and "-sharedDb" in in_memory


@pytest.mark.parametrize(("environ", "data_dir"), [({}, None), ({"DATA_DIR": ""}, None),
                                                   ({"DATA_DIR": "/srv/data"}, Path("/srv/data"))])
def test_stack_config_keeps_data_only_where_data_dir_says(environ: dict[str, str], data_dir: Path | None) -> None:
    # Given the stack's environment (`make run` sets DATA_DIR=.data; the tests' stacks set nothing)
    # When it is read / Then the data folder is DATA_DIR, absolute, or none (every emulator in memory)
    assert StackConfig.from_env(environ).data_dir == data_dir
