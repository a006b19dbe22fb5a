"""normalise's text helpers, written for speed, give exactly what their plain definitions do:
``word_count`` (one regex pass) a search per token, ``_folded`` (split and join) a regex
substitution of whitespace runs."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from shared.reading.normalise import _folded, word_count

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


@given(TEXT)
def test_folding_is_one_space_for_each_run_and_none_at_the_ends(text: str) -> None:
    assert _folded(text) == re.sub(r"\s+", " ", text).strip()


def test_word_count_of_runs_of_punctuation() -> None:
    assert word_count("&" * 1000) == 0
    assert word_count("&" * 1000 + "a") == 1
    assert word_count("a" + "&" * 1000 + " &&& b") == 2
