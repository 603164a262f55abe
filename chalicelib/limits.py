"""Every bound on client input, with why; checked while a request is parsed, before DynamoDB sees it.

Each limit keeps a request inside what the backend accepts, so the client gets a 4xx with a
pointer (or parameter) instead of a 500. docs/API.md#input-limits lists them for clients.
"""
from __future__ import annotations

from chalicelib.config import get_settings
from chalicelib.tenancy import ID_LENGTH

# A request body: far below API Gateway's 10 MB, and every item a body can create (a record,
# a cleanup with its filters) stays below DynamoDB's 400 KB item limit.
MAX_BODY_BYTES = 256 * 1024

# Nesting of a JSON body (arrays and objects): a JSON:API document is 3 deep, metadata adds a few.
# Checked on the raw text, so json.loads and every recursive walk after it stay far from
# Python's recursion limit.
MAX_JSON_DEPTH = 32

# One string attribute value (at any depth): 16,384 characters are at most 64 KB of UTF-8.
# A cleanup's version stores the old and the new value of each changed attribute in one item.
MAX_STRING_CHARS = 16_384

# `metadata`, serialized: old and new in a version item, with the rest, stay below 400 KB.
MAX_METADATA_BYTES = 64 * 1024

# A string that becomes (part of) a key: `code` and `reference` (unique guards, case-folded index
# keys), relationship ids, filter operands (index key conditions). 255 characters are at most
# 1,020 bytes: under DynamoDB's 1,024-byte limit on a sort key.
MAX_KEY_CHARS = 255

# DynamoDB's limit on a sort key. Case folding can grow text past it (`ᾀ` is 3 bytes, folded 5;
# the musical symbol U+1D160 is 4, folded 12), so a folded key is checked in bytes too (`fits_key`).
MAX_KEY_BYTES = 1024

# Ids the service issues are 10-character base62 strings: a longer one in a path names nothing.
MAX_ID_CHARS = ID_LENGTH

# A token request's client_id (a DynamoDB hash key: 2,048 bytes at most), client_secret and scope.
# Issued client ids and secrets are 32 and 43 visible ASCII characters; longer ones name no client.
MAX_TOKEN_FIELD_CHARS = 255


def max_list_values() -> int:
    """Operands of one `_in` / `_any` / `_all` filter: no more than a cleanup may select."""
    return get_settings().max_cleanup_records


def fits_key(text: str) -> bool:
    """Whether `text` fits in a DynamoDB sort key (its UTF-8 bytes)."""
    return len(text.encode("utf-8")) <= MAX_KEY_BYTES
