"""Reading `java -version`'s banner for DynamoDB Local's Java requirement."""
from __future__ import annotations

import pytest

from devstack.dynamodb_local import java_major_version
from devstack.processes import StackError


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
