"""`cleanups`: the command-line client of the cleanups API (public routes only; never shipped to Lambda)."""
from cleanups_cli.main import EXIT_INTERRUPTED, Session, app, run

__all__ = ["EXIT_INTERRUPTED", "Session", "app", "run"]
