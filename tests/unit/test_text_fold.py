"""The one case fold (chalicelib.text.fold) on Greek, Turkish and German text, and its invariants."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.text import fold

LETTERS = "ΑΣΒσςαβΐΰİIıißẞSsStraßeé\u0301\u0345ᾳﬁ"
TEXT = st.text(st.one_of(st.sampled_from(LETTERS), st.characters(exclude_categories=("Cs",))), max_size=12)


@pytest.mark.parametrize("text, folded", [
    ("ΑΣ", "ασ"),  # str.lower() makes this "ας": a final sigma
    ("ας", "ασ"),
    ("ΑΣΒ-1", "ασβ-1"),
    ("ΑΣ-9", "ασ-9"),
    ("Ασ-9", "ασ-9"),
    ("ΟΔΥΣΣΕΥΣ", "οδυσσευσ"),
    ("Straße", "strasse"),
    ("STRASSE", "strasse"),
    ("ẞ", "ss"),
    ("İstanbul", "i\u0307stanbul"),  # a dotted capital I keeps its dot as U+0307
    ("ISTANBUL", "istanbul"),
    ("ıstanbul", "ıstanbul"),  # the dotless i is a letter of its own
    ("e\u0301", "é"),  # composed
    ("ﬁ", "fi"),
    ("Ａ", "ａ"),  # NFC, not NFKC: the fullwidth letter stays fullwidth
    ("x²", "x²"),
])
def test_fold_folds_greek_turkish_and_german_letters(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_never_depends_on_the_letters_around_a_sigma() -> None:
    # Given a sigma at the end of a word, before a letter, and alone
    # Then each folds to σ, as its lower-case and final forms do
    assert {fold(t) for t in ("Σ", "σ", "ς")} == {"σ"}
    assert fold("ΑΣ") + fold("Β") == fold("ΑΣΒ")


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_fold_is_idempotent_and_the_same_for_canonically_equivalent_text(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text)) == fold(text)
