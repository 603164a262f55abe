"""What Lambda gives a handler, reproduced locally: the stage's environment, the app, a context.

Lambda sets the function's environment variables before the module is imported;
`apply_stage_environment` does the same from `.chalice/config.json` using
Chalice's own merge (top-level `environment_variables`, then the stage's).
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalice.app import Chalice
from chalice.config import Config

PROJECT_DIR = Path(__file__).resolve().parents[1]
ACCOUNT_ID = "123456789012"

Handler = Callable[[dict[str, Any], Any], Any]


def chalice_config(project_dir: Path, stage: str, function_name: str = "api_handler") -> Config:
    """Chalice's view of `.chalice/config.json` for one stage and function."""
    config_path = project_dir / ".chalice" / "config.json"
    if not config_path.exists():
        raise FileNotFoundError(f"{config_path} is missing: the stage's settings come from it")
    config_from_disk = json.loads(config_path.read_text(encoding="utf-8"))
    return Config(chalice_stage=stage, function_name=function_name, config_from_disk=config_from_disk)


def stage_environment(project_dir: Path, stage: str) -> dict[str, str]:
    """The environment variables Chalice gives the stage's functions."""
    variables = chalice_config(project_dir, stage).environment_variables
    return {key: str(value) for key, value in variables.items()}


def context_factory(project_dir: Path, stage: str, app_name: str) -> ContextFactory:
    """Contexts named and timed like the deployed functions (`lambda_timeout` per function)."""

    @functools.cache
    def timeout_of(handler_name: str) -> float:
        return float(chalice_config(project_dir, stage, handler_name).lambda_timeout or 60)

    def new_context(handler_name: str) -> LambdaContext:
        function_name = f"{app_name}-{stage}-{handler_name}"
        return LambdaContext(function_name=function_name, timeout_seconds=timeout_of(handler_name))

    return new_context


def apply_stage_environment(project_dir: Path, stage: str) -> dict[str, str]:
    """Set the stage's variables in this process (they win over the shell's, as in `chalice local`)."""
    variables = stage_environment(project_dir, stage)
    os.environ.update(variables)
    return variables


def load_app(project_dir: Path, module_name: str = "app") -> Chalice:
    """Import the project's `app.py` and return its Chalice object."""
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    module = importlib.import_module(module_name)
    app = getattr(module, "app", None)
    if not isinstance(app, Chalice):
        raise TypeError(f"{module_name}.app in {project_dir} is not a Chalice app")
    return app


def event_handler(app: Chalice, name: str) -> Handler:
    """The Lambda entry point Chalice built for an event source (middleware included)."""
    handler: Handler = app.handler_map[name]
    return handler


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    timeout_seconds: float = 900.0
    memory_limit_in_mb: int = 1024
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    region: str = "us-east-1"
    _started: float = field(default_factory=time.monotonic, repr=False)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


ContextFactory = Callable[[str], LambdaContext]


def default_context(handler_name: str) -> LambdaContext:
    return LambdaContext(function_name=handler_name)
