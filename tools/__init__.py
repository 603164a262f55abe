"""Developer and operator commands, run from a checkout: never shipped in the Lambda bundle.

`python -m tools.admin` creates applications in a deployed stage; `python -m tools.seed`
bulk-loads demo records.
"""
