"""NITF 3.x (News Industry Text Format, IPTC) read into one ``ParsedItem``.

Reads ``head`` (title, meta, tobject, docdata, pubdata) and ``body`` (body.head, body.content,
body.end) in or out of the NITF namespace. The body keeps its markup as HTML (``hl2`` → ``h2``,
``bq`` → ``blockquote``, enriched text such as ``person`` or ``chron`` unwrapped; media become
renditions, never fetched). A document with neither a headline nor a body is ``Invalid`` naming
the ``nitf`` line; unreadable dates are ``TimestampError`` naming theirs. NITF does not mandate an
identifier, so an item without ``doc-id`` has no uri (normalise derives one).
"""

from __future__ import annotations

from datetime import date, datetime

from shared.dateline import find_dateline, title_case
from shared.errors import TimestampError
from shared.formats.nitf_html import (
    Element,
    attr,
    day,
    find,
    findall,
    instant,
    invalid,
    kids,
    line,
    number,
    size,
    text,
    to_html,
)
from shared.formats.xmlsafe import local
from shared.model import Dateline, ParseContext, ParsedItem, Place, Rendition, Subject

NAME = "nitf"
FAMILY = "xml"

# docdata@management-status (NITF 3.1+); "embargoed" is usable once date.release has passed.
PUBSTATUS = {"usable": "usable", "embargoed": "usable", "withheld": "withheld"}
PUBSTATUS |= {"canceled": "canceled", "cancelled": "canceled"}
SLUG_META = ("anpa-keyword", "slugline", "slug", "keyword")
CATEGORY_META = ("anpa-category", "category")
PRIORITY_META = ("anpa-priority", "priority")
IDENTIFIED = {"classifier": "classifier", "org": "organisation", "person": "person"}
IDENTIFIED["event"] = "event"


def sniff(doc: object) -> bool:
    """True for an XML root element named ``nitf`` (any namespace)."""
    return local(getattr(doc, "tag", None)) == "nitf"


def parse(doc: Element, ctx: ParseContext) -> list[ParsedItem]:
    """One item for the document, or raises ``Invalid``/``TimestampError`` naming the line."""
    return [read(doc, ctx)]


def read(root: Element, ctx: ParseContext) -> ParsedItem:
    """The ``ParsedItem`` of one ``nitf`` element (also used for NITF inside NewsML 1.x)."""
    head, body = find(root, "head"), find(root, "body")
    docdata, body_head = find(head, "docdata"), find(body, "body.head")
    issued = _stamp(find(docdata, "date.issue"), ctx)
    item = ParsedItem(
        format=NAME,
        uri=attr(find(docdata, "doc-id"), "id-string"),
        version=attr(find(docdata, "du-key"), "version"),
        pubstatus=_pubstatus(docdata),
        headline=text(find(body_head, "hedline/hl1")) or text(find(head, "title")),
        slugline=_meta(head, SLUG_META) or attr(find(docdata, "du-key"), "key"),
        byline=_joined(findall(body_head, "byline"), ", "),
        abstract=text(find(body_head, "abstract")) or _joined(findall(body_head, "hedline/hl2")),
        ednote=_joined([e for e in findall(docdata, "ed-msg") if attr(e, "info")], " ", "info"),
        body_html=body_html(body),
        language=attr(root, "lang", "baselang") or attr(body, "lang"),
        firstcreated=issued,
        versioncreated=issued,
        embargoed=_stamp(find(docdata, "date.release"), ctx),
        urgency=number(find(docdata, "urgency"), attr(find(docdata, "urgency"), "ed-urg")),
        priority=_priority(head),
        subjects=_subjects(head, docdata, ctx),
        keywords=[k for e in findall(docdata, "key-list/keyword") if (k := attr(e, "key"))],
        places=_places(docdata),
        genre=attr(find(head, "tobject/tobject.property"), "tobject.property.type"),
        source=text(find(body_head, "distributor")) or attr(find(docdata, "doc-id"), "regsrc"),
        copyrightholder=attr(find(docdata, "doc.copyright"), "holder"),
        usageterms=_usage(docdata, body_head),
        renditions=renditions(root),
    )
    _check_expiry(docdata, ctx)
    near = (issued or ctx.received_at).astimezone(ctx.tz).date()
    item.dateline = _dateline(find(body_head, "dateline"), near, ctx)
    if not item.headline and not item.body_html:
        raise invalid(root, "a NITF document needs a headline (hl1 or title) or a body.content")
    return item


# --- head --------------------------------------------------------------------------------------


def _stamp(element: Element | None, ctx: ParseContext) -> datetime | None:
    return instant(element, attr(element, "norm") or text(element), ctx.tz)


def _check_expiry(docdata: Element | None, ctx: ParseContext) -> None:
    """date.expire has no item field, but an impossible one is still refused."""
    _stamp(find(docdata, "date.expire"), ctx)


def _pubstatus(docdata: Element | None) -> str:
    """docdata@management-status (NITF 3.1+), else a ``management-status`` element's text."""
    element = find(docdata, "management-status")
    value = attr(docdata, "management-status") or text(element) or attr(element, "info")
    if value is None:
        return "usable"
    status = PUBSTATUS.get(value.lower())
    if status is None:
        names = ", ".join(sorted(PUBSTATUS))
        raise invalid(
            element if element is not None else docdata,
            f"management-status must be one of {names}, not {value[:40]!r}",
        )
    return status


def _meta(head: Element | None, names: tuple[str, ...]) -> str | None:
    """The content of the first ``<meta name=…>`` with one of ``names`` (case-insensitive)."""
    for meta in kids(head, "meta"):
        if (attr(meta, "name") or "").lower() in names and (value := attr(meta, "content")):
            return value
    return None


def _priority(head: Element | None) -> int | None:
    for meta in kids(head, "meta"):
        if (attr(meta, "name") or "").lower() in PRIORITY_META:
            return number(meta, attr(meta, "content"))
    return None


def _joined(elements: list[Element], sep: str = " ", attribute: str | None = None) -> str | None:
    parts = [attr(e, attribute) if attribute else text(e) for e in elements]
    return sep.join(p for p in parts if p) or None


def _subjects(head: Element | None, docdata: Element | None, ctx: ParseContext) -> list[Subject]:
    subjects = [_tobject_subject(e) for e in findall(head, "tobject/tobject.subject")]
    for meta in kids(head, "meta"):
        if (attr(meta, "name") or "").lower() in CATEGORY_META and (code := attr(meta, "content")):
            subjects.append(ctx.profile.mapped_subject(code) or Subject("category", code))
    subjects += [s for e in _identified(docdata) if (s := _identified_subject(e))]
    subjects += [
        Subject("series", None, n) for e in kids(docdata, "series") if (n := attr(e, "series.name"))
    ]
    subjects += [
        Subject("fixture", c) for e in kids(docdata, "fixture") if (c := attr(e, "fix-id"))
    ]
    return [s for s in subjects if s.code or s.name]


def _identified(docdata: Element | None) -> list[Element]:
    return [e for block in kids(docdata, "identified-content") for e in block]


def _identified_subject(element: Element) -> Subject | None:
    """classifier (scheme from idsrc or type), org, person and event as subjects."""
    kind = IDENTIFIED.get(local(element.tag))
    if kind == "classifier":
        kind = attr(element, "idsrc", "type") or kind
    return None if kind is None else Subject(kind, attr(element, "value"), text(element))


def _tobject_subject(element: Element) -> Subject:
    """IPTC subject codes by refnum (names from the most specific of detail/matter/type)."""
    code = attr(element, "tobject.subject.refnum", "tobject.subject.code")
    name = attr(element, "tobject.subject.detail", "tobject.subject.matter", "tobject.subject.type")
    ipr = (attr(element, "tobject.subject.ipr") or "IPTC").lower()
    if code and code.lower().startswith("subj:"):
        code = code[5:]
    if ipr == "iptc" and code and len(code) == 8 and code.isdigit():
        return Subject("iptc-subject", code, name)
    return Subject(ipr, code, name)


def _places(docdata: Element | None) -> list[Place]:
    places = [
        Place(name=attr(e, "city", "county-dist", "state-prov"), code=attr(e, "iso-cc"))
        for e in kids(docdata, "evloc")
    ]
    for element in findall(docdata, "identified-content/location"):
        name = attr(element, "value") or text(find(element, "city")) or text(element)
        places.append(Place(name=name, code=attr(element, "location-code")))
    return [p for p in places if p.name or p.code]


def _usage(docdata: Element | None, body_head: Element | None) -> str | None:
    rights = find(docdata, "doc.rights")
    return attr(rights, "limitations", "type") or text(find(body_head, "rights"))


# --- body --------------------------------------------------------------------------------------


def body_html(body: Element | None) -> str | None:
    """body.content as HTML, with body.end's taglines as closing paragraphs."""
    parts = [to_html(c) for c in kids(body, "body.content")]
    parts += [f"<p>{html}</p>" for t in findall(body, "body.end/tagline") if (html := to_html(t))]
    return "\n".join(p for p in parts if p) or None


def _dateline(element: Element | None, near: date, ctx: ParseContext) -> Dateline | None:
    """Dateline text as written; located from location/city, date from story.date@norm."""
    if element is None:
        return None
    written = (text(element) or "").rstrip(" -–—_").strip()
    city = text(find(element, "location/city")) or text(find(element, "location"))
    story = find(element, "story.date")
    stamped = day(story, attr(story, "norm"))
    try:
        found = find_dateline(written + " -", near=near, patterns=ctx.profile.dateline_patterns)
    except TimestampError as exc:
        raise TimestampError(
            exc.detail, errors=[{"line": line(element), "message": exc.detail}]
        ) from None
    lead = found[0] if found else Dateline()
    dateline = Dateline(
        located=title_case(city) if city else lead.located,
        date=stamped or lead.date,
        source=lead.source,
        text=written or None,
    )
    return None if dateline == Dateline() else dateline


def renditions(root: Element) -> list[Rendition]:
    """Every media-reference below ``root``: references only, never fetched."""
    found = []
    for media in root.iter():
        if local(media.tag) != "media":
            continue
        for ref in kids(media, "media-reference"):
            found.append(
                Rendition(
                    name=attr(ref, "name") or attr(media, "media-type"),
                    href=attr(ref, "source", "data-location"),
                    mimetype=attr(ref, "mime-type"),
                    width=size(ref, attr(ref, "width")),
                    height=size(ref, attr(ref, "height")),
                )
            )
    return [r for r in found if r.href]
