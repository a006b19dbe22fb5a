"""Plain-text wire copy: a story page scraped or pasted as text (docs/api.md, Partner profiles
and Items; docs/formats.md, HTML pages and plain text).

The shape it reads, with nothing configured but the partner's time zone::

    <site chrome: navigation, a scrape date such as "Flag Tuesday, 16 April 2024">
    President                              <- category label, directly above the stamp
    07 January 2022, 13:21                 <- stamp: a line that is only a date and a time
    <headline>                             <- the nearest line above the dateline lead
    MINSK, 7 January (BelTA) – <story…>    <- body starts at the dateline lead
    <more paragraphs…>
    <trailing chrome: short lines without sentence punctuation>

Generic rules, no site's words: the body is anchored on the dateline lead (found near the top,
never deep in the story); the stamp is only looked for next to the headline, so a scrape date in
the chrome is never the story's date; trailing short unpunctuated lines are chrome; a profile's
``strip_lines`` (literal lines or full-line regexes, case-insensitive) are removed anywhere.
Without a dateline the headline is the first substantial line and the body the rest.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from shared.core.errors import Invalid, TimestampError
from shared.core.model import Dateline, ParseContext, ParsedItem, Subject
from shared.reading.dateline import find_dateline
from shared.reading.timestamps import MONTH_PATTERN, local_date, parse_stamp

NAME = "text"
FAMILY = "text"

CHROME_MAX_WORDS = 8  # a trailing line this short without sentence punctuation is chrome
PROSE_MIN_WORDS = 10  # a punctuated line this long is story prose
PROSE_ANY_WORDS = 25  # a line this long is prose even without punctuation
LABEL_MAX_WORDS = 4
STAMP_REACH = 2  # the stamp is one of the two lines above the headline (or the one below it)

_SENTENCE_END = re.compile(r"[.!?…:;][\"'»”’)\]]*$")
_DATE_LINE = re.compile(
    rf"\b(?:{MONTH_PATTERN})\b.*\b\d{{4}}\b|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class _Line:
    no: int  # 1-based line number in the submitted text
    text: str  # trimmed; "" for a blank line


def sniff(text: str) -> bool:
    """Always True: plain text is the fallback of the text family."""
    return True


def _words(line: _Line) -> int:
    return len(line.text.split())


def _is_prose(line: _Line) -> bool:
    n = _words(line)
    return n >= PROSE_ANY_WORDS or (n >= PROSE_MIN_WORDS and bool(_SENTENCE_END.search(line.text)))


def _is_chrome(line: _Line) -> bool:
    return _words(line) <= CHROME_MAX_WORDS and not _SENTENCE_END.search(line.text)


def _is_label(line: _Line) -> bool:
    text = line.text
    return (
        _words(line) <= LABEL_MAX_WORDS
        and len(text) <= 40
        and text[:1].isalpha()
        and not any(c.isdigit() for c in text)
        and not re.search(r"[.!?:;]", text)
    )


def _is_substantial(line: _Line) -> bool:
    return _words(line) >= 3 and not (_words(line) <= 6 and _DATE_LINE.search(line.text))


def _strip_rule(rule: str, text: str) -> bool:
    if " ".join(rule.split()).casefold() == " ".join(text.split()).casefold():
        return True
    try:
        return re.fullmatch(rule, text, re.IGNORECASE) is not None
    except re.error:
        return False


def _lines(text: str, rules: tuple[str, ...]) -> list[_Line]:
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [_Line(no, line.strip()) for no, line in enumerate(raw, start=1)]
    return [ln for ln in kept if not (ln.text and any(_strip_rule(r, ln.text) for r in rules))]


class _Page:
    """The lines of one page and the positions found in them (indices into ``content``)."""

    def __init__(self, text: str, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.lines = _lines(text, ctx.profile.strip_lines)
        self.content = [ln for ln in self.lines if ln.text]
        self.pos = {ln.no: i for i, ln in enumerate(self.lines)}  # line number -> index in lines
        self.patterns = ctx.profile.dateline_patterns
        received = ctx.received_at
        self.received = received if received.tzinfo else received.replace(tzinfo=UTC)
        self.stamp: datetime | None = None
        self.stamp_at: int | None = None

    def stamp_of(self, i: int) -> datetime | None:
        """The instant if content line ``i`` is a stamp; TimestampError naming it if impossible."""
        if not 0 <= i < len(self.content):
            return None
        line = self.content[i]
        try:
            return parse_stamp(line.text, tz=self.ctx.tz, near=self.received)
        except TimestampError as exc:
            raise _at(TimestampError, line, exc.detail) from None

    def take_stamp(self, i: int) -> bool:
        found = self.stamp_of(i)
        if found is not None:
            self.stamp, self.stamp_at = found, i
        return found is not None

    def dateline_at(self) -> int | None:
        """The first line that opens with a dateline lead, unless story prose came before it."""
        prose_above = 0
        for i, line in enumerate(self.content):
            if prose_above > 1:
                return None
            try:
                if find_dateline(line.text, near=None, patterns=self.patterns) is not None:
                    return i
            except TimestampError:
                return i  # a lead with an impossible date: reported when read with its year
            prose_above += _is_prose(line)
        return None

    def first_substantial(self) -> int:
        """Without a dateline: the line after the last stamp above the story prose; else a
        chrome-free page's first line when a blank line follows it; else the first line of three
        or more words that is neither a stamp nor a bare date (a scrape date)."""
        stamps = [i for i in range(len(self.content)) if self.stamp_of(i) is not None]
        prose = next((i for i, ln in enumerate(self.content) if _is_prose(ln)), len(self.content))
        before = [i for i in stamps if i < prose]
        if before and before[-1] + 1 < len(self.content):
            return before[-1] + 1
        candidates = [i for i in range(len(self.content)) if i not in stamps]
        if not candidates:
            raise _at(Invalid, self.content[0], "the text has no headline, only a timestamp")
        after = self.pos[self.content[candidates[0]].no] + 1
        if after < len(self.lines) and not self.lines[after].text:
            return candidates[0]
        return next((i for i in candidates if _is_substantial(self.content[i])), candidates[0])

    def locate(self) -> tuple[int, int, bool]:
        """(headline index, body start index, whether the body opens with a dateline lead)."""
        lead = self.dateline_at()
        if lead is not None:
            head = lead - 1
            if self.take_stamp(head):  # the stamp between headline and lead
                head -= 1
            if head < 0:
                raise _at(Invalid, self.content[lead], "no headline above the dateline lead")
            start = lead
        else:
            head = self.first_substantial()
            start = head + 2 if self.take_stamp(head + 1) else head + 1
        for above in range(head - 1, head - 1 - STAMP_REACH, -1):
            if self.stamp is not None or self.take_stamp(above):
                break
        return head, start, lead is not None

    def body(self, start: int) -> list[str]:
        """Paragraphs from content line ``start`` to the end, trailing chrome removed."""
        body = self.lines[self.pos[self.content[start].no] :]
        while len(body) > 1 and (not body[-1].text or _is_chrome(body[-1])):
            body.pop()
        if not any(not ln.text for ln in body):
            return [ln.text for ln in body if ln.text]
        paragraphs, block = [], []
        for ln in [*body, _Line(0, "")]:
            if ln.text:
                block.append(ln.text)
            elif block:
                paragraphs.append(" ".join(block))
                block = []
        return paragraphs

    def category(self, head: int) -> list[Subject]:
        if self.stamp_at is None or self.stamp_at >= head or self.stamp_at == 0:
            return []
        above = self.content[self.stamp_at - 1]
        if not _is_label(above) or self.stamp_of(self.stamp_at - 1) is not None:
            return []
        subjects = [Subject(scheme="category", code=None, name=above.text)]
        mapped = self.ctx.profile.mapped_subject(above.text)
        if mapped is not None and mapped not in subjects:
            subjects.append(mapped)
        return subjects

    def local_day(self) -> date:
        return local_date(self.stamp or self.received, self.ctx.tz)


def _at(kind: type[Invalid], line: _Line, message: str) -> Invalid:
    return kind(f"line {line.no}: {message}", errors=[{"line": line.no, "message": message}])


def parse(text: str, ctx: ParseContext) -> list[ParsedItem]:
    """Read one story; raises ``Invalid`` (no headline or no body text, naming the line) or
    ``TimestampError`` (an impossible stamp or dateline date, naming the line)."""
    page = _Page(text, ctx)
    if not page.content:
        raise Invalid("the text is empty", errors=[{"line": 1, "message": "no headline"}])
    head, start, has_lead = page.locate()
    headline = page.content[head]
    paragraphs = page.body(start) if start < len(page.content) else []
    if not paragraphs:
        raise _at(Invalid, headline, "the story has no body text after the headline")
    dateline: Dateline | None = None
    if has_lead:
        try:
            found = find_dateline(paragraphs[0], near=page.local_day(), patterns=page.patterns)
        except TimestampError as exc:
            raise _at(TimestampError, page.content[start], exc.detail) from None
        dateline = found[0] if found else None
    return [
        ParsedItem(
            format=NAME,
            headline=headline.text,
            body_text="\n\n".join(paragraphs),
            body_html="\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
            dateline=dateline,
            firstcreated=page.stamp,
            versioncreated=page.stamp,
            subjects=page.category(head),
            source=dateline.source if dateline else None,
        )
    ]
