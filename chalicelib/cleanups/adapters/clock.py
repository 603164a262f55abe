"""The clock of the ports (`chalicelib.cleanups.Clock`, `chalicelib.previews.ports.Clock`): UTC wall time."""
from __future__ import annotations

import time
from datetime import datetime

from chalicelib.tenancy import now


class SystemClock:
    """Implements `chalicelib.cleanups.Clock`: UTC wall time."""

    def now(self) -> datetime:
        return now()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
