"""The local stack's buckets mirrored to a folder (moto, in process): what a restarted stack finds again."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from moto import mock_aws

from devstack.s3_mirror import PARTIAL, S3Mirror, file_name

BUCKET = "cleanups-archive"
KEYS = ["DemoOrg001/test/Cln0000001/000001.json.gz", "odd key/with ?#%&+ and é", "..", "x%partial"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@contextmanager
def fresh_s3() -> Iterator[Any]:
    """An empty moto S3 with the bucket: what a restarted stack's moto holds before the restore."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def objects(s3: Any) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed}


def test_s3_mirror_puts_back_after_a_restart_what_the_buckets_held(aws: None, tmp_path: Path) -> None:
    # Given a stack's bucket with objects (odd keys too), one rewritten and one deleted since the last sync
    with fresh_s3() as s3:
        mirror = S3Mirror(s3, [BUCKET], tmp_path)
        assert mirror.restore() == 0
        for n, key in enumerate(KEYS):
            s3.put_object(Bucket=BUCKET, Key=key, Body=f"body {n}".encode())
        s3.put_object(Bucket=BUCKET, Key="gone", Body=b"soon deleted")
        mirror.sync()
        s3.put_object(Bucket=BUCKET, Key=KEYS[0], Body=b"rewritten")
        s3.delete_object(Bucket=BUCKET, Key="gone")
        before = objects(s3)
        # When the stack stops (the last sync)
        mirror.stop()

    # And a new stack, with a new and empty moto, restores from the folder
    with fresh_s3() as s3:
        restored = S3Mirror(s3, [BUCKET], tmp_path).restore()

        # Then the bucket holds exactly what it held when the first stack stopped
        assert objects(s3) == before and restored == len(KEYS)
    assert before[KEYS[0]] == b"rewritten" and "gone" not in before


def test_s3_mirror_sync_writes_nothing_new_when_nothing_changed(aws: None, tmp_path: Path) -> None:
    # Given a synced object
    with fresh_s3() as s3:
        mirror = S3Mirror(s3, [BUCKET], tmp_path)
        s3.put_object(Bucket=BUCKET, Key="a", Body=b"one")
        mirror.sync()
        path = tmp_path / BUCKET / file_name("a")
        written = path.stat().st_mtime_ns

        # When the mirror looks again / Then the file was not rewritten
        mirror.sync()
        assert path.stat().st_mtime_ns == written


@pytest.mark.parametrize("key", [*KEYS, ".", "a/b/../c", "%2F"])
def test_file_name_is_one_name_in_the_folder_that_maps_back_to_its_key(key: str) -> None:
    # Given any key / When it becomes a file name / Then it is one plain name, never the partial suffix
    name = file_name(key)
    assert "/" not in name and name not in {".", ".."} and not name.endswith(PARTIAL)
    assert unquote(name) == key
