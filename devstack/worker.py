"""`python -m devstack.worker`: the work queue's pollers alone, in their own process.

For a stack started with `WORKERS=0` (no pollers of its own): this process reaches the
same emulators through the caller's `AWS_ENDPOINT_URL*` variables, applies the stage's
environment from `CHALICE_PROJECT_DIR` (or the project) as the stack does, and runs the
app's `@app.on_sqs_message` handlers with the stack's pollers. SIGTERM or Ctrl-C lets the
batches in flight finish; SIGKILL is a crash, which the queue and the reconciler recover from.
"""
from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from devstack.lambda_runtime import PROJECT_DIR, apply_stage_environment, context_factory, load_app
from devstack.processes import stop_requested
from devstack.sqs_consumer import SqsConsumer, polling_client, start_pollers

logger = logging.getLogger(__name__)

READY_MARKER = "cleanups local worker ready:"


class WorkerError(RuntimeError):
    """The worker cannot start: no emulator endpoint to reach."""


def start_consumers(project_dir: Path, stage: str, workers: int) -> list[SqsConsumer]:
    """Start `workers` pollers per SQS source of the app in `project_dir`; the caller stops them."""
    if not os.environ.get("AWS_ENDPOINT_URL"):
        # Without it boto3 would reach real AWS with whatever credentials the shell holds.
        raise WorkerError("AWS_ENDPOINT_URL is not set: point it at the running stack's emulator")
    apply_stage_environment(project_dir, stage)
    app = load_app(project_dir)
    new_context = context_factory(project_dir, stage, app.app_name)
    return start_pollers(app, polling_client(workers), workers, new_context)


def run(project_dir: Path, stage: str, workers: int) -> int:
    """Poll until SIGTERM/SIGINT, then let the batches in flight finish."""
    stopping = stop_requested()
    try:
        consumers = start_consumers(project_dir, stage, workers)
    except WorkerError as exc:
        logger.error("%s", exc)
        return 1
    print(f"{READY_MARKER} {workers} poller(s) per queue, pid {os.getpid()}", flush=True)
    stopping.wait()
    for consumer in consumers:
        consumer.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 2),
                        help="pollers per queue (default: WORKERS or 2)")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--project-dir", type=Path,
                        default=Path(os.environ.get("CHALICE_PROJECT_DIR") or PROJECT_DIR))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return run(args.project_dir, args.stage, max(1, args.workers))


if __name__ == "__main__":
    raise SystemExit(main())
