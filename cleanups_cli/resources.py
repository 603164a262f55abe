"""The cleanup calls the commands make, each one request (the preview's fallback two, a pending one its polls)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cleanups_cli.client import ApiClient
from cleanups_cli.errors import ApiError
from cleanups_cli.filters import as_query

SAMPLE_SIZE = 10


@dataclass
class Preview:
    """What a cleanup created now would delete. `estimated` is False when the server has no preview route."""

    resource_type: str
    filters: dict[str, Any]
    records_count: int
    sample: list[dict[str, Any]]
    associated_counts: dict[str, int] | None = None
    items_count: int | None = None
    estimated_seconds: float | None = None
    from_preview_route: bool = True
    notes: list[str] = field(default_factory=list)


Waiting = Callable[[dict[str, Any]], dict[str, Any]]  # a preview resource -> its attributes once counted


def preview(client: ApiClient, resource_type: str, filters: dict[str, Any],
            waiting: Waiting = lambda resource: dict(resource["attributes"])) -> Preview:
    """`POST /api/cleanup_previews`, then `waiting` for it to be counted (the GETs of a pending one); where the
    server has no such route, the list route's count and first records."""
    try:
        document = client.request("POST", "/api/cleanup_previews", {"data": {
            "type": "cleanup_previews", "attributes": {"resource_type": resource_type, "filters": filters}}})
    except ApiError as exc:
        if exc.status not in (404, 405):
            raise
        return _preview_from_list(client, resource_type, filters)
    attributes = waiting(document["data"])
    return Preview(resource_type, filters, int(attributes["records_count"]), list(attributes.get("sample") or []),
                   associated_counts=attributes.get("associated_counts"), items_count=attributes.get("items_count"),
                   estimated_seconds=attributes.get("estimated_seconds"))


def _preview_from_list(client: ApiClient, resource_type: str, filters: dict[str, Any]) -> Preview:
    # The list route and a cleanup select the same records for the same filters; associated ones go uncounted.
    page = client.request("GET", f"/api/{resource_type}", params={
        **as_query(filters), "page[size]": str(SAMPLE_SIZE), "sort": "id"})
    sample = [{"id": record["id"], **{key: record["attributes"][key] for key in ("code", "name")
                                      if record.get("attributes", {}).get(key) is not None}}
              for record in page["data"]]
    return Preview(resource_type, filters, int(page["meta"]["record_count"]), sample, from_preview_route=False,
                   notes=["this server has no preview route (POST /api/cleanup_previews): records counted "
                          "through the list route, associated records not counted"])


def create(client: ApiClient, resource_type: str, filters: dict[str, Any],
           expected_records_count: int | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"resource_type": resource_type, "filters": filters}
    if expected_records_count is not None:
        attributes["expected_records_count"] = expected_records_count
    return client.request("POST", "/api/cleanups", {"data": {"type": "cleanups", "attributes": attributes}})["data"]


def get(client: ApiClient, cleanup_id: str) -> dict[str, Any]:
    return client.request("GET", f"/api/cleanups/{quote(cleanup_id, safe='')}")["data"]


def page(client: ApiClient, number: int, size: int, status: str | None) -> dict[str, Any]:
    params = {"sort": "-created_at", "page[number]": str(number), "page[size]": str(size)}
    if status:
        params["filter[q][status_eq]"] = status
    return client.request("GET", "/api/cleanups", params=params)


def update(client: ApiClient, cleanup_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return client.request("PATCH", f"/api/cleanups/{quote(cleanup_id, safe='')}", {"data": {
        "type": "cleanups", "id": cleanup_id, "attributes": attributes}})["data"]
