"""Ritzau RBNews XML (the Danish national agency's feed) read into ``ParsedItem``s.

Ritzau's news service sends one story as ``<RBNews>`` and a queue of them as
``<XMLNewsQueuedResponse>`` (``XMLNewsQueuedResult/ListOfRBNews/RBNews`` beside an ``error``
code and ``errormsg``), WCF-serialised: in ``http://tempuri.org/`` or no namespace, absent values
as ``xsi:nil="true"``. Field names are matched case-insensitively; a response is a batch, all
or nothing, each failing story named by its ``index``.

Fields: ``NewsID`` → uri; ``version``; ``PublishDate`` (Copenhagen local time without an offset,
``2026-05-04T11:32:10.573``) → firstcreated and versioncreated, read in the partner's zone;
``headline``; ``subtitle`` → abstract; ``strapline`` → slugline (Ritzau's routing slug such as
``NU/FLASH-U`` or ``PRINT/NOTE/SPORT-3``, not a teaser); ``content`` (HTML sent as text) →
body_html; ``Priority`` → priority; ``byLine`` → byline; ``TilRedaktionen`` (the note to the
desk) → ednote; ``town`` → dateline.located; ``section`` → a ``category`` subject (and the
profile's mapped subject); ``IPTCList`` → IPTC subject codes; ``origin`` (``/ritzau/``) → source;
``language``; ``Annuleret`` (cancelled) true → pubstatus canceled.

Repairs, warned: a nil or empty headline is the body's first sentence without its dateline lead
(``headline_derived``); entities escaped twice (``Spire&amp;apos;s``) are unescaped once
(``entity_double_escaped``); a priority that is no number from 0 to 9 is left out
(``priority_ignored``); a response that reports an error beside its stories keeps the stories
(``feed_error``). Refused (422): a response without a story (naming Ritzau's ``errormsg``), a
story with neither headline nor content, a PublishDate that is no date-time (naming its line).
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from lxml import etree

from shared.core.errors import TimestampError
from shared.core.model import (
    MAX_BATCH_ITEMS,
    Dateline,
    ParseContext,
    ParsedItem,
    PubStatus,
    Subject,
)
from shared.reading.formats.common.batch import read_members
from shared.reading.formats.common.xmlsafe import local
from shared.reading.formats.newsml_g2_meta import (
    html_markup,
    invalid,
    looks_like_html,
    markup,
    member_warnings,
)
from shared.reading.normalise import html_to_text, sanitise_html
from shared.reading.repairs import warn
from shared.reading.timestamps import parse_timestamp

NAME = "rbnews"
FAMILY = "xml"

STORY = "rbnews"
ROOTS = frozenset({STORY, "xmlnewsqueuedresponse"})
_PUBLISHED = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?"
)
# An entity left in text after XML unescaping: the sender escaped it twice.
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TWICE_ESCAPED = re.compile(r"&amp;(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A sentence ends at . ! ? … before a capital (not a digit: "ca. 40", "kl. 14" go on).
_IPTC_SUBJECT = re.compile(r"\d{8}")


def sniff(doc: object) -> bool:
    """True for an XML root named ``RBNews`` or ``XMLNewsQueuedResponse`` (any namespace)."""
    return local(getattr(doc, "tag", None)).casefold() in ROOTS


def parse(doc: etree._Element, ctx: ParseContext) -> list[ParsedItem]:
    """One item per story, or raises ``Invalid``/``TimestampError`` naming the line."""
    if _named(doc, STORY):
        return [_story(doc, ctx)]
    stories = _stories(doc)
    _check_response(doc, stories)
    if len(stories) > MAX_BATCH_ITEMS:
        raise invalid(
            doc, f"a response holds at most {MAX_BATCH_ITEMS} stories, not {len(stories)}"
        )

    def read(numbered: tuple[int, etree._Element]) -> ParsedItem:
        index, story = numbered
        with member_warnings(index):
            return _story(story, ctx)

    return read_members(list(enumerate(stories)), read, noun="RBNews story")


# --- the response ----------------------------------------------------------------------------


def _named(element: etree._Element, name: str) -> bool:
    return isinstance(element.tag, str) and local(element.tag).casefold() == name


def _stories(doc: etree._Element) -> list[etree._Element]:
    """The outermost RBNews elements, in document order."""
    return [e for e in doc.iter() if _named(e, STORY) and not _in_story(e)]


def _in_story(element: etree._Element) -> bool:
    return any(_named(a, STORY) for a in element.iterancestors())


def _outside_stories(doc: etree._Element, name: str) -> str | None:
    """The text of the response's own element ``name`` (not one inside a story)."""
    return next((_text(e) for e in doc.iter() if _named(e, name) and not _in_story(e)), None)


def _check_response(doc: etree._Element, stories: list[etree._Element]) -> None:
    """A response without a story is refused with Ritzau's own error; an error reported beside
    stories does not cost them (``feed_error``)."""
    code, message = _outside_stories(doc, "error"), _outside_stories(doc, "errormsg")
    reported = f"Ritzau reports error {code}: {message or 'no message'}"
    if not stories:
        why = f"; {reported}" if code not in (None, "0") else ""
        raise invalid(doc, f"the response holds no RBNews story{why}")
    if code not in (None, "0"):
        warn("feed_error", f"{reported}; its stories are read", line=doc.sourceline)


# --- one story -------------------------------------------------------------------------------


def _fields(story: etree._Element) -> dict[str, etree._Element]:
    """The story's child elements by case-folded local name (the first of each name)."""
    fields: dict[str, etree._Element] = {}
    for child in story:
        if isinstance(child.tag, str):
            fields.setdefault(local(child.tag).casefold(), child)
    return fields


def _nil(element: etree._Element) -> bool:
    """``xsi:nil="true"`` in whatever namespace the sender bound ``xsi`` to."""
    return any(
        etree.QName(key).localname == "nil" and value.strip() == "true"
        for key, value in element.attrib.items()
    )


def _text(element: etree._Element | None) -> str | None:
    """The element's text, trimmed; None when absent, nil or blank."""
    if element is None or _nil(element):
        return None
    return "".join(element.itertext()).strip() or None


def _line(element: etree._Element | None) -> str | None:
    """Plain text on one line, entities escaped twice (``&amp;apos;``) unescaped."""
    text = _text(element)
    if text is None or element is None or not _ENTITY.search(text):
        return text
    _warn_entities(element)
    return " ".join(html.unescape(text).split()) or None


def _warn_entities(element: etree._Element) -> None:
    warn(
        "entity_double_escaped",
        f"<{local(element.tag)}> holds entities escaped twice: they are unescaped once",
        line=element.sourceline,
    )


def _story(story: etree._Element, ctx: ParseContext) -> ParsedItem:
    fields = _fields(story)
    published = _published(fields.get("publishdate"), ctx)
    body_html, body_text = _content(fields.get("content"))
    item = ParsedItem(
        format=NAME,
        uri=_text(fields.get("newsid")),
        version=_text(fields.get("version")),
        pubstatus=PubStatus.CANCELED if _flag(fields.get("annuleret")) else PubStatus.USABLE,
        headline=_line(fields.get("headline")),
        slugline=_line(fields.get("strapline")),
        byline=_line(fields.get("byline")),
        abstract=_line(fields.get("subtitle")),
        ednote=_note(fields.get("tilredaktionen")),
        body_html=body_html,
        body_text=body_text,
        language=_text(fields.get("language")),
        dateline=_dateline(fields.get("town")),
        firstcreated=published,
        versioncreated=published,
        priority=_priority(fields.get("priority"), ctx),
        subjects=_subjects(fields, ctx),
        source=(_line(fields.get("origin")) or "").strip("/ ") or None,
    )
    # A nil headline (Ritzau's flashes and briefs) is derived from the body by normalise.
    has_text = item.headline or _html_text(item.body_html) or item.body_text
    if not has_text and item.pubstatus != PubStatus.CANCELED:
        raise invalid(story, "an RBNews story needs a headline or content")
    return item


def _published(element: etree._Element | None, ctx: ParseContext) -> datetime | None:
    """PublishDate: local time (Ritzau gives no offset), read in the partner's zone."""
    text = _text(element)
    if text is None or element is None:
        return None
    if not _PUBLISHED.fullmatch(text):
        raise invalid(element, f"PublishDate {text[:64]!r} is not a date-time", TimestampError)
    try:
        return parse_timestamp(text, tz=ctx.tz)
    except TimestampError as exc:
        raise invalid(element, exc.detail, TimestampError) from None


def _content(element: etree._Element | None) -> tuple[str | None, str | None]:
    """(body_html, body_text): ``content`` is HTML sent as text; markup sent unescaped is taken
    as it is, and text without markup is plain text."""
    if element is None or _nil(element):
        return None, None
    if len(element):
        return markup(element), None
    text = _text(element)
    if text is None or not looks_like_html(text):
        return None, text
    if _TWICE_ESCAPED.search(text):
        _warn_entities(element)
        text = _TWICE_ESCAPED.sub(r"&\1;", text)
    return html_markup(text, line=element.sourceline), None


def _note(element: etree._Element | None) -> str | None:
    """TilRedaktionen, as text even when Ritzau writes it in HTML."""
    text = _text(element)
    return _html_text(text) if looks_like_html(text) else _line(element)


def _flag(element: etree._Element | None) -> bool:
    """An xs:boolean: ``true`` or ``1``."""
    return (_text(element) or "").lower() in ("true", "1")


def _html_text(value: str | None) -> str | None:
    """The readable text of HTML, as normalise will make it."""
    cleaned = sanitise_html(value)
    return html_to_text(cleaned) if cleaned else None


def _dateline(element: etree._Element | None) -> Dateline | None:
    town = _line(element)
    return Dateline(located=town) if town else None


def _priority(element: etree._Element | None, ctx: ParseContext) -> int | None:
    """Priority as a number from 0 to 9 (a partner label maps through the profile)."""
    text = _text(element)
    value = ctx.profile.label_number("priority", text)
    if text is None or value is not None:
        return value
    warn(
        "priority_ignored",
        f"Priority {text[:32]!r} is no number from 0 to 9 and is left out",
        line=element.sourceline if element is not None else None,
    )
    return None


def _subjects(fields: dict[str, etree._Element], ctx: ParseContext) -> list[Subject]:
    """The section as a category (and the profile's subject for it); IPTCList's codes."""
    subjects: list[Subject] = []
    section = _line(fields.get("section"))
    if section:
        subjects.append(Subject("category", None, section))
        mapped = ctx.profile.mapped_subject(section)
        if mapped is not None and mapped not in subjects:
            subjects.append(mapped)
    iptc = fields.get("iptclist")
    for code in [_text(c) for c in (iptc if iptc is not None else [])]:
        if code and _IPTC_SUBJECT.fullmatch(code):
            subjects.append(Subject("iptc-subject", code))
    return subjects
