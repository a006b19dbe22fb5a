"""Finding the dateline lead at the start of a story's first paragraph.

A lead is a place, an optional day and month, an optional agency in brackets and a dash:
``MINSK, 7 January (BelTA) –``, ``МИНСК, 7 января (БЕЛТА) –``, ``NEW YORK (AP) _``,
``Berlin (dpa) -``, ``LONDON, Jan. 7 (Reuters) -``, ``PARIS, 7 janvier (AFP) -``.

Guarantees: only the very start of the text is examined; the place must be one to four capitalised
words, and a lead needs a date or an agency (or an all-capitals place before a long sentence), so
an ordinary sentence is not taken for a dateline. An impossible date (``31 February``) raises
``TimestampError``; nothing else raises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from shared.core.errors import TimestampError
from shared.core.model import Dateline
from shared.reading.timestamps import DAY_MONTH_PATTERN, MONTHS, recent_date

_WORD = r"[^\W\d_](?:[^\W_]|['’.])*(?:-[^\W\d_](?:[^\W_]|['’.])*)*"
_DAY_MONTH_YEAR = rf"(?P<date>{DAY_MONTH_PATTERN})(?:,?\s+(?P<year>\d{{4}}))?"
_LEAD = re.compile(
    rf"""\s*(?P<located>{_WORD}(?:[ \t]+{_WORD}){{0,3}}?)
    (?:\s*,\s*(?P<region>{_WORD}(?:[ \t]+{_WORD})?))??
    (?:\s*,\s*{_DAY_MONTH_YEAR})?
    (?:\s*\((?P<source>[^()\n]{{2,40}})\))?
    (?P<dash>\s*(?:\.-|--|[-–—_])\s*)""",
    re.VERBOSE | re.IGNORECASE,
)
_DATE_ONLY = re.compile(_DAY_MONTH_YEAR, re.IGNORECASE)
_DASH = re.compile(r"\s*(?:\.-|--|[-–—_])(?:\s+|$)")
_CONNECTORS = frozenset(
    (
        "de",
        "da",
        "do",
        "dos",
        "das",
        "del",
        "di",
        "la",
        "le",
        "les",
        "am",
        "an",
        "der",
        "im",
        "upon",
        "on",
        "sur",
        "en",
        "of",
        "na",
        "nad",
        "pod",
    )
)
MAX_PLACE_WORDS = 4
_LOWERCASE_AGENCIES = frozenset({"dpa", "epa"})


def _capitalised(words: list[str]) -> bool:
    """Every word capitalised (``de``, ``am``, ``on`` allowed inside), at most four words."""
    if not words or len(words) > MAX_PLACE_WORDS:
        return False
    return words[0][0].isupper() and all(
        w[0].isupper() or w.lower() in _CONNECTORS for w in words[1:]
    )


def _title_part(part: str, first: bool) -> str:
    if not first and part.lower() in _CONNECTORS:
        return part.lower()
    if len(part) > 2 and part[1] in "'’":  # O'HARE, D'IVOIRE
        return part[:2].upper() + part[2].upper() + part[3:].lower()
    return part[:1].upper() + part[1:].lower()


def title_case(place: str) -> str:
    """``NEW YORK`` → ``New York``, ``ROSTOV-ON-DON`` → ``Rostov-on-Don``; mixed case is kept."""
    words = place.split()
    if any(c.islower() for c in place if c.isalpha()) and not place.isupper():
        return " ".join(words)
    out = []
    for i, word in enumerate(words):
        parts = word.split("-")
        out.append("-".join(_title_part(p, i == 0 and j == 0) for j, p in enumerate(parts)))
    return " ".join(out)


def _plausible_source(source: str) -> bool:
    words = source.split()
    if not 1 <= len(words) <= 3:
        return False
    return any(c.isupper() for c in source) or source.strip() in _LOWERCASE_AGENCIES


def _date(m: re.Match[str], near: date | None) -> date | None:
    """The date of a match of ``_DAY_MONTH_YEAR``: its own year if written, else the latest
    not after ``near`` + ``AHEAD`` (``recent_date``): a dateline names the past."""
    day, month = int(m["d1"] or m["d2"]), MONTHS[(m["m1"] or m["m2"]).lower()]
    if m["year"]:
        try:
            return date(int(m["year"]), month, day)
        except ValueError:
            raise TimestampError(f"impossible date in dateline: {m[0]!r}") from None
    return None if near is None else recent_date(day, month, near)


def _date_text(raw: str | None, near: date | None) -> date | None:
    if not raw or not raw.strip():
        return None
    numeric = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.?", raw.strip())  # "7.1" = 7 January
    if numeric:
        return None if near is None else recent_date(int(numeric[1]), int(numeric[2]), near)
    m = _DATE_ONLY.fullmatch(" ".join(raw.split()))
    if m is None:
        raise TimestampError(f"unreadable date in dateline: {raw!r}")
    return _date(m, near)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _from_pattern(text: str, pattern: str, near: date | None) -> tuple[Dateline, int] | None:
    m = _compile(pattern).match(text)
    if m is None or m.end() == 0:
        return None
    groups = m.groupdict()
    lead = text[: m.end()].strip().rstrip("-–—_ ").strip()
    dash = _DASH.match(text, m.end())
    end = dash.end() if dash else m.end()
    end += len(text[end:]) - len(text[end:].lstrip())
    located = groups.get("located")
    source = groups.get("source")
    return Dateline(
        located=title_case(located.strip()) if located else None,
        date=_date_text(groups.get("date"), near),
        source=source.strip() if source else None,
        text=lead or None,
    ), end


def _generic(text: str, near: date | None) -> tuple[Dateline, int] | None:
    m = _LEAD.match(text)
    if m is None or not _capitalised(m["located"].split()):
        return None
    if m["region"] and not _capitalised(m["region"].split()):
        return None
    dash = m["dash"]
    if dash == dash.strip() and text[m.start("dash") - 1] != ")":
        return None  # a hyphen touching both words: "Minsk-based"
    source = m["source"]
    if source is not None and not _plausible_source(source):
        return None
    rest = text[m.end() :]
    bare_caps = m["located"].isupper() and len(rest.split()) >= 12
    if m["date"] is None and source is None and not bare_caps:
        return None
    lead = text[m.start("located") : m.start("dash")].strip()
    located = title_case(m["located"])
    return Dateline(
        located=f"{located}, {title_case(m['region'])}" if m["region"] else located,
        date=_date(m, near) if m["date"] else None,
        source=source.strip() if source else None,
        text=lead,
    ), m.end()


def find_dateline(
    text: str, *, near: date | None, patterns: Sequence[str] = ()
) -> tuple[Dateline, int] | None:
    """The dateline lead at the start of ``text`` and the offset where the story after it begins.

    ``patterns`` (a partner profile's regexes with named groups ``located``/``date``/``source``)
    are tried first, anchored at the start. ``date`` is the local calendar date, a yearless one in
    the year ``recent_date`` picks for ``near`` (the past, or at most three days ahead; None
    without a day and month, or without ``near``). Returns None when the text does not start with
    a lead.
    """
    for pattern in patterns:
        found = _from_pattern(text, pattern, near)
        if found is not None:
            return found
    return _generic(text, near)
