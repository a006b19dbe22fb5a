"""WordPress as partners send it: post markup with shortcodes, and WXR exports (RSS 2.0 with the
``wp:`` extension, ``http://wordpress.org/export/1.x/``).

A post is stored the way its author typed it: paragraphs separated by blank lines without
``<p>`` (WordPress adds them when it renders the page, and so does ``autop``), and shortcodes such
as ``[caption id="attachment_12" width="300"]<img …/> A caption[/caption]``, ``[gallery
ids="1,2,3"]`` or ``[embed]https://…[/embed]`` that only the site's plugins can render.
``shortcodes`` drops the shortcode tags and keeps what they enclose (a caption's text, an embed's
address); a self-closing one goes entirely. An export also holds what is not a story
(attachments, menu items, revisions…): ``Export.stories`` keeps posts and pages, and an
attachment named as a post's featured image (``_thumbnail_id``) becomes its association.

Guarantees: nothing here fetches anything or raises; every scan is linear in the text (no
pattern scans past the next bracket or tag of a hostile body).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import lxml.etree as etree

from shared.core.model import Association
from shared.reading.formats.common.wiretext import flat_text
from shared.reading.repairs import warn

SHORTCODES = ("caption", "wp_caption", "gallery", "embed", "video", "audio", "playlist")
# One shortcode tag, opening or closing: "[" name, attributes without brackets, "]".
_SHORTCODE = re.compile(rf"\[(/?)({'|'.join(SHORTCODES)})\b([^\[\]]*)\]", re.I)
_CAPTION_ATTRIBUTE = re.compile(r"""\bcaption\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_EMPTY_PARAGRAPH = re.compile(r"<p\b[^<>]*>(?:\s|&nbsp;|&#160;)*</p>\s*", re.I)
# A chunk of a stored post that is already a block of HTML, left as it is by ``autop``.
_BLOCK = re.compile(
    r"<(?:p|div|h[1-6]|ul|ol|li|dl|table|blockquote|figure|pre|hr|address|section|iframe)\b",
    re.I,
)
_PARAGRAPH = re.compile(r"<p[\s>]", re.I)
STORY_TYPES = frozenset(("post", "page"))
EXPORT_NS = "http://wordpress.org/export/"


def shortcodes(markup: str, *, field: str, index: int | None = None) -> str:
    """``markup`` without WordPress shortcode tags (enclosed content kept, a caption given as an
    attribute kept as text), and without the paragraphs they leave empty; warns
    ``shortcodes_removed``."""
    found: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        found.add(match[2].lower())
        caption = _CAPTION_ATTRIBUTE.search(match[3]) if not match[1] else None
        return f"{caption[1] or caption[2]} " if caption else ""

    cleaned = _SHORTCODE.sub(replace, markup)
    if not found:
        return markup
    names = ", ".join(f"[{name}]" for name in sorted(found))
    warn(
        "shortcodes_removed",
        f"WordPress shortcodes {names} removed; the text they enclose is kept",
        field=field,
        index=index,
    )
    return _EMPTY_PARAGRAPH.sub("", cleaned).strip()


def autop(content: str) -> str:
    """A post stored without ``<p>`` as HTML paragraphs: blank lines separate paragraphs, a
    single newline is a line break, a chunk that is already a block (heading, list, table) is
    kept. Content with paragraphs of its own is returned as it is."""
    if _PARAGRAPH.search(content):
        return content
    blocks = []
    for chunk in re.split(r"\n[ \t]*\n", content.replace("\r\n", "\n")):
        lines = [line.strip() for line in chunk.strip().split("\n") if line.strip()]
        if not lines:
            continue
        joined = "\n".join(lines)
        blocks.append(joined if _BLOCK.match(joined) else "<p>" + "<br>\n".join(lines) + "</p>")
    return "\n".join(blocks)


@dataclass(frozen=True, slots=True)
class Export:
    """A WXR export's namespace, its authors (login → display name) and its attachments (post
    id → item)."""

    ns: str
    authors: dict[str, str]
    attachments: dict[str, etree._Element]

    @classmethod
    def of(cls, root: etree._Element, channel: etree._Element) -> Export | None:
        """The export ``root`` is, or None for an ordinary feed."""
        ns = next(
            (
                uri
                for uri in root.nsmap.values()
                if uri and uri.startswith(EXPORT_NS) and "excerpt" not in uri
            ),
            None,
        )
        if ns is None:
            return None
        export = cls(ns, {}, {})
        for author in channel.iter(export.tag("author")):
            login = flat_text(author.find(export.tag("author_login")))
            name = flat_text(author.find(export.tag("author_display_name")))
            if login and name:
                export.authors[login] = name
        for item in channel.iter("item"):
            post_id = export.value(item, "post_id")
            if export.value(item, "post_type") == "attachment" and post_id:
                export.attachments[post_id] = item
        return export

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def value(self, item: etree._Element, name: str) -> str | None:
        return flat_text(item.find(self.tag(name)))

    def stories(self, items: Sequence[etree._Element]) -> list[etree._Element]:
        """The posts and pages: any other ``wp:post_type`` is skipped with one ``not_a_story``
        warning per type, naming the skipped items (0-based, in the export)."""
        skipped: dict[str, list[int]] = {}
        kept = []
        for position, item in enumerate(items):
            kind = self.value(item, "post_type") or "post"
            if kind in STORY_TYPES:
                kept.append(item)
            else:
                skipped.setdefault(kind, []).append(position)
        for kind, positions in skipped.items():
            shown = ", ".join(map(str, positions[:10])) + (" …" if len(positions) > 10 else "")
            noun = "item" if len(positions) == 1 else f"{len(positions)} items"
            warn(
                "not_a_story",
                f"skipped export {noun} {shown} (wp:post_type {kind[:40]!r}): only posts and "
                "pages are stories",
                field="/rss/channel/item",
            )
        return kept

    def byline(self, login: str | None) -> str | None:
        """The author's display name for the login ``dc:creator`` gives."""
        return self.authors.get(login, login) if login else None

    def featured(self, item: etree._Element, index: int) -> list[Association]:
        """The post's featured image (``_thumbnail_id`` naming an attachment of the export)."""
        found = []
        for meta in item.iter(self.tag("postmeta")):
            if self.value(meta, "meta_key") != "_thumbnail_id":
                continue
            post_id = self.value(meta, "meta_value")
            attachment = self.attachments.get(post_id or "")
            url = self.value(attachment, "attachment_url") if attachment is not None else None
            if attachment is None or url is None:
                warn(
                    "featured_image_missing",
                    f"the featured image (attachment {str(post_id)[:20]}) is not in the export",
                    field="wp:postmeta/_thumbnail_id",
                    index=index,
                )
                continue
            found.append(
                Association(
                    rel="featureimage",
                    uri=url,
                    type="picture",
                    headline=flat_text(attachment.find("title")),
                    caption=flat_text(attachment.find(f"{{{self.ns}excerpt/}}encoded")),
                )
            )
        return found
