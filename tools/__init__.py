"""Developer and operator commands, run from a checkout: never shipped in the Lambda bundle.

`python -m tools.admin` creates applications in a deployed stage; `python -m tools.seed`
bulk-loads demo records; `python -m tools.reindex` folds a stage's stored index values and
unique guards once after the case fold changed.
"""
