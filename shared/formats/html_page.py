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
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from copy import deepcopy
from datetime import datetime

import lxml.etree
import lxml.html

from shared.errors import Invalid, TimestampError
from shared.formats.html_meta import Meta
from shared.formats.wiretext import credit
from shared.formats.wordpress import shortcodes
from shared.model import ParseContext, ParsedItem, Subject
from shared.timestamps import parse_timestamp

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
_BYLINE_XPATH = '//*[contains(concat(" ", normalize-space(@class), " "), " byline ")]'
_BY = re.compile(r"^(?:by|von|par|от|автор:?)\s+", re.I)


def sniff(text: str) -> bool:
    """Always True: an HTML page is the html family's one reader."""
    return True


def parse(text: str, ctx: ParseContext) -> list[ParsedItem]:
    """One item for the page, or raises ``Invalid``/``TimestampError``."""
    root = _document(text)
    meta = Meta(root)
    container = _container(root)
    created = _time(meta, ctx, "article:published_time", "datepublished") or _ld_time(
        meta, ctx, "datePublished"
    )
    created = created or _article_time(container, ctx)
    modified = _time(meta, ctx, "article:modified_time", "datemodified") or _ld_time(
        meta, ctx, "dateModified"
    )
    source = credit(meta.first("og:site_name"), field="og:site_name") or credit(
        _ld_name(meta, "publisher"), field="ld+json/publisher"
    )
    headline = _headline(root, container, meta, source)
    byline = _byline(root, meta)
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


def _container(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """``itemprop=articleBody``, else the ``<article>`` with the most text, else ``<main>``,
    else the body."""
    marked: list[lxml.html.HtmlElement] = root.xpath('//*[@itemprop="articleBody"]')
    if marked:
        return marked[0]
    articles = [a for a in root.iter("article") if not _in_chrome(a)]
    if articles:
        return max(articles, key=lambda a: len(_words(a)))
    main: list[lxml.html.HtmlElement] = root.xpath('//main | //*[@role="main"]')
    if main:
        return main[0]
    body = root.find("body")
    return body if body is not None else root


def _in_chrome(element: lxml.html.HtmlElement) -> bool:
    """Inside navigation, an aside, a footer or a share/related/comments block."""
    return any(
        a.tag in ("nav", "aside", "footer") or _is_chrome(a, tags=(), words=CHROME_WORDS - BYLINE)
        for a in element.iterancestors()
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


def _body(container: lxml.html.HtmlElement, headline: str | None) -> str | None:
    """The article's content blocks (paragraphs, subheads, lists, tables, quotes, figures)
    without chrome and without the headline ``h1``; loose ``div``s such as a rubric, date or
    author line are left out when the article has paragraphs, else the whole cleaned container
    is the body."""
    body = deepcopy(container)
    body.tail = None
    doomed = [e for e in body.iter() if isinstance(e.tag, str) and _is_chrome(e) and e is not body]
    doomed += [e for e in body.iter("h1") if headline is None or _words(e) == headline]
    doomed += [e for e in body.iter() if not isinstance(e.tag, str)]  # comments, PIs
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()
    blocks = [e for e in body.iter(*BLOCKS) if not any(a.tag in BLOCKS for a in e.iterancestors())]
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
    meta: Meta,
    site: str | None,
) -> str | None:
    h1 = next((_words(h) for h in container.iter("h1") if _words(h)), None)
    h1 = h1 or next((_words(h) for h in root.iter("h1") if not _in_chrome(h) and _words(h)), None)
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


def _byline(root: lxml.html.HtmlElement, meta: Meta) -> str | None:
    names = meta.ld_names("author")
    author = meta.first("author", "article:author", "byl")
    if author and not author.startswith(("http://", "https://")):
        return _BY.sub("", author)
    if names:
        return ", ".join(dict.fromkeys(names))
    for xpath in ('//a[@rel="author"]', '//*[@itemprop="author"]', _BYLINE_XPATH):
        found = [n for n in root.xpath(xpath) if not _in_chrome(n)]
        text = _words(found[0]) if found else ""
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


def _article_time(container: lxml.html.HtmlElement, ctx: ParseContext) -> datetime | None:
    """The article's own ``<time datetime>``: inside an ``<article>``, never in the chrome."""
    root = container.getroottree().getroot()
    marked = root.xpath('//time[@itemprop="datePublished"][@datetime] | //time[@pubdate]')
    inside = [t for t in root.xpath("//article//time[@datetime]") if not _in_chrome(t)]
    for element in [*marked, *inside]:
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
