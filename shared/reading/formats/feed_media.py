"""Media references in RSS and Atom items, as ``Rendition``s: never fetched, only described.

Read: RSS ``enclosure`` (url, type, length), Atom ``link rel="enclosure"`` (href, type, length),
Atom out-of-line ``content src``, Media RSS ``media:content`` (url, type, fileSize, width,
height; also inside ``media:group``) and ``media:thumbnail`` (url, width, height). Names are
"enclosure", "content", "media" and "thumbnail", numbered from the second one of a kind
("media-2"), so a name is unique within the item. A number that is not a non-negative integer
(an empty ``length=""`` is common) is left out, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator

import lxml.etree as etree

from shared.core.model import Rendition

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"


def renditions(item: etree._Element) -> list[Rendition]:
    """Every media reference of ``item`` in document order, each with a unique name."""
    found: list[Rendition] = []
    counts: dict[str, int] = {}
    for kind, href, element in _references(item):
        counts[kind] = counts.get(kind, 0) + 1
        name = kind if counts[kind] == 1 else f"{kind}-{counts[kind]}"
        found.append(
            Rendition(
                name=name,
                href=href,
                mimetype=_attr(element, "type"),
                width=_number(element.get("width")),
                height=_number(element.get("height")),
                size=_number(element.get("length") or element.get("fileSize")),
            )
        )
    return found


def _references(item: etree._Element) -> Iterator[tuple[str, str, etree._Element]]:
    for element in item.iter():
        tag = element.tag
        if tag == "enclosure" and _attr(element, "url"):
            yield "enclosure", _attr(element, "url") or "", element
        elif tag == f"{ATOM}link" and _attr(element, "rel") == "enclosure":
            if _attr(element, "href"):
                yield "enclosure", _attr(element, "href") or "", element
        elif tag == f"{ATOM}content" and _attr(element, "src"):
            yield "content", _attr(element, "src") or "", element
        elif tag in (f"{MEDIA}content", f"{MEDIA}thumbnail") and _attr(element, "url"):
            kind = "media" if tag == f"{MEDIA}content" else "thumbnail"
            yield kind, _attr(element, "url") or "", element


def _attr(element: etree._Element, name: str) -> str | None:
    return (element.get(name) or "").strip() or None


def _number(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
