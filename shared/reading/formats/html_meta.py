"""What an HTML page states about itself: ``<meta>`` tags (Open Graph, article:*, name=…,
itemprop=…), ``<link rel>`` and JSON-LD (schema.org ``NewsArticle`` and kin, also in ``@graph``).

Only declared metadata is read here, never the visible text. A JSON-LD block that is not valid
JSON, or nests absurdly, is skipped: it is the site's markup bug, the page is still readable.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from typing import Any

import lxml.html

from shared.core.model import Rendition

ARTICLE_TYPES = frozenset(
    (
        "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
        "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "BlogPosting",
        "LiveBlogPosting", "Report", "WebPage",
    )
)  # fmt: skip
MAX_LD_CHARS = 1_000_000


class Meta:
    """The page's meta tags by lower-cased key (in document order) and its article JSON-LD."""

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        self.tags: list[tuple[str, str]] = []
        for element in root.iter("meta"):
            key = element.get("property") or element.get("name") or element.get("itemprop")
            key = key or element.get("http-equiv")
            content = " ".join((element.get("content") or "").split())
            if key and content:
                self.tags.append((key.strip().lower(), content))
        self.firsts: dict[str, str] = {}
        for key, content in self.tags:
            self.firsts.setdefault(key, content)
        self.links = [
            (rel, (link.get("href") or "").strip())
            for link in root.iter("link")
            for rel in (link.get("rel") or "").lower().split()
        ]
        self.ld = _article_ld(root)

    def first(self, *keys: str) -> str | None:
        """The first non-empty content among ``keys``, in the order the keys are given."""
        return next((self.firsts[k] for k in keys if k in self.firsts), None)

    def all(self, *keys: str) -> list[str]:
        return [v for key, v in self.tags if key in keys]

    def link(self, rel: str) -> str | None:
        return next((href for r, href in self.links if r == rel and href), None)

    def ld_text(self, key: str) -> str | None:
        """A JSON-LD property as one string: a string, a ``name``/``@id``/``url``, or the first
        of a list."""
        return _text(self.ld.get(key))

    def ld_names(self, key: str) -> list[str]:
        value = self.ld.get(key)
        values = value if isinstance(value, list) else [value]
        return [t for t in map(_text, values) if t]

    def images(self) -> list[Rendition]:
        """``og:image`` (with its ``:width``, ``:height`` and ``:type``), else the JSON-LD
        ``image``; references only, never fetched."""
        found: list[dict[str, Any]] = []
        for key, value in self.tags:
            if key in ("og:image", "og:image:url"):
                if not found or found[-1]["href"] != value:
                    found.append({"href": value})
            elif found and key in ("og:image:width", "og:image:height"):
                found[-1][key.rsplit(":", 1)[1]] = _number(value)
            elif found and key == "og:image:type":
                found[-1]["mimetype"] = value
        if not found:
            found = [{"href": href} for href in self.ld_names("image")]
        return [
            Rendition(name="image" if i == 0 else f"image-{i + 1}", **attrs)
            for i, attrs in enumerate(found)
        ]


def _number(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _text(value: Any) -> str | None:
    """The first text in ``value``, lists searched in order however deeply they nest (without
    recursion: JSON nests deeper than Python's stack)."""
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(reversed(value))
            continue
        if isinstance(value, dict):
            value = value.get("name") or value.get("@id") or value.get("url") or value.get("@value")
        if isinstance(value, str) and (text := " ".join(html.unescape(value).split())):
            return text
    return None


def _article_ld(root: lxml.html.HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object whose ``@type`` is an article type (``NewsArticle`` first)."""
    objects = list(_ld_objects(root))
    ranked = sorted(
        (o for o in objects if _types(o) & ARTICLE_TYPES),
        key=lambda o: "WebPage" in _types(o),
    )
    return ranked[0] if ranked else {}


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _ld_objects(root: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        source = script.text or ""
        if len(source) > MAX_LD_CHARS:
            continue
        try:
            data = json.loads(source)
        except (ValueError, RecursionError):
            continue
        pending = data if isinstance(data, list) else [data]
        for value in pending:
            if isinstance(value, dict):
                yield value
                graph = value.get("@graph")
                yield from (
                    (g for g in graph if isinstance(g, dict)) if isinstance(graph, list) else ()
                )
