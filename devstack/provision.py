"""Create the deployment's DynamoDB tables, SQS queues and S3 buckets on an emulator, from `infra/template.json`.

The CloudFormation template is the single source of truth: tables and queues are
read from it, so the local stack and the integration tests never drift from what
is deployed. Table names come from the environment (the logical id `RecordsTable`
maps to `RECORDS_TABLE`, defaults from `chalicelib.config`); queue names come
from the template. Creation is idempotent: what already exists is kept; a kept table gets the global
secondary indexes the template added since (as a deployed stage does), and one whose keys or other
indexes differ from the template's is a `StackError`.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.config import get_settings
from devstack.processes import StackError

logger = logging.getLogger(__name__)

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "infra" / "template.json"

_TABLE_PROPERTIES = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
                     "BillingMode", "ProvisionedThroughput")
# Queue properties that map one to one onto SQS attributes (the rest are deployment-only).
_QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize",
                     "ReceiveMessageWaitTimeSeconds", "FifoQueue", "ContentBasedDeduplication")


@dataclass(frozen=True)
class CreatedResources:
    """What exists after `create_resources`: table names and queue URLs/ARNs by logical id."""

    tables: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def env_var_for(logical_id: str) -> str:
    """`RecordsTable` -> `RECORDS_TABLE`: the variable that names a table to the app."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", logical_id).upper()


def default_table_names() -> dict[str, str]:
    """The table names the app will use, by logical id, read from the environment now."""
    settings = get_settings()
    return {
        "RecordsTable": settings.records_table,
        "CleanupsTable": settings.cleanups_table,
        "ApplicationsTable": settings.applications_table,
    }


def _resources_of(template: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == kind
    }


def table_request(properties: Mapping[str, Any], table_name: str) -> dict[str, Any]:
    """The CreateTable request for a template table's properties."""
    request = {key: properties[key] for key in _TABLE_PROPERTIES if key in properties}
    request["TableName"] = table_name
    return request


def table_shape(table: Mapping[str, Any]) -> dict[str, Any]:
    """What an existing table must share with the template for the app to use it: keys and indexes."""
    def keys(entries: list[dict[str, str]]) -> list[tuple[str, str]]:
        return [(entry["AttributeName"], entry["KeyType"]) for entry in entries]
    return {"keys": keys(table["KeySchema"]), **{kind: sorted(
        (index["IndexName"], keys(index["KeySchema"]), index["Projection"]["ProjectionType"])
        for index in table.get(kind, [])) for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")}}


def missing_indexes(table: Mapping[str, Any], request: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The global secondary indexes of `request` (a CreateTable) that the existing `table` lacks, when adding
    them makes it the template's table (none: it is); None when no adding does (other keys, local indexes)."""
    have = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    lacking = [index for index in request.get("GlobalSecondaryIndexes", []) if index["IndexName"] not in have]
    upgraded = {**table, "GlobalSecondaryIndexes": [*table.get("GlobalSecondaryIndexes", []), *lacking]}
    return lacking if table_shape(upgraded) == table_shape(request) else None


def _add_index(dynamodb: Any, table_name: str, request: Mapping[str, Any], index: Mapping[str, Any]) -> None:
    """Create one global secondary index on a kept table, as a stack update does (docs/DEPLOY.md), and wait
    until it is ACTIVE: the stack serves only once its lists can read it."""
    keys = {key["AttributeName"] for key in index["KeySchema"]}
    defined = [a for a in request["AttributeDefinitions"] if a["AttributeName"] in keys]
    dynamodb.update_table(TableName=table_name, AttributeDefinitions=defined,
                          GlobalSecondaryIndexUpdates=[{"Create": dict(index)}])
    for _ in range(600):
        found = dynamodb.describe_table(TableName=table_name)["Table"].get("GlobalSecondaryIndexes", [])
        if any(i["IndexName"] == index["IndexName"] and i.get("IndexStatus") == "ACTIVE" for i in found):
            logger.info("table %s kept, index %s added", table_name, index["IndexName"])
            return
        time.sleep(0.2)
    raise StackError(f"index {index['IndexName']} of table {table_name} still not ACTIVE after 2 minutes")


def _create_table(dynamodb: Any, logical_id: str, properties: Mapping[str, Any], table_name: str) -> None:
    request = table_request(properties, table_name)
    try:
        dynamodb.create_table(**request)
        logger.info("created table %s (%s)", table_name, logical_id)
    except dynamodb.exceptions.ResourceInUseException:
        # A table kept from an earlier run (`make run`'s data folder) may predate the template.
        lacking = missing_indexes(dynamodb.describe_table(TableName=table_name)["Table"], request)
        if lacking is None:
            raise StackError(f"table {table_name} exists with other keys or indexes than infra/template.json "
                             "says: empty the local data (`make reset`) and start again") from None
        for index in lacking:
            _add_index(dynamodb, table_name, request, index)
        logger.info("table %s exists, kept", table_name)
    dynamodb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        _enable_ttl(dynamodb, table_name, ttl)


def _enable_ttl(dynamodb: Any, table_name: str, ttl: Mapping[str, Any]) -> None:
    try:
        dynamodb.update_time_to_live(TableName=table_name, TimeToLiveSpecification=dict(ttl))
    except dynamodb.exceptions.ClientError as exc:
        # Re-enabling an enabled TTL (a restart on a running emulator) is an error that changes nothing.
        logger.info("TTL on %s not set: %s", table_name, exc.response["Error"].get("Code"))


def _resolve(value: Any, queue_arns: Mapping[str, str]) -> Any:
    """Resolve `Fn::GetAtt [Queue, Arn]` against the queues created so far."""
    if isinstance(value, dict):
        if set(value) == {"Fn::GetAtt"}:
            target, attribute = value["Fn::GetAtt"]
            if attribute != "Arn" or target not in queue_arns:
                raise ValueError(f"cannot resolve Fn::GetAtt {target}.{attribute} locally")
            return queue_arns[target]
        return {key: _resolve(item, queue_arns) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, queue_arns) for item in value]
    return value


def _depends_on(properties: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "Fn::GetAtt" in value:
                found.add(value["Fn::GetAtt"][0])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(properties)
    return found


def queue_creation_order(queues: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids ordered so every queue comes after the queues it refers to (the DLQ first)."""
    ordered: list[str] = []
    pending = dict(queues)
    while pending:
        ready = [lid for lid, props in pending.items() if _depends_on(props) & set(queues) <= set(ordered)]
        if not ready:
            raise ValueError(f"circular queue references among {sorted(pending)}")
        for logical_id in sorted(ready):
            ordered.append(logical_id)
            del pending[logical_id]
    return ordered


def queue_attributes(properties: Mapping[str, Any], queue_arns: Mapping[str, str]) -> dict[str, str]:
    """The CreateQueue attributes for a template queue (SQS takes every attribute as a string)."""
    attributes = {key: str(properties[key]).lower() if isinstance(properties[key], bool) else str(properties[key])
                  for key in _QUEUE_ATTRIBUTES if key in properties}
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(_resolve(properties["RedrivePolicy"], queue_arns))
    return attributes


def _create_queue(sqs: Any, name: str, attributes: Mapping[str, str]) -> tuple[str, str]:
    try:
        url: str = sqs.create_queue(QueueName=name, Attributes=dict(attributes))["QueueUrl"]
        logger.info("created queue %s", name)
    except sqs.exceptions.ClientError as exc:
        # An existing queue with other attributes: keep it as it is (idempotent, never destructive).
        if exc.response["Error"].get("Code") not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        logger.info("queue %s exists, kept", name)
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def create_resources(
    dynamodb: Any,
    sqs: Any,
    table_names: Mapping[str, str] | None = None,
    template: Mapping[str, Any] | None = None,
) -> CreatedResources:
    """Create every table and queue of the template; `table_names` maps logical id -> table name."""
    template = template if template is not None else load_template()
    names = dict(table_names) if table_names is not None else default_table_names()
    created = CreatedResources()
    for logical_id, properties in _resources_of(template, "AWS::DynamoDB::Table").items():
        literal = properties.get("TableName") if isinstance(properties.get("TableName"), str) else None
        table_name = names.get(logical_id) or os.environ.get(env_var_for(logical_id)) or literal
        if not table_name:
            raise ValueError(f"no table name for {logical_id}: set {env_var_for(logical_id)}")
        _create_table(dynamodb, logical_id, properties, table_name)
        created.tables[logical_id] = table_name
    queues = _resources_of(template, "AWS::SQS::Queue")
    for logical_id in queue_creation_order(queues):
        properties = queues[logical_id]
        url, arn = _create_queue(sqs, properties["QueueName"], queue_attributes(properties, created.queue_arns))
        created.queue_urls[logical_id] = url
        created.queue_arns[logical_id] = arn
    return created


def create_buckets(s3: Any, template: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Create every bucket of the template, named as the app's settings say (`ArchiveBucket` ->
    ARCHIVE_BUCKET, `ReportsBucket` -> REPORTS_BUCKET); logical id -> bucket name. An existing bucket is kept."""
    template = template if template is not None else load_template()
    names = {"ArchiveBucket": get_settings().archive_bucket, "ReportsBucket": get_settings().reports_bucket}
    created = {}
    for logical_id in _resources_of(template, "AWS::S3::Bucket"):
        name = names.get(logical_id) or os.environ.get(env_var_for(logical_id))
        if not name:
            raise ValueError(f"no bucket name for {logical_id}: set {env_var_for(logical_id)}")
        try:
            s3.create_bucket(Bucket=name)
            logger.info("created bucket %s (%s)", name, logical_id)
        except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            logger.info("bucket %s exists, kept", name)
        created[logical_id] = name
    return created
