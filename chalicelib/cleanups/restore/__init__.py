"""Restoring a finished cleanup's deleted records: its state (`model`), the API's request and interrupt
(`services`), the restore worker (`worker`) and the reconciler's part (`reconciler`)."""
