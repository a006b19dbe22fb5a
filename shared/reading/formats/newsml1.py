"""NewsML 1.x (IPTC, 1.0–1.2, as AFP and ANA-MPE send it) read into one ``ParsedItem`` per
``NewsItem``.

A document is a batch: every NewsItem is read, in order, and if any is invalid the whole document
is ``Invalid`` with ``errors`` naming each failing item's ``index`` and line. A NewsItem needs a
NewsIdentifier (a PublicIdentifier, or a ProviderId with a NewsItemId) and a headline or a body.
The uri leaves out the revision (revisions of one item differ only in RevisionId), the version is
the RevisionId. Metadata is read from the top NewsComponent and, failing that, the text component
(see ``newsml1_content``); times such as ``20220107T132100+0300`` are honoured, naive ones read
in the partner's zone.

Repairs: a Source, Provider, CreditLine or copyright holder with a dangling separator ("AAP -")
is trimmed (``credit_trimmed``, naming the NewsItem's index); NewsLines and inline NITF keep the
word breaks their markup implies.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from shared.core.errors import TimestampError
from shared.core.model import (
    MAX_BATCH_ITEMS,
    Association,
    Dateline,
    ParseContext,
    ParsedItem,
    Place,
    PubStatus,
    Subject,
)
from shared.reading.dateline import find_dateline, title_case
from shared.reading.formats import newsml1_content as content
from shared.reading.formats.common.batch import read_members
from shared.reading.formats.common.wiretext import credit
from shared.reading.formats.common.xmlsafe import local
from shared.reading.formats.nitf_html import (
    Element,
    attr,
    find,
    findall,
    instant,
    invalid,
    kids,
    line,
    number,
    text,
)
from shared.reading.timestamps import local_date, optional_timestamp

NAME = "newsml-1"
FAMILY = "xml"

STATUS = {status.value: status for status in PubStatus}
STATUS |= {"embargoed": PubStatus.USABLE, "cancelled": PubStatus.CANCELED}
KILLS = frozenset(("kill", "cancel", "cancellation", "delete", "withdraw", "withdrawal"))
EDNOTE_LINES = frozenset(("ednote", "editorialnote", "editorsnote", "instruction"))
PLACE_PARTS = ("City", "CountryArea", "Region", "Country", "WorldRegion")
IPTC_CODE = re.compile(r"(?:subj:)?([0-9]{8})", re.I)


def sniff(doc: object) -> bool:
    """True for an XML root element named ``NewsML`` (any namespace)."""
    return local(getattr(doc, "tag", None)) == "NewsML"


def parse(doc: Element, ctx: ParseContext) -> list[ParsedItem]:
    """One item per NewsItem, all or nothing; raises ``Invalid`` naming index and line."""
    items = list(kids(doc, "NewsItem"))
    if not 1 <= len(items) <= MAX_BATCH_ITEMS:
        raise invalid(
            doc, f"a NewsML document holds 1 to {MAX_BATCH_ITEMS} NewsItems, not {len(items)}"
        )
    envelope = find(doc, "NewsEnvelope")
    return read_members(
        list(enumerate(items)),
        lambda pair: _item(pair[1], envelope, ctx, pair[0]),
        noun="NewsItem",
        bare_single=True,
    )


# --- one NewsItem ------------------------------------------------------------------------------


def _item(
    news_item: Element, envelope: Element | None, ctx: ParseContext, index: int
) -> ParsedItem:
    """One NewsItem; ``index`` (its place in the document) is the member its warnings name."""
    identifier = find(news_item, "Identification/NewsIdentifier")
    management = find(news_item, "NewsManagement")
    top = find(news_item, "NewsComponent")
    story = content.read(top)
    scopes = [c for c in (top, story.component) if c is not None]
    lines = _first(scopes, "NewsLines")
    status, embargo = _status(management, ctx)
    created = _time(management, "FirstCreated", ctx)
    revised = _time(management, "ThisRevisionCreated", ctx)
    item = ParsedItem(
        format=NAME,
        uri=_uri(news_item, identifier),
        version=text(find(identifier, "RevisionId")),
        type=story.type,
        pubstatus=status,
        headline=text(find(lines, "HeadLine")) or story.headline,
        slugline=text(find(lines, "SlugLine")),
        byline=text(find(lines, "ByLine")) or story.byline,
        abstract=text(find(lines, "SubHeadLine")) or story.abstract,
        ednote=_ednote(lines, management),
        body_html=story.body_html,
        body_text=story.body_text,
        language=_formal(scopes, "DescriptiveMetadata/Language") or _lang(scopes),
        firstcreated=created,
        versioncreated=revised or (None if created else _time(envelope, "DateAndTime", ctx)),
        embargoed=embargo,
        urgency=_rank(find(management, "Urgency")),
        priority=_rank(find(envelope, "Priority")),
        subjects=_subjects(scopes),
        keywords=_keywords(scopes),
        places=_places(scopes),
        genre=_formal(scopes, "DescriptiveMetadata/Genre"),
        source=_source(scopes, lines, index),
        copyrightholder=credit(
            text(_first(scopes, "RightsMetadata/Copyright/CopyrightHolder")),
            field="RightsMetadata/Copyright/CopyrightHolder",
            index=index,
        )
        or credit(text(find(lines, "CopyrightLine")), field="NewsLines/CopyrightLine", index=index),
        usageterms=_usage(scopes) or text(find(lines, "RightsLine")),
        renditions=story.renditions,
        associations=story.associations + _associated(management),
    )
    if _killed(management):
        item.pubstatus = PubStatus.CANCELED
    near = local_date(created or revised or ctx.received_at, ctx.tz)
    item.dateline = _dateline(find(lines, "DateLine"), scopes, near, ctx)
    if not item.headline and not (item.body_html or item.body_text):
        raise invalid(
            news_item, "a NewsItem needs a HeadLine or a body (partial Update items are not read)"
        )
    return item


def _uri(news_item: Element, identifier: Element | None) -> str:
    """PublicIdentifier without its trailing revision, else urn:newsml:provider:date:id."""
    public = text(find(identifier, "PublicIdentifier"))
    revision = text(find(identifier, "RevisionId"))
    if public and revision and (m := re.fullmatch(rf"(.+):{re.escape(revision)}[NAU]?", public)):
        return m[1]
    if public:
        return public
    parts = [text(find(identifier, n)) for n in ("ProviderId", "DateId", "NewsItemId")]
    if parts[0] and parts[2]:
        return "urn:newsml:" + ":".join(p for p in parts if p)
    raise invalid(
        identifier if identifier is not None else news_item,
        "a NewsItem needs a NewsIdentifier with a PublicIdentifier or a NewsItemId",
    )


def _time(scope: Element | None, name: str, ctx: ParseContext) -> datetime | None:
    element = find(scope, name)
    return instant(element, text(element), ctx.tz)


def _rank(element: Element | None) -> int | None:
    return number(element, attr(element, "FormalName") or text(element))


def _status(management: Element | None, ctx: ParseContext) -> tuple[PubStatus, datetime | None]:
    """Status@FormalName mapped; an embargo is the time StatusWillChange makes it Usable."""
    element = find(management, "Status")
    value = attr(element, "FormalName") or "Usable"
    status = STATUS.get(value.lower())
    if status is None:
        raise invalid(
            element, f"Status must be Usable, Embargoed, Withheld or Canceled, not {value[:40]!r}"
        )
    change = find(management, "StatusWillChange")
    future = (attr(find(change, "FutureStatus"), "FormalName") or "").lower()
    embargo = (
        optional_timestamp(
            lambda: _time(change, "DateAndTime", ctx), field="StatusWillChange/DateAndTime"
        )
        if future == PubStatus.USABLE
        else None
    )
    return status, embargo if value.lower() != PubStatus.USABLE else None


def _killed(management: Element | None) -> bool:
    return any(
        (attr(e, "FormalName") or "").lower() in KILLS for e in kids(management, "Instruction")
    )


def _ednote(lines: Element | None, management: Element | None) -> str | None:
    notes = [
        text(find(e, "NewsLineText"))
        for e in kids(lines, "NewsLine")
        if _squash(attr(find(e, "NewsLineType"), "FormalName")) in EDNOTE_LINES
    ]
    notes += [attr(e, "FormalName") for e in kids(management, "Instruction")]
    return " ".join(n for n in notes if n) or None


def _squash(value: str | None) -> str:
    return re.sub(r"[^a-z]", "", (value or "").lower())


def _first(scopes: list[Element], path: str) -> Element | None:
    return next((e for s in scopes if (e := find(s, path)) is not None), None)


def _formal(scopes: list[Element], path: str) -> str | None:
    return next((v for s in scopes for e in findall(s, path) if (v := attr(e, "FormalName"))), None)


def _lang(scopes: list[Element]) -> str | None:
    return next((v for s in scopes if (v := attr(s, "lang"))), None)


def _party(scopes: list[Element], role: str) -> str | None:
    for party in [p for s in scopes for p in findall(s, f"AdministrativeMetadata/{role}/Party")]:
        if value := attr(party, "FormalName") or text(party):
            return value
    return None


def _source(scopes: list[Element], lines: Element | None, index: int) -> str | None:
    """The Source party, else the Provider, else the CreditLine ("AAP -" read as "AAP")."""
    for role in ("Source", "Provider"):
        path = f"AdministrativeMetadata/{role}/Party"
        if value := credit(_party(scopes, role), field=path, index=index):
            return value
    return credit(text(find(lines, "CreditLine")), field="NewsLines/CreditLine", index=index)


def _usage(scopes: list[Element]) -> str | None:
    rights = [e for s in scopes for e in findall(s, "RightsMetadata/UsageRights")]
    for element in rights:
        if value := text(find(element, "Limitations")) or text(find(element, "UsageType")):
            return value
    return None


def _subjects(scopes: list[Element]) -> list[Subject]:
    """SubjectCode levels (Subject, SubjectMatter, SubjectDetail) as IPTC subject codes."""
    found = []
    for code in [e for s in scopes for e in findall(s, "DescriptiveMetadata/SubjectCode")]:
        for level in code:
            value = attr(level, "FormalName")
            if local(level.tag) == "SubjectQualifier" or not value:
                continue
            match = IPTC_CODE.fullmatch(value)
            scheme = "iptc-subject" if match else (attr(level, "Scheme") or "newsml-subject")
            found.append(Subject(scheme, match[1] if match else value))
    return list(dict.fromkeys(found))


def _keywords(scopes: list[Element]) -> list[str]:
    words = [text(e) for s in scopes for e in findall(s, "NewsLines/KeywordLine")]
    words += [
        attr(e, "Value")
        for s in scopes
        for e in findall(s, "DescriptiveMetadata/Property")
        if (attr(e, "FormalName") or "").lower() == "keyword"
    ]
    return list(dict.fromkeys(w for w in words if w))


def _places(scopes: list[Element]) -> list[Place]:
    """One place per Location: the most specific name, the country as code when it is one."""
    places = []
    for location in [e for s in scopes for e in findall(s, "DescriptiveMetadata/Location")]:
        parts = {attr(p, "FormalName"): attr(p, "Value") for p in kids(location, "Property")}
        country = parts.get("Country")
        code = country if country and re.fullmatch("[A-Z]{2,3}", country) else None
        names = [parts.get(k) for k in PLACE_PARTS if not (k == "Country" and code)]
        name = next((n for n in names if n), None)
        if name or code:
            places.append(Place(name=name, code=code))
    return list(dict.fromkeys(places))


def _associated(management: Element | None) -> list[Association]:
    return [
        Association(rel="associated", uri=uri)
        for e in kids(management, "AssociatedWith")
        if (uri := attr(e, "NewsItem"))
    ]


def _dateline(
    element: Element | None, scopes: list[Element], near: date, ctx: ParseContext
) -> Dateline | None:
    """DateLine as written (trailing dash dropped), parsed for place, date and agency."""
    written = (text(element) or "").rstrip(" -–—_").strip()
    if not written:
        return None
    try:
        found = find_dateline(written + " -", near=near, patterns=ctx.profile.dateline_patterns)
    except TimestampError as exc:
        raise TimestampError(
            exc.detail, errors=[{"line": line(element), "message": exc.detail}]
        ) from None
    lead = found[0] if found else Dateline()
    city = next((p.name for p in _places(scopes) if p.name), None)
    located = lead.located or (title_case(city) if city else None)
    return Dateline(located=located, date=lead.date, source=lead.source, text=written)
