"""IPTC 7901 (the IPTC recommended message format, as dpa and others send it) into ``ParsedItem``s.

One message::

    SOH dpa0214 3 pl 412  bdt 0123         source identifier + number, priority, category, words
    Berlin/Deutschland/Politik/            keyword (slug) line(s), before or right after STX
    URGENT                                 flash marker (URGENT, FLASH, EILT …): dropped
    1st Lead                               take, lead, refile or correction line: the ednote
    STX Coalition agrees on budget         headline: its lines up to "=" (or a blank line)
    after all-night talks =
    (adds quotes)                          parenthesised notice ("(Eds: …)"): the ednote
    By Anna Schmidt, dpa =                 byline: a short line By/Von/Par… and a name
    Berlin (dpa) - The governing …         body: paragraphs split at blank lines or indents
    Notebook                               a notebook heading (Notizblock, Internal) or …
    The following information is not for publication   → every line after it is the ednote
    dpa as xx                              signature: agency and editors' initials (dropped)
    ETX 141532 Jun 24 EOT                  trailer ddhhmm [Mon YY] → versioncreated

A message whose text opens with its dateline lead has no headline (``normalise`` titles it from
the first sentence, ``headline_derived``). The ednote joins, in order: "not for publication"
lines before STX, the heading's status lines and notices ("; " between them), the notebook.

Mappings: the priority digit 1-6 is ``priority`` as sent; urgency 1→1, 2→2, 3→3, 4→5 (routine,
IPTC's normal), 5→6, 6→8; the category → Subject("iptc7901-category", code, name for the IPTC
3-letter subject categories), plus the profile's ``category_subjects`` entry for it; keyword lines
→ ``slugline`` (joined with "/") and ``keywords``; a keyword or headline saying KILL or
withdrawn → pubstatus ``canceled``. ``source``: the dateline's agency, else the signature's, else
the source identifier. The trailer is read in its zone if one is written, else ``ctx.tz``;
without month and year, the month is the one nearest ``ctx.received_at``. ``uri`` stays None:
the message number is a circuit sequence, not a stable id. Several messages are a batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo

from shared.core.errors import Invalid, TimestampError
from shared.core.model import Dateline, ParseContext, ParsedItem, PubStatus, Subject
from shared.reading.dateline import find_dateline
from shared.reading.formats.common import wireframe as wire
from shared.reading.timestamps import MONTHS, ZONE_PATTERN, ZONES

NAME = "iptc-7901"
FAMILY = "text"

URGENCY = {1: 1, 2: 2, 3: 3, 4: 5, 5: 6, 6: 8}
CATEGORIES = {
    "ACE": "Arts, culture and entertainment",
    "CLJ": "Crime, law and justice",
    "DIS": "Disasters and accidents",
    "FIN": "Economy, business and finance",
    "EDU": "Education",
    "EVN": "Environmental issues",
    "HTH": "Health",
    "HUM": "Human interest",
    "LAB": "Labour",
    "LIF": "Lifestyle and leisure",
    "POL": "Politics",
    "REL": "Religion and belief",
    "SCI": "Science and technology",
    "SOI": "Social issues",
    "SPO": "Sport",
    "WAR": "Unrest, conflicts and war",
    "WEA": "Weather",
}
GERMAN_MONTHS = {"mär": 3, "mrz": 3, "märz": 3, "okt": 10, "dez": 12, "januar": 1, "februar": 2}
GERMAN_MONTHS |= {"juni": 6, "juli": 7, "oktober": 10, "dezember": 12}
EXTRA_ZONES = {"MEZ": 1, "MESZ": 2}

_HEADER = re.compile(
    r"(?P<source>[A-Za-z]{1,8}) ?(?P<number>\d{1,6})[ \t]+(?P<priority>[1-6])[ \t]+"
    r"(?P<category>[A-Za-z]{1,3})[ \t]+(?P<words>\d{1,6})(?:[ \t]+(?P<extra>.*?))?[ \t]*"
)
_BYLINE = re.compile(r"(?:By|Von|Par|Por|Di|De|Door|Av|Od|From)\s+\S", re.IGNORECASE)
_NOTE = re.compile(
    r".*(?:not (?:intended )?for publication|nicht zur Veröffentlichung|nicht für die "
    r"Veröffentlichung|ne pas publier).*",
    re.IGNORECASE,
)
# A notebook's heading: what follows it (contacts, links, "not for publication") is for the desk.
_NOTEBOOK = re.compile(r"(?:Notizblock|Notebook|Internes)[ \t]*:?", re.IGNORECASE)
# "Internal" / "Intern" alone are words a story may hold on a line: a notebook heading only after
# a separator line.
_INTERNAL = re.compile(r"(?:Internal|Intern)[ \t]*:?", re.IGNORECASE)
_SEPARATOR = re.compile(r"[*\-_= ]{3,}")
# Heading-block status lines: flash markers (dropped) and take, lead or refile lines and
# parenthesised notices (the ednote), never the headline.
_MARKER = re.compile(
    r"[\W_]*(?:(?:URGENT|FLASH|BULLETIN|EILT|EILMELDUNG|BLITZ|NEWSALERT|VORRANG)[\W_]*)+",
    re.IGNORECASE,
)
_STATUS = re.compile(
    r"(?:\d{1,2}(?:st|nd|rd|th|\.)[ \t]*(?:lead|ld|writethru|take|add|update|version"
    r"|zusammenfassung)|(?:corrected|berichtigte|korrigierte)[ \t]+(?:repetition|version"
    r"|wiederholung)|refile|re-file|repetition|repeat|wiederholung|correction|berichtigung"
    r"|korrektur|zusammenfassung|neufassung)(?:[ \t]*\d{1,2}|[ \t]*[:(\-–—].*)?"
    r"|(?:refile|re-file|corrects?|achtung|hinweis|eds|note to editors)"
    r"[ \t]*[:\-–—][ \t]*\S.*|(?-i:CORRECTS|REFILE)[ \t].*"
    # An embargo notice names its time ("Embargo: 1200 GMT"); "Embargo: EU extends…" is news.
    r"|(?:sperrfrist|embargo(?:ed)?)[ \t]*[:\-–—][ \t]*[^\d\n]{0,40}\d.*",
    re.IGNORECASE,
)
_NOTICE = re.compile(
    # The note starts with a non-space, so the spaces after "Eds" are matched one way only.
    r"\((?:Eds?(?:[:.][ \t]*|[ \t]+))?(?P<note>[^()\s][^()]*(?:\([^()]*\)[^()]*)*)\)",
    re.IGNORECASE,
)
MAX_HEADLINE_WORDS = 25
MAX_BYLINE_WORDS = 12
_SIGNATURE = re.compile(r"[a-z]{2,6}(?:[ /][a-z]{1,6}){1,6}")
_KILL = re.compile(r"\b(?:kill|withdrawn|withdrawal|zurückgezogen)\b", re.IGNORECASE)
_TRAILER = re.compile(
    rf"(?P<d>\d{{2}})(?P<h>\d{{2}})(?P<mi>\d{{2}})[ \t]*(?P<zone>Z|MESZ|MEZ|{ZONE_PATTERN})?"
    r"(?:[ \t]+(?P<mon>[^\W\d_]{3,9})\.?[ \t]+(?P<y>\d{4}|\d{2}))?[ \t]*",
    re.IGNORECASE,
)


def sniff(text: str) -> bool:
    """True only for text opening with SOH and an IPTC 7901 heading (source+number, priority
    digit, category letters, word count) with an STX after it."""
    head = wire.starts_framed(text[:4096])
    if head is None:
        return False
    first = wire.normalise_newlines(head[1:300]).split("\n", 1)[0]
    return _HEADER.fullmatch(first) is not None and wire.STX in head


def parse(text: str, ctx: ParseContext) -> list[ParsedItem]:
    """One item per message; Invalid/TimestampError naming the line (and index in a batch)."""
    return wire.batch(wire.open_frames(text, "IPTC 7901"), lambda f: _message(f, ctx))


@dataclass(slots=True)
class _Text:
    keywords: list[str] = field(default_factory=list)
    headline: str | None = None
    bylines: list[str] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)  # take, lead and refile lines, notices
    signature: str | None = None
    trailer: tuple[int, str] | None = None  # a trailer written before ETX


def _paragraphs(lines: list[str]) -> list[str]:
    """Blocks separated by blank lines; an indented line opens a new paragraph."""
    paragraphs: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if not line.strip() or line[:1] in " \t":
            if block:
                paragraphs.append(" ".join(block))
            block = [line.strip()] if line.strip() else []
        else:
            block.append(line.strip())
    return paragraphs


def _split_note(lines: list[tuple[int, str]], found: _Text) -> list[tuple[int, str]]:
    """Everything from a "not for publication" line or a notebook heading ("Notebook",
    "Notizblock", "Internal") on is the ednote; the separators, headings and notice lines
    themselves are dropped."""
    text = [ln.strip() for _, ln in lines]
    first = next((i for i, ln in enumerate(text) if ln), len(text))
    for i, line in enumerate(text):
        after_separator = any(_SEPARATOR.fullmatch(t) for t in text[max(first, i - 2) : i])
        if (
            _NOTE.fullmatch(line)
            or (i > first and _NOTEBOOK.fullmatch(line))
            or (after_separator and _INTERNAL.fullmatch(line))
        ):
            found.notes += [ln for ln in text[i + 1 :] if ln and not _desk_only(ln)]
            kept = lines[:i]
            while kept and (not kept[-1][1].strip() or _desk_only(kept[-1][1].strip())):
                kept.pop()
            return kept
    return lines


def _desk_only(line: str) -> bool:
    """A separator, notebook heading or "not for publication" line: no note text of its own."""
    return any(p.fullmatch(line) for p in (_SEPARATOR, _NOTEBOOK, _INTERNAL, _NOTE))


def _split_tail(lines: list[tuple[int, str]], found: _Text) -> list[tuple[int, str]]:
    """Drop a trailer written before ETX and the signature line (agency and initials)."""
    lines = list(lines)
    while lines and not lines[-1][1].strip():
        lines.pop()
    if lines and _TRAILER.fullmatch(lines[-1][1].strip()):
        found.trailer = (lines[-1][0], lines.pop()[1].strip())
        while lines and not lines[-1][1].strip():
            lines.pop()
    if len(lines) > 1 and _SIGNATURE.fullmatch(lines[-1][1].strip()) and not lines[-2][1].strip():
        found.signature = lines.pop()[1].strip()
    return lines


def _heading(lines: list[str], found: _Text) -> list[str]:
    """Keyword lines, then the heading block (status lines, headline, byline(s), abstract) off
    the top; returns the body lines. ``=`` ends each heading unit when the sender uses it."""
    while lines and (not lines[0].strip() or lines[0].rstrip().endswith("/")):
        if lines[0].strip():
            found.keywords += [k.strip() for k in lines[0].split("/") if k.strip()]
        lines = lines[1:]
    window = [i for i, ln in enumerate(lines[:15]) if ln.rstrip().endswith("=")]
    if window:
        _file_units(_units(lines[: window[-1] + 1], found), found)
        return _after_heading(lines[window[-1] + 1 :], found)
    return _loose_heading(lines, found)


def _units(lines: list[str], found: _Text) -> list[str]:
    """The ``=``-terminated units of a heading, status lines filed aside."""
    units, unit = [], []
    for line in lines:
        text = line.strip()
        closes = text.endswith("=")
        text = text.rstrip("= ").strip()
        if text and not _filed_status(text, found):
            unit.append(text)
        if closes and unit:
            units.append(" ".join(unit))
            unit = []
    return units


def _loose_heading(lines: list[str], found: _Text) -> list[str]:
    """A heading without ``=``: status lines, then a headline of up to 25 words (its lines joined)
    ended by a blank line, a byline or the dateline lead; then the byline."""
    head: list[int] = []
    filed: set[int] = set()
    stop = len(lines)
    for i, line in enumerate(lines):
        text = line.strip()
        if not text and not head:
            continue
        if text and _filed_status(text, found):
            filed.add(i)
        elif not text or _is_lead(text) or (head and (line[:1] in " \t" or _is_byline(text))):
            stop = i
            break
        else:
            head.append(i)
            if len(head) > MAX_HEADLINE_WORDS:  # more lines than a headline has words
                break
    headline = " ".join(lines[i].strip() for i in head)
    if head and len(headline.split()) <= MAX_HEADLINE_WORDS:
        found.headline = headline
        return _after_heading(lines[stop:], found)
    start = head[0] if head else stop
    return [line for i, line in enumerate(lines) if i >= start and i not in filed]


def _after_heading(lines: list[str], found: _Text) -> list[str]:
    """Blank lines, status lines and bylines (each on a line of its own) between the headline
    and the text."""
    for i, line in enumerate(lines):
        text = line.strip()
        if not text or _filed_status(text, found):
            continue
        if found.headline is not None and _is_byline(text) and _alone(lines, i):
            found.bylines.append(text)
            continue
        return lines[i:]
    return []


def _alone(lines: list[str], i: int) -> bool:
    """Whether line ``i`` stands on its own: a blank line, a byline or the lead follows it."""
    after = lines[i + 1].strip() if i + 1 < len(lines) else ""
    return not after or _is_byline(after) or _is_lead(after)


def _filed_status(text: str, found: _Text) -> bool:
    """True for a flash marker (dropped) or a take/lead/refile line or notice (the ednote)."""
    if _MARKER.fullmatch(text):
        return True
    notice = _NOTICE.fullmatch(text)
    if notice or _STATUS.fullmatch(text):
        found.status.append(notice["note"].strip() if notice else text)
        return True
    return False


def _is_byline(text: str) -> bool:
    """``By Anna Schmidt, dpa``: a short line naming someone ("Von der Leyen …", "By 2030, …"
    open headlines and sentences, not bylines)."""
    words = text.split()
    named = len(words) > 1 and words[1][:1].isupper()
    return _BYLINE.match(text) is not None and named and len(words) <= MAX_BYLINE_WORDS


def _file_units(units: list[str], found: _Text) -> None:
    for unit in units:
        if found.headline is None:
            found.headline = unit or None
        elif _is_byline(unit):
            found.bylines.append(unit)
        elif unit:
            found.abstract.append(unit)


def _is_lead(text: str) -> bool:
    try:
        return find_dateline(text, near=None) is not None
    except TimestampError:
        return True


def _read_text(frame: wire.Frame, found: _Text) -> None:
    lines = [(no, wire.clean(raw)) for no, raw in frame.text_lines()]
    lines = _split_note(_split_tail(lines, found), found)
    body = _heading([ln for _, ln in lines], found)
    found.paragraphs = _paragraphs(body)


def _zone(name: str | None, ctx: ParseContext) -> tzinfo:
    if not name:
        return ctx.tz
    key = name.upper()
    hours = EXTRA_ZONES.get(key, ZONES.get(key, 0))
    return timezone(timedelta(hours=hours))


def _month(name: str, line: int) -> int:
    key = name.lower().rstrip(".")
    month = MONTHS.get(key) or GERMAN_MONTHS.get(key)
    if month is None:
        raise wire.error(TimestampError, line, f"unknown month {name!r} in the trailer")
    return month


def _nearest_month(day: int, near: date, line: int) -> tuple[int, int]:
    """(year, month) of the day-of-month ``day`` nearest to ``near`` (previous/this/next month)."""
    candidates = []
    for step in (-1, 0, 1):
        y, m = divmod(near.year * 12 + near.month - 1 + step, 12)
        try:
            candidates.append(date(y, m + 1, day))
        except ValueError:
            continue
    if not candidates:
        raise wire.error(TimestampError, line, f"day {day} exists in no month near {near}")
    best = min(candidates, key=lambda c: (abs((c - near).days), c))
    return best.year, best.month


def _stamp(frame: wire.Frame, found: _Text, ctx: ParseContext) -> datetime:
    line, text = frame.trailer_line()
    if not text and found.trailer is not None:
        line, text = found.trailer
    match = _TRAILER.fullmatch(text)
    if match is None:
        message = "no trailer ddhhmm [Mon YY] after ETX" if not text else f"bad trailer {text!r}"
        raise wire.error(Invalid, line, message)
    zone = _zone(match["zone"], ctx)
    day = int(match["d"])
    if match["mon"]:
        y = int(match["y"])
        year = y if len(match["y"]) == 4 else wire.century_year(y, ctx.received_at.year)
        month = _month(match["mon"], line)
    else:
        year, month = _nearest_month(day, ctx.received_at.astimezone(zone).date(), line)
    return wire.instant(line, (year, month, day, int(match["h"]), int(match["mi"])), zone)


def _pre_text(frame: wire.Frame, found: _Text) -> tuple[re.Match[str], list[str], list[str]]:
    """The heading line, then keyword lines and note lines between it and STX (status lines
    there are filed in ``found``)."""
    lines = frame.header.split("\n")
    heading = _HEADER.fullmatch(lines[0].strip(" \t\x16"))
    if heading is None:
        message = "unreadable IPTC 7901 heading: expected source, number, priority, category"
        raise wire.error(Invalid, frame.line(frame.start), message)
    keywords, notes = [], []
    for line in (wire.clean(ln).strip() for ln in lines[1:]):
        if line and _NOTE.fullmatch(line):
            notes.append(line)
        elif line and not _filed_status(line, found):
            keywords.append(line.rstrip("/").strip())
    return heading, keywords, notes


def _subjects(category: str, ctx: ParseContext) -> list[Subject]:
    name = CATEGORIES.get(category.upper())
    subjects = [Subject(scheme="iptc7901-category", code=category, name=name)]
    for label in (category, name):
        mapped = ctx.profile.mapped_subject(label)
        if mapped is not None and mapped not in subjects:
            subjects.append(mapped)
    return subjects


def _dateline(found: _Text, stamp: datetime, ctx: ParseContext, line: int) -> Dateline | None:
    if not found.paragraphs:
        return None
    near = wire.local_day(stamp, ctx)
    patterns = ctx.profile.dateline_patterns
    try:
        lead = find_dateline(found.paragraphs[0], near=near, patterns=patterns)
    except TimestampError as exc:
        raise wire.error(TimestampError, line, exc.detail) from None
    return lead[0] if lead else None


def _message(frame: wire.Frame, ctx: ParseContext) -> ParsedItem:
    frame.check("IPTC 7901")
    found = _Text()
    heading, slug_lines, notes = _pre_text(frame, found)
    _read_text(frame, found)
    stamp = _stamp(frame, found, ctx)
    if found.headline is None and not found.paragraphs:
        raise wire.error(Invalid, frame.line(frame.stx), "the message has no headline and no text")
    lead = _dateline(found, stamp, ctx, frame.line(frame.stx))
    keywords = [k.strip() for ln in slug_lines for k in ln.split("/") if k.strip()]
    keywords += [k for k in found.keywords if k not in keywords]
    slugline = "/".join(slug_lines) or "/".join(found.keywords) or None
    killed = _KILL.search(slugline or "") or (found.headline or "").startswith("KILL")
    priority = int(heading["priority"])
    signed = found.signature.split()[0] if found.signature else None
    return ParsedItem(
        format=NAME,
        pubstatus=PubStatus.CANCELED if killed else PubStatus.USABLE,
        headline=found.headline,
        slugline=slugline,
        byline="; ".join(found.bylines) or None,
        abstract=" ".join(found.abstract) or None,
        ednote=" ".join(filter(None, [*notes, "; ".join(found.status), *found.notes])) or None,
        body_text="\n\n".join(found.paragraphs) or None,
        body_html=wire.html_paragraphs(found.paragraphs) or None,
        dateline=lead,
        versioncreated=stamp,
        urgency=URGENCY[priority],
        priority=priority,
        subjects=_subjects(heading["category"], ctx),
        keywords=keywords,
        source=(lead.source if lead else None) or signed or heading["source"],
    )
