"""The archive of what a cleanup deletes: one gzip'ed JSON object per sub-batch.

Written before the sub-batch deletes anything, it is both the restore's source
and the delete's redo log: a redelivered sub-batch whose object exists deletes
what the object lists. Objects hold the raw stored items (DynamoDB attribute
values), so a restore puts back exactly what was deleted. Layout of a body:
`{"version", "tenant": {"organization_id", "mode"}, "type", "modified": [ids],
"roots": [{"type", "id", "items": [root, associated records..., guards...]}]}`.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.config import get_settings
from chalicelib.records.transact import Group
from chalicelib.tenancy import Tenant

VERSION = 1


class Archive(Protocol):
    """Where archived sub-batches are kept: bytes by key."""

    def put(self, key: str, body: bytes) -> None: ...

    def create(self, key: str, body: bytes) -> bytes | None:
        """Store `body` under `key` unless an object is there already: None when stored, else the stored body."""
        ...

    def get(self, key: str) -> bytes | None:
        """The body stored under `key`, None when there is none."""
        ...


class ArchiveMissingError(LookupError):
    """A sub-batch with no archived object: nothing to restore from."""


class S3Archive:
    """The archive bucket (`ARCHIVE_BUCKET`); `client` and `bucket` default to the real ones."""

    def __init__(self, client: Any = None, bucket: str | None = None) -> None:
        self.client = client if client is not None else aws.client("s3")
        self.bucket = bucket or get_settings().archive_bucket

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/gzip")

    def create(self, key: str, body: bytes) -> bytes | None:
        """One conditional PutObject (`If-None-Match: *`); a refused one reads what is there."""
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/gzip",
                                   IfNoneMatch="*")
        except ClientError as exc:
            # 409: a concurrent write of the key was in flight; it has landed by now, or the read raises.
            if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise
            existing = self.get(key)
            if existing is None:
                raise
            return existing
        return None

    def get(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = response["Body"].read()
        return body


def archive_key(tenant: Tenant, cleanup_id: str, number: int) -> str:
    """`<organization>/<mode>/<cleanup id>/<sub-batch number:06d>.json.gz`: a cleanup's objects share a prefix."""
    return f"{tenant.organization_id}/{tenant.mode}/{cleanup_id}/{number:06d}.json.gz"


@dataclass(frozen=True)
class ArchivedBatch:
    """One sub-batch: the roots it deletes (`groups`) and the ids it reports as modified instead."""

    tenant: Tenant
    type: str
    groups: tuple[Group, ...] = ()
    modified: tuple[str, ...] = ()

    def without(self, ids: set[str]) -> ArchivedBatch:
        """The batch once `ids` turned out modified: no longer deleted, so no longer archived."""
        kept = tuple(g for g in self.groups if g.id not in ids)
        return ArchivedBatch(self.tenant, self.type, kept, self.modified + tuple(sorted(ids)))


def encode(batch: ArchivedBatch) -> bytes:
    document = {
        "version": VERSION,
        "tenant": {"organization_id": batch.tenant.organization_id, "mode": batch.tenant.mode},
        "type": batch.type,
        "modified": list(batch.modified),
        "roots": [{"type": g.type, "id": g.id, "items": g.items} for g in batch.groups],
    }
    # mtime=0: the same sub-batch always archives to the same bytes.
    return gzip.compress(json.dumps(document, separators=(",", ":")).encode(), mtime=0)


def decode(body: bytes) -> ArchivedBatch:
    document = json.loads(gzip.decompress(body))
    tenant = Tenant(document["tenant"]["organization_id"], document["tenant"]["mode"])
    groups = tuple(Group.of_items(r["type"], r["id"], r["items"]) for r in document["roots"])
    return ArchivedBatch(tenant, document["type"], groups, tuple(document["modified"]))
