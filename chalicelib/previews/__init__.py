"""Cleanup previews: the dry run of a cleanup create, kept for a day; large ones counted by the worker.

Use cases take a `Ports` first (`chalicelib.bootstrap.preview_ports()` builds the real one).
"""
from chalicelib.previews.model import COMPLETED, FAILED, KEPT_FOR, PENDING, SAMPLE_SIZE, TYPE, Preview
from chalicelib.previews.ports import Page, Ports, PreviewRepository, RecentCleanups, RecordsPreviewer, Selection
from chalicelib.previews.service import (
    KIND,
    continue_preview,
    create_preview,
    get_preview,
    preview_message,
    reconcile_previews,
)

__all__ = [
    "COMPLETED", "FAILED", "KEPT_FOR", "KIND", "PENDING", "SAMPLE_SIZE", "TYPE", "Page", "Ports", "Preview",
    "PreviewRepository", "RecentCleanups", "RecordsPreviewer", "Selection", "continue_preview", "create_preview",
    "get_preview", "preview_message", "reconcile_previews",
]
