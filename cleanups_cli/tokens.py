"""The token cache: one access token per API base URL, with its expiry, in a file only its owner can read.

The client secret is never written: a token is refreshed with the credentials given to the command
(flags or CLEANUPS_CLIENT_ID / CLEANUPS_CLIENT_SECRET).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# A token this close to its expiry is treated as expired, so it cannot lapse between check and request.
EXPIRY_MARGIN_SECONDS = 30


@dataclass(frozen=True)
class CachedToken:
    access_token: str
    expires_at: float
    client_id: str

    def is_fresh(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) < self.expires_at - EXPIRY_MARGIN_SECONDS


def default_path() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "cleanups" / "tokens.json"


class TokenCache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def get(self, base_url: str) -> CachedToken | None:
        entry = self._read().get(base_url)
        try:
            return CachedToken(**entry) if isinstance(entry, dict) else None
        except TypeError:  # an entry written by another version: as if absent
            return None

    def put(self, base_url: str, token: CachedToken) -> None:
        self._write({**self._read(), base_url: asdict(token)})

    def forget(self, base_url: str) -> None:
        entries = self._read()
        if entries.pop(base_url, None) is not None:
            self._write(entries)

    def _read(self) -> dict[str, object]:
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return entries if isinstance(entries, dict) else {}

    def _write(self, entries: dict[str, object]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        # Created 0600 before anything is written, then renamed over: the token is never readable by others.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as output:
            json.dump(entries, output, indent=2)
        os.chmod(temporary, 0o600)  # O_CREAT's mode does not apply to a file left over from a crash
        os.replace(temporary, self.path)
