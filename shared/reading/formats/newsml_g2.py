"""IPTC NewsML-G2 (newsMessage, newsItem, packageItem) read into ``ParsedItem``s.

A ``newsItem`` is one item; a ``packageItem`` is one ``composite`` item whose associations are
its ``groupSet`` item references; a ``newsMessage`` is a batch with one item per member of its
``itemSet`` (a package's members stay items of their own), all or nothing: every failing member
is reported with its ``index``. Concept, event, planning, catalog and knowledge items are not
news: a 422. Strict: an item needs a ``guid``, and a headline or some content unless it is
canceled; bad QCodes, numbers and dates are ``Invalid``/``TimestampError`` naming the line.
Times with an offset keep it, naive ones are read in the partner's zone. Remote content is
recorded as renditions and never fetched.

Loose G2 (BusinessDesk's, via Scoop) is read as meant and the repair warned: a reference-only
``packageItem`` (no guid) beside the news in a newsMessage is skipped (``reference_skipped``);
``inlineData`` labelled plain text that holds HTML is read as HTML (``content_type_mismatch``);
the element-case, time-zone, subject-type and pseudo-markup repairs are ``newsml_g2_meta``'s.
The headline may come from inline NITF's ``hl1`` or, failing that, its ``head/title``.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from shared.core.errors import TimestampError
from shared.core.model import (
    MAX_BATCH_ITEMS,
    Association,
    Dateline,
    ParseContext,
    ParsedItem,
    PubStatus,
)
from shared.reading.dateline import find_dateline
from shared.reading.formats.common.batch import read_members
from shared.reading.formats.common.xmlsafe import local
from shared.reading.formats.newsml_g2_meta import (
    NS,
    XML_LANG,
    Catalog,
    concepts,
    every,
    first,
    html_markup,
    inline_data,
    inline_xml,
    instant,
    invalid,
    label,
    line_text,
    looks_like_html,
    member_warnings,
    name_in,
    nitf_headline,
    number,
    rendition,
)
from shared.reading.repairs import warn
from shared.reading.timestamps import local_date, optional_timestamp

NAME = "newsml-g2"
FAMILY = "xml"

NEWS = frozenset({"newsItem", "packageItem"})
MAX_URI_BYTES = 1024
TYPES = {t: t for t in ("text", "picture", "graphic", "audio", "video", "composite")}
PUBSTATUS = {status.value: status for status in PubStatus}
PUBSTATUS["cancelled"] = PubStatus.CANCELED
SOURCE_ROLES = frozenset({"source", "originfo"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_DASH_END = re.compile(r"\s*(?:--|[-–—_])\s*$")


def sniff(doc: object) -> bool:
    """True for a root element in the NewsML-G2 namespace (non-news items are refused later)."""
    tag = getattr(doc, "tag", None)
    return isinstance(tag, str) and tag.startswith(f"{{{NS}}}")


def parse(doc: etree._Element, ctx: ParseContext) -> list[ParsedItem]:
    """One item per news or package item, or raises ``Invalid``/``TimestampError``."""
    kind = local(doc.tag)
    if kind == "newsMessage":
        return _message(doc, ctx)
    if kind in NEWS:
        return [_item(doc, ctx, Catalog(doc), priority=None)]
    raise invalid(doc, f"a NewsML-G2 {kind} is not news: this item class is not supported")


# --- newsMessage: a batch --------------------------------------------------------------------


def _message(doc: etree._Element, ctx: ParseContext) -> list[ParsedItem]:
    header = first(doc, "header")
    priority_at = first(header, "priority")
    priority = number(priority_at, line_text(priority_at), low=1, high=9, what="a priority")
    item_set = first(doc, "itemSet")
    members = [m for m in (item_set if item_set is not None else []) if isinstance(m.tag, str)]
    if not 1 <= len(members) <= MAX_BATCH_ITEMS:
        where = item_set if item_set is not None else doc
        raise invalid(
            where, f"a newsMessage itemSet holds 1 to {MAX_BATCH_ITEMS} items, not {len(members)}"
        )

    def read(numbered: tuple[int, etree._Element]) -> ParsedItem:
        index, member = numbered
        if local(member.tag) not in NEWS:
            kind = local(member.tag)
            raise invalid(member, f"a {kind} is not news: this item class is not supported")
        with member_warnings(index):
            return _item(member, ctx, Catalog(header, member), priority)

    return read_members(list(enumerate(_news(members))), read, noun="newsMessage item")


def _news(members: list[etree._Element]) -> list[etree._Element]:
    """The members less reference-only packageItems (no guid: BusinessDesk sends one pointing
    at the newsItem beside it), which are no story; kept when nothing else is left, to be
    refused for their missing guid."""
    news = [m for m in members if not _reference_only(m)]
    for member in members if news else []:
        if _reference_only(member):
            warn(
                "reference_skipped",
                "a packageItem without a guid only references other items and is skipped",
                line=member.sourceline,
            )
    return news or members


def _reference_only(member: etree._Element) -> bool:
    return local(member.tag) == "packageItem" and not (member.get("guid") or "").strip()


# --- one newsItem or packageItem -----------------------------------------------------------


def _item(
    el: etree._Element, ctx: ParseContext, catalog: Catalog, priority: int | None
) -> ParsedItem:
    meta, content = first(el, "itemMeta"), first(el, "contentMeta")
    lang = _language(el, content)
    firstcreated = instant(first(meta, "firstCreated"), ctx)
    firstcreated = firstcreated or instant(first(content, "contentCreated"), ctx, dates=True)
    versioncreated = instant(first(meta, "versionCreated"), ctx)
    versioncreated = versioncreated or instant(first(content, "contentModified"), ctx, dates=True)
    subjects, places = concepts(content, lang, catalog)
    headline = _headline(content, catalog)
    body_html, body_text, nitf_title = _body(el, headline)
    item = ParsedItem(
        format=NAME,
        uri=_guid(el),
        version=_version(el),
        type="composite" if local(el.tag) == "packageItem" else _item_class(meta, catalog),
        pubstatus=_pubstatus(meta, catalog),
        headline=headline or nitf_title,
        slugline=line_text(first(content, "slugline")),
        byline=_byline(content),
        abstract=_abstract(content, catalog),
        ednote=" ".join(filter(None, map(line_text, every(meta, "edNote")))) or None,
        body_html=body_html,
        body_text=body_text,
        language=lang,
        dateline=_dateline(content, lang, ctx, firstcreated or versioncreated),
        firstcreated=firstcreated,
        versioncreated=versioncreated,
        embargoed=optional_timestamp(
            lambda: instant(first(meta, "embargoed"), ctx), field="itemMeta/embargoed"
        ),
        urgency=_urgency(content),
        priority=priority,
        subjects=subjects,
        keywords=[k for k in map(line_text, every(content, "keyword")) if k],
        places=places,
        genre=label(first(content, "genre"), lang, catalog),
        source=_source(meta, content, lang, catalog),
        copyrightholder=label(first(el, "rightsInfo", "copyrightHolder"), lang, catalog),
        usageterms=line_text(first(el, "rightsInfo", "usageTerms")),
        renditions=[rendition(r, catalog) for r in every(el, "contentSet", "remoteContent")],
        associations=_associations(el, catalog),
    )
    _require_content(el, item)
    return item


def _guid(el: etree._Element) -> str:
    guid = (el.get("guid") or "").strip()
    if not guid:
        raise invalid(el, f"a {local(el.tag)} needs a guid")
    if len(guid.encode()) > MAX_URI_BYTES:
        raise invalid(el, f"the guid is longer than {MAX_URI_BYTES} bytes")
    return guid


def _version(el: etree._Element) -> str | None:
    version = number(el, el.get("version"), low=0, what="a version")
    return None if version is None else str(version)


def _item_class(meta: etree._Element | None, catalog: Catalog) -> str:
    element = first(meta, "itemClass")
    found = catalog.qcode(element)
    if found is None:
        return "text"
    if found.code not in TYPES:
        raise invalid(element, f"item class {found.alias}:{found.code} is not supported")
    return TYPES[found.code]


def _pubstatus(meta: etree._Element | None, catalog: Catalog) -> PubStatus:
    element = first(meta, "pubStatus")
    found = catalog.qcode(element)
    if found is None:
        return PubStatus.USABLE
    status = PUBSTATUS.get(found.code.lower())
    if status is None:
        raise invalid(
            element, f"pubStatus {found.alias}:{found.code} is not usable, withheld or canceled"
        )
    return status


def _language(el: etree._Element, content: etree._Element | None) -> str | None:
    tags = [(lang.get("tag") or "").strip() for lang in every(content, "language")]
    return next(filter(None, tags), None) or (el.get(XML_LANG) or "").strip() or None


def _headline(content: etree._Element | None, catalog: Catalog) -> str | None:
    """The headline with role main, else one without a role, else the first."""
    found = [(catalog.role(h), line_text(h)) for h in every(content, "headline")]
    found = [(role, text) for role, text in found if text]
    for wanted in ("main", ""):
        text = next((t for role, t in found if role == wanted), None)
        if text:
            return text
    return found[0][1] if found else None


def _abstract(content: etree._Element | None, catalog: Catalog) -> str | None:
    """The summary description, else a caption or an unroled description."""
    found = [(catalog.role(d), line_text(d)) for d in every(content, "description")]
    for wanted in ("summary", "caption", ""):
        text = next((t for role, t in found if role == wanted and t), None)
        if text:
            return text
    return None


def _byline(content: etree._Element | None) -> str | None:
    """``by``; without one, the names of the creators."""
    by = line_text(first(content, "by"))
    creators = [line_text(first(c, "name")) for c in every(content, "creator")]
    return by or ", ".join(filter(None, creators)) or None


def _source(
    meta: etree._Element | None, content: etree._Element | None, lang: str | None, catalog: Catalog
) -> str | None:
    """The infoSource in a source role, else the creditline, else the provider."""
    for info in every(content, "infoSource"):
        if catalog.role(info) in SOURCE_ROLES and (name := label(info, lang, catalog)):
            return name
    credit = line_text(first(content, "creditline"))
    return credit or label(first(meta, "provider"), lang, catalog)


def _urgency(content: etree._Element | None) -> int | None:
    element = first(content, "urgency")
    return number(element, line_text(element), low=1, high=9, what="an urgency")


def _dateline(
    content: etree._Element | None, lang: str | None, ctx: ParseContext, stamp: datetime | None
) -> Dateline | None:
    """``located`` names the place; the ``dateline`` text gives the date and source."""
    located = name_in(first(content, "located"), lang)
    element = first(content, "dateline")
    text = line_text(element)
    if text is None:
        return Dateline(located=located) if located else None
    near = local_date(stamp or ctx.received_at, ctx.tz)
    probe = text if _DASH_END.search(text) else f"{text} -"
    try:
        found = find_dateline(probe, near=near, patterns=ctx.profile.dateline_patterns)
    except TimestampError as exc:
        raise invalid(element, exc.detail, TimestampError) from None
    lead = found[0] if found else Dateline()
    return Dateline(
        located=located or lead.located,
        date=lead.date,
        source=lead.source,
        text=_DASH_END.sub("", text) or None,
    )


def _body(el: etree._Element, headline: str | None) -> tuple[str | None, str | None, str | None]:
    """(body_html, body_text, headline from inline NITF) from the first usable content."""
    body_html = body_text = nitf_title = None
    for part in every(el, "contentSet", "*"):
        kind = local(part.tag)
        if kind == "inlineXML" and body_html is None:
            body_html = inline_xml(part, headline)
            nitf_title = nitf_title or nitf_headline(part)
        elif kind == "inlineData" and (body_html is None or body_text is None):
            data = inline_data(part)
            if data and _is_html(part, data):
                body_html = body_html or html_markup(data, line=part.sourceline)
            else:
                body_text = body_text or data
    return body_html, body_text, nitf_title


def _is_html(part: etree._Element, data: str) -> bool:
    """HTML by its content type, or by its content under another label: STT and others send
    escaped ``<p>`` markup as ``text/plain``, which would show its tags as text
    (``content_type_mismatch``)."""
    ctype = (part.get("contenttype") or "").split(";")[0].strip().lower()
    if ctype in HTML_TYPES:
        return True
    if not looks_like_html(data):
        return False
    warn(
        "content_type_mismatch",
        f"inlineData labelled {ctype or 'without a content type'!r} holds HTML: read as HTML",
        line=part.sourceline,
    )
    return True


def _associations(el: etree._Element, catalog: Catalog) -> list[Association]:
    """Every ``itemRef`` of the groupSet; the relation is its ``rel``, else the group's role."""
    links = []
    for group in every(el, "groupSet", "group"):
        group_role = catalog.role(group) or None
        for ref in every(group, "itemRef"):
            uri = (ref.get("residref") or ref.get("href") or "").strip()
            if not uri:
                raise invalid(ref, "an itemRef needs a residref or href")
            rel = catalog.qcode(ref, "rel")
            links.append(Association(rel=rel.code if rel else group_role, uri=uri))
    return links


def _require_content(el: etree._Element, item: ParsedItem) -> None:
    """Something to publish: a headline or body; for media a caption or rendition; for a
    package a member. A canceled item (a kill) needs nothing more than its guid."""
    if item.pubstatus == PubStatus.CANCELED or item.headline or item.body_html or item.body_text:
        return
    if item.type != "text" and (item.abstract or item.renditions or item.associations):
        return
    raise invalid(el, f"a {local(el.tag)} needs a headline or content")
