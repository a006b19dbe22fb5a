"""Metadata text as agencies write it: an element's words with the breaks its markup implies, and
credit lines without the separator they were cut from.

``<byline>By JANE DOE<byttl>Staff Writer</byttl></byline>`` means "By JANE DOE Staff Writer",
not "By JANE DOEStaff Writer"; a credit sent as ``AAP -`` or ``dpa/`` (cut from "AAP - Sydney",
"dpa/AFP") means the agency. Body markup is not read here: it keeps its own structure.

Guarantees: nothing here raises; ``flat_text`` returns None for blank text; ``credit`` trims
separators and spaces at the ends only ("AP/Reuters", "dpa-AFX" are kept whole) and warns
``credit_trimmed`` when it did.
"""

from __future__ import annotations

from lxml import etree

from shared.reading.formats.common.xmlsafe import local
from shared.reading.repairs import warn

# Markup inside running text: it joins as written ("<em>un</em>usual", "(<org>EFE</org>)").
# Any other child element (byttl, city, country, story.date, br...) is a word break.
INLINE = frozenset(
    (
        "a", "abbr", "b", "big", "cite", "code", "del", "em", "font", "i", "inline", "ins",
        "mark", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "tt", "u",
        # NITF enriched text: names and numbers marked up inside a sentence
        "chron", "classifier", "event", "function", "lang", "money", "num", "object.title",
        "org", "person", "pronounce", "virtloc",
    )
)  # fmt: skip
# A break adds no space after an opening bracket or quote, nor before closing punctuation.
_OPENERS = frozenset("([{«“‘„¿¡")
_CLOSERS = frozenset(",.;:!?)]}»”’'")
# What a credit line is cut at: "AAP -", "AGENCY–", "dpa/", "Reuters |", "PA,".
SEPARATORS = " \t\r\n-‐‑‒–—―_/|\\,;:·•*"


def flat_text(element: etree._Element | None) -> str | None:
    """All text below ``element``, white space folded, a space at each word break; None when
    blank. Comments and processing instructions give no text (their tails are kept)."""
    if element is None:
        return None
    tokens: list[str | None] = []
    _collect(element, tokens, top=True)
    pieces: list[str] = []  # joined once at the end: growing one string would copy it each time
    last = ""  # the last non-empty piece, whose final character decides the break
    pending = False
    for token in tokens:
        if token is None:
            pending = True
        elif token:
            if pending and _breaks(last, token):
                pieces.append(" ")
            pieces.append(token)
            last, pending = token, False
    return " ".join("".join(pieces).split()) or None


def _collect(element: etree._Element, tokens: list[str | None], *, top: bool) -> None:
    """Text and tails in document order, None where a non-inline element starts or ends (the
    parser's depth limit bounds the recursion)."""
    boundary = not top and local(element.tag) not in INLINE
    if boundary:
        tokens.append(None)
    tokens.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            _collect(child, tokens, top=False)
        tokens.append(child.tail)
    if boundary:
        tokens.append(None)


def _breaks(before: str, after: str) -> bool:
    """A word break between ``before`` and ``after`` needs a space of its own."""
    if not before or before[-1].isspace() or after[0].isspace():
        return False
    return before[-1] not in _OPENERS and after[0] not in _CLOSERS


def credit(
    value: str | None, *, field: str, line: int | None = None, index: int | None = None
) -> str | None:
    """A credit, source, distributor or copyright holder without a dangling separator at either
    end ("AAP -" → "AAP"), warning ``credit_trimmed``; None when nothing is left."""
    if value is None:
        return None
    written = " ".join(value.split())
    trimmed = written.strip(SEPARATORS)
    if trimmed != written:
        warn(
            "credit_trimmed",
            f"{written[:60]!r} read as {trimmed[:60]!r}: a dangling separator was left out"
            if trimmed
            else f"{written[:60]!r} is only separators: left out",
            field=field,
            line=line,
            index=index,
        )
    return trimmed or None
