"""In-memory stand-ins for the service's ports, for tests that need no AWS."""
from __future__ import annotations


class MemoryArchive:
    """The `Archive` port in a dict: bytes by key."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes) -> None:
        self.objects[key] = body

    def create(self, key: str, body: bytes) -> bytes | None:
        if key in self.objects:
            return self.objects[key]
        self.objects[key] = body
        return None

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)
