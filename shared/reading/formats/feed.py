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

WordPress (``shared.reading.formats.wordpress``): shortcodes in a body are unwrapped or removed
(``shortcodes_removed``); a WXR export's posts and pages are its stories (other post types are
skipped, ``not_a_story``), its auto-paragraphs become ``<p>``, ``excerpt:encoded`` is the abstract,
``wp:post_date_gmt`` (else ``wp:post_date`` in the partner's zone) the creation time, the author's
display name the byline, ``wp:post_tag`` categories keywords and a featured image an association
(``featured_image_missing`` when the export lacks it). WENN's Atom extensions (``ContentMetadata``,
``NewsManagement``, matched by local name): ``first_line`` is the abstract when there is no
summary, ``tags`` keywords, a priority from 1 to 9 the priority (``priority_unreadable`` else).
Metadata text keeps its word breaks; a source or rights holder with a dangling separator
("Reuters |") is trimmed (``credit_trimmed``).

Strict: an item without an id and a link, or with neither title nor body, is ``Invalid``; an
unreadable date is a ``TimestampError``; both name the element's line, and a batch reports every
failing item with its ``index``. The tree is read as given: nothing is fetched or re-parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from copy import deepcopy
from datetime import datetime
from zoneinfo import ZoneInfo

import lxml.etree as etree
import lxml.html

from shared.core.errors import Invalid, TimestampError
from shared.core.model import MAX_BATCH_ITEMS, ParseContext, ParsedItem, Subject
from shared.reading.formats.common.batch import read_members
from shared.reading.formats.common.wiretext import credit, flat_text
from shared.reading.formats.feed_media import renditions
from shared.reading.formats.wordpress import Export, autop, shortcodes
from shared.reading.repairs import warn
from shared.reading.timestamps import parse_timestamp

NAME = "rss"
FAMILY = "xml"

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
        return _batch(entries, lambda n, e: _atom_item(n, e, root, ctx), root)
    channel = root.find("channel") if root.tag == "rss" else root.find(f"{{{RSS1}}}channel")
    if channel is None:
        raise _at(Invalid, root, "the feed has no channel")
    items = channel.findall("item") if root.tag == "rss" else root.findall(f"{{{RSS1}}}item")
    export = Export.of(root, channel) if root.tag == "rss" else None
    if export is not None:
        items = export.stories(items)
        if not items:
            raise _at(Invalid, root, "the WordPress export holds no post or page")
    return _batch(items, lambda n, i: _rss_item(n, i, channel, ctx, export), root)


def _batch(
    members: Sequence[etree._Element],
    read: Callable[[int, etree._Element], ParsedItem],
    root: etree._Element,
) -> list[ParsedItem]:
    """Every member read with its index (the batch member its warnings concern)."""
    if not 1 <= len(members) <= MAX_BATCH_ITEMS:
        raise _at(Invalid, root, f"a feed holds 1 to {MAX_BATCH_ITEMS} items, not {len(members)}")
    return read_members(list(enumerate(members)), lambda pair: read(*pair), noun="feed item")


def _at(kind: type[Invalid], element: etree._Element, message: str) -> Invalid:
    line = element.sourceline or 1
    return kind(f"line {line}: {message}", errors=[{"line": line, "message": message}])


# --- small readers ---------------------------------------------------------------------------


def _first(element: etree._Element, *tags: str) -> etree._Element | None:
    return next((found for t in tags if (found := element.find(t)) is not None), None)


def _text(element: etree._Element | None) -> str | None:
    """All the element's text, whitespace folded, word breaks kept (``flat_text``); None when
    absent or blank."""
    return flat_text(element)


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


def _time(
    element: etree._Element | None, ctx: ParseContext, tz: ZoneInfo | None = None
) -> datetime | None:
    """The instant ``element`` states, naive times read in ``tz`` (else the partner's zone)."""
    value = _text(element)
    if element is None or value is None:
        return None
    try:
        return parse_timestamp(value, tz=tz or ctx.tz, near=ctx.received_at)
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


def _rss_item(
    index: int,
    item: etree._Element,
    channel: etree._Element,
    ctx: ParseContext,
    export: Export | None,
) -> ParsedItem:
    ns = "" if item.tag == "item" else f"{{{RSS1}}}"
    content = _unshortcoded(_raw(item.find(f"{{{CONTENT}}}encoded")), "content:encoded", index)
    description = _unshortcoded(_raw(item.find(f"{ns}description")), "description", index)
    if export is not None and content is not None:
        content = autop(content)
    created, modified = _rss_times(item, ctx, export)
    uri = _field(item, "guid", f"{ns}link") or (item.get(f"{{{RDF}}}about") or "").strip()
    byline = _author(_field(item, "author", f"{{{DC}}}creator"))
    return _require(
        ParsedItem(
            format="rss",
            uri=uri or None,
            headline=plain(_raw(item.find(f"{ns}title"))),
            byline=export.byline(byline) if export is not None else byline,
            abstract=(_excerpt(item, export) or plain(description)) if content else None,
            body_html=content or description,
            language=_field(item, f"{{{DC}}}language")
            or _field(channel, f"{ns}language", f"{{{DC}}}language"),
            firstcreated=created,
            versioncreated=modified or created,
            subjects=_unique([s for c in item.iter("category") for s in _category(c, ctx)]),
            keywords=_keywords(item),
            source=credit(_field(item, "source"), field="source", index=index)
            or credit(plain(_raw(channel.find(f"{ns}title"))), field="channel/title", index=index),
            copyrightholder=credit(_field(item, f"{{{DC}}}rights"), field="dc:rights", index=index)
            or credit(
                _field(channel, "copyright", f"{{{DC}}}rights"),
                field="channel/copyright",
                index=index,
            ),
            renditions=renditions(item),
            associations=export.featured(item, index) if export is not None else [],
        ),
        item,
        "item",
    )


def _unshortcoded(markup: str | None, field: str, index: int) -> str | None:
    if markup is None:
        return None
    return shortcodes(markup, field=field, index=index) or None


def _rss_times(
    item: etree._Element, ctx: ParseContext, export: Export | None
) -> tuple[datetime | None, datetime | None]:
    """(created, modified): ``pubDate``/``dc:date`` and ``atom:updated``/``dcterms:modified``;
    in an export the post's own dates instead (a draft's pubDate is "30 Nov -0001")."""
    if export is None:
        created = _time(_first(item, "pubDate", f"{{{DC}}}date"), ctx)
        return created, _time(_first(item, _a("updated"), f"{{{DCTERMS}}}modified"), ctx)
    created = _post_date(item, export, "post_date", ctx)
    return created, _post_date(item, export, "post_modified", ctx)


def _post_date(
    item: etree._Element, export: Export, name: str, ctx: ParseContext
) -> datetime | None:
    """``wp:NAME_gmt`` in UTC, else ``wp:NAME`` in the partner's zone; the "0000-00-00 00:00:00"
    of a post never published is no date."""
    for tag, tz in ((f"{name}_gmt", ZoneInfo("UTC")), (name, None)):
        element = item.find(export.tag(tag))
        if not (_text(element) or "0").strip("0-: "):
            continue
        return _time(element, ctx, tz)
    return None


def _excerpt(item: etree._Element, export: Export | None) -> str | None:
    """A post's hand-written excerpt (``excerpt:encoded``) as its abstract."""
    return plain(_raw(item.find(f"{{{export.ns}excerpt/}}encoded"))) if export else None


def _author(value: str | None) -> str | None:
    """RSS ``author`` is ``address (Name)``: the name when given."""
    found = re.fullmatch(r"\s*\S+@\S+\s*\((.+)\)\s*", value or "")
    return found.group(1).strip() if found else value


def _category(element: etree._Element, ctx: ParseContext) -> list[Subject]:
    """A category; WordPress's ``domain="category"`` is a plain one, its ``post_tag`` a
    keyword."""
    term = _text(element)
    domain = (element.get("domain") or "").strip() or None
    if domain == "post_tag":
        return []
    return _subject(None if domain == "category" else domain, term, None, ctx) if term else []


def _keywords(item: etree._Element) -> list[str]:
    """``dc:subject`` entries, WordPress tags and comma-separated ``media:keywords``."""
    words = [_text(s) for s in item.iter(f"{{{DC}}}subject")]
    words += [_text(c) for c in item.iter("category") if c.get("domain") == "post_tag"]
    for element in item.iter("{http://search.yahoo.com/mrss/}keywords"):
        words += (_text(element) or "").split(",")
    return list(dict.fromkeys(w.strip() for w in words if w and w.strip()))


# --- Atom -----------------------------------------------------------------------------------


def _atom_item(
    index: int, entry: etree._Element, root: etree._Element, ctx: ParseContext
) -> ParsedItem:
    content = entry.find(_a("content"))
    html, text = _atom_content(content)
    html = _unshortcoded(html, "content", index)
    summary = _atom_text(entry.find(_a("summary")))
    if html is None and text is None and summary is not None:
        summary, text = None, summary
    feed = root if root is not entry else None
    created = _time(entry.find(_a("published")), ctx)
    source = entry.find(_a("source"))
    wenn = _Wenn(entry, index, ctx)
    return _require(
        ParsedItem(
            format="atom",
            uri=_field(entry, _a("id")) or _alternate(entry),
            headline=_atom_text(entry.find(_a("title"))) or wenn.text("ContentMetadata/title"),
            byline=_authors(entry) or (_authors(feed) if feed is not None else None),
            abstract=summary or wenn.text("ContentMetadata/first_line"),
            body_html=html,
            body_text=text,
            language=_language(content, entry),
            firstcreated=created,
            versioncreated=_time(entry.find(_a("updated")), ctx) or created,
            priority=wenn.priority(),
            subjects=_unique([s for c in entry.findall(_a("category")) for s in _term(c, ctx)]),
            keywords=wenn.tags(),
            source=credit(
                _atom_text(_first(source, _a("title")) if source is not None else None)
                or (_atom_text(feed.find(_a("title"))) if feed is not None else None),
                field="source/title",
                index=index,
            ),
            copyrightholder=credit(
                _atom_text(entry.find(_a("rights")))
                or (_atom_text(feed.find(_a("rights"))) if feed is not None else None),
                field="rights",
                index=index,
            ),
            renditions=renditions(entry),
        ),
        entry,
        "entry",
    )


class _Wenn:
    """WENN's Atom extensions of one entry (``ContentMetadata``, ``NewsManagement``), matched by
    local name in any namespace but Atom's; an entry without them reads as empty."""

    def __init__(self, entry: etree._Element, index: int, ctx: ParseContext) -> None:
        self.entry, self.index, self.ctx = entry, index, ctx

    def find(self, path: str) -> etree._Element | None:
        found: etree._Element | None = self.entry
        for step in path.split("/"):
            children = [] if found is None else list(found)
            found = next((c for c in children if _extension(c) == step), None)
        return found

    def text(self, path: str) -> str | None:
        return _text(self.find(path))

    def tags(self) -> list[str]:
        """``ContentMetadata/tags/tag`` values (or texts) as keywords."""
        tags = self.find("ContentMetadata/tags")
        found = [] if tags is None else [t for t in tags if _extension(t) == "tag"]
        words = [(t.get("value") or _text(t) or "").strip() for t in found]
        return list(dict.fromkeys(w for w in words if w))

    def priority(self) -> int | None:
        """NewsManagement's priority (a number or one of the profile's labels) from 1 to 9;
        anything else is left out with ``priority_unreadable``."""
        element = self.find("NewsManagement/priority")
        value = _text(element)
        if element is None or value is None:
            return None
        number = self.ctx.profile.label_number("priority", value)
        if number is not None and 1 <= number <= 9:
            return number
        warn(
            "priority_unreadable",
            f"priority {value[:40]!r} is not a number from 1 to 9; left out",
            field="NewsManagement/priority",
            line=element.sourceline,
            index=self.index,
        )
        return None


def _extension(element: etree._Element) -> str | None:
    """The local name of an extension element (not Atom's, not a comment)."""
    if not isinstance(element.tag, str) or element.tag.startswith(f"{{{ATOM}}}"):
        return None
    return etree.QName(element).localname


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
