"""Row `selection_read_amplification`: items DynamoDB read per item a selection returns.

Over one type holding every seeded `sku_list_items` record, two selections of 1,000:
an id range (bounds picked from the type's sorted ids) and a relationship id (one
sku list, which the seeder fills with 1,000 items). The reads are counted by
`SelectionStats` (ScannedCount summed over the Query pages; BatchGetItem items read).
"""
from __future__ import annotations

from typing import Any

from bench.data import SeededSet
from bench.stack import progress
from chalicelib import aws
from chalicelib.catalog import get_type
from chalicelib.config import get_settings
from chalicelib.filters import parse_filters
from chalicelib.records import RecordsStore, SelectionStats, select_ids
from chalicelib.records.items import partition

TYPE = "sku_list_items"
MATCHES = 1000


def _all_ids(seeded: SeededSet) -> list[str]:
    client = aws.client("dynamodb")
    request: dict[str, Any] = {"TableName": get_settings().records_table, "KeyConditionExpression": "pk = :pk",
                               "ExpressionAttributeValues": {":pk": {"S": partition(seeded.tenant, TYPE)}},
                               "ProjectionExpression": "sk"}
    ids: list[str] = []
    while True:
        page = client.query(**request)
        ids.extend(item["sk"]["S"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return sorted(ids)
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _measure(seeded: SeededSet, filters: dict[str, str], records: int, backend: str, note: str) -> dict[str, Any]:
    conditions = parse_filters(get_type(TYPE).filterable(), filters).conditions
    stats = SelectionStats()
    ids = select_ids(seeded.tenant, TYPE, conditions, stats=stats, store=RecordsStore())
    progress(f"  {filters}: {len(ids)} selected, {stats.scanned} items read in {stats.calls} calls")
    row: dict[str, Any] = {
        "name": "selection_read_amplification", "items_read_per_match": round(stats.scanned / max(1, len(ids)), 3),
        "filters": filters, "records": records, "matched": len(ids), "items_read": stats.scanned,
        "backend": backend,
    }
    if note:
        row["note"] = note
    return row


def run(seeded: SeededSet, backend: str, note: str = "") -> list[dict[str, Any]]:
    ids = _all_ids(seeded)
    progress(f"selection_read_amplification[{backend}]: {len(ids)} {TYPE}, selections of {MATCHES}")
    middle = len(ids) // 2
    low, high = ids[middle], ids[min(len(ids), middle + MATCHES) - 1]
    return [
        _measure(seeded, {"id_gteq": low, "id_lteq": high}, len(ids), backend, note),
        _measure(seeded, {"sku_list_id_eq": seeded.sku_lists[0]}, len(ids), backend, note),
    ]
