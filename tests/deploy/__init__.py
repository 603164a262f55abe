"""Deployed-stack support: MiniStack on a free loopback port, and the stack deployed by `scripts/deploy.sh`.

MiniStack (PyPI `ministack`) emulates AWS in one process: CloudFormation with the SAM transform, S3,
API Gateway, Lambda (zip functions run as local processes), SQS event source mappings, EventBridge
schedules, CloudWatch Logs, SSM, ACM, and IAM checks (`AUTH=true`). Nothing of the local stack runs
here: no chalice local, no SQS pollers, no schedule thread. Whatever processes a message is the
deployed worker Lambda, invoked by the event source mapping the template declares.
"""
from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import boto3
import requests

from tests.e2e import free_ports

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".venv-tools" / "bin"  # MiniStack and the AWS CLI (requirements-tools.txt)
STAGE = "prod"
STACK = f"cleanups-{STAGE}"  # what scripts/deploy.sh enforces
REGION = "us-east-1"
BUCKET = "cleanups-deploy-artifacts"
# The official clients call https://<organization>.<domain>/api/...; on AWS DomainName would be the
# wildcard *.cleanups.example.test, but MiniStack matches custom domains by exact name only.
CLIENT_DOMAIN = "cleanups.example.test"
ORGANIZATION_SLUG = "demo"
T = TypeVar("T")


def operator_command(*args: str) -> list[str]:
    """The operator's application command, as docs/DEPLOY.md tells a user to run it (the one place naming it)."""
    return [sys.executable, "-m", "tools.admin", *args]


@dataclass
class MiniStack:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What the AWS CLI and boto3 need to talk to MiniStack instead of AWS: the endpoint, nothing else."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}

    def client(self, service: str) -> Any:
        return boto3.session.Session().client(service, endpoint_url=self.endpoint, region_name=REGION,
                                              aws_access_key_id="test", aws_secret_access_key="test")

    def reset(self) -> None:
        requests.post(f"{self.endpoint}/_ministack/reset", timeout=30).raise_for_status()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def loopback_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for https://127.0.0.1 (cert, key): webhook receivers must use https."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "receiver.pem", directory / "receiver.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def start_ministack(trusted_ca: Path, timeout: float = 60.0) -> MiniStack:
    """`python -m ministack` on a free loopback port, with IAM checks on; returns once it answers.

    Its Lambda processes inherit its environment: SSL_CERT_FILE makes the deployed functions trust
    `trusted_ca` (the test's https webhook receiver) where on AWS a receiver has a public certificate.
    """
    (port,) = free_ports(1)
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    # IAM on (AUTH); loopback only; no MQTT listener on its fixed port 8883 (parallel runs would clash).
    env.update({"GATEWAY_PORT": str(port), "BIND_HOST": "127.0.0.1", "AUTH": "true", "IOT_MTLS_ENABLED": "false",
                "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
                "PYTHONUNBUFFERED": "1", "SSL_CERT_FILE": str(trusted_ca)})
    workdir = Path(tempfile.mkdtemp(prefix="ministack-"))
    log_path = workdir / "ministack.log"
    with log_path.open("wb") as output:
        process = subprocess.Popen([str(TOOLS_BIN / "python"), "-m", "ministack"], cwd=workdir, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    stack = MiniStack(process, port, log_path)
    deadline = time.monotonic() + timeout
    while not _answers(f"{stack.endpoint}/_ministack/health"):
        if process.poll() is not None or time.monotonic() > deadline:
            stack.stop()
            raise RuntimeError(f"MiniStack did not start:\n{stack.log()[-3000:]}")
        time.sleep(0.2)
    return stack


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.ConnectionError:
        return False


def aws_cli(ministack: MiniStack, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`aws <args>` from the tools venv (awscli in requirements-tools.txt), endpoint redirected."""
    done = subprocess.run([str(TOOLS_BIN / "aws"), *args], env={**os.environ, **ministack.env},
                          capture_output=True, text=True, timeout=120)
    assert not check or done.returncode == 0, f"aws {' '.join(args)}: {done.stderr}"
    return done


def run_deploy(ministack: MiniStack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`scripts/deploy.sh <args>`, what `make deploy` runs, with only the AWS endpoint redirected."""
    return subprocess.run(["bash", str(ROOT / "scripts" / "deploy.sh"), *args], cwd=ROOT,
                          env={**os.environ, **ministack.env, **env}, capture_output=True, text=True, timeout=600)


@dataclass
class DeployedStack:
    ministack: MiniStack
    outputs: dict[str, str]
    package_dir: Path
    client_id: str = ""
    client_secret: str = ""
    organization_id: str = ""
    deploy_seconds: float = 0.0

    @property
    def endpoint_url(self) -> str:
        """The stage's execute-api base as MiniStack serves it (AWS: https://<id>.execute-api.<region>...)."""
        return f"{self.ministack.endpoint}/_aws/execute-api/{self.outputs['RestAPIId']}/api"

    def token(self, base_url: str | None = None, headers: dict[str, str] | None = None) -> str:
        response = requests.post(f"{base_url or self.endpoint_url}/oauth/token", headers=headers, timeout=60, json={
            "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret})
        assert response.status_code == 200, response.text
        access_token: str = response.json()["access_token"]
        return access_token

    def log_messages(self, output: str) -> list[str]:
        """Every event message in the function log group named by the stack output `output`."""
        logs = self.ministack.client("logs")
        pages = logs.get_paginator("filter_log_events").paginate(logGroupName=self.outputs[output])
        return [event["message"] for page in pages for event in page["events"]]


def create_application(stack: DeployedStack, slug: str, mode: str = "test") -> dict[str, Any]:
    """The operator command against the deployed applications table; the JSON it prints."""
    env = {**os.environ, **stack.ministack.env, "APPLICATIONS_TABLE": stack.outputs["ApplicationsTableName"]}
    done = subprocess.run(operator_command("create-application", "--organization-slug", slug, "--name", "deploy-test",
                                           "--kind", "integration", "--mode", mode),
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    created: dict[str, Any] = json.loads(done.stdout[:done.stdout.rindex("}") + 1])
    return created


def eventually(read: Callable[[], T], done: Callable[[T], bool], timeout: float, pause: float = 0.5) -> T:
    deadline = time.monotonic() + timeout
    while not done(value := read()) and time.monotonic() < deadline:
        time.sleep(pause)
    return value
