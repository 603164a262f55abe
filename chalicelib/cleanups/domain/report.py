"""The complete report of a cleanup (`report_url`): its rows, its parts and its CSV, pure.

A row is one record the cleanup selected: its id, its outcome (`deleted`, `error`,
`not_processed`), its errors as `attribute: message; …`, and how many records of each
associated type were deleted with it. A part holds the rows of some sub-batches, by sub-batch
number, so a sub-batch written twice (a redelivery) is one set of rows: `merge` keeps the first.
The CSV is `id,outcome,errors,<associated type>...`, one row per selected record in snapshot
order, gzip'ed. Why parts per delivery, and composed at the end: docs/DESIGN.md#the-complete-report
"""
from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.catalog import get_type

DELETED, ERROR, NOT_PROCESSED = "deleted", "error", "not_processed"
HEADER = ("id", "outcome", "errors")
LINK_SECONDS = 3600  # a report_url is valid this long, and signed again on each read
LOST = {"base": ["was not deleted"]}  # an error whose message went with its worker and past the errors log
VERSION = 1


@dataclass(frozen=True)
class Row:
    id: str
    outcome: str
    errors: str = ""
    associated: Mapping[str, int] = field(default_factory=dict)


def error_text(errors: Mapping[str, Sequence[str]]) -> str:
    """`{"updated_at": ["has been modified"]}` -> `updated_at: has been modified` (entries joined by `; `)."""
    return "; ".join(f"{attribute}: {message}" for attribute, messages in errors.items() for message in messages)


def rows_of(ids: Sequence[str], deleted: Iterable[str], errors: Mapping[str, Mapping[str, Sequence[str]]],
            associated: Mapping[str, Mapping[str, int]]) -> list[Row]:
    """A counted sub-batch's rows, in `ids` order: each id is an error or else deleted (gone counts as deleted)."""
    gone = set(deleted)
    return [Row(i, ERROR, error_text(errors[i])) if i in errors and i not in gone
            else Row(i, DELETED, associated=dict(associated.get(i, {}))) for i in ids]


def not_processed(ids: Sequence[str]) -> list[Row]:
    """The rows of a sub-batch never begun: what an interrupt left."""
    return [Row(i, NOT_PROCESSED) for i in ids]


def associated_types(type_name: str) -> list[str]:
    """The report's count columns: every type a delete of `type_name` reaches through its cascades, sorted."""
    reached: set[str] = set()
    pending = [type_name]
    while pending:
        for cascade in get_type(pending.pop()).cascades:
            if cascade.type not in reached:
                reached.add(cascade.type)
                pending.append(cascade.type)
    return sorted(reached)


def encode_part(rows: Mapping[int, Sequence[Row]]) -> bytes:
    """Rows by sub-batch number, as one gzip'ed JSON object (`mtime=0`: the same rows, the same bytes)."""
    document = {"version": VERSION, "sub_batches": {
        str(number): [[r.id, r.outcome, r.errors, dict(r.associated)] for r in part] for number, part in rows.items()}}
    return gzip.compress(json.dumps(document, separators=(",", ":")).encode(), mtime=0)


def decode_part(body: bytes) -> dict[int, list[Row]]:
    document: dict[str, Any] = json.loads(gzip.decompress(body))
    return {int(number): [Row(i, outcome, errors, counts) for i, outcome, errors, counts in part]
            for number, part in document["sub_batches"].items()}


def merge(parts: Iterable[Mapping[int, Sequence[Row]]]) -> dict[int, Sequence[Row]]:
    """Rows by sub-batch from every part; a sub-batch in several parts keeps the first one's rows."""
    merged: dict[int, Sequence[Row]] = {}
    for part in parts:
        for number, rows in part.items():
            merged.setdefault(number, rows)
    return merged


def render_csv(rows: Iterable[Row], columns: Sequence[str]) -> bytes:
    """The report file: the header, then one line per row, gzip'ed."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([*HEADER, *columns])
    for row in rows:
        writer.writerow([row.id, row.outcome, row.errors, *(row.associated.get(c, 0) for c in columns)])
    return gzip.compress(text.getvalue().encode(), mtime=0)


def read_csv(body: bytes) -> list[dict[str, str]]:
    """The report's lines as dicts by column (what a client reads; the tests and the bench use it)."""
    return list(csv.DictReader(io.StringIO(gzip.decompress(body).decode())))
