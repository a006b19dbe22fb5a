"""ANPA 1312 wire copy (AP and other ANPA wires) read into ``ParsedItem``s.

One message, as ANPA-1312 frames it::

    SYN SYN SOH  a1234 US selector        service level, story number, selector code
    r a DC3 DC1 BC-Slug 1stLd-Writethru 06-14 0512
                                           priority, category, format, keyword, version, date, words
    STX ^BC-Slug, 1st Ld-Writethru,512<    keyword line: slugline, version
        ^URGENT<                           priority marker (dropped)
        ^The headline<                     first other ``^`` line; further ones are the abstract
        ^Eds: ...<  / EDITOR'S NOTE _ ...  ednote (also as a body paragraph)
        ^AP Photo NY101<                   photo references: not mapped
        ^By NAME= ^AP Writer=              byline (``=``-terminated lines, joined with ", ")
        <TAB>   CITY (AP) _ Lead …         body: a tab (or indent) opens a paragraph
    ETX AP-WF-06-14-24 1532GMT< EOT        trailer → firstcreated = versioncreated

Alerts and digests: a caret line opening with an agency dateline (``^WASHINGTON (AP) — The
Senate …``) is story text, not a headline, so a flash or bulletin sent without one keeps its
sentence as the body (``normalise`` then titles it, ``headline_derived``); caret lines after the
headline of a story with no indented text are a digest's body, not its abstract. A table (the
DC2 format code, or agate sent without it: most text lines are columns of figures) keeps its
lines, caret headings ("East Division") among them, in ``<pre>``: there only ``By …`` lines are
bylines and nothing is an abstract. Header control codes never reach the slug.

Mappings: priority f/b/u/r/d/a/s/w/y → (priority 1-6, urgency 1-9) in ``PRIORITY``; the category
letter → Subject("anpa-category", letter, name for AP's standard letters), plus the profile's
``category_subjects`` entry for the letter or its name; a supplemental code in the keyword
(``BC-BKN--…``) → Subject("anpa-supplemental", "BKN"); a tabular body (DC2) → ``<pre>``; a
version or keyword line saying KILL, or a headline opening with KILL → pubstatus ``canceled``.
The trailer time is read in its zone (GMT; ET/CT/MT/PT via zoneinfo), else in ``ctx.tz``; a
two-digit year is the one nearest ``ctx.received_at``. ``uri`` stays None: the story number is a
per-circuit sequence, not a stable id. Several messages in one body are a batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from shared.core.errors import Invalid, TimestampError
from shared.core.model import Dateline, ParseContext, ParsedItem, PubStatus, Subject
from shared.reading.dateline import find_dateline
from shared.reading.formats.common import wireframe as wire
from shared.reading.timestamps import ZONES

NAME = "anpa-1312"
FAMILY = "text"

# ANPA priority letter -> (priority 1 Flash … 6 Ordinary, IPTC urgency 1 most … 9 least urgent)
PRIORITY = {
    "f": (1, 1),  # flash
    "b": (2, 2),  # bulletin
    "u": (3, 3),  # urgent
    "r": (4, 5),  # regular
    "d": (5, 6),  # deferred
    "a": (6, 7),  # weekday advance
    "s": (6, 7),  # Sunday / weekend advance
    "w": (6, 7),  # weekend advance
    "y": (6, 8),  # rerun
}
CATEGORIES = {
    "a": "Domestic news",
    "b": "Special events",
    "e": "Entertainment",
    "f": "Business and finance",
    "i": "International news",
    "k": "Commentary and editorials",
    "n": "State and regional news",
    "o": "Weather",
    "p": "Politics",
    "q": "Sports results",
    "s": "Sports",
    "v": "Advisories",
    "w": "Washington news",
}
REGIONAL_ZONES = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver"}
REGIONAL_ZONES["PT"] = "America/Los_Angeles"

_SNIFF = re.compile(r"\x01[A-Za-z]?\d{1,4}[^\x1f\n]{0,16}\x1f")
_LINE1 = re.compile(r"(?P<level>[A-Za-z])?(?P<number>\d{1,4})[^\x1f]{0,16}\x1f(?P<selector>.*)")
_LINE2 = re.compile(
    r"(?P<priority>[A-Za-z]) (?P<category>[A-Za-z])[ \t]*(?P<format>[\x0e\x0f\x11-\x14]+)?[ \t]*"
    r"(?P<rest>.*?)(?:[ \t]+(?P<date>\d{1,2}-\d{1,2})[ \t]+(?P<words>\d{1,5}))?[ \t]*"
)
_KEYWORD = re.compile(
    r"(?:(?:AM|PM|BC|AP)-)?(?:(?P<supp>[A-Za-z]{2,4})--)?(?P<slug>.+)", re.IGNORECASE
)
_KEYWORD_LINE = re.compile(r"(?P<keyword>[^,]+?)(?:,\s*(?P<version>[^,]*?))?,\s*\d{1,5}")
_MARKERS = re.compile(r"(?:BULLETIN|URGENT|FLASH|AP-?NewsAlert|NewsAlert)\W*", re.IGNORECASE)
_EDNOTE = re.compile(r"(?:EDITOR['’]?S NOTE\s*[_—–-]+|\(?Eds:)\s*(?P<note>.*?)\)?", re.IGNORECASE)
# A table row: figures, and columns parted by a tab or a run of spaces (not a sentence's end).
_COLUMNS = re.compile(r"[^\s.!?:;\"”](?:\t+| {2,})\S")
MIN_TABLE_ROWS = 3
_PHOTO = re.compile(r"(?:With )?AP Photos?\b", re.IGNORECASE)
_KILL = re.compile(r"\bkill\b", re.IGNORECASE)
_TRAILER = re.compile(
    r"(?:(?P<tag>[A-Za-z]{1,5}(?:-[A-Za-z]{1,5})*)-)?(?P<mo>\d{1,2})-(?P<d>\d{1,2})-"
    r"(?P<y>\d{4}|\d{2})[ \t]+(?P<h>\d{1,2}):?(?P<mi>\d{2})[ \t]*(?P<zone>[A-Za-z]{1,4})?[ \t]*<?"
)


def sniff(text: str) -> bool:
    """True only for text that opens with ANPA framing: [SYN…] SOH, a story number and US."""
    head = wire.starts_framed(text[:4096])
    return head is not None and _SNIFF.match(head) is not None


def parse(text: str, ctx: ParseContext) -> list[ParsedItem]:
    """One item per message; Invalid/TimestampError naming the line (and index in a batch)."""
    return wire.batch(wire.open_frames(text, "ANPA 1312"), lambda f: _message(f, ctx))


class _Story:
    """What the text between STX and ETX holds, sorted by kind of line."""

    def __init__(self, header_keyword: str, tabular: bool) -> None:
        self.header_keyword = header_keyword
        self.tabular = tabular
        self.keyword: str | None = None
        self.version: str | None = None
        self.headline: str | None = None
        self.abstract: list[str] = []
        self.ednotes: list[str] = []
        self.byline: list[str] = []
        self.paragraphs: list[str] = []
        self.table: list[str] = []  # a tabular body's lines as sent, its caret headings among them
        self._in_byline = False

    def caret(self, line: str) -> None:
        """File one ``^`` header line."""
        body = line[1:].strip()
        ends_byline = body.rstrip("<").rstrip().endswith("=")
        body = body.rstrip("<=@ \t").strip()
        note = _EDNOTE.fullmatch(body)
        if not body or _MARKERS.fullmatch(body):
            return
        if self.keyword is None and self.headline is None and self._keyword_line(body):
            return
        byline = not note and self._is_byline(body, ends_byline)
        if note:
            self.ednotes.append(note["note"].strip())
        elif _PHOTO.match(body):
            return
        elif byline:
            self.byline.append(body)
        elif self.headline is None:
            self.headline = body
        elif self.tabular:
            self.table.append(body)  # a table heading: "East Division", "All Times EDT"
        else:
            self.abstract.append(body)
        self._in_byline = byline

    def _is_byline(self, body: str, ends_byline: bool) -> bool:
        """``By NAME=`` and the ``=`` lines after it; in a table, only those: there ``=`` also
        ends table headings, which are no byline."""
        signed = self.headline is not None and body.startswith("By ") and len(body.split()) <= 10
        if self.tabular:
            return signed or (ends_byline and self._in_byline)
        return ends_byline or signed

    def _keyword_line(self, body: str) -> bool:
        """``BC-Slug, 1st Ld-Writethru,512`` or a line opening with the header's keyword."""
        match = _KEYWORD_LINE.fullmatch(body)
        if match and "-" in body[:12]:
            self.keyword, self.version = match["keyword"].strip(), match["version"] or None
        elif self.header_keyword and body.split(",")[0].strip() == self.header_keyword:
            keyword, _, version = body.partition(",")
            self.keyword, self.version = keyword.strip(), version.strip() or None
        return self.keyword is not None

    def body(self, line: str, block: list[str]) -> None:
        """Add a text line to the open paragraph ``block`` (a tab or indent opens a new one)."""
        if not line.strip():
            self.close(block)
            return
        self.table.append(line.rstrip())
        if line[:1] == "\t" or line.startswith("   "):
            self.close(block)
        block.append(line.strip())

    def close(self, block: list[str]) -> None:
        if not block:
            return
        paragraph = " ".join(block)
        block.clear()
        note = _EDNOTE.fullmatch(paragraph)
        if note and paragraph.upper().startswith("EDITOR"):
            self.ednotes.append(note["note"].strip())
        else:
            self.paragraphs.append(paragraph)

    def settle(self, patterns: Sequence[str]) -> None:
        """A caret "headline" opening with a dateline (``WASHINGTON (AP) — The Senate …``) is
        the first paragraph of an alert sent without a headline; caret lines after a headline
        with no text paragraphs are a digest's body, not an abstract."""
        if self.tabular:
            return
        if self.headline is not None and _is_lead(self.headline, patterns):
            self.abstract.insert(0, self.headline)
            self.headline = None
        if self.abstract and (self.headline is None or not self.paragraphs):
            self.paragraphs[:0] = self.abstract
            self.abstract = []


def _is_lead(text: str, patterns: Sequence[str]) -> bool:
    """Whether ``text`` opens with a dateline naming its agency: story text, never a headline
    (one with an impossible date is left where it is)."""
    try:
        found = find_dateline(text, near=None, patterns=patterns)
    except TimestampError:
        return False
    return found is not None and found[0].source is not None


def _looks_tabular(lines: list[str]) -> bool:
    """Agate sent without the DC2 format code: most text lines are rows of figures in columns."""
    text = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip(" ").startswith("^")]
    rows = [ln for ln in text if _COLUMNS.search(ln) and any(c.isdigit() for c in ln)]
    return len(rows) >= MIN_TABLE_ROWS and 2 * len(rows) >= len(text)


def _read_story(
    lines: list[str], header_keyword: str, tabular: bool, patterns: Sequence[str]
) -> _Story:
    story = _Story(header_keyword, tabular)
    block: list[str] = []
    for line in lines:
        if line.lstrip(" ").startswith("^"):
            story.close(block)
            story.caret(line.lstrip(" "))
        else:
            story.body(line, block)
    story.close(block)
    story.settle(patterns)
    return story


def _header(frame: wire.Frame) -> re.Match[str]:
    """The second header line (priority, category, keyword…); Invalid naming a bad line."""
    lines = frame.header.split("\n")
    first = frame.line(frame.start)
    if _LINE1.fullmatch(lines[0].rstrip()) is None:
        raise wire.error(Invalid, first, "unreadable ANPA header: expected story number and US")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip():
            match = _LINE2.fullmatch(line.strip(" \t\x16"))
            if match is None:
                raise wire.error(
                    Invalid, first + i, "unreadable ANPA header: expected priority and category"
                )
            return match
    raise wire.error(Invalid, first, "the ANPA header has no priority/category line")


def _zone(name: str | None, line: int, ctx: ParseContext) -> timezone | ZoneInfo:
    if not name:
        return ctx.tz
    key = name.upper()
    if key in REGIONAL_ZONES:
        return ZoneInfo(REGIONAL_ZONES[key])
    if key in ZONES:
        return timezone(timedelta(hours=ZONES[key]))
    raise wire.error(TimestampError, line, f"unknown time zone {name!r} in the trailer")


def _trailer(frame: wire.Frame, ctx: ParseContext) -> tuple[re.Match[str], datetime]:
    line, text = frame.trailer_line()
    match = _TRAILER.fullmatch(text)
    if match is None:
        message = "no trailer MM-DD-YY HHMM after ETX" if not text else f"bad trailer {text!r}"
        raise wire.error(Invalid, line, message)
    y = int(match["y"])
    year = y if len(match["y"]) == 4 else wire.century_year(y, ctx.received_at.year)
    parts = (year, int(match["mo"]), int(match["d"]), int(match["h"]), int(match["mi"]))
    return match, wire.instant(line, parts, _zone(match["zone"], line, ctx))


def _subjects(category: str, supplemental: str | None, ctx: ParseContext) -> list[Subject]:
    name = CATEGORIES.get(category.lower())
    subjects = [Subject(scheme="anpa-category", code=category, name=name)]
    if supplemental:
        subjects.append(Subject(scheme="anpa-supplemental", code=supplemental.upper()))
    for label in (category, name):
        mapped = ctx.profile.mapped_subject(label)
        if mapped is not None and mapped not in subjects:
            subjects.append(mapped)
    return subjects


def _message(frame: wire.Frame, ctx: ParseContext) -> ParsedItem:
    frame.check("ANPA 1312")
    header = _header(frame)
    rest = wire.clean(header["rest"]).split()
    header_keyword = rest[0] if rest else ""
    lines = [wire.clean(raw) for _, raw in frame.text_lines()]
    tabular = "\x12" in (header["format"] or "") or _looks_tabular(lines)
    story = _read_story(lines, header_keyword, tabular, ctx.profile.dateline_patterns)
    trailer, stamp = _trailer(frame, ctx)
    keyword = _KEYWORD.fullmatch(story.keyword or header_keyword or "-")
    slug = keyword["slug"].strip() if keyword and keyword["slug"].strip("-") else None
    paragraphs = story.table if tabular else story.paragraphs
    if story.headline is None and not paragraphs:
        raise wire.error(Invalid, frame.line(frame.stx), "the story has no headline and no body")
    version = story.version or (" ".join(rest[1:2]) or None)
    priority, urgency = PRIORITY.get(header["priority"].lower(), (None, None))
    lead = _dateline(paragraphs, stamp, ctx, frame) if not tabular else None
    killed = _KILL.search(version or "") or (story.headline or "").startswith("KILL")
    return ParsedItem(
        format=NAME,
        version=version,
        pubstatus=PubStatus.CANCELED if killed else PubStatus.USABLE,
        headline=story.headline,
        slugline=slug,
        byline=", ".join(story.byline) or None,
        abstract=" ".join(story.abstract) or None,
        ednote=" ".join(n for n in story.ednotes if n) or None,
        body_text="\n\n".join(paragraphs) if not tabular else "\n".join(paragraphs),
        body_html=(
            wire.html_preformatted(paragraphs) if tabular else wire.html_paragraphs(paragraphs)
        ),
        dateline=lead,
        firstcreated=stamp,
        versioncreated=stamp,
        urgency=urgency,
        priority=priority,
        subjects=_subjects(header["category"], keyword["supp"] if keyword else None, ctx),
        source=(lead.source if lead and lead.source else None) or _agency(trailer["tag"]),
    )


def _agency(tag: str | None) -> str | None:
    return tag.split("-")[0].upper() if tag else None


def _dateline(
    paragraphs: list[str], stamp: datetime, ctx: ParseContext, frame: wire.Frame
) -> Dateline | None:
    """The lead of the first paragraph, dated near the trailer's local day."""
    if not paragraphs:
        return None
    near = wire.local_day(stamp, ctx)
    try:
        found = find_dateline(paragraphs[0], near=near, patterns=ctx.profile.dateline_patterns)
    except TimestampError as exc:
        raise wire.error(TimestampError, frame.line(frame.stx), exc.detail) from None
    return found[0] if found else None
