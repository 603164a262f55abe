"""The `ReportStore` port on S3: a cleanup's report parts and file in the reports bucket (`REPORTS_BUCKET`).

Keys: `<organization>/<mode>/<cleanup id>/parts/<first sub-batch:06d>.json.gz` and
`<organization>/<mode>/<cleanup id>/report.csv.gz`. The bucket is private and encrypted and its
lifecycle rule expires every object CLEANUP_RETENTION_DAYS after it is written, as the cleanup
(docs/DESIGN.md#the-complete-report); `link` presigns a GetObject (no call is made), which works
against AWS, moto and MiniStack alike; `delete` removes a deleted cleanup's objects.
"""
from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.tenancy import Tenant

REPORT_TYPE = "application/gzip"


def report_prefix(tenant: Tenant, cleanup_id: str) -> str:
    return f"{tenant.organization_id}/{tenant.mode}/{cleanup_id}/"


class S3ReportStore:
    """Implements `chalicelib.cleanups.ReportStore` on `bucket` through the S3 `client` (default: the process's)."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.client = client if client is not None else aws.client("s3", signature_version="s3v4")
        self.bucket = bucket

    def put_part(self, tenant: Tenant, cleanup_id: str, first: int, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=f"{report_prefix(tenant, cleanup_id)}parts/{first:06d}.json.gz",
                               Body=body, ContentType=REPORT_TYPE)

    def parts(self, tenant: Tenant, cleanup_id: str) -> list[bytes]:
        """One ListObjectsV2 per 1,000 parts, then one GetObject per part (keys sort by first sub-batch)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{report_prefix(tenant, cleanup_id)}parts/")
        keys = sorted(entry["Key"] for page in pages for entry in page.get("Contents", []))
        return [self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read() for key in keys]

    def put_report(self, tenant: Tenant, cleanup_id: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=f"{report_prefix(tenant, cleanup_id)}report.csv.gz",
                               Body=body, ContentType=REPORT_TYPE,
                               ContentDisposition=f'attachment; filename="cleanup-{cleanup_id}-report.csv.gz"')

    def link(self, tenant: Tenant, cleanup_id: str, seconds: int) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": f"{report_prefix(tenant, cleanup_id)}report.csv.gz"},
            ExpiresIn=seconds)
        return url

    def delete(self, tenant: Tenant, cleanup_id: str) -> None:
        """One ListObjectsV2 and one DeleteObjects per 1,000 objects (parts and file)."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=report_prefix(tenant, cleanup_id))
        for page in pages:
            keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
