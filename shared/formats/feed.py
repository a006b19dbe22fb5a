"""RSS 2.0 (and RSS 1.0/RDF) and Atom (RFC 4287) feeds: a feed is a batch, one item per entry.

Items carry ``format`` "rss" or "atom". RSS: ``guid`` (else ``link``; RSS 1.0 ``rdf:about``) →
uri; ``title`` → headline; ``content:encoded`` → body_html with ``description`` as abstract, or
``description`` as the body when there is no ``content:encoded``; ``author``/``dc:creator`` →
byline; ``pubDate``/``dc:date`` → firstcreated, ``atom:updated``/``dcterms:modified`` (else the
same) → versioncreated; ``category`` → subjects; ``dc:language``, else the channel's
``language`` → language; ``source``, else the channel title → source; ``dc:rights``/channel
``copyright`` → copyrightholder. Atom: ``id`` (else the alternate link) → uri; ``title``;
``summary`` → abstract; ``content`` (text, html, xhtml; out-of-line ``src`` is a rendition) →
body, ``summary`` standing in when there is none; ``author/name`` (else the feed's) → byline;
``published`` → firstcreated; ``updated`` → versioncreated; ``category`` → subjects;
``xml:lang`` (nearest) → language; ``rights`` → copyrightholder. Both: ``enclosure``,
``link rel=enclosure``, ``media:content`` and ``media:thumbnail`` → renditions (references
only, never fetched); a category whose domain/scheme is an IPTC vocabulary → an IPTC subject.

Strict: an item without an id and a link, or with neither title nor body, is ``Invalid``; an
unreadable date is a ``TimestampError``; both name the element's line, and a batch reports every
failing item with its ``index``. The tree is read as given: nothing is fetched or re-parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from copy import deepcopy
from datetime import datetime

import lxml.etree as etree
import lxml.html

from shared.errors import Invalid, TimestampError
from shared.formats.batch import read_members
from shared.formats.feed_media import renditions
from shared.model import ParseContext, ParsedItem, Subject
from shared.timestamps import parse_timestamp

NAME = "rss"
FAMILY = "xml"

MAX_ITEMS = 1000
ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1 = "http://purl.org/rss/1.0/"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IPTC = re.compile(r"https?://cv\.iptc\.org/newscodes/(subjectcode|mediatopic)\b/?", re.I)
SCHEMES = {"subjectcode": "iptc-subject", "mediatopic": "iptc-mediatopic"}


def _a(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def sniff(root: etree._Element) -> bool:
    """RSS 2.0 ``rss``, RSS 1.0 ``rdf:RDF``, an Atom ``feed`` or a lone Atom ``entry``."""
    tag = root.tag if isinstance(root.tag, str) else ""
    return tag in ("rss", f"{{{RDF}}}RDF", _a("feed"), _a("entry"))


def parse(root: etree._Element, ctx: ParseContext) -> list[ParsedItem]:
    """One item per RSS item or Atom entry, in document order; all or nothing."""
    if root.tag in (_a("feed"), _a("entry")):
        entries = [root] if root.tag == _a("entry") else root.findall(_a("entry"))
        return _batch(entries, lambda e: _atom_item(e, root, ctx), root)
    channel = root.find("channel") if root.tag == "rss" else root.find(f"{{{RSS1}}}channel")
    if channel is None:
        raise _at(Invalid, root, "the feed has no channel")
    items = channel.findall("item") if root.tag == "rss" else root.findall(f"{{{RSS1}}}item")
    return _batch(items, lambda i: _rss_item(i, channel, ctx), root)


def _batch(
    members: Sequence[etree._Element],
    read: Callable[[etree._Element], ParsedItem],
    root: etree._Element,
) -> list[ParsedItem]:
    if not 1 <= len(members) <= MAX_ITEMS:
        raise _at(Invalid, root, f"a feed holds 1 to {MAX_ITEMS} items, not {len(members)}")
    return read_members(members, read, noun="feed item")


def _at(kind: type[Invalid], element: etree._Element, message: str) -> Invalid:
    line = element.sourceline or 1
    return kind(f"line {line}: {message}", errors=[{"line": line, "message": message}])


# --- small readers ---------------------------------------------------------------------------


def _first(element: etree._Element, *tags: str) -> etree._Element | None:
    return next((found for t in tags if (found := element.find(t)) is not None), None)


def _text(element: etree._Element | None) -> str | None:
    """All the element's text, whitespace folded; None when absent or blank."""
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _field(element: etree._Element, *tags: str) -> str | None:
    return next(filter(None, (_text(element.find(t)) for t in tags)), None)


def _raw(element: etree._Element | None) -> str | None:
    """The element's text as written (markup in escaped HTML kept); None when blank."""
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    return value or None


def plain(markup: str | None) -> str | None:
    """The text of an HTML fragment (tags dropped, entities decoded, whitespace folded)."""
    if not markup or ("<" not in markup and "&" not in markup):
        return " ".join((markup or "").split()) or None
    try:
        text = lxml.html.fragment_fromstring(markup, create_parent="div").text_content()
    except (etree.ParserError, ValueError):
        text = markup
    return " ".join(text.split()) or None


def _time(element: etree._Element | None, ctx: ParseContext) -> datetime | None:
    value = _text(element)
    if element is None or value is None:
        return None
    try:
        return parse_timestamp(value, tz=ctx.tz, near=ctx.received_at)
    except TimestampError as exc:
        raise _at(TimestampError, element, exc.detail) from None


def _subject(scheme: str | None, term: str, label: str | None, ctx: ParseContext) -> list[Subject]:
    """IPTC vocabularies by their URI; else the partner's scheme, else "category" (mapped
    through the profile's ``category_subjects``)."""
    iptc = IPTC.match(scheme or "") or IPTC.match(term)
    if iptc:
        code = IPTC.sub("", term).strip("/").removeprefix("subj:").removeprefix("medtop:")
        return [Subject(SCHEMES[iptc.group(1).lower()], code or None, label)]
    if scheme:
        return [Subject(scheme, term if label else None, label or term)]
    name = label or term
    found = [Subject("category", None, name)]
    mapped = ctx.profile.mapped_subject(name)
    return [*found, mapped] if mapped is not None and mapped not in found else found


def _unique(subjects: list[Subject]) -> list[Subject]:
    return list(dict.fromkeys(subjects))


def _language(*elements: etree._Element | None) -> str | None:
    """The nearest ``xml:lang`` of the first element that has one in scope."""
    for element in elements:
        while element is not None:
            if (value := (element.get(XML_LANG) or "").strip()) != "":
                return value
            element = element.getparent()
    return None


def _require(item: ParsedItem, element: etree._Element, what: str) -> ParsedItem:
    if item.uri is None:
        raise _at(Invalid, element, f"the {what} has neither an id nor a link")
    if item.headline is None and not (item.body_html or item.body_text):
        raise _at(Invalid, element, f"the {what} has neither a title nor a body")
    return item


# --- RSS 2.0 and RSS 1.0 -------------------------------------------------------------------


def _rss_item(item: etree._Element, channel: etree._Element, ctx: ParseContext) -> ParsedItem:
    ns = "" if item.tag == "item" else f"{{{RSS1}}}"
    content = _raw(item.find(f"{{{CONTENT}}}encoded"))
    description = _raw(item.find(f"{ns}description"))
    created = _time(_first(item, "pubDate", f"{{{DC}}}date"), ctx)
    modified = _time(_first(item, _a("updated"), f"{{{DCTERMS}}}modified"), ctx)
    uri = _field(item, "guid", f"{ns}link") or (item.get(f"{{{RDF}}}about") or "").strip()
    return _require(
        ParsedItem(
            format="rss",
            uri=uri or None,
            headline=plain(_raw(item.find(f"{ns}title"))),
            byline=_author(_field(item, "author", f"{{{DC}}}creator")),
            abstract=plain(description) if content else None,
            body_html=content or description,
            language=_field(item, f"{{{DC}}}language")
            or _field(channel, f"{ns}language", f"{{{DC}}}language"),
            firstcreated=created,
            versioncreated=modified or created,
            subjects=_unique([s for c in item.iter("category") for s in _category(c, ctx)]),
            keywords=_keywords(item),
            source=_field(item, "source") or plain(_raw(channel.find(f"{ns}title"))),
            copyrightholder=_field(item, f"{{{DC}}}rights")
            or _field(channel, "copyright", f"{{{DC}}}rights"),
            renditions=renditions(item),
        ),
        item,
        "item",
    )


def _author(value: str | None) -> str | None:
    """RSS ``author`` is ``address (Name)``: the name when given."""
    found = re.fullmatch(r"\s*\S+@\S+\s*\((.+)\)\s*", value or "")
    return found.group(1).strip() if found else value


def _category(element: etree._Element, ctx: ParseContext) -> list[Subject]:
    term = _text(element)
    domain = (element.get("domain") or "").strip() or None
    return _subject(domain, term, None, ctx) if term else []


def _keywords(item: etree._Element) -> list[str]:
    """``dc:subject`` entries and comma-separated ``media:keywords``."""
    words = [_text(s) for s in item.iter(f"{{{DC}}}subject")]
    for element in item.iter("{http://search.yahoo.com/mrss/}keywords"):
        words += (_text(element) or "").split(",")
    return list(dict.fromkeys(w.strip() for w in words if w and w.strip()))


# --- Atom -----------------------------------------------------------------------------------


def _atom_item(entry: etree._Element, root: etree._Element, ctx: ParseContext) -> ParsedItem:
    content = entry.find(_a("content"))
    html, text = _atom_content(content)
    summary = _atom_text(entry.find(_a("summary")))
    if html is None and text is None and summary is not None:
        summary, text = None, summary
    feed = root if root is not entry else None
    created = _time(entry.find(_a("published")), ctx)
    source = entry.find(_a("source"))
    return _require(
        ParsedItem(
            format="atom",
            uri=_field(entry, _a("id")) or _alternate(entry),
            headline=_atom_text(entry.find(_a("title"))),
            byline=_authors(entry) or (_authors(feed) if feed is not None else None),
            abstract=summary,
            body_html=html,
            body_text=text,
            language=_language(content, entry),
            firstcreated=created,
            versioncreated=_time(entry.find(_a("updated")), ctx) or created,
            subjects=_unique([s for c in entry.findall(_a("category")) for s in _term(c, ctx)]),
            source=_atom_text(_first(source, _a("title")) if source is not None else None)
            or (_atom_text(feed.find(_a("title"))) if feed is not None else None),
            copyrightholder=_atom_text(entry.find(_a("rights")))
            or (_atom_text(feed.find(_a("rights"))) if feed is not None else None),
            renditions=renditions(entry),
        ),
        entry,
        "entry",
    )


def _alternate(entry: etree._Element) -> str | None:
    for link in entry.findall(_a("link")):
        if (link.get("rel") or "alternate").strip() == "alternate" and link.get("href"):
            return link.get("href", "").strip() or None
    return None


def _authors(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    names = [_text(a.find(_a("name"))) for a in element.findall(_a("author"))]
    return ", ".join(n for n in names if n) or None


def _term(element: etree._Element, ctx: ParseContext) -> list[Subject]:
    term = (element.get("term") or "").strip()
    label = (element.get("label") or "").strip() or None
    scheme = (element.get("scheme") or "").strip() or None
    return _subject(scheme, term, label, ctx) if term else []


def _atom_type(element: etree._Element) -> str:
    return (element.get("type") or "text").strip().lower()


def _atom_text(element: etree._Element | None) -> str | None:
    """A text construct (text, html or xhtml) as plain text."""
    if element is None:
        return None
    if _atom_type(element) in ("html", "text/html"):
        return plain(_raw(element))
    return _text(element)


def _atom_content(element: etree._Element | None) -> tuple[str | None, str | None]:
    """(body_html, body_text) of ``atom:content``; out-of-line content (``src``) gives neither."""
    if element is None or element.get("src"):
        return None, None
    kind = _atom_type(element)
    if kind in ("xhtml", "application/xhtml+xml"):
        return _xhtml(element), None
    if kind in ("html", "text/html"):
        return _raw(element), None
    return None, _raw(element)


def _xhtml(element: etree._Element) -> str | None:
    """The inner markup of the XHTML ``div``, namespaces dropped, ready for sanitising."""
    div = element.find(f"{{{XHTML}}}div")
    copy = deepcopy(div if div is not None else element)
    for node in copy.iter():
        if isinstance(node.tag, str) and node.tag.startswith(f"{{{XHTML}}}"):
            node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(copy)
    inner = (copy.text or "") + "".join(etree.tostring(c, encoding="unicode") for c in copy)
    return inner.strip() or None
