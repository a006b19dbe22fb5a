"""HTML article pages (scraped or forwarded) read with lxml alone: no network, no sub-resources.

Mapping, first source that has a value wins: headline ← ``og:title``, JSON-LD ``headline``, the
article's ``h1``, the page's ``h1``, ``<title>`` (a trailing " | Site name" dropped); firstcreated
← ``article:published_time``, JSON-LD ``datePublished``, ``itemprop=datePublished``, a
``<time datetime>`` inside the ``<article>``; versioncreated ← ``article:modified_time``,
JSON-LD ``dateModified``, else firstcreated (naive times in the partner's zone); byline ← meta
``author``, JSON-LD ``author``, ``rel=author``, ``itemprop=author``, a ``.byline``; body_html ←
the article (``itemprop=articleBody``, the longest ``<article>``, ``<main>``, else ``<body>``)
without its chrome (nav, header, footer, aside, forms, scripts, share/related/comment blocks,
the headline ``h1``), else JSON-LD ``articleBody`` as body_text; abstract ← ``og:description``,
meta ``description``, JSON-LD ``description``; language ← ``html@lang``, JSON-LD
``inLanguage``, ``content-language``, ``og:locale``; keywords ← meta ``keywords``,
``news_keywords``, ``article:tag``, JSON-LD ``keywords``; subjects ← ``article:section`` and
JSON-LD ``articleSection`` (scheme "category", mapped through the profile); uri ← canonical
link, ``og:url``, JSON-LD ``url``/``mainEntityOfPage``; renditions ← ``og:image`` (else JSON-LD
``image``), never fetched; source ← ``og:site_name``, JSON-LD ``publisher``; copyrightholder ←
JSON-LD ``copyrightHolder``, meta ``copyright``.

Repairs: WordPress shortcodes left in the article (``[caption]…[/caption]``, ``[gallery …]``) are
unwrapped or removed (``shortcodes_removed``); a site name, publisher or copyright holder with a
dangling separator ("Reuters |") is trimmed (``credit_trimmed``).

Dates come only from declared metadata or the article's own ``<time>``: a date in the page
chrome or the first date in the text is never taken. A page with neither headline nor body text
is ``Invalid``; an unreadable declared date is a ``TimestampError`` naming the line.

Reading costs time in proportion to the page: the page is walked once (``_outline``), never with
XPath that revisits nested subtrees or merges node sets pairwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime

import lxml.etree
import lxml.html

from shared.core.errors import Invalid, TimestampError
from shared.core.model import ParseContext, ParsedItem, Subject
from shared.reading.formats.common.wiretext import credit
from shared.reading.formats.html_meta import Meta
from shared.reading.formats.wordpress import shortcodes
from shared.reading.timestamps import parse_timestamp

NAME = "html"
FAMILY = "html"

CHROME_TAGS = (
    "script", "style", "noscript", "template", "iframe", "form", "button", "svg", "nav",
    "aside", "footer", "header", "menu", "dialog", "select", "input", "textarea", "object",
)  # fmt: skip
BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "figure")
CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu"}
CHROME_WORDS = frozenset({
    "share", "sharing", "social", "related", "comment", "comments", "advert", "ads", "promo",
    "newsletter", "breadcrumb", "breadcrumbs", "subscribe", "cookie", "cookies", "byline",
    "author", "date", "time", "rubric", "tags",
})  # fmt: skip
BYLINE = frozenset({"byline", "author", "date", "time"})  # may hold the article's own time
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_SPACE = re.compile("[ \t\r\n]+")  # what separates class names
_BY = re.compile(r"^(?:by|von|par|от|автор:?)\s+", re.I)


def sniff(text: str) -> bool:
    """Always True: an HTML page is the html family's one reader."""
    return True


def parse(text: str, ctx: ParseContext) -> list[ParsedItem]:
    """One item for the page, or raises ``Invalid``/``TimestampError``."""
    root = _document(text)
    meta = Meta(root)
    outline = _outline(root)
    container = _container(root, outline)
    created = _time(meta, ctx, "article:published_time", "datepublished") or _ld_time(
        meta, ctx, "datePublished"
    )
    created = created or _article_time(outline, ctx)
    modified = _time(meta, ctx, "article:modified_time", "datemodified") or _ld_time(
        meta, ctx, "dateModified"
    )
    source = credit(meta.first("og:site_name"), field="og:site_name") or credit(
        _ld_name(meta, "publisher"), field="ld+json/publisher"
    )
    headline = _headline(root, container, outline, meta, source)
    byline = _byline(outline, meta)
    body_html = _body(container, headline)
    if body_html is not None:
        body_html = shortcodes(body_html, field="body") or None
    body_text = None if body_html else meta.ld_text("articleBody")
    if not headline and not body_html and not body_text:
        raise Invalid("the page has neither a headline nor body text",
                      errors=[{"line": 1, "message": "no headline and no body text"}])  # fmt: skip
    return [
        ParsedItem(
            format=NAME,
            uri=_uri(meta),
            headline=headline,
            byline=byline,
            abstract=meta.first("og:description", "description") or meta.ld_text("description"),
            body_html=body_html,
            body_text=body_text,
            language=_language(root, meta),
            firstcreated=created,
            versioncreated=modified or created,
            subjects=_sections(meta, ctx),
            keywords=_keywords(meta),
            source=source,
            copyrightholder=credit(
                _ld_name(meta, "copyrightHolder"), field="ld+json/copyrightHolder"
            )
            or credit(meta.first("copyright"), field="copyright"),
            renditions=meta.images(),
        )
    ]


def _document(text: str) -> lxml.html.HtmlElement:
    cleaned = _CONTROL.sub("", _PROLOG.sub("", text, count=1))
    if not cleaned.strip():
        raise Invalid("the page is empty", errors=[{"line": 1, "message": "no HTML at all"}])
    try:
        return lxml.html.document_fromstring(cleaned)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise Invalid(f"the page has no HTML document: {exc}",
                      errors=[{"line": 1, "message": "no HTML document"}]) from None  # fmt: skip


def _words(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


# --- where the article is --------------------------------------------------------------------


@dataclass(slots=True)
class _Outline:
    """What the page's structure offers, gathered in one walk: whether an element is inside
    chrome is carried down from its parent rather than asked of its ancestors, and XPath such as
    ``//article//time`` is not used (nested ``<article>``s make it revisit and merge every
    subtree once per enclosing article: minutes for a page of a few megabytes)."""

    article_body: lxml.html.HtmlElement | None = None  # the first itemprop=articleBody
    main: lxml.html.HtmlElement | None = None  # the first <main> or role=main
    articles: list[lxml.html.HtmlElement] = field(default_factory=list)  # outermost, not chrome
    headings: list[lxml.html.HtmlElement] = field(default_factory=list)  # outermost h1, not chrome
    stamped: list[lxml.html.HtmlElement] = field(default_factory=list)  # datePublished, pubdate
    times: list[lxml.html.HtmlElement] = field(default_factory=list)  # in an article, not chrome
    authors: list[lxml.html.HtmlElement | None] = field(default_factory=lambda: [None] * 3)


def _outline(root: lxml.html.HtmlElement) -> _Outline:
    """One walk over the page, in document order. An article or ``h1`` inside another one
    outside chrome is never the one chosen (the outer one holds all its text and comes first),
    so only the outermost are kept."""
    out = _Outline()
    # element, then whether an ancestor is chrome, an <article>, a kept article, a kept h1
    stack: list[tuple[lxml.html.HtmlElement, bool, bool, bool, bool]] = [
        (root, False, False, False, False)
    ]
    while stack:
        element, chrome, in_article, under_article, under_heading = stack.pop()
        tag = element.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        _note(out, element, chrome=chrome, in_article=in_article)
        kept_article = tag == "article" and not chrome and not under_article
        kept_heading = tag == "h1" and not chrome and not under_heading
        if kept_article:
            out.articles.append(element)
        if kept_heading:
            out.headings.append(element)
        if len(element):
            inner = (
                chrome or _encloses_chrome(element),
                in_article or tag == "article",
                under_article or kept_article,
                under_heading or kept_heading,
            )
            stack.extend((child, *inner) for child in reversed(element))
    return out


def _note(out: _Outline, element: lxml.html.HtmlElement, *, chrome: bool, in_article: bool) -> None:
    """Record ``element`` where it is the first of its kind or a dated ``<time>``."""
    if out.article_body is None and element.get("itemprop") == "articleBody":
        out.article_body = element
    if out.main is None and (element.tag == "main" or element.get("role") == "main"):
        out.main = element
    if element.tag == "time":
        if element.get("pubdate") is not None or (
            element.get("itemprop") == "datePublished" and element.get("datetime") is not None
        ):
            out.stamped.append(element)
        if in_article and not chrome and element.get("datetime") is not None:
            out.times.append(element)
    if not chrome:
        for kind, is_author in enumerate(_AUTHOR_MARKS):
            if out.authors[kind] is None and is_author(element):
                out.authors[kind] = element


# Where a page names its author, in order of trust: rel=author links, itemprop=author, .byline
_AUTHOR_MARKS: tuple[Callable[[lxml.html.HtmlElement], bool], ...] = (
    lambda e: e.tag == "a" and e.get("rel") == "author",
    lambda e: e.get("itemprop") == "author",
    lambda e: "byline" in _XML_SPACE.split(e.get("class") or ""),
)


def _container(root: lxml.html.HtmlElement, outline: _Outline) -> lxml.html.HtmlElement:
    """``itemprop=articleBody``, else the ``<article>`` with the most text, else ``<main>``,
    else the body."""
    if outline.article_body is not None:
        return outline.article_body
    if outline.articles:
        return max(outline.articles, key=lambda a: len(_words(a)))
    if outline.main is not None:
        return outline.main
    body = root.find("body")
    return body if body is not None else root


def _encloses_chrome(element: lxml.html.HtmlElement) -> bool:
    """Whatever is inside is chrome: navigation, an aside, a footer, a share/related/comments
    block (a byline or date block is not: it may hold the article's own time)."""
    return element.tag in ("nav", "aside", "footer") or _is_chrome(
        element, tags=(), words=CHROME_WORDS - BYLINE
    )


def _is_chrome(
    element: lxml.html.HtmlElement,
    tags: tuple[str, ...] = CHROME_TAGS,
    words: frozenset[str] = CHROME_WORDS,
) -> bool:
    if element.tag in tags or (element.get("role") or "").lower() in CHROME_ROLES:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return bool(words & set(re.split(r"[^a-z0-9]+", names)))


def _outermost(
    top: lxml.html.HtmlElement, tags: Collection[str]
) -> Iterator[lxml.html.HtmlElement]:
    """``top`` or its descendants with one of ``tags`` that have no such ancestor below
    ``top``, in document order: one walk that never enters what it yields."""
    stack = [top]
    while stack:
        element = stack.pop()
        if element.tag in tags:
            yield element
        else:
            stack.extend(reversed(element))


def _doomed(body: lxml.html.HtmlElement, headline: str | None) -> list[lxml.html.HtmlElement]:
    """What ``_body`` leaves out, outermost first (nothing inside one is visited): chrome,
    comments and processing instructions, and the headline ``h1``."""
    doomed, stack = [], list(reversed(body))
    while stack:
        element = stack.pop()
        if (
            not isinstance(element.tag, str)
            or _is_chrome(element)
            or (element.tag == "h1" and (headline is None or _words(element) == headline))
        ):
            doomed.append(element)
        else:
            stack.extend(reversed(element))
    return doomed


def _drop(doomed: list[lxml.html.HtmlElement]) -> None:
    """Remove each element with its content, its tail text joined to the text before it, as
    ``drop_tree`` does; but each parent's text is rebuilt once, where ``drop_tree`` would append
    tail after tail to the growing text (quadratic for thousands of dropped siblings)."""
    by_parent: dict[lxml.html.HtmlElement, set[lxml.html.HtmlElement]] = {}
    for element in doomed:
        parent = element.getparent()
        if parent is not None:  # always: ``_doomed`` gives descendants of the body
            by_parent.setdefault(parent, set()).add(element)
    for parent, gone in by_parent.items():
        owner, slot, pieces = parent, "text", [parent.text or ""]
        for child in list(parent):
            if child in gone:
                pieces.append(child.tail or "")
                child.tail = None
                parent.remove(child)
            else:
                setattr(owner, slot, "".join(pieces) or None)
                owner, slot, pieces = child, "tail", [child.tail or ""]
        setattr(owner, slot, "".join(pieces) or None)


def _body(container: lxml.html.HtmlElement, headline: str | None) -> str | None:
    """The article's content blocks (paragraphs, subheads, lists, tables, quotes, figures)
    without chrome and without the headline ``h1``; loose ``div``s such as a rubric, date or
    author line are left out when the article has paragraphs, else the whole cleaned container
    is the body."""
    body = deepcopy(container)
    body.tail = None
    _drop(_doomed(body, headline))
    blocks = list(_outermost(body, BLOCKS))
    if any(b.tag == "p" and _words(b) for b in blocks):
        parts = [lxml.html.tostring(b, encoding="unicode", with_tail=False) for b in blocks]
        return "\n".join(p for p, b in zip(parts, blocks, strict=True) if _words(b)) or None
    if not _words(body):
        return None
    inner = (body.text or "") + "".join(lxml.html.tostring(c, encoding="unicode") for c in body)
    return inner.strip() or None


# --- fields ----------------------------------------------------------------------------------


def _headline(
    root: lxml.html.HtmlElement,
    container: lxml.html.HtmlElement,
    outline: _Outline,
    meta: Meta,
    site: str | None,
) -> str | None:
    h1 = next(filter(None, map(_words, _outermost(container, ("h1",)))), None)
    h1 = h1 or next(filter(None, map(_words, outline.headings)), None)
    title = root.find(".//title")
    for candidate in (
        meta.first("og:title"),
        meta.ld_text("headline"),
        h1,
        _words(title) if title is not None else None,
    ):
        if candidate:
            return _without_site(candidate, site)
    return None


def _without_site(title: str, site: str | None) -> str:
    """ "Headline | Site" → "Headline" when the tail names the site."""
    if site:
        for separator in (" | ", " - ", " – ", " — ", " :: "):
            head, found, tail = title.rpartition(separator)
            if found and head.strip() and tail.strip().casefold() == site.casefold():
                return head.strip()
    return title


def _byline(outline: _Outline, meta: Meta) -> str | None:
    names = meta.ld_names("author")
    author = meta.first("author", "article:author", "byl")
    if author and not author.startswith(("http://", "https://")):
        return _BY.sub("", author)
    if names:
        return ", ".join(dict.fromkeys(names))
    for found in outline.authors:
        text = _words(found) if found is not None else ""
        if text:
            return _BY.sub("", text)
    return None


def _parse_time(value: str, line: int, ctx: ParseContext) -> datetime:
    try:
        return parse_timestamp(value, tz=ctx.tz, near=ctx.received_at)
    except TimestampError as exc:
        raise TimestampError(f"line {line}: {exc.detail}",
                             errors=[{"line": line, "message": exc.detail}]) from None  # fmt: skip


def _time(meta: Meta, ctx: ParseContext, *keys: str) -> datetime | None:
    value = meta.first(*keys)
    return _parse_time(value, 1, ctx) if value else None


def _ld_time(meta: Meta, ctx: ParseContext, key: str) -> datetime | None:
    value = meta.ld_text(key)
    return _parse_time(value, 1, ctx) if value else None


def _article_time(outline: _Outline, ctx: ParseContext) -> datetime | None:
    """The article's own ``<time datetime>``: one marked ``datePublished`` or ``pubdate``,
    else one inside an ``<article>``, never in the chrome."""
    for element in [*outline.stamped, *outline.times]:
        value = (element.get("datetime") or "").strip()
        if value:
            return _parse_time(value, element.sourceline or 1, ctx)
    return None


def _ld_name(meta: Meta, key: str) -> str | None:
    return meta.ld_text(key)


def _uri(meta: Meta) -> str | None:
    candidates = [meta.link("canonical"), meta.first("og:url"), meta.ld_text("url")]
    candidates.append(meta.ld_text("mainEntityOfPage"))
    present = [c for c in candidates if c]
    absolute = [c for c in present if c.lower().startswith(("http://", "https://"))]
    return next(iter(absolute or present), None)


def _language(root: lxml.html.HtmlElement, meta: Meta) -> str | None:
    lang: str | None = (
        root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    ).strip()
    lang = lang or meta.ld_text("inLanguage") or meta.first("content-language", "og:locale")
    return lang.replace("_", "-") if lang else None


def _split(values: Iterable[str]) -> list[str]:
    return [w.strip() for v in values for w in v.split(",") if w.strip()]


def _keywords(meta: Meta) -> list[str]:
    words = _split(meta.all("keywords", "news_keywords")) + meta.all("article:tag")
    words += _split(meta.ld_names("keywords"))
    return list(dict.fromkeys(words))


def _sections(meta: Meta, ctx: ParseContext) -> list[Subject]:
    names = list(dict.fromkeys(meta.all("article:section") + meta.ld_names("articleSection")))
    subjects = []
    for name in names:
        subjects.append(Subject("category", None, name))
        mapped = ctx.profile.mapped_subject(name)
        if mapped is not None:
            subjects.append(mapped)
    return list(dict.fromkeys(subjects))
