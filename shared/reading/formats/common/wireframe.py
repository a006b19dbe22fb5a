"""Framing shared by the control-character wire formats (ANPA 1312 and IPTC 7901).

A transmission is one or more messages, each ``[SYN…] SOH header STX text ETX trailer [EOT]``.
Guarantees: ``frames`` never raises (a frame missing STX or ETX is reported by ``Frame.check``
with the line of its SOH); line numbers are 1-based in the submitted text, with CR LF, CR CR LF
and lone CR all counted as one line end; ``batch`` returns every item or raises one error whose
entries carry the member's ``index`` (0-based) next to its ``line``; ``instant`` returns an aware
UTC datetime or raises ``TimestampError`` naming the line.

TTS and device codes inside the text (``clean``): SO/SI rail shifts, ESC, BEL, DC1-DC4, FS-US,
NUL and DEL are removed, and so are C1 codes (0x80-0x9F: a 7-bit code sent with its parity bit
set and read as Latin-1); the TTS space band (DLE, 0x10) becomes a space; the tab line indicator
(BS, 0x08) is removed; a tab stays a tab. ASCII typewriter quotes ````word''`` become “word”.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from shared.core.errors import Invalid, TimestampError
from shared.core.model import MAX_BATCH_ITEMS, ParseContext, ParsedItem
from shared.reading.formats.common.batch import read_members
from shared.reading.timestamps import local_date

SOH, STX, ETX, EOT, SYN, US = "\x01", "\x02", "\x03", "\x04", "\x16", "\x1f"
LEAD_CHARS = " \t\n\r\x00\x16\x04\ufeff"  # what may precede the first SOH

_LINE_ENDS = re.compile(r"\r+\n|\r")
_DROP = re.compile("\x1b.?|[\x00-\x07\x0b-\x0c\x0e-\x0f\x11-\x1f\x7f-\x9f]", re.S)
_CODES = str.maketrans({"\x10": " ", "\x08": None})


def normalise_newlines(doc: str) -> str:
    """CR LF, CR CR LF and a lone CR each become one LF: line numbers match what an editor shows."""
    return _LINE_ENDS.sub("\n", doc)


def clean(text: str) -> str:
    """Translate or remove the TTS/device codes of a text line (see the module docstring)."""
    text = _DROP.sub("", text.translate(_CODES))
    return text.replace("``", "“").replace("''", "”")


@dataclass(frozen=True, slots=True)
class Frame:
    """One message: offsets into the (newline-normalised) document; -1 when a part is missing."""

    doc: str
    start: int  # the SOH
    end: int  # where the next message's framing begins (or the end of the document)
    stx: int
    etx: int
    eot: int

    def line(self, offset: int) -> int:
        return self.doc.count("\n", 0, offset) + 1

    @property
    def header(self) -> str:
        return self.doc[self.start + 1 : self.stx if self.stx >= 0 else self.end]

    @property
    def text(self) -> str:
        return self.doc[self.stx + 1 : self.etx]

    @property
    def trailer(self) -> str:
        return self.doc[self.etx + 1 : self.eot if self.eot >= 0 else self.end]

    def text_lines(self) -> list[tuple[int, str]]:
        """(line number, raw line) for the text between STX and ETX."""
        first = self.line(self.stx)
        return [(first + i, line) for i, line in enumerate(self.text.split("\n"))]

    def trailer_line(self) -> tuple[int, str]:
        """The first non-blank line after ETX, with its number; (line of ETX, "") if none."""
        first = self.line(self.etx)
        for i, line in enumerate(self.trailer.split("\n")):
            if line.strip(" \t\x16\x00"):
                return first + i, line.strip(" \t\x16\x00")
        return first, ""

    def check(self, name: str) -> None:
        """Invalid naming the SOH line when STX or ETX is missing."""
        at = self.line(self.start)
        if self.stx < 0:
            raise error(Invalid, at, f"the {name} message has no STX: no text follows its header")
        if self.etx < 0:
            raise error(Invalid, at, f"the {name} message opened by SOH has no ETX")


def error(kind: type[Invalid], line: int, message: str) -> Invalid:
    return kind(f"line {line}: {message}", errors=[{"line": line, "message": message}])


def starts_framed(doc: str) -> str | None:
    """The text from the first SOH on, when only line ends, SYN, NUL or EOT come before it."""
    head = doc.lstrip(LEAD_CHARS)
    return head if head.startswith(SOH) else None


def frames(doc: str) -> list[Frame]:
    """Split a normalised document at each SOH; each frame's STX, ETX, EOT looked up in order."""
    starts = [m.start() for m in re.finditer(SOH, doc)]
    found = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(doc)
        stx = doc.find(STX, start, end)
        etx = doc.find(ETX, stx, end) if stx >= 0 else -1
        eot = doc.find(EOT, etx, end) if etx >= 0 else -1
        found.append(Frame(doc, start, end, stx, etx, eot))
    return found


def open_frames(doc: str, name: str) -> list[Frame]:
    """The frames of a document that must open with SOH; Invalid naming line 1 otherwise."""
    doc = normalise_newlines(doc)
    if starts_framed(doc) is None:
        raise error(Invalid, 1, f"an {name} transmission starts with SOH (0x01)")
    found = frames(doc)
    if len(found) > MAX_BATCH_ITEMS:
        raise error(Invalid, 1, f"a transmission holds at most {MAX_BATCH_ITEMS} messages")
    return found


def batch(found: Sequence[Frame], read: Callable[[Frame], ParsedItem]) -> list[ParsedItem]:
    """Read every frame; one message's error is raised as is, a batch's carry their index."""
    if len(found) == 1:
        return [read(found[0])]
    return read_members(found, read, noun="message")


def century_year(yy: int, near: int) -> int:
    """The four-digit year ending in ``yy`` nearest to the year ``near``."""
    base = near - near % 100 + yy
    return min((base - 100, base, base + 100), key=lambda y: (abs(y - near), y))


def instant(line: int, parts: tuple[int, int, int, int, int], zone: tzinfo) -> datetime:
    """(year, month, day, hour, minute) read in ``zone`` → aware UTC, or TimestampError at line
    (for an impossible date, and for year 9999 west of UTC, which is year 10000 in UTC)."""
    y, mo, d, h, mi = parts
    stamp = f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}"
    try:
        local = datetime(y, mo, d, h, mi, tzinfo=zone, fold=0)
    except ValueError:
        raise error(TimestampError, line, f"impossible date or time {stamp}") from None
    try:
        return local.astimezone(UTC)
    except OverflowError:
        message = f"date and time {stamp} lies outside the representable range in UTC"
        raise error(TimestampError, line, message) from None


def local_day(stamp: datetime, ctx: ParseContext) -> date:
    """The calendar day of the trailer ``stamp`` in the partner's zone, which datelines are read
    near; the arrival's day when ``stamp`` has none there (9999-12-31T23:59Z is already year
    10000 east of UTC): such a stamp is the normaliser's to replace (``time_in_future``), not a
    reason to refuse the story."""
    try:
        return local_date(stamp, ctx.tz)
    except TimestampError:
        return local_date(ctx.received_at, ctx.tz)


def html_paragraphs(paragraphs: Sequence[str]) -> str:
    return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)


def html_preformatted(lines: Sequence[str]) -> str:
    return "<pre>" + html.escape("\n".join(lines), quote=False) + "</pre>"
