"""Contract items as an Atom 1.0 feed (RFC 4287), built as a tree: untrusted text is only ever an
element's text or an attribute's value, so lxml escapes it; characters XML 1.0 cannot hold are
dropped. Our own Atom reader (``shared.reading.formats.feed``) reads the document back to the
same uri, headline, body and subjects.

Entry mapping: ``id`` the item's uri, ``title`` the headline, ``updated`` versioncreated,
``published`` firstcreated, ``author/name`` the byline (else the source, else the partner),
``summary`` the abstract, ``content type="html"`` body_html (``type="text"`` body_text when there
is no HTML), a ``category`` per subject (IPTC schemes as their NewsCodes URIs, a ``category``
subject as a bare term), ``rights`` the copyright holder, ``xml:lang`` the language and a
``link rel="alternate"`` to ``/v1/items/{id}``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import lxml.etree as etree

from shared.core.model import rfc3339

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IPTC_SCHEMES = {
    "iptc-subject": "http://cv.iptc.org/newscodes/subjectcode/",
    "iptc-mediatopic": "http://cv.iptc.org/newscodes/mediatopic/",
}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def feed(
    items: Sequence[dict[str, Any]],
    *,
    feed_id: str,
    title: str,
    self_href: str,
    now: datetime,
    next_href: str | None = None,
) -> bytes:
    """A UTF-8 Atom document with one entry per contract item, in the order given. The feed's
    ``updated`` is its newest entry's, or ``now`` when it has none."""
    root = etree.Element(_a("feed"), nsmap={None: ATOM})
    _add(root, "id", feed_id)
    _add(root, "title", title)
    _add(root, "updated", _newest(items) or rfc3339(now))
    _link(root, "self", self_href, MEDIA_TYPE)
    if next_href is not None:
        _link(root, "next", next_href, MEDIA_TYPE)
    _add(root, "generator", "Dateline")
    for item in items:
        root.append(entry(item))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def entry(item: dict[str, Any]) -> etree._Element:
    """One ``atom:entry`` for a contract item (docs/api.md, Items; Feeds)."""
    node = etree.Element(_a("entry"))
    if item.get("language"):
        node.set(XML_LANG, _clean(item["language"]))
    _add(node, "id", item["uri"])
    _add(node, "title", item.get("headline") or "")
    _add(node, "updated", item["versioncreated"])
    if item.get("firstcreated"):
        _add(node, "published", item["firstcreated"])
    author = etree.SubElement(node, _a("author"))
    _add(author, "name", item.get("byline") or item.get("source") or item["partner"])
    for subject in item.get("subjects") or []:
        _category(node, subject)
    _link(node, "alternate", f"/v1/items/{item['id']}", "application/json")
    if item.get("abstract"):
        _add(node, "summary", item["abstract"])
    if item.get("body_html"):
        _add(node, "content", item["body_html"]).set("type", "html")
    elif item.get("body_text"):
        _add(node, "content", item["body_text"]).set("type", "text")
    if item.get("copyrightholder"):
        _add(node, "rights", item["copyrightholder"])
    return node


def _category(parent: etree._Element, subject: dict[str, Any]) -> None:
    scheme, code, name = subject.get("scheme"), subject.get("code"), subject.get("name")
    term = code or name
    if not term:
        return
    node = etree.SubElement(parent, _a("category"), term=_clean(term))
    if scheme and scheme != "category":
        node.set("scheme", _clean(IPTC_SCHEMES.get(scheme, scheme)))
    if name and name != term:
        node.set("label", _clean(name))


def _newest(items: Sequence[dict[str, Any]]) -> str | None:
    stamps = [datetime.fromisoformat(i["versioncreated"]) for i in items if i.get("versioncreated")]
    return rfc3339(max(stamps)) if stamps else None


def _a(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def _add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, _a(tag))
    node.text = _clean(text)
    return node


def _link(parent: etree._Element, rel: str, href: str, media_type: str) -> None:
    etree.SubElement(parent, _a("link"), rel=rel, href=_clean(href), type=media_type)


def _clean(value: str) -> str:
    return _NOT_XML.sub("", str(value))
