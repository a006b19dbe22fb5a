"""``word_count`` in one regex pass counts exactly what a search per token does."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from shared.reading.normalise import word_count

_WORD = re.compile(r"\w")
# Letters, digits, the underscore, punctuation and every kind of whitespace, in any order.
TEXT = st.text(
    alphabet=st.sampled_from([*"a1_é&-—.,'\"ß ", "\n", "\t", "\u00a0", "\u2003", "\x1c"]),
    max_size=40,
)


def _by_token(text: str) -> int:
    return sum(1 for token in text.split() if _WORD.search(token))


@given(TEXT)
def test_word_count_is_the_tokens_with_a_letter_or_digit(text: str) -> None:
    assert word_count(text) == _by_token(text)


def test_word_count_of_runs_of_punctuation() -> None:
    assert word_count("&" * 1000) == 0
    assert word_count("&" * 1000 + "a") == 1
    assert word_count("a" + "&" * 1000 + " &&& b") == 2
