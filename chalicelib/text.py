"""The case fold: how the service compares text case-insensitively, defined once.

`fold` is Unicode canonical caseless matching: NFD, then `str.casefold()`, then NFC. The `code` and
`reference` indexes store it and their key reads use it; the pattern filters (`_start`, `_end`,
`_cont`, `matches`...) compare by it; unique attributes (a sku's `code`) are unique by it.
`_eq` and `_in` stay exact, as SQL's `=`: for them the folded index only narrows what is read.
It never depends on context: `ς` (final sigma), `σ` and `Σ` all fold to `σ`. `ß` and `ẞ` fold to
`ss` (`Straße` and `STRASSE` are one code); `İ` to `i̇` (`i` and U+0307, so not `i`), `I` to `i`,
`ı` stays `ı` (no Turkish rule); `ﬁ` to `fi`, `ſ` to `s`. Canonically equivalent text (`é`, `e` +
U+0301) folds alike; NFC, not NFKC: fullwidth `Ａ` folds to `ａ`, `²` stays `²`.
"""
from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """`text` case-folded and composed (NFC); `fold(fold(t)) == fold(t)`."""
    # NFD first: casefold is defined on decomposed text (U+0345 after other marks, for one).
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())
