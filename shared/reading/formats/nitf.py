"""NITF 3.x (News Industry Text Format, IPTC) read into one ``ParsedItem``.

Reads ``head`` (title, meta, tobject, docdata, pubdata) and ``body`` (body.head, body.content,
body.end) in or out of the NITF namespace. The body keeps its markup as HTML (``hl2`` → ``h2``,
``bq`` → ``blockquote``, enriched text such as ``person`` or ``chron`` unwrapped; media become
renditions, never fetched). A document with neither a headline nor a body is ``Invalid`` naming
the ``nitf`` line; unreadable dates are ``TimestampError`` naming theirs. NITF does not mandate an
identifier, so an item without ``doc-id`` has no uri (normalise derives one).

Repairs (``shared.reading.repairs``): a credit with a dangling separator (``distributor`` "PA–",
``doc.copyright@holder``, ``doc-id@regsrc``) is trimmed (``credit_trimmed``). Metadata text keeps
its word breaks ("By NAME<byttl>Staff Writer</byttl>" → "By NAME Staff Writer"); the dateline's
text never includes its ``story.date``; an event location (``docdata/evloc@city``, as EFE sends
it) locates the story when neither the dateline nor the body's lead does.
"""

from __future__ import annotations

import re
from contextlib import suppress
from copy import deepcopy
from dataclasses import replace
from datetime import date, datetime

from lxml import etree

from shared.core.errors import TimestampError
from shared.core.model import (
    Dateline,
    ParseContext,
    ParsedItem,
    Place,
    PubStatus,
    Rendition,
    Subject,
)
from shared.reading.dateline import MAX_PLACE_WORDS, find_dateline, title_case
from shared.reading.formats.common.wiretext import credit
from shared.reading.formats.common.xmlsafe import local
from shared.reading.formats.nitf_html import (
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
from shared.reading.timestamps import local_date, optional_timestamp, parse_day_month

NAME = "nitf"
FAMILY = "xml"

# docdata@management-status (NITF 3.1+); "embargoed" is usable once date.release has passed.
PUBSTATUS = {status.value: status for status in PubStatus}
PUBSTATUS |= {"embargoed": PubStatus.USABLE, "cancelled": PubStatus.CANCELED}
SLUG_META = ("anpa-keyword", "slugline", "slug", "keyword")
CATEGORY_META = ("anpa-category", "category")
PRIORITY_META = ("anpa-priority", "priority")
IDENTIFIED = {"classifier": "classifier", "org": "organisation", "person": "person"}
IDENTIFIED["event"] = "event"
_ORPHAN_COMMA = re.compile(r"\s*,(?=\s*(?:\(|$))")


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
        embargoed=optional_timestamp(
            lambda: _stamp(find(docdata, "date.release"), ctx), field="docdata/date.release"
        ),
        urgency=number(find(docdata, "urgency"), attr(find(docdata, "urgency"), "ed-urg")),
        priority=_priority(head),
        subjects=_subjects(head, docdata, ctx),
        keywords=[k for e in findall(docdata, "key-list/keyword") if (k := attr(e, "key"))],
        places=_places(docdata),
        genre=attr(find(head, "tobject/tobject.property"), "tobject.property.type"),
        source=_credit(find(body_head, "distributor"), "body.head/distributor")
        or _credit(find(docdata, "doc-id"), "docdata/doc-id@regsrc", "regsrc"),
        copyrightholder=_credit(
            find(docdata, "doc.copyright"), "docdata/doc.copyright@holder", "holder"
        ),
        usageterms=_usage(docdata, body_head),
        renditions=renditions(root),
    )
    _check_expiry(docdata, ctx)
    near = local_date(issued or ctx.received_at, ctx.tz)
    dateline = _dateline(find(body_head, "dateline"), near, ctx)
    item.dateline = _event_located(dateline, docdata, body, near, ctx)
    if not item.headline and not item.body_html:
        raise invalid(root, "a NITF document needs a headline (hl1 or title) or a body.content")
    return item


# --- head --------------------------------------------------------------------------------------


def _stamp(element: Element | None, ctx: ParseContext) -> datetime | None:
    return instant(element, attr(element, "norm") or text(element), ctx.tz)


def _check_expiry(docdata: Element | None, ctx: ParseContext) -> None:
    """date.expire has no item field; an unreadable one is dropped with a warning."""
    optional_timestamp(
        lambda: _stamp(find(docdata, "date.expire"), ctx), field="docdata/date.expire"
    )


def _pubstatus(docdata: Element | None) -> PubStatus:
    """docdata@management-status (NITF 3.1+), else a ``management-status`` element's text."""
    element = find(docdata, "management-status")
    value = attr(docdata, "management-status") or text(element) or attr(element, "info")
    if value is None:
        return PubStatus.USABLE
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


def _credit(element: Element | None, path: str, attribute: str | None = None) -> str | None:
    """A credit-like value (an element's text or one attribute) without a dangling separator."""
    value = attr(element, attribute) if attribute else text(element)
    return credit(value, field=path, line=line(element) if value else None)


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
    """Dateline text as written without its ``story.date``; located from location/city, else
    the text's lead; date from story.date@norm, else the lead, else story.date's text."""
    if element is None:
        return None
    story = find(element, "story.date")
    written = _written(element)
    city = text(find(element, "location/city")) or text(find(element, "location"))
    lead = _lead(written, element, near, ctx)
    dateline = Dateline(
        located=title_case(city) if city else lead.located or _lone_place(written),
        date=day(story, attr(story, "norm")) or lead.date or _display_day(story, near),
        source=lead.source,
        text=written,
    )
    return None if dateline == Dateline() else dateline


def _written(element: Element) -> str | None:
    """The dateline's own text: ``story.date`` (a display date such as "4 de mayo de 2026")
    left out, with the comma or dash it leaves dangling ("SYDNEY, (AAP)" → "SYDNEY (AAP)")."""
    copy = deepcopy(element)
    etree.strip_elements(copy, "{*}story.date", with_tail=False)
    written = _ORPHAN_COMMA.sub("", text(copy) or "")
    return written.rstrip(" ,-–—_").strip() or None


def _lone_place(written: str | None) -> str | None:
    """A dateline element that holds only a place ("BRISBANE", "Port of Spain") is its place:
    in running text a lead needs a date or an agency, in this element it does not."""
    if not written or not written[0].isupper() or len(written.split()) > MAX_PLACE_WORDS:
        return None
    return None if any(c.isdigit() or c in "()" for c in written) else title_case(written)


def _display_day(story: Element | None, near: date) -> date | None:
    """story.date as written for readers ("4 May") when it has no ``norm``; text that is not a
    day and month gives none."""
    value = text(story)
    if value is not None:
        with suppress(TimestampError):
            return parse_day_month(value, near=near)
    return None


def _lead(written: str | None, element: Element, near: date, ctx: ParseContext) -> Dateline:
    """The lead ``find_dateline`` reads in a dateline's text (empty when there is none); an
    impossible date names the dateline's line."""
    if not written:
        return Dateline()
    try:
        found = find_dateline(written + " -", near=near, patterns=ctx.profile.dateline_patterns)
    except TimestampError as exc:
        raise TimestampError(
            exc.detail, errors=[{"line": line(element), "message": exc.detail}]
        ) from None
    return found[0] if found else Dateline()


def _event_located(
    dateline: Dateline | None,
    docdata: Element | None,
    body: Element | None,
    near: date,
    ctx: ParseContext,
) -> Dateline | None:
    """``docdata/evloc@city`` as the place when neither the dateline element nor the body's
    lead ("Madrid, 4 may (EFE).-") names one: EFE states the city only there."""
    city = next((c for e in kids(docdata, "evloc") if (c := attr(e, "city"))), None)
    if city is None or (dateline is not None and dateline.located):
        return dateline
    if _body_lead(body, near, ctx) is not None:
        return dateline
    return replace(dateline or Dateline(), located=title_case(city))


def _body_lead(body: Element | None, near: date, ctx: ParseContext) -> str | None:
    """The place the body's first paragraph opens with, as normalise will read it."""
    blocks = [e for c in kids(body, "body.content") for e in c if isinstance(e.tag, str)]
    first = next((b for b in blocks if "".join(b.itertext()).strip()), None)
    if first is None:
        return None
    found = None
    with suppress(TimestampError):  # an impossible lead date is normalise's to refuse
        found = find_dateline(
            " ".join("".join(first.itertext()).split()),
            near=near,
            patterns=ctx.profile.dateline_patterns,
        )
    return found[0].located if found else None


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
