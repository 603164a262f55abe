"""The schedule use cases: CRUD and the runner; functions that take a `chalicelib.schedules.Ports` first."""
