"""IPTC ninjs 1.x, 2.x and 3.x (and Superdesk's 1.x flavour) read into ``ParsedItem``s.

Tolerant about *which* ninjs arrives: 1.x flat fields (``headline``, ``body_html``, ``subject``, a
``renditions`` map), 2.x arrays (``headlines``, ``bodies``, ``subjects``), 3.x camelCase
(``versionCreated``, ``contentType``); an item needs only a ``uri`` or ``guid``. Strict about
what it accepts: bad syntax, NaN and Infinity are ``Malformed`` (400; syntax errors name line and
column); 1e400, integers over 4300 digits, nesting deeper than 64, U+0000, lone surrogates,
duplicate keys and wrong content are ``Invalid`` (422) naming the field as a JSON Pointer. A JSON
array is a batch, all or nothing: every failing member is reported with its ``index``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from shared.errors import TimestampError
from shared.formats.batch import read_members
from shared.formats.jsonsafe import child, decode_json, inspect, invalid
from shared.model import Association, Dateline, ParseContext, ParsedItem, Place, Rendition, Subject

NAME = "ninjs"
FAMILY = "json"

MAX_BATCH = 1000
MAX_URI_BYTES = 1024  # a PostgreSQL B-tree entry fails above 2704 bytes
LINE, LABEL, NOTE = 1000, 255, 10_000  # character limits by kind of field

TYPES = {t: t for t in ("text", "audio", "video", "picture", "graphic", "composite")}
TYPES |= {t: t for t in ("component", "event", "planning")}
TYPES["preformatted"] = "text"  # Superdesk's own type, which its formatter sends as text
PUBSTATUS = {"usable": "usable", "withheld": "withheld", "canceled": "canceled"}
PUBSTATUS["cancelled"] = "canceled"  # Superdesk treats both spellings as a kill
SCHEMES = dict.fromkeys(("iptc", "subj", "subjectcode", "iptc-subject"), "iptc-subject")
SCHEMES |= dict.fromkeys(("medtop", "mediatopic", "iptc-mediatopic"), "iptc-mediatopic")
IPTC_CV = re.compile(r"https?://cv\.iptc\.org/newscodes/(subjectcode|mediatopic)/?([^/]*)/?", re.I)
QCODE = re.compile(r"(subj|medtop):(.+)", re.I)
URI_TAIL = re.compile(r"(.*[/#:])([^/#:]+)/?")
BODY_KINDS = {"text/html": "html", "application/xhtml+xml": "html", "text/plain": "text"}
JSON_KINDS = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}

Entry = tuple[str, dict[str, Any]]  # (JSON Pointer, object)


def sniff(text: str) -> bool:
    """True for text that opens like a JSON object or array: ninjs is the JSON family's reader."""
    return text.lstrip()[:1] in ("{", "[")


def parse(text: str, ctx: ParseContext) -> list[ParsedItem]:
    """One item per ninjs object (several for an array), or raises ``Malformed``/``Invalid``."""
    document = decode_json(text)
    if isinstance(document, list):
        return _batch(document, ctx)
    inspect(document, "")
    if not isinstance(document, dict):
        raise invalid("", "a ninjs document is a JSON object, or an array of them for a batch")
    return [_item(document, ctx)]


# --- batches ---------------------------------------------------------------------------------


def _batch(members: list[Any], ctx: ParseContext) -> list[ParsedItem]:
    if not 1 <= len(members) <= MAX_BATCH:
        raise invalid("", f"a batch holds 1 to {MAX_BATCH} items, not {len(members)}")

    def read(member: Any) -> ParsedItem:
        inspect(member, "")
        if not isinstance(member, dict):
            raise invalid("", f"a batch member must be a ninjs object, not {_kind(member)}")
        return _item(member, ctx)

    return read_members(members, read, noun="batch item")


# --- one ninjs object -> ParsedItem ------------------------------------------------------------


def _item(doc: dict[str, Any], ctx: ParseContext) -> ParsedItem:
    located = _text(doc, "located", limit=LINE)
    return ParsedItem(
        format=NAME,
        uri=_identity(doc),
        version=_version(doc),
        type=_choice(doc, TYPES, "text", "type"),
        pubstatus=_choice(doc, PUBSTATUS, "usable", "pubstatus", "pubStatus"),
        headline=_text(doc, "headline", limit=LINE) or _headline(doc),
        slugline=_text(doc, "slugline", limit=LINE),
        byline=_text(doc, "byline", "by", limit=LINE),
        abstract=_text(doc, "description_text", limit=NOTE) or _abstract(doc),
        ednote=_text(doc, "ednote", "edNote", limit=NOTE),
        body_html=_text(doc, "body_html", "body_xhtml", limit=None) or _body(doc, "html"),
        body_text=_text(doc, "body_text", limit=None) or _body(doc, "text"),
        language=_text(doc, "language", limit=64),
        dateline=Dateline(located=located) if located else None,
        firstcreated=_time(doc, ctx, "firstcreated", "firstCreated"),
        versioncreated=_time(doc, ctx, "versioncreated", "versionCreated"),
        embargoed=_time(doc, ctx, "embargoed", "embargoedUntil"),
        urgency=_rank(doc, "urgency"),
        priority=_rank(doc, "priority"),
        subjects=_subjects(doc),
        keywords=_keywords(doc),
        places=[_place(p, e) for p, e in _entries(doc, "place", "places")],
        genre=next(filter(None, (_label(p, e) for p, e in _entries(doc, "genre", "genres"))), None),
        source=_text(doc, "source", limit=LINE) or _infosource(doc),
        copyrightholder=_text(doc, "copyrightholder", "copyrightHolder", limit=LINE),
        usageterms=_text(doc, "usageterms", "usageTerms", limit=NOTE),
        renditions=[_rendition(p, k, r) for p, k, r in _members(doc, "renditions")],
        associations=list(filter(None, (_link(*m) for m in _members(doc, "associations")))),
    )


def _field(doc: dict[str, Any], *keys: str, base: str = "") -> tuple[str, Any]:
    """The first key present with a non-null value, as (pointer, value); else (base, None)."""
    key = next((k for k in keys if doc.get(k) is not None), None)
    return (base, None) if key is None else (child(base, key), doc[key])


def _string(pointer: str, value: Any, limit: int | None) -> str | None:
    """A trimmed string, None when absent or blank; anything else is ``Invalid``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(pointer, f"must be a string, not {_kind(value)}")
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise invalid(pointer, f"is longer than {limit} characters")
    return value or None


def _text(doc: dict[str, Any], *keys: str, limit: int | None, base: str = "") -> str | None:
    return _string(*_field(doc, *keys, base=base), limit)


def _kind(value: Any) -> str:
    return "an array" if isinstance(value, list) else JSON_KINDS.get(type(value), "an object")


def _identity(doc: dict[str, Any]) -> str:
    uri = _uri(doc, "")
    if uri is None:
        raise invalid("/uri", "a ninjs item needs a uri or guid")
    return uri


def _uri(doc: dict[str, Any], base: str) -> str | None:
    """``uri``, else Superdesk's ``guid``: an identifier short enough to index."""
    key = "uri" if _text(doc, "uri", limit=None, base=base) else "guid"
    uri = _text(doc, key, limit=None, base=base)
    if uri is not None and len(uri.encode()) > MAX_URI_BYTES:
        raise invalid(f"{base}/{key}", f"is longer than {MAX_URI_BYTES} bytes")
    return uri


def _version(doc: dict[str, Any]) -> str | None:
    pointer, value = _field(doc, "version")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return _string(pointer, value, 64)


def _choice(doc: dict[str, Any], allowed: dict[str, str], default: str, *keys: str) -> str:
    pointer, value = _field(doc, *keys)
    text = (_string(pointer, value, LABEL) or default).lower()
    if text not in allowed:
        names = ", ".join(sorted(set(allowed.values())))
        raise invalid(pointer, f"must be one of {names}, not {text[:64]!r}")
    return allowed[text]


def _rank(doc: dict[str, Any], key: str) -> int | None:
    pointer, value = _field(doc, key)
    if value is not None and (type(value) is not int or not 1 <= value <= 9):
        raise invalid(pointer, "must be an integer from 1 to 9")
    return value


def _time(doc: dict[str, Any], ctx: ParseContext, *keys: str) -> datetime | None:
    """An aware UTC instant; a value without offset is read in the partner's zone (fold=0)."""
    pointer, value = _field(doc, *keys)
    if value is not None and not isinstance(value, str):
        message = f"must be an RFC 3339 date-time string, not {_kind(value)}"
        raise invalid(pointer, message, TimestampError)
    raw: str = (value or "").strip()
    text = raw.upper()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ctx.tz)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        message = f"{raw[:64]!r} is not a possible date-time ({exc})"
        raise invalid(pointer, message, TimestampError) from None


# --- arrays of objects: headlines, bodies, descriptions, subjects, places, genres -------------


def _entries(doc: dict[str, Any], *keys: str) -> list[Entry]:
    pointer, value = _field(doc, *keys)
    if value is not None and not isinstance(value, list):
        raise invalid(pointer, f"must be an array, not {_kind(value)}")
    for index, entry in enumerate(value or []):
        if not isinstance(entry, dict):
            raise invalid(f"{pointer}/{index}", f"must be an object, not {_kind(entry)}")
    return [(f"{pointer}/{i}", entry) for i, entry in enumerate(value or [])]


def _attr(entry: dict[str, Any], *keys: str) -> str | None:
    """A selector such as role or content type, lower-cased; "" when absent."""
    value = next((entry[k] for k in keys if entry.get(k) is not None), "")
    return value.split(";")[0].strip().lower() if isinstance(value, str) else None


def _pick(
    entries: list[Entry],
    roles: tuple[str, ...],
    limit: int | None,
    accept: Callable[[dict[str, Any]], bool] = lambda e: True,
) -> str | None:
    """The value of the first accepted entry with one of ``roles`` ("" = none), else the first."""
    chosen = [(p, e) for p, e in entries if accept(e)]
    pointer, entry = next((c for c in chosen if _attr(c[1], "role") in roles), None) or (
        chosen[0] if chosen else ("", {})
    )
    return _text(entry, "value", limit=limit, base=pointer)


def _headline(doc: dict[str, Any]) -> str | None:
    return _pick(_entries(doc, "headlines"), ("", "main"), LINE)


def _abstract(doc: dict[str, Any]) -> str | None:
    # A description in the dateline role is the dateline, never the abstract.
    entries = [e for e in _entries(doc, "descriptions") if _attr(e[1], "role") != "dateline"]
    plain = _pick(entries, ("summary", ""), NOTE, lambda e: _body_kind(e) == "text")
    return plain or _pick(entries, ("summary", ""), NOTE)


def _body(doc: dict[str, Any], kind: str) -> str | None:
    return _pick(_entries(doc, "bodies"), ("", "main"), None, lambda e: _body_kind(e) == kind)


def _body_kind(entry: dict[str, Any]) -> str | None:
    """html or text by content type; an untyped value counts as HTML if it opens with a tag."""
    ctype = _attr(entry, "contenttype", "contentType")
    if ctype == "":
        value = entry.get("value")
        return "html" if isinstance(value, str) and value.lstrip().startswith("<") else "text"
    return BODY_KINDS.get(ctype or "")


def _code(base: str, entry: dict[str, Any]) -> str | None:
    """A concept's code: ``code`` (1.x), ``qcode`` (Superdesk) or ``literal`` (2.x/3.x)."""
    return _text(entry, "code", "qcode", "literal", limit=LINE, base=base)


def _label(base: str, entry: dict[str, Any]) -> str | None:
    name = _text(entry, "name", limit=LINE, base=base)
    return name or _code(base, entry) or _text(entry, "uri", limit=LINE, base=base)


def _subjects(doc: dict[str, Any]) -> list[Subject]:
    subjects = [_subject(p, e) for p, e in _entries(doc, "subject", "subjects")]
    for pointer, entry in _entries(doc, "service"):  # Superdesk's categories (ANPA)
        name = _text(entry, "name", limit=LINE, base=pointer)
        subjects.append(Subject("category", _code(pointer, entry), name))
    return [s for s in subjects if s.code or s.name]


def _subject(base: str, entry: dict[str, Any]) -> Subject:
    """IPTC subject codes and media topics by qcode, scheme or URI; other schemes as given."""
    name, code = _text(entry, "name", limit=LINE, base=base), _code(base, entry)
    scheme = _text(entry, "scheme", limit=LINE, base=base)
    uri = _text(entry, "uri", limit=LINE, base=base)
    if code and (qcode := QCODE.fullmatch(code)):
        scheme, code = qcode[1], qcode[2]
    elif cv := IPTC_CV.fullmatch(scheme or uri or ""):
        scheme, code = cv[1], code or cv[2] or None
    elif uri and not scheme and (split := URI_TAIL.fullmatch(uri)):  # 2.x/3.x: uri = scheme+code
        scheme, code = split[1], code or split[2]
    if scheme:
        return Subject(SCHEMES.get(scheme.lower(), scheme), code, name)
    if code and re.fullmatch("[0-9]{8}", code):  # Superdesk sends IPTC subject codes bare
        return Subject("iptc-subject", code, name)
    return Subject("category", code or uri, name)


def _place(base: str, entry: dict[str, Any]) -> Place:
    code = _code(base, entry) or _text(entry, "uri", limit=LINE, base=base)
    return Place(name=_text(entry, "name", limit=LINE, base=base), code=code)


def _keywords(doc: dict[str, Any]) -> list[str]:
    pointer, value = _field(doc, "keywords")
    if value is not None and not isinstance(value, list):
        raise invalid(pointer, f"must be an array of strings, not {_kind(value)}")
    keywords = (_string(f"{pointer}/{i}", word, LINE) for i, word in enumerate(value or []))
    return [word for word in keywords if word]


def _infosource(doc: dict[str, Any]) -> str | None:
    """The first infosource's name, else its literal code: never a bare URI."""
    found = _entries(doc, "infosource", "infosources", "infoSources")
    names = [_text(e, "name", limit=LINE, base=p) for p, e in found]
    return next(filter(None, names + [_code(p, e) for p, e in found]), None)


# --- references: renditions and associations (never fetched here) -----------------------------


def _members(doc: dict[str, Any], key: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(pointer, map key, object) from a 1.x map keyed by name or a 2.x/3.x array."""
    pointer, value = _field(doc, key)
    if isinstance(value, dict):
        found = [(child(pointer, k), k, v) for k, v in value.items()]
    elif isinstance(value, list) or value is None:
        found = [(f"{pointer}/{i}", None, v) for i, v in enumerate(value or [])]
    else:
        raise invalid(pointer, f"must be an object (ninjs 1.x) or an array, not {_kind(value)}")
    for member_pointer, _, member in found:
        if member is not None and not isinstance(member, dict):
            raise invalid(member_pointer, f"must be an object, not {_kind(member)}")
    return [(p, k, v) for p, k, v in found if v is not None]  # Superdesk sends empty slots as null


def _rendition(base: str, name: str | None, entry: dict[str, Any]) -> Rendition:
    return Rendition(
        name=name or _text(entry, "name", limit=LABEL, base=base),
        href=_text(entry, "href", limit=2048, base=base),
        mimetype=_text(entry, "mimetype", "contenttype", "contentType", limit=LABEL, base=base),
        width=_size(base, entry, "width"),
        height=_size(base, entry, "height"),
        size=_size(base, entry, "sizeinbytes", "sizeInBytes", "size"),
    )


def _size(base: str, entry: dict[str, Any], *keys: str) -> int | None:
    pointer, value = _field(entry, *keys, base=base)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None or (type(value) is int and value >= 0):
        return value
    raise invalid(pointer, "must be a whole number of at least 0")


def _link(base: str, key: str | None, entry: dict[str, Any]) -> Association | None:
    """1.x: the map key is the relation; 2.x: ``name``; 3.x: ``rel``. No identifier, no link."""
    uri = _uri(entry, base)
    rel = key or _text(entry, "rel", "name", limit=LABEL, base=base)
    return Association(rel=rel, uri=uri) if uri else None
