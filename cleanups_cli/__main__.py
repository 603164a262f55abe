"""`python -m cleanups_cli`: the same as the `cleanups` console script."""
from cleanups_cli.main import run

run()
