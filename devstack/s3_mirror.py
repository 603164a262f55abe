"""The local stack's S3 buckets kept in a folder (`make run`): moto holds them in memory only.

`restore` puts every kept object back into its bucket when the stack starts. `sync` copies
what changed since it last looked (objects new or rewritten, by ETag, and removed ones); it
runs every second in a thread and once more when the stack stops, after its workers. An
object written in the last second before the stack is killed outright (SIGKILL) is lost.
Each object is one file, `<folder>/<bucket>/<key, percent-encoded>` (the archive's keys are
short); its content type and metadata are not kept (the app reads only bodies).
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

logger = logging.getLogger(__name__)
PARTIAL = "%partial"  # the suffix of a file being written: `quote` never makes a "%" without two hex digits


def file_name(key: str) -> str:
    """The key as one file name: every character but letters, digits and `_.-~` percent-encoded."""
    name = quote(key, safe="")
    return name.replace(".", "%2E") if name in {".", ".."} else name


class S3Mirror:
    """Objects of `buckets` mirrored under `folder`, one sub-folder per bucket."""

    def __init__(self, s3: Any, buckets: Iterable[str], folder: Path, interval: float = 1.0) -> None:
        self.s3 = s3
        self.buckets = tuple(buckets)
        self.folder = folder
        self.interval = interval
        self._etags: dict[tuple[str, str], str] = {}  # what the folder holds, as the bucket last showed it
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def restore(self) -> int:
        """Put every kept object back into its bucket; how many were put."""
        for bucket in self.buckets:
            (self.folder / bucket).mkdir(parents=True, exist_ok=True)
            for path in sorted((self.folder / bucket).iterdir()):
                if path.is_file() and not path.name.endswith(PARTIAL):
                    key = unquote(path.name)
                    etag = self.s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())["ETag"]
                    self._etags[(bucket, key)] = etag
        return len(self._etags)

    def sync(self) -> None:
        """Write the objects that changed since the last look; delete the files of removed ones."""
        for bucket in self.buckets:
            listed = dict(self._listing(bucket))
            for key, etag in listed.items():
                if self._etags.get((bucket, key)) != etag:
                    self._write(bucket, key, self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                    self._etags[(bucket, key)] = etag
            for gone in [key for (name, key) in self._etags if name == bucket and key not in listed]:
                (self.folder / bucket / file_name(gone)).unlink(missing_ok=True)
                del self._etags[(bucket, gone)]

    def _listing(self, bucket: str) -> Iterator[tuple[str, str]]:
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                yield item["Key"], item["ETag"]

    def _write(self, bucket: str, key: str, body: bytes) -> None:
        target = self.folder / bucket / file_name(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + PARTIAL)
        partial.write_bytes(body)
        os.replace(partial, target)  # a reader (the next restore) never sees half a file

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="s3-mirror", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.sync()
            except Exception:  # noqa: BLE001 - a failed look is retried at the next interval
                logger.exception("S3 mirror: sync to %s failed", self.folder)

    def stop(self) -> None:
        """Stop the thread, then one last sync: call it once nothing writes to the buckets any more."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self.sync()
