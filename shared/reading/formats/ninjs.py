"""IPTC ninjs 1.x, 2.x and 3.x (and Superdesk's 1.x flavour) read into ``ParsedItem``s.

Tolerant about *which* ninjs arrives: 1.x flat fields (``headline``, ``body_html``, ``subject``, a
``renditions`` map) and its pattern properties (``headline_main``, ``body_richtext``…), 2.x arrays
(``headlines``, ``bodies``, ``subjects``), 3.x camelCase (``versionCreated``, ``contentType``); an
item needs only a ``uri`` or ``guid``. A JSON array is a batch, all or nothing: every failing
member is reported with its ``index``.

Lenient where real agencies stray and the meaning is plain, each repair recorded
(shared.reading.repairs):

* ``envelope_unwrapped``: the items of a pull-API envelope (a paginated ``{"total", "item": […]}``
  list, or an AP Media API ``{"data": {"item": …}}`` / ``{"data": {"items": [{"item": …}]}}``
  response) are read as a batch;
* ``type_mapped``: a ``type`` outside the ninjs vocabulary is read as ``text`` (a photo as
  ``picture``); the value sent is kept as the genre when there is none;
* ``field_joined``: a text field sent as an array of strings is joined into one string;
* ``association_field_dropped``: a descriptive field of an association (headline, caption, type,
  renditions) that cannot be read is left out rather than costing the story.

Strict about everything else: bad syntax, NaN and Infinity are ``Malformed`` (400; syntax errors
name line and column); 1e400, integers over 4300 digits, nesting deeper than 64, U+0000, lone
surrogates, duplicate keys, a JSON value that is no object or array, an envelope holding no item
and wrong content are ``Invalid`` (422) naming the field as a JSON Pointer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from shared.core.errors import Invalid, TimestampError
from shared.core.model import (
    MAX_BATCH_ITEMS,
    Association,
    Dateline,
    ParseContext,
    ParsedItem,
    Place,
    PubStatus,
    Rendition,
    Subject,
)
from shared.reading.collect import FieldErrors
from shared.reading.formats.common.batch import read_members
from shared.reading.formats.common.jsonsafe import child, decode_json, inspect, invalid
from shared.reading.repairs import warn
from shared.reading.timestamps import optional_timestamp

NAME = "ninjs"
FAMILY = "json"

MAX_URI_BYTES = 1024  # a PostgreSQL B-tree entry fails above 2704 bytes
LINE, LABEL, NOTE = 1000, 255, 10_000  # character limits by kind of field
SPACE, PARAGRAPH = " ", "\n\n"  # how an array of strings is joined: lines, blocks

TYPES = {t: t for t in ("text", "audio", "video", "picture", "graphic", "composite")}
TYPES |= {t: t for t in ("component", "event", "planning")}
TYPES["preformatted"] = "text"  # Superdesk's own type, which its formatter sends as text
TYPE_SYNONYMS = {"photo": "picture", "image": "picture"}  # outside the vocabulary, yet plain
PUBSTATUS = {status.value: status for status in PubStatus}
PUBSTATUS["cancelled"] = PubStatus.CANCELED  # Superdesk treats both spellings as a kill
SCHEMES = dict.fromkeys(("iptc", "subj", "subjectcode", "iptc-subject"), "iptc-subject")
SCHEMES |= dict.fromkeys(("medtop", "mediatopic", "iptc-mediatopic"), "iptc-mediatopic")
IPTC_CV = re.compile(r"https?://cv\.iptc\.org/newscodes/(subjectcode|mediatopic)/?([^/]*)/?", re.I)
QCODE = re.compile(r"(subj|medtop):(.+)", re.I)
URI_TAIL = re.compile(r"(.*[/#:])([^/#:]+)/?")
BODY_KINDS = {"text/html": "html", "application/xhtml+xml": "html", "text/plain": "text"}
JSON_KINDS = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
JSON_KINDS[type(None)] = "null"
# ninjs 1.x pattern properties: the preferred names first, then any other in document order.
HEADLINE_KEYS = ("headline_main",)
BODY_KEYS = ("body_html5", "body_richtext", "body_main")
BODY_FIELDS = ("body_html", "body_xhtml", "body_text")  # read by name, never as a pattern
HTML_NAMES = re.compile("html|richtext", re.I)

Entry = tuple[str, dict[str, Any]]  # (JSON Pointer, object)
Member = tuple[str, str | None, dict[str, Any]]  # (JSON Pointer, 1.x map key, object)
T = TypeVar("T")
L = TypeVar("L", bound=str)  # a label read from a vocabulary


def sniff(text: str) -> bool:
    """True for text that opens like a JSON object or array: ninjs is the JSON family's reader."""
    return text.lstrip()[:1] in ("{", "[")


def parse(text: str, ctx: ParseContext) -> list[ParsedItem]:
    """One item per ninjs object (several for an array or an API envelope), or raises
    ``Malformed``/``Invalid``."""
    document = decode_json(text)
    if isinstance(document, list):
        return _batch(document, ctx)
    inspect(document, "")
    if not isinstance(document, dict):
        raise invalid("", f"expected a ninjs object or an array of them, not {_kind(document)}")
    found = _envelope(document)
    if found is not None:
        return _unwrapped(*found, ctx)
    return [_item(document, ctx)]


# --- batches and pull-API envelopes ----------------------------------------------------------


def _batch(
    members: list[Any],
    ctx: ParseContext,
    noun: str = "batch item",
    unwrap: Callable[[Any], Any] = lambda member: member,
) -> list[ParsedItem]:
    if not 1 <= len(members) <= MAX_BATCH_ITEMS:
        raise invalid("", f"a batch holds 1 to {MAX_BATCH_ITEMS} items, not {len(members)}")

    def read(member: Any) -> ParsedItem:
        inspect(member, "")
        member = unwrap(member)
        if not isinstance(member, dict):
            raise invalid("", f"a batch member must be a ninjs object, not {_kind(member)}")
        return _item(member, ctx)

    return read_members(members, read, noun=noun)


def _envelope(doc: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """(pointer, members) when ``doc`` is a pull-API envelope rather than an item: a paginated
    list (``{"total", "limit", "offset", "item": [...]}``) or an AP Media API response
    (``{"data": {"item": ...}}``, ``{"data": {"items": [...]}}``). ninjs has none of these keys,
    and an object with an identifier is always read as the item itself."""
    if "uri" in doc or "guid" in doc:
        return None
    shells = [("/data", doc["data"])] if isinstance(doc.get("data"), dict) else []
    found = [(b, s, k) for b, s in [*shells, ("", doc)] for k in ("items", "item") if k in s]
    if not found:
        return None
    base, shell, key = found[0]
    pointer, value = child(base, key), shell[key]
    if isinstance(value, dict):
        return pointer, [shell if base else value]  # AP's one item: {"meta": …, "item": …}
    if value is None or value == []:
        raise invalid(pointer, "the envelope holds no item")
    if not isinstance(value, list):
        raise invalid(pointer, f"must be an array of items, not {_kind(value)}")
    return pointer, value


def _unwrapped(pointer: str, members: list[Any], ctx: ParseContext) -> list[ParsedItem]:
    """The envelope's members as a batch; AP's ``{"meta": …, "item": {ninjs}}`` pairs unwrapped."""
    plural = "item" if len(members) == 1 else "items"
    warn(
        "envelope_unwrapped", f"{len(members)} {plural} read out of an API envelope", field=pointer
    )
    return _batch(members, ctx, noun="envelope item", unwrap=_inner)


def _inner(member: Any) -> Any:
    """The ninjs object of an AP ``{"meta": …, "item": {…}}`` member; any other member as is."""
    if not isinstance(member, dict) or "uri" in member or "guid" in member or "item" not in member:
        return member
    if not isinstance(member["item"], dict):
        raise invalid("/item", f"must be a ninjs object, not {_kind(member['item'])}")
    return member["item"]


# --- one ninjs object -> ParsedItem ------------------------------------------------------------


def _item(doc: dict[str, Any], ctx: ParseContext) -> ParsedItem:
    """The ``ParsedItem`` of one ninjs object; every field that is wrong is named in one 422,
    not only the first (shared/reading/collect.py)."""
    found = FieldErrors()
    get = found.read
    located = get(lambda: _text(doc, "located", limit=LINE, join=SPACE))
    kind, unknown_type = get(lambda: _type(doc, "", "text")) or (None, None)
    fields: dict[str, Any] = {
        "uri": get(lambda: _identity(doc)),
        "version": get(lambda: _version(doc)),
        "pubstatus": get(
            lambda: _choice(doc, PUBSTATUS, PubStatus.USABLE, "pubstatus", "pubStatus")
        ),
        "headline": get(lambda: _headline(doc, "")),
        "slugline": get(lambda: _text(doc, "slugline", limit=LINE, join=SPACE)),
        "byline": get(lambda: _text(doc, "byline", "by", limit=LINE, join=SPACE)),
        "abstract": get(
            lambda: (
                _text(doc, "description_text", limit=NOTE, join=PARAGRAPH)
                or _description(doc, "", ("summary", ""))
            )
        ),
        "ednote": get(lambda: _text(doc, "ednote", "edNote", limit=NOTE, join=SPACE)),
        "body_html": get(
            lambda: (
                _text(doc, "body_html", "body_xhtml", limit=None, join=PARAGRAPH)
                or _patterned_body(doc, "html")
                or _body(doc, "html")
            )
        ),
        "body_text": get(
            lambda: (
                _text(doc, "body_text", limit=None, join=PARAGRAPH)
                or _patterned_body(doc, "text")
                or _body(doc, "text")
            )
        ),
        "language": get(lambda: _text(doc, "language", limit=64)),
        "firstcreated": get(lambda: _time(doc, ctx, "firstcreated", "firstCreated")),
        "versioncreated": get(lambda: _time(doc, ctx, "versioncreated", "versionCreated")),
        "embargoed": get(
            lambda: optional_timestamp(
                lambda: _time(doc, ctx, "embargoed", "embargoedUntil"), field="/embargoed"
            )
        ),
        "urgency": get(lambda: _rank(doc, "urgency")),
        "priority": get(lambda: _rank(doc, "priority")),
        "subjects": get(lambda: _subjects(doc)) or [],
        "keywords": get(lambda: _keywords(doc)) or [],
        "places": get(lambda: [_place(p, e) for p, e in _entries(doc, "place", "places")]) or [],
        "genre": get(lambda: _genre(doc)),
        "source": get(lambda: _text(doc, "source", limit=LINE, join=SPACE) or _infosource(doc)),
        "copyrightholder": get(
            lambda: _text(doc, "copyrightholder", "copyrightHolder", limit=LINE, join=SPACE)
        ),
        "usageterms": get(lambda: _text(doc, "usageterms", "usageTerms", limit=NOTE, join=SPACE)),
        "renditions": get(lambda: [_rendition(*m) for m in _members(doc, "renditions", "")]) or [],
        "associations": get(
            lambda: list(filter(None, (_link(*m) for m in _members(doc, "associations", ""))))
        )
        or [],
    }
    found.raise_if_any()
    fields["genre"] = fields["genre"] or unknown_type
    return ParsedItem(
        format=NAME,
        type=kind or "text",
        dateline=Dateline(located=located) if located else None,
        **fields,
    )


def _field(doc: dict[str, Any], *keys: str, base: str = "") -> tuple[str, Any]:
    """The first key present with a non-null value, as (pointer, value); else (base, None)."""
    key = next((k for k in keys if doc.get(k) is not None), None)
    return (base, None) if key is None else (child(base, key), doc[key])


def _string(pointer: str, value: Any, limit: int | None, join: str | None = None) -> str | None:
    """A trimmed string, None when absent or blank; for a text field (``join`` given) an array
    of strings is joined into one. Anything else is ``Invalid``."""
    if value is None:
        return None
    if isinstance(value, list) and join is not None:
        value = _joined(pointer, value, join)
    if not isinstance(value, str):
        raise invalid(pointer, f"must be a string, not {_kind(value)}")
    value = value.strip()
    if limit is not None and len(value) > limit:
        raise invalid(pointer, f"is longer than {limit} characters")
    return value or None


def _joined(pointer: str, values: list[Any], join: str) -> str:
    """Agencies send some text fields (AP's ``usageterms``) as arrays of lines: one string."""
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise invalid(f"{pointer}/{index}", f"must be a string, not {_kind(value)}")
    warn("field_joined", f"an array of {len(values)} strings was joined into one", field=pointer)
    return join.join(v.strip() for v in values if v.strip())


def _text(
    doc: dict[str, Any], *keys: str, limit: int | None, base: str = "", join: str | None = None
) -> str | None:
    return _string(*_field(doc, *keys, base=base), limit, join)


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


def _choice(doc: dict[str, Any], allowed: dict[str, L], default: str, *keys: str) -> L:
    pointer, value = _field(doc, *keys)
    text = (_string(pointer, value, LABEL) or default).lower()
    if text not in allowed:
        names = ", ".join(sorted(set(allowed.values())))
        raise invalid(pointer, f"must be one of {names}, not {text[:64]!r}")
    return allowed[text]


def _type(doc: dict[str, Any], base: str, default: str | None) -> tuple[str | None, str | None]:
    """(ninjs type, the value sent when it had to fall back to ``text``). A type outside the
    vocabulary (an agency's "advisory", "photo") is read rather than refused."""
    pointer, value = _field(doc, "type", base=base)
    sent = _string(pointer, value, LABEL)
    if sent is None:
        return default, None
    if sent.lower() in TYPES:
        return TYPES[sent.lower()], None
    mapped = TYPE_SYNONYMS.get(sent.lower(), "text")
    warn("type_mapped", f"type {sent[:64]!r} is not a ninjs type; read as {mapped}", field=pointer)
    return mapped, sent if mapped == "text" else None


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


# --- headlines and bodies: 1.x fields and pattern properties, 2.x/3.x arrays ------------------


def _headline(doc: dict[str, Any], base: str) -> str | None:
    """``headline``, else a 1.x ``headline_*`` (``headline_main`` first), else ``headlines``."""
    patterned = _patterned(doc, "headline_", HEADLINE_KEYS)
    return (
        _text(doc, "headline", limit=LINE, base=base, join=SPACE)
        or _text(doc, *patterned, limit=LINE, base=base, join=SPACE)
        or _pick(_entries(doc, "headlines", base=base), ("", "main"), LINE, join=SPACE)
    )


def _patterned(doc: dict[str, Any], prefix: str, preferred: tuple[str, ...]) -> list[str]:
    """The keys of 1.x pattern properties ``{prefix}*``: ``preferred`` first, then the others in
    document order."""
    others = [k for k in doc if k.startswith(prefix) and k not in preferred]
    return [k for k in preferred if k in doc] + others


def _patterned_body(doc: dict[str, Any], kind: str) -> str | None:
    """The first 1.x ``body_*`` of ``kind``: HTML when its name says html or richtext, else when
    its value opens with a tag (as for an untyped 2.x body)."""
    keys = [k for k in _patterned(doc, "body_", BODY_KEYS) if k not in BODY_FIELDS]
    chosen = [k for k in keys if doc[k] is not None and _named_kind(k, doc[k]) == kind]
    return _text(doc, *chosen, limit=None, join=PARAGRAPH) if chosen else None


def _named_kind(key: str, value: Any) -> str | None:
    if HTML_NAMES.search(key):
        return "html"
    return _body_kind({"value": value})


def _body(doc: dict[str, Any], kind: str) -> str | None:
    return _pick(_entries(doc, "bodies"), ("", "main"), None, lambda e: _body_kind(e) == kind)


def _body_kind(entry: dict[str, Any]) -> str | None:
    """html or text by content type; an untyped value counts as HTML if it opens with a tag."""
    ctype = _attr(entry, "contenttype", "contentType")
    if ctype == "":
        value = entry.get("value")
        if isinstance(value, list):  # an array of strings, joined when read
            value = next(iter(value), None)
        return "html" if isinstance(value, str) and value.lstrip().startswith("<") else "text"
    return BODY_KINDS.get(ctype or "")


def _description(doc: dict[str, Any], base: str, roles: tuple[str, ...]) -> str | None:
    """The first description in ``roles``, plain text preferred; never the dateline role."""
    entries = [
        e for e in _entries(doc, "descriptions", base=base) if _attr(e[1], "role") != "dateline"
    ]
    plain = _pick(entries, roles, NOTE, lambda e: _body_kind(e) == "text")
    return plain or _pick(entries, roles, NOTE)


# --- arrays of objects: headlines, bodies, descriptions, subjects, places, genres -------------


def _entries(doc: dict[str, Any], *keys: str, base: str = "") -> list[Entry]:
    pointer, value = _field(doc, *keys, base=base)
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
    join: str = PARAGRAPH,
) -> str | None:
    """The value of the first accepted entry with one of ``roles`` ("" = none), else the first."""
    chosen = [(p, e) for p, e in entries if accept(e)]
    pointer, entry = next((c for c in chosen if _attr(c[1], "role") in roles), None) or (
        chosen[0] if chosen else ("", {})
    )
    return _text(entry, "value", limit=limit, base=pointer, join=join)


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


def _genre(doc: dict[str, Any]) -> str | None:
    return next(filter(None, (_label(p, e) for p, e in _entries(doc, "genre", "genres"))), None)


def _infosource(doc: dict[str, Any]) -> str | None:
    """The first infosource's name, else its literal code: never a bare URI."""
    found = _entries(doc, "infosource", "infosources", "infoSources")
    names = [_text(e, "name", limit=LINE, base=p) for p, e in found]
    return next(filter(None, names + [_code(p, e) for p, e in found]), None)


# --- references: renditions and associations (never fetched here) -----------------------------


def _members(doc: dict[str, Any], key: str, base: str) -> list[Member]:
    """(pointer, map key, object) from a 1.x map keyed by name or a 2.x/3.x array."""
    pointer, value = _field(doc, key, base=base)
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
    """1.x: the map key is the relation; 2.x: ``name``; 3.x: ``rel``. No identifier, no link.
    An embedded picture keeps what a publisher shows with it: headline, caption, renditions."""
    uri = _uri(entry, base)
    if not uri:
        return None
    renditions = _optional(lambda: [_rendition(*m) for m in _members(entry, "renditions", base)])
    return Association(
        rel=key or _text(entry, "rel", "name", limit=LABEL, base=base),
        uri=uri,
        type=_optional(lambda: _type(entry, base, None)[0]),
        headline=_optional(lambda: _headline(entry, base)),
        caption=_optional(lambda: _caption(entry, base)),
        renditions=tuple(renditions or ()),
    )


def _caption(entry: dict[str, Any], base: str) -> str | None:
    """1.x ``description_text``, else the caption (or first) of 2.x/3.x ``descriptions``."""
    caption = _text(entry, "description_text", limit=NOTE, base=base, join=PARAGRAPH)
    return caption or _description(entry, base, ("caption", ""))


def _optional(read: Callable[[], T]) -> T | None:
    """What ``read`` returns, or None with a warning: a bad field of an association (a caption
    that is a number) costs that field, never the story."""
    try:
        return read()
    except Invalid as exc:
        for error in exc.errors:
            message = f"left out: {error['message']}"
            warn("association_field_dropped", message, field=error.get("field"))
        return None
