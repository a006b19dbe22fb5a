"""The contract item (docs/api.md, Items) as ninjs objects: pure data, no I/O.

``ninjs3`` builds the 3.x object; ``ninjs2`` respells it for 2.x (lower-case keys, ``embargoed``,
no ``rel`` on associations, no event/planning types). Absent values (null, "", empty lists) are left
out, because the schemas forbid null. Every ``uri``/``href`` written is an absolute RFC 3986 URI:
IRIs are percent-encoded as UTF-8, and an identifier that is no URI at all becomes
``urn:dateline:{partner}:{identifier}``, with the partner's own value kept in ``altIds``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from rfc3986_validator import validate_rfc3986

IPTC_CV = {
    "iptc-subject": "http://cv.iptc.org/newscodes/subjectcode/",
    "iptc-mediatopic": "http://cv.iptc.org/newscodes/mediatopic/",
}
TYPES3 = frozenset(("text", "audio", "video", "picture", "graphic", "composite", "component"))
TYPES3 |= {"event", "planning"}
TYPES2 = TYPES3 - {"event", "planning"}
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
URI_SAFE = "!#$&'()*+,/:;=?@~-._%"  # RFC 3986 unreserved and reserved characters, and "%"
SPELLING2 = {
    "firstCreated": "firstcreated",
    "versionCreated": "versioncreated",
    "embargoedUntil": "embargoed",
    "pubStatus": "pubstatus",
    "copyrightHolder": "copyrightholder",
    "usageTerms": "usageterms",
    "edNote": "ednote",
    "infoSources": "infosources",
    "altIds": "altids",
    "representationType": "representationtype",
    "contentType": "contenttype",
    "wordCount": "wordcount",
    "charCount": "charcount",
    "sizeInBytes": "sizeinbytes",
}


def ninjs3(item: dict[str, Any], standard: dict[str, str]) -> dict[str, Any]:
    """A ninjs 3.x object holding every contract field that 3.x has a place for."""
    uri, provider_uri = _identity(item)
    doc = {
        "uri": uri,
        "standard": standard,
        "representationType": "full",
        "type": item.get("type") if item.get("type") in TYPES3 else None,
        "version": item.get("version"),
        "firstCreated": item.get("firstcreated"),
        "versionCreated": item.get("versioncreated"),
        "embargoedUntil": item.get("embargoed"),
        "pubStatus": item.get("pubstatus"),
        "urgency": _whole(item.get("urgency"), 1, 9),
        "copyrightHolder": item.get("copyrightholder"),
        "usageTerms": item.get("usageterms"),
        "edNote": item.get("ednote"),
        "language": item.get("language"),
        "headlines": _texts(("main", item.get("headline"))),
        "descriptions": _texts(("summary", item.get("abstract")), ("dateline", _dateline(item))),
        "bodies": _bodies(item),
        "by": item.get("byline"),
        "slugline": item.get("slugline"),
        "located": (item.get("dateline") or {}).get("located"),
        "subjects": [_subject(s) for s in item.get("subjects") or ()],
        "places": [_place(p) for p in item.get("places") or ()],
        "genres": [{"name": item.get("genre")}],
        "infoSources": [{"name": item.get("source")}],
        "renditions": [_rendition(i, r) for i, r in enumerate(item.get("renditions") or (), 1)],
        "associations": [_association(item, a) for a in item.get("associations") or ()],
        "altIds": _alt_ids(("dateline-id", item.get("id")), ("provider-uri", provider_uri)),
    }
    pruned: dict[str, Any] = _pruned(doc)
    return pruned


def ninjs2(doc3: dict[str, Any], standard: dict[str, str]) -> dict[str, Any]:
    """The same object in ninjs 2.x spelling; what 2.x cannot hold is left out."""
    doc: dict[str, Any] = _respelled(doc3)
    doc["standard"] = standard
    if doc.get("type") not in TYPES2:
        doc.pop("type", None)
    for association in doc.get("associations", ()):
        association.pop("rel", None)
        if association.get("type") not in TYPES2:
            association.pop("type", None)
    return doc


def as_uri(value: str | None) -> str | None:
    """``value`` as an absolute RFC 3986 URI (non-ASCII and stray characters percent-encoded),
    or None when it has no scheme or still is no URI."""
    if not value or not SCHEME.match(value):
        return None
    encoded = quote(LONE_PERCENT.sub("%25", value), safe=URI_SAFE)
    return encoded if validate_rfc3986(encoded, rule="URI") else None


def _identity(item: dict[str, Any]) -> tuple[str, str | None]:
    """(ninjs uri, the provider's identifier when it had to be rewritten)."""
    original = item.get("uri") or item.get("id") or ""
    uri = as_uri(original)
    return (uri, None) if uri else (_urn(item, original), original)


def _urn(item: dict[str, Any], identifier: str) -> str:
    parts = ["urn:dateline", quote(item.get("partner") or "", safe=""), quote(identifier, safe="")]
    return ":".join(p for p in parts if p)


def _alt_ids(*pairs: tuple[str, str | None]) -> list[dict[str, str]]:
    return [{"role": role, "value": value} for role, value in pairs if value]


def _whole(value: Any, low: int, high: int | None = None) -> int | None:
    if type(value) is not int or value < low or (high is not None and value > high):
        return None
    return value


def _texts(*entries: tuple[str, str | None]) -> list[dict[str, Any]]:
    return [{"role": r, "contentType": "text/plain", "value": v} for r, v in entries if v]


def _dateline(item: dict[str, Any]) -> str | None:
    return (item.get("dateline") or {}).get("text")


def _bodies(item: dict[str, Any]) -> list[dict[str, Any]]:
    bodies = []
    if html := item.get("body_html"):
        bodies.append({"role": "main", "contentType": "text/html", "value": html})
    if text := item.get("body_text"):
        counts = {"charCount": len(text), "wordCount": _whole(item.get("word_count"), 0)}
        bodies.append({"role": "main", "contentType": "text/plain", **counts, "value": text})
    return bodies


def _subject(subject: dict[str, Any]) -> dict[str, Any]:
    """IPTC codes as their NewsCodes URI; a scheme that is a URL prefix as scheme+code; any
    other code as a literal (``scheme:code``, or the bare code for a category)."""
    scheme, code = subject.get("scheme") or "", subject.get("code")
    entry = {"name": subject.get("name")}
    if code and scheme in IPTC_CV:
        entry["uri"] = as_uri(IPTC_CV[scheme] + quote(code, safe=""))
    elif code and "://" in scheme:
        entry["uri"] = as_uri(scheme + code)
    if code and not entry.get("uri"):
        entry["literal"] = code if scheme in ("category", "") else f"{scheme}:{code}"
    return entry


def _place(place: dict[str, Any]) -> dict[str, Any]:
    code = place.get("code")
    uri = as_uri(code) if code and "://" in code else None
    return {"name": place.get("name"), "uri": uri, "literal": None if uri else code}


def _rendition(number: int, rendition: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": rendition.get("name") or f"rendition-{number}",
        "href": as_uri(rendition.get("href")),
        "contentType": rendition.get("mimetype"),
        "width": _whole(rendition.get("width"), 0),
        "height": _whole(rendition.get("height"), 0),
        "sizeInBytes": _whole(rendition.get("size"), 0),
    }


def _association(item: dict[str, Any], association: dict[str, Any]) -> dict[str, Any] | None:
    """``name`` (required) is the relation, as in IPTC's examples ("logo", "photo"); an
    embedded picture keeps its type, headline, caption and renditions (an association may hold
    any ninjs property)."""
    target = association.get("uri")
    if not target:
        return None
    rel = association.get("rel")
    uri = as_uri(target) or _urn(item, target)
    kind = association.get("type")
    renditions = association.get("renditions") or ()
    return {
        "name": rel or "association",
        "rel": rel,
        "uri": uri,
        "type": kind if kind in TYPES3 else None,
        "headlines": _texts(("main", association.get("headline"))),
        "descriptions": _texts(("caption", association.get("caption"))),
        "renditions": [_rendition(i, r) for i, r in enumerate(renditions, 1)],
    }


def _pruned(value: Any) -> Any:
    """``value`` without None, "" and empty containers, at any depth (0 and False stay)."""
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if not _empty(v)}
    if isinstance(value, list):
        return [v for v in map(_pruned, value) if not _empty(v)]
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _respelled(value: Any) -> Any:
    if isinstance(value, dict):
        return {SPELLING2.get(k, k): _respelled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_respelled(v) for v in value]
    return value
