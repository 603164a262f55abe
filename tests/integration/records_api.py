"""The records use cases with a store given, as `chalicelib.bootstrap` gives it: tests call them without one.

A store is built per call (settings are read then) unless one is given as `store=` (None: not given).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from chalicelib import records
from chalicelib.bootstrap import records_store
from chalicelib.config import get_settings


def _bound(use_case: Callable[..., Any], store: Callable[[], records.RecordsStore] = records_store) -> Any:
    @wraps(use_case)
    def call(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("store") is None:
            kwargs["store"] = store()
        return use_case(*args, **kwargs)
    return call


def _deletes() -> records.RecordsStore:
    return records.RecordsStore(concurrency=get_settings().delete_concurrency)


create_record = _bound(records.create_record)
get_record = _bound(records.get_record)
update_record = _bound(records.update_record)
delete_record = _bound(records.delete_record)
list_records = _bound(records.list_records)
select_ids = _bound(records.select_ids)
select_page = _bound(records.select_page)
existing_ids = _bound(records.existing_ids)
preview = _bound(records.preview)
restore_batch = _bound(records.restore_batch)
delete_batch = _bound(records.delete_batch, _deletes)
