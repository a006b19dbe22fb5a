"""Reading helpers shared by the NITF and NewsML 1.x parsers: namespace-blind element lookup,
trimmed text, strict numbers and timestamps that name the line, and NITF/XHTML markup to HTML.

Guarantees: lookups never raise; ``number`` raises ``Invalid`` and ``instant``/``day`` raise
``TimestampError``, each with ``errors=[{"line": n, "message": ...}]``; ``to_html`` keeps the
structure (paragraphs, headings, lists, tables, quotes, links) with HTML names, drops media and
attributes other than ``href``/``colspan``/``rowspan``, never fetches anything, and takes time in
proportion to the markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from shared.core.errors import Invalid, TimestampError
from shared.reading.formats.common.wiretext import flat_text
from shared.reading.formats.common.xmlsafe import local
from shared.reading.timestamps import parse_timestamp

Element = etree._Element

# NITF (and XHTML) element -> HTML element; anything not listed is unwrapped (text kept).
TAGS = {t: t for t in ("p", "ul", "ol", "li", "table", "caption", "thead", "tbody", "tfoot")}
TAGS |= {t: t for t in ("tr", "th", "td", "pre", "br", "hr", "em", "strong", "b", "i", "u")}
TAGS |= {t: t for t in ("sub", "sup", "q", "cite", "code", "a", "blockquote")}
TAGS |= {t: t for t in ("h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "s")}
TAGS |= {"hl2": "h2", "h1": "h2", "bq": "blockquote", "credit": "cite", "nitf-table": "table"}
TAGS |= {"nitf-col": "col", "dl": "ul", "dt": "li", "dd": "li", "tagline": "p"}
# Removed with their content: media objects (read as renditions), table metadata, scripts.
DROPPED = frozenset(("media", "nitf-table-metadata", "script", "style", "head", "title"))
KEPT_ATTRIBUTES = {"a": ("href", "title"), "td": ("colspan", "rowspan")}
KEPT_ATTRIBUTES["th"] = KEPT_ATTRIBUTES["td"]
_COMPACT = re.compile(r"^(\d{8})(\d{4,6}(?:[.,]\d+)?)(?=$|[Zz+-])")
# Indentation between tags, outside <pre> (whose line structure and spacing are content).
_BETWEEN_TAGS = re.compile(r"(<pre\b.*?</pre)|>[ \t\r]*\n\s*(?=<)", re.S)
_DAY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


# --- lookup ----------------------------------------------------------------------------------


def kids(element: Element | None, name: str) -> Iterator[Element]:
    """Child elements with local name ``name``, in any namespace."""
    if element is None:
        return
    for child in element:
        if local(child.tag) == name:
            yield child


def find(element: Element | None, path: str) -> Element | None:
    """The first element at ``path`` (local names joined by ``/``) below ``element``."""
    found = findall(element, path)
    return found[0] if found else None


def findall(element: Element | None, path: str) -> list[Element]:
    """Every element at ``path`` below ``element``, in document order."""
    level = [] if element is None else [element]
    for step in path.split("/"):
        level = [child for parent in level for child in kids(parent, step)]
    return level


def attr(element: Element | None, *names: str) -> str | None:
    """The first of ``names`` present as a non-blank attribute, trimmed (namespace-blind)."""
    if element is None:
        return None
    values = {
        etree.QName(k).localname if k.startswith("{") else k: v for k, v in element.attrib.items()
    }
    for name in names:
        value = " ".join(str(values.get(name, "")).split())
        if value:
            return value
    return None


def text(element: Element | None) -> str | None:
    """All text below ``element``, white space folded, a space where a child such as ``byttl``
    or ``city`` starts or ends (``wiretext.flat_text``); None when blank. For metadata: body
    markup goes through ``to_html``."""
    return flat_text(element)


def line(element: Element | None) -> int:
    return (element.sourceline if element is not None else None) or 1


# --- strict values ---------------------------------------------------------------------------


def invalid(element: Element | None, message: str) -> Invalid:
    name = local(element.tag) if element is not None else "document"
    return Invalid(
        f"<{name}> line {line(element)}: {message}",
        errors=[{"line": line(element), "message": message}],
    )


def number(element: Element | None, value: str | None, low: int = 1, high: int = 9) -> int | None:
    """An integer from ``low`` to ``high``, None when absent; anything else is ``Invalid``."""
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,15}", value) or not low <= int(value) <= high:
        raise invalid(element, f"{value[:40]!r} is not a whole number from {low} to {high}")
    return int(value)


def size(element: Element | None, value: str | None) -> int | None:
    """A pixel or byte count (0 or more), None when absent; anything else is ``Invalid``."""
    return number(element, value, 0, 10**12)


def instant(element: Element | None, value: str | None, tz: ZoneInfo) -> datetime | None:
    """An aware UTC instant from ISO 8601, compact (``20220107T132100+0300``, also without the
    ``T``) or another readable form; a value without offset is read in ``tz``."""
    if value is None:
        return None
    normal = _COMPACT.sub(r"\1T\2", value.strip())
    try:
        return parse_timestamp(normal, tz=tz)
    except TimestampError as exc:
        raise TimestampError(
            f"<{local(element.tag) if element is not None else 'date'}> line "
            f"{line(element)}: {exc.detail}",
            errors=[{"line": line(element), "message": exc.detail}],
        ) from None


def day(element: Element | None, value: str | None) -> date | None:
    """The calendar date a normalised stamp is written for (its own offset, not UTC)."""
    match = _DAY.match(value or "")
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        message = f"{(value or '')[:40]!r} is not a possible date"
        raise TimestampError(
            message, errors=[{"line": line(element), "message": message}]
        ) from None


# --- markup ----------------------------------------------------------------------------------


def to_html(container: Element | None) -> str | None:
    """The children of ``container`` (body.content, an XHTML body, DataContent) as HTML."""
    if container is None:
        return None
    out = _Html()
    out.add(container.text)
    for child in container:
        out.append(out.holder, child)
    out.flush()
    holder = out.holder
    inner = (holder.text or "") + "".join(
        etree.tostring(c, encoding="unicode", method="html", with_tail=True) for c in holder
    )
    return _BETWEEN_TAGS.sub(lambda m: m[1] or ">\n", inner).strip() or None


class _Html:
    """The HTML copy being built. Text is gathered in a list and set once on the slot it
    belongs to (the last opened element's text, or the last closed one's tail): appending to
    ``.text``/``.tail`` piece by piece copies the growing string each time, which is quadratic
    in a paragraph of many unwrapped elements (``<person>`` after ``<person>``)."""

    def __init__(self) -> None:
        self.holder = etree.Element("div")
        self._slot: tuple[Element, str] = (self.holder, "text")
        self._pieces: list[str] = []

    def add(self, value: str | None) -> None:
        if value:
            self._pieces.append(value)

    def flush(self) -> None:
        """Set the gathered text on its slot (each slot is set at most once)."""
        if self._pieces:
            element, where = self._slot
            setattr(element, where, "".join(self._pieces))
            self._pieces = []

    def append(self, parent: Element, source: Element) -> None:
        """Copy ``source`` under ``parent`` as HTML: renamed, unwrapped or dropped; tail kept
        (the parser's depth limit bounds the recursion)."""
        name = local(source.tag)
        if not isinstance(source.tag, str) or name in DROPPED:
            self.add(source.tail)
            return
        html = TAGS.get(name)
        if html is None:  # unknown or enriched-text element (person, chron, org...): keep its text
            self.add(source.text)
            for child in source:
                self.append(parent, child)
            self.add(source.tail)
            return
        self.flush()
        target = etree.SubElement(parent, html)
        for key in KEPT_ATTRIBUTES.get(html, ()):
            if (value := attr(source, key)) is not None:
                target.set(key, value)
        self._slot = (target, "text")
        self.add(source.text)
        for child in source:
            self.append(target, child)
        self.flush()
        self._slot = (target, "tail")
        self.add(source.tail)
