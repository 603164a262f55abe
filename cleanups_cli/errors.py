"""What can go wrong talking to the service; `main.ReportingGroup` turns each into error lines and exit 1."""
from __future__ import annotations

from typing import Any


class CliError(Exception):
    """An error the user should read as lines on stderr, never as a traceback."""

    def lines(self) -> list[str]:
        return [str(self)]


class ApiError(CliError):
    """The API answered with a JSON:API error document (or, from a proxy, something that is not one)."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {str(error.get("code")) for error in self.errors}

    def lines(self) -> list[str]:
        return [error_line(self.status, error) for error in self.errors] or [f"HTTP {self.status}"]


class NetworkError(CliError):
    """The service could not be reached, or did not answer in time."""


class CredentialsError(CliError):
    """No usable token and no client credentials to get one."""


def error_line(status: int, error: dict[str, Any]) -> str:
    """`<title>: <detail> (<where>)`: one line per JSON:API error object, the parts it has."""
    title = str(error.get("title") or f"HTTP {error.get('status', status)}")
    detail = str(error.get("detail") or "")
    line = title if not detail or detail == title else f"{title}: {detail}"
    source = error.get("source") or {}
    where = next((f"{key} {value}" for key, value in source.items() if value not in (None, "")), None)
    if where:
        line += f" ({where})"
    return line
