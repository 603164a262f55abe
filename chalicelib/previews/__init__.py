"""Cleanup previews: the dry run of a cleanup create, kept for a day.

Use cases take a `Ports` first (`chalicelib.bootstrap.preview_ports()` builds the real one).
"""
from chalicelib.previews.model import KEPT_FOR, SAMPLE_SIZE, TYPE, Preview
from chalicelib.previews.ports import Ports, PreviewRepository, RecordsPreviewer, Selection
from chalicelib.previews.service import create_preview, get_preview

__all__ = [
    "KEPT_FOR", "SAMPLE_SIZE", "TYPE", "Ports", "Preview", "PreviewRepository", "RecordsPreviewer", "Selection",
    "create_preview", "get_preview",
]
