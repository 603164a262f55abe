"""The cleanup use cases: functions that take a `chalicelib.cleanups.Ports` first (create, interrupt, select,
the batch worker, the reconciler, retry); they reach storage only through the ports."""
