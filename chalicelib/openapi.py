"""The API's OpenAPI 3.1 document, served at /api/openapi.json.

`docs/openapi.yaml` is the source people edit; `scripts/build_openapi.py` writes
`chalicelib/openapi.json` from it (Lambda ships no YAML parser), and a test
keeps the two in step.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any


@functools.cache
def document() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "openapi.json").read_text())
