"""The deployable template: `scripts/package.sh` output, linted, with the settings the service relies on.

One `chalice package` run (the `prod` stage) per module; every test reads that template or the
policy files. The checks are the ones a broken deploy would hit: SQS partial batch failures, the DLQ,
the visibility timeout against the worker's timeout, table settings and their in-place update from
the deployed tables (`deployed_tables.json`), env vars, least-privilege IAM and JSON:API-shaped API
Gateway errors.
"""
from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib import telemetry

pytest.importorskip("chalice", reason="chalice is not installed: `chalice package` cannot run")
# One package run: `make test` and `make check` give each module's tests to one xdist worker (--dist loadfile);
# parallel runs would race on chalice's zip cache.

ROOT = Path(__file__).resolve().parents[2]
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGE = "prod"
STACK_NAME = f"cleanups-{STAGE}"  # docs/DEPLOY.md: the stack of stage <s> is named cleanups-<s>
TABLE_VARS = {
    "RECORDS_TABLE": "RecordsTable",
    "CLEANUPS_TABLE": "CleanupsTable",
    "APPLICATIONS_TABLE": "ApplicationsTable",
    "WORK_QUEUE_URL": "WorkQueue",
    "ARCHIVE_BUCKET": "ArchiveBucket",
    "REPORTS_BUCKET": "ReportsBucket",
    "CLEANUP_RETENTION_DAYS": "CleanupRetentionDays",
    "RESTORE_WINDOW_DAYS": "RestoreWindowDays",
}
ALLOWED_ACTIONS = {
    "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
    "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
    "sqs:SendMessage", "sqs:SendMessageBatch", "sqs:ReceiveMessage", "sqs:DeleteMessage",
    "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility",
    "ssm:GetParameter", "kms:Decrypt",
    "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
}


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    outdir = tmp_path_factory.mktemp("package") / STAGE
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "package.sh"), STAGE, str(outdir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"package.sh failed:\n{result.stdout}\n{result.stderr}"
    return {"stdout": result.stdout, "path": outdir / "sam.json", "bundle": outdir / "deployment.zip",
            "template": json.loads((outdir / "sam.json").read_text())}


# What runs only on a developer's machine: the local stack, the commands, the command-line client, the bench, the tests.
DEV_ONLY_FOLDERS = ("devstack/", "tools/", "bench/", "tests/", "scripts/", "node_modules/", "chalicelib/local/",
                    "cleanups_cli/", "typer/", "httpx/", "rich/")
DEV_CREDENTIALS = (b"dev-secret", b"dev-integration-test", b"DemoOrg001")


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def _policy_statements(stage: str) -> list[dict[str, Any]]:
    return json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())["Statement"]


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _allowed(statements: list[dict[str, Any]], action: str, arn: str) -> bool:
    return any(
        action in _as_list(s["Action"]) and any(fnmatch.fnmatchcase(arn, r) for r in _as_list(s["Resource"]))
        for s in statements if s["Effect"] == "Allow"
    )


def _table_arn(template: dict[str, Any], logical_id: str) -> str:
    name = template["Resources"][logical_id]["Properties"]["TableName"]["Fn::Sub"]
    return "arn:aws:dynamodb:us-east-1:123456789012:table/" + name.replace("${AWS::StackName}", STACK_NAME)


def test_package_script_writes_a_template_that_cfn_lint_passes(packaged: dict[str, Any]) -> None:
    # Given the packaged template
    path = packaged["path"]
    # When cfn-lint reads it on its own
    lint = subprocess.run([str(ROOT / ".venv" / "bin" / "cfn-lint"), "--format", "json", "--", str(path)],
                          capture_output=True, text=True, timeout=300)
    # Then it finds no error, and the script said where the template is
    findings = json.loads(lint.stdout or "[]")
    assert [f for f in findings if f["Level"] == "Error"] == []
    assert f"Template: {path}" in packaged["stdout"]


def test_package_bundle_holds_only_what_runs_on_lambda(packaged: dict[str, Any]) -> None:
    # Given the Lambda bundle `chalice package` wrote
    with zipfile.ZipFile(packaged["bundle"]) as bundle:
        names = bundle.namelist()
        # When its files and the service's own code are read
        own_code = {name: bundle.read(name) for name in names if name == "app.py" or name.startswith("chalicelib/")}
    # Then the service is there, and no dev-only module, seeder or dev credential is
    assert "app.py" in names and "chalicelib/bootstrap.py" in names
    assert [name for name in names if name.startswith(DEV_ONLY_FOLDERS)] == []
    assert [name for name in own_code if "seed" in name or name.endswith("admin.py")] == []
    assert [name for name, text in own_code.items() if any(secret in text for secret in DEV_CREDENTIALS)] == []
    assert f"({packaged['bundle'].stat().st_size} bytes)" in packaged["stdout"]


def test_worker_event_source_reports_batch_item_failures_with_bounded_concurrency(packaged: dict[str, Any]) -> None:
    # Given the worker's SQS event source
    template = packaged["template"]
    source = template["Resources"]["OnWorkMessage"]["Properties"]["Events"]["OnWorkMessageSqsEventSource"]
    # When its properties are read
    props = source["Properties"]
    # Then failures are reported per message, concurrency is capped, and it still reads the work queue
    assert source["Type"] == "SQS"
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= props["ScalingConfig"]["MaximumConcurrency"] <= 1000
    queue_name = template["Resources"]["WorkQueue"]["Properties"]["QueueName"]
    assert props["Queue"]["Fn::Sub"].startswith("arn:${AWS::Partition}:sqs:")
    assert props["Queue"]["Fn::Sub"].endswith(f":{queue_name}")


def test_work_queue_redrives_to_the_dead_letter_queue(packaged: dict[str, Any]) -> None:
    # Given the work queue
    queue = packaged["template"]["Resources"]["WorkQueue"]["Properties"]
    # When its redrive policy is read
    redrive = queue["RedrivePolicy"]
    # Then poison messages land in the DLQ after a bounded number of receives
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["WorkDeadLetterQueue", "Arn"]}
    assert 1 <= redrive["maxReceiveCount"] <= 10


def test_work_queue_visibility_timeout_covers_the_worker_and_notices_its_loss_within_a_minute(
        packaged: dict[str, Any]) -> None:
    # Given the template's worker and queue
    resources = packaged["template"]["Resources"]
    # When the worker's timeout is compared with the queue's visibility timeout
    worker_timeout = resources["OnWorkMessage"]["Properties"]["Timeout"]
    visibility = resources["WorkQueue"]["Properties"]["VisibilityTimeout"]
    # Then a message is not redelivered while a live worker may still hold it (Lambda requires
    # visibility >= timeout), and a dead worker's message is back within about a minute
    assert worker_timeout < visibility <= 60
    assert resources["APIHandler"]["Properties"]["Timeout"] == 30


def test_tables_are_on_demand_with_point_in_time_recovery(packaged: dict[str, Any]) -> None:
    # Given the packaged DynamoDB tables
    tables = _resources(packaged["template"], "AWS::DynamoDB::Table")
    # When their billing and backup settings are read
    # Then all three are on-demand, recoverable, retained and named after the stack
    assert set(tables) == {"RecordsTable", "CleanupsTable", "ApplicationsTable"}
    for table in tables.values():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["TableName"]["Fn::Sub"].startswith("${AWS::StackName}-")
        assert table["DeletionPolicy"] == "Retain"


def test_cleanups_table_expires_items_by_ttl(packaged: dict[str, Any]) -> None:
    # Given the cleanups table
    props = packaged["template"]["Resources"]["CleanupsTable"]["Properties"]
    # When its TTL setting is read
    ttl = props["TimeToLiveSpecification"]
    # Then items expire on expires_at
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


# Changing one of these replaces a DynamoDB table: CloudFormation makes a new, empty one (and, as the tables are
# retained, leaves the old one behind with every cleanup in it).
REPLACING = ("TableName", "KeySchema", "LocalSecondaryIndexes", "ImportSourceSpecification")
# The tables as the stages run them now (the last release); an update of the template must apply in place to these.
DEPLOYED_TABLES: dict[str, dict[str, Any]] = json.loads((ROOT / "tests" / "integration" / "deployed_tables.json")
                                                        .read_text())


def _indexes(props: dict[str, Any]) -> dict[str, Any]:
    return {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}


def in_place_problems(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Why CloudFormation could not update a table from properties `before` to `after` in place, in one update
    (docs/DEPLOY.md, "Upgrading in place"): a replacing property changed, more than one global secondary index
    created or deleted, an existing one changed (a delete and a create), a key attribute left undefined."""
    problems = [f"{name} changed: the table would be replaced" for name in REPLACING
                if before.get(name) != after.get(name)]
    was, now = _indexes(before), _indexes(after)
    if len(set(was) ^ set(now)) > 1:
        problems.append(f"global secondary indexes {sorted(set(was) ^ set(now))} in one update: one at a time")
    problems += [f"global secondary index {name} changed: deleted and created again"
                 for name in set(was) & set(now) if was[name] != now[name]]
    defined = {a["AttributeName"] for a in after.get("AttributeDefinitions", [])}
    keys = [k["AttributeName"] for i in [after, *now.values(), *after.get("LocalSecondaryIndexes", [])]
            for k in i["KeySchema"]]
    problems += [f"key attribute {name} not in AttributeDefinitions" for name in keys if name not in defined]
    return problems


def test_the_packaged_tables_update_the_deployed_ones_in_place(packaged: dict[str, Any]) -> None:
    # Given the tables as deployed by the last release, and the packaged template's
    tables = _resources(packaged["template"], "AWS::DynamoDB::Table")
    # When each is compared with its deployed self
    problems = {name: in_place_problems(DEPLOYED_TABLES[name], tables[name]["Properties"]) for name in tables}
    # Then CloudFormation updates every one in place, without replacing it; the cleanups table gains its
    # created_at index (hash pk, range created_at: attributes every item already has, nothing to backfill)
    assert problems == {name: [] for name in DEPLOYED_TABLES}
    cleanups = tables["CleanupsTable"]["Properties"]
    added = {name: index["KeySchema"] for name, index in _indexes(cleanups).items()
             if name not in _indexes(DEPLOYED_TABLES["CleanupsTable"])}
    assert added in ({}, {"created_at": [{"AttributeName": "pk", "KeyType": "HASH"},
                                         {"AttributeName": "created_at", "KeyType": "RANGE"}]})


def _index(name: str, hash_key: str, range_key: str) -> dict[str, Any]:
    return {"IndexName": name, "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": hash_key, "KeyType": "HASH"},
                          {"AttributeName": range_key, "KeyType": "RANGE"}]}


@pytest.mark.parametrize(("change", "problem"), [
    ({"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}, "KeySchema changed"),
    ({"LocalSecondaryIndexes": [_index("by_status", "pk", "by_status")]}, "LocalSecondaryIndexes changed"),
    ({"GlobalSecondaryIndexes": [_index("active", "active", "updated_at"), _index("a", "pk", "created_at"),
                                 _index("b", "pk", "updated_at")]}, "in one update"),
    ({"GlobalSecondaryIndexes": [_index("active", "active", "created_at")]}, "active changed"),
    ({"GlobalSecondaryIndexes": [_index("active", "active", "updated_at"), _index("c", "pk", "completed_at")]},
     "completed_at not in AttributeDefinitions"),
])
def test_a_table_change_that_cannot_apply_in_place_is_named(change: dict[str, Any], problem: str) -> None:
    # Given the deployed cleanups table and a change CloudFormation would refuse or apply by replacing the table
    deployed = DEPLOYED_TABLES["CleanupsTable"]
    defined = [*deployed["AttributeDefinitions"], {"AttributeName": "created_at", "AttributeType": "S"}]
    # When the change is checked
    problems = in_place_problems(deployed, {**deployed, "AttributeDefinitions": defined, **change})
    # Then it is named
    assert any(problem in found for found in problems), problems


def test_every_function_gets_table_settings_beside_chalice_ones(packaged: dict[str, Any]) -> None:
    # Given every Lambda function of the template
    functions = _resources(packaged["template"], "AWS::Serverless::Function")
    assert set(functions) == {"APIHandler", "OnWorkMessage", "Reconcile", "RunSchedules"}
    for function in functions.values():
        # When its environment is read
        variables = function["Properties"]["Environment"]["Variables"]
        # Then the merge added the resource refs and kept config.json's settings
        for name, logical_id in TABLE_VARS.items():
            assert variables[name] == {"Ref": logical_id}
        assert variables["JWT_SECRET_PARAMETER"] == {"Ref": "JwtSecretParameterName"}
        for name, value in CONFIG["environment_variables"].items():
            assert variables[name] == value


def test_function_roles_grant_only_the_listed_actions(packaged: dict[str, Any]) -> None:
    # Given the roles chalice generated from the stage's policy file
    roles = _resources(packaged["template"], "AWS::IAM::Role")
    assert roles, "chalice generated no IAM role"
    for role in roles.values():
        for policy in role["Properties"]["Policies"]:
            # When their statements are read
            statements = policy["PolicyDocument"]["Statement"]
            actions = {a for s in statements for a in _as_list(s["Action"])}
            # Then every action is a listed one: no wildcard, no service-wide grant
            assert actions == ALLOWED_ACTIONS
            assert all(r != "*" for s in statements for r in _as_list(s["Resource"]))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_policy_file_is_least_privilege(stage: str) -> None:
    # Given a stage's policy file
    statements = _policy_statements(stage)
    # When its actions and resources are read
    actions = [a for s in statements for a in _as_list(s["Action"])]
    resources = [r for s in statements for r in _as_list(s["Resource"])]
    # Then there are no wildcards beyond account/region and name patterns
    assert set(actions) == ALLOWED_ACTIONS
    assert not any("*" in a for a in actions)
    assert "*" not in resources
    assert all(s["Effect"] == "Allow" for s in statements)


def test_policy_reaches_the_stack_tables_and_nothing_else(packaged: dict[str, Any]) -> None:
    # Given the prod policy and the table names of a stack named cleanups-prod
    statements = _policy_statements(STAGE)
    template = packaged["template"]
    arns = [_table_arn(template, t) for t in ("RecordsTable", "CleanupsTable", "ApplicationsTable")]
    # When access is checked against each table and index, and against other stacks' tables
    # Then the stack's tables are reachable and another stage's are not
    for arn in arns:
        assert _allowed(statements, "dynamodb:Query", arn)
        assert _allowed(statements, "dynamodb:Query", f"{arn}/index/rel0")
        assert not _allowed(statements, "dynamodb:Scan", arn)
    assert not _allowed(statements, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/cleanups-dev-records")
    assert not _allowed(statements, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/other-records")


def test_policy_reaches_the_queue_and_the_jwt_parameter(packaged: dict[str, Any]) -> None:
    # Given the prod policy and the template's queue and parameter
    statements = _policy_statements(STAGE)
    template = packaged["template"]
    queue = template["Resources"]["WorkQueue"]["Properties"]["QueueName"]
    parameter = template["Parameters"]["JwtSecretParameterName"]["Default"]
    # When access is checked against their ARNs
    queue_arn = f"arn:aws:sqs:us-east-1:123456789012:{queue}"
    parameter_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{parameter}"
    # Then the worker and API can use the queue, and the secret is readable but nothing else in SSM
    for action in ("sqs:SendMessageBatch", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert _allowed(statements, action, queue_arn)
    assert not _allowed(statements, "sqs:SendMessage", f"{queue_arn}-dlq")
    assert _allowed(statements, "ssm:GetParameter", parameter_arn)
    assert not _allowed(statements, "ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/other")


def test_archive_bucket_is_private_encrypted_and_expires_after_the_restore_window(packaged: dict[str, Any]) -> None:
    # Given the archive bucket and the restore window parameter
    template = packaged["template"]
    bucket = template["Resources"]["ArchiveBucket"]
    props = bucket["Properties"]
    # When its settings are read
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    # Then objects are encrypted, never public, kept the restore window (30 days unless told) and then expire
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(props["PublicAccessBlockConfiguration"][flag] for flag in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == {"Ref": "RestoreWindowDays"}
    assert template["Parameters"]["RestoreWindowDays"]["Default"] == 30
    assert bucket["DeletionPolicy"] == "Retain"


def test_archive_policy_reaches_the_stacks_bucket_and_nothing_else(packaged: dict[str, Any]) -> None:
    # Given the template's archive grant (the policy files cannot name the bucket: its name holds the account)
    resources = packaged["template"]["Resources"]
    grant = resources["ArchiveAccessPolicy"]["Properties"]
    statements = grant["PolicyDocument"]["Statement"]
    # When its roles, actions and resources are read
    granted = {(a, json.dumps(r, sort_keys=True)) for s in statements if s["Effect"] == "Allow"
               for a in _as_list(s["Action"]) for r in s["Resource"]}
    # Then every function can write and read archives (a missing one told apart by listing) in the stack's own
    # bucket, by its exact ARN, and nothing else: no delete, no other bucket
    bucket_arn = {"Fn::GetAtt": ["ArchiveBucket", "Arn"]}
    objects = {"Fn::Sub": "${ArchiveBucket.Arn}/*"}
    assert granted == {("s3:PutObject", json.dumps(objects, sort_keys=True)),
                       ("s3:GetObject", json.dumps(objects, sort_keys=True)),
                       ("s3:ListBucket", json.dumps(bucket_arn, sort_keys=True))}
    roles = {name for name, res in resources.items() if res["Type"] == "AWS::IAM::Role"}
    assert {role["Ref"] for role in grant["Roles"]} == roles


def test_reports_bucket_is_private_encrypted_and_expires_with_the_cleanup(packaged: dict[str, Any]) -> None:
    # Given the reports bucket, its TLS policy and the retention parameter the functions also read
    template = packaged["template"]
    bucket = template["Resources"]["ReportsBucket"]
    props = bucket["Properties"]
    policy = template["Resources"]["ReportsBucketPolicy"]
    # When its settings are read
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    # Then objects are encrypted, never public, refused over plain http, and expire after the cleanup retention
    # (400 days unless told), the days CLEANUP_RETENTION_DAYS gives the cleanups: a report expires with its cleanup
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(props["PublicAccessBlockConfiguration"][flag] for flag in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == {"Ref": "CleanupRetentionDays"}
    assert template["Parameters"]["CleanupRetentionDays"]["Default"] == 400
    assert props["BucketName"] != template["Resources"]["ArchiveBucket"]["Properties"]["BucketName"]
    assert policy["Condition"] == "ArchiveTlsOnly" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert bucket["DeletionPolicy"] == "Retain"


def test_report_calls_are_granted_to_the_functions_that_make_them(packaged: dict[str, Any]) -> None:
    # Given the template's reports grant, with the bucket's ARN as it resolves in an account
    resources = packaged["template"]["Resources"]
    grant = resources["ReportsAccessPolicy"]["Properties"]
    bucket = "arn:aws:s3:::cleanups-prod-reports-123456789012-us-east-1"
    statements = json.loads(json.dumps(grant["PolicyDocument"]["Statement"])
                            .replace('{"Fn::Sub": "${ReportsBucket.Arn}/*"}', json.dumps(bucket + "/*"))
                            .replace('{"Fn::GetAtt": ["ReportsBucket", "Arn"]}', json.dumps(bucket)))
    roles = {role["Ref"] for role in grant["Roles"]}
    # When the report's calls are checked (chalicelib/cleanups/adapters/report_store.py)
    part = f"{bucket}/Org/test/Cln/parts/000000.json.gz"
    report = f"{bucket}/Org/test/Cln/report.csv.gz"
    # Then the worker and the reconciler write parts and the file, list and read parts; the API's role, which
    # signs report_url, may read the file (a presigned link carries its signer's permissions) and deletes a
    # deleted cleanup's objects; nothing reaches the archive bucket through this grant
    assert {"OnWorkMessageRole", "ReconcileRole", "ApiHandlerRole"} <= roles
    assert _allowed(statements, "s3:PutObject", part) and _allowed(statements, "s3:PutObject", report)
    assert _allowed(statements, "s3:ListBucket", bucket) and _allowed(statements, "s3:GetObject", part)
    assert _allowed(statements, "s3:GetObject", report) and _allowed(statements, "s3:DeleteObject", report)
    archive = "arn:aws:s3:::cleanups-prod-archive-123456789012-us-east-1"
    assert not _allowed(statements, "s3:DeleteObject", f"{archive}/Org/test/Cln/000000.json.gz")


def test_archive_bucket_refuses_plain_http_unless_the_stage_is_an_emulator(packaged: dict[str, Any]) -> None:
    # Given the archive bucket's policy and the parameter it depends on
    template = packaged["template"]
    policy = template["Resources"]["ArchiveBucketPolicy"]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    # When they are read
    # Then by default every request not made over TLS is denied, whoever makes it
    assert template["Parameters"]["ArchiveTlsOnly"]["Default"] == "true"
    assert policy["Condition"] == "ArchiveTlsOnly"
    assert template["Conditions"]["ArchiveTlsOnly"] == {"Fn::Equals": [{"Ref": "ArchiveTlsOnly"}, "true"]}
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_gateway_responses_are_jsonapi_error_documents(packaged: dict[str, Any]) -> None:
    # Given the API's gateway responses
    body = packaged["template"]["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "UNSUPPORTED_MEDIA_TYPE"} <= set(responses)
    for response_type, response in responses.items():
        assert response["responseParameters"]["gatewayresponse.header.Content-Type"] == "'application/vnd.api+json'"
        for template in response["responseTemplates"].values():
            # When API Gateway fills in its variables (messageString arrives JSON-quoted)
            rendered = (template.replace("$context.error.messageString", '"Missing Authentication Token"')
                        .replace("$context.requestId", "req-1"))
            # Then the body is a JSON:API error whose status matches the HTTP status
            (error,) = json.loads(rendered)["errors"]
            assert {"title", "detail", "code", "status"} <= set(error), response_type
            assert error["status"] == response["statusCode"], response_type
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert responses["UNSUPPORTED_MEDIA_TYPE"]["statusCode"] == "415"


def test_every_function_has_a_log_group_with_retention_named_as_lambda_names_it(packaged: dict[str, Any]) -> None:
    # Given the packaged functions and log groups
    template = packaged["template"]
    groups = _resources(template, "AWS::Logs::LogGroup")
    # When each log group's name and retention are read
    named = {group["Properties"]["LogGroupName"]["Fn::Sub"]: group for group in groups.values()}
    # Then each function has the group Lambda writes to (/aws/lambda/<function name>), with a retention
    for function in _resources(template, "AWS::Serverless::Function"):
        group = named[f"/aws/lambda/${{{function}}}"]
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert template["Parameters"]["LogRetentionDays"]["Default"] == 30
    assert len(groups) == 4


def test_alarms_watch_the_dlq_the_worker_the_api_the_reconciler_and_the_schedules(packaged: dict[str, Any]) -> None:
    # Given the packaged alarms
    alarms = _resources(packaged["template"], "AWS::CloudWatch::Alarm")
    # When their metrics and dimensions are read
    watched = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]): a["Properties"] for a in alarms.values()
               if a["Properties"]["Namespace"] != "AWS/Lambda"}
    # Then a dead letter, a worker or scheduler error, API 5xx, the reconciler giving up and a failed schedule run
    # each fire one, on this stack's resources
    dlq = watched[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["WorkDeadLetterQueue", "QueueName"]}}]
    functions = [a["Properties"]["Dimensions"] for a in alarms.values() if a["Properties"]["Namespace"] == "AWS/Lambda"]
    assert sorted(dimension["Value"]["Ref"] for (dimension,) in functions) == ["OnWorkMessage", "RunSchedules"]
    failed_runs = watched[(telemetry.NAMESPACE, telemetry.SCHEDULE_RUNS["failed"])]
    assert failed_runs["Dimensions"] == [{"Name": "service", "Value": telemetry.SERVICE}]
    api = watched[("AWS/ApiGateway", "5XXError")]
    assert {"Name": "ApiName", "Value": {"Fn::Sub": "${AWS::StackName}"}} in api["Dimensions"]
    assert packaged["template"]["Resources"]["RestAPI"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}"}
    # (the metric the code emits, with the one dimension Powertools adds: an alarm on another set never fires)
    gave_up = watched[(telemetry.NAMESPACE, telemetry.CLEANUPS_GIVEN_UP)]
    assert gave_up["Dimensions"] == [{"Name": "service", "Value": telemetry.SERVICE}]
    assert CONFIG["environment_variables"]["POWERTOOLS_SERVICE_NAME"] == telemetry.SERVICE
    for alarm in (a["Properties"] for a in alarms.values()):
        assert alarm["Threshold"] >= 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["AlarmActions"]["Fn::If"][0] == "HasAlarmAction"


def test_custom_domain_maps_its_root_to_the_api_stage_when_a_domain_is_given(packaged: dict[str, Any]) -> None:
    # Given the packaged custom domain resources
    resources = packaged["template"]["Resources"]
    domain, mapping = resources["ApiDomainName"], resources["ApiBasePathMapping"]
    # When their conditions and properties are read
    # Then they exist only with a DomainName, and the domain root (no base path) serves the stage, so
    # https://<organization>.<domain>/api/... reaches the /api/... routes as the official clients call them
    assert domain["Condition"] == mapping["Condition"] == "HasDomainName"
    assert domain["Properties"]["DomainName"] == {"Ref": "DomainName"}
    assert domain["Properties"]["RegionalCertificateArn"] == {"Ref": "CertificateArn"}
    assert "BasePath" not in mapping["Properties"]
    assert mapping["Properties"]["RestApiId"] == {"Ref": "RestAPI"}
    assert mapping["Properties"]["Stage"] == {"Ref": "RestAPI.Stage"}
    assert resources["RestAPI"]["Properties"]["StageName"] == "api"
    assert packaged["template"]["Parameters"]["DomainName"]["Default"] == ""
