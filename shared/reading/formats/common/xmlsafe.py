"""Safe, exact XML reading for partner documents (docs/api.md, Limits; docs/formats.md).

Guarantees: no entity is expanded, no DTD is loaded, nothing is fetched, XInclude is never run;
a plain ``<!DOCTYPE nitf SYSTEM "…">`` is accepted, an internal subset declaring entities is a
422. The encoding is taken from the byte-order mark, the Content-Type charset or the prolog
(UTF-8, UTF-16, windows-1251, ISO-8859-x…); where a label contradicts the bytes and the bytes
decide unambiguously (a BOM, UTF-8 under an ISO-8859-1 prolog), the bytes win and the repair is
warned ``charset_mislabelled``; bytes that fit no reading are a 400 naming the byte offset.
Syntax errors are a 400 naming the line. A tree of more than ``MAX_ELEMENTS`` elements is a 422
naming the line of the first one over.
"""

from __future__ import annotations

import codecs
import re
from itertools import islice
from typing import TypedDict

from lxml import etree

from shared.core.errors import Invalid, Malformed, UnsupportedMediaType
from shared.reading.formats.common.charsets import (
    decode_as,
    is_multibyte_utf8,
    is_utf8,
    single_byte,
    text_charset,
)
from shared.reading.repairs import warn

MAX_DEPTH = 256  # libxml2's own limit without huge_tree: deeper documents are a 400
# No news document comes near this (a long NITF story has a few thousand elements, a 1,000-item
# feed some tens of thousands); a body of bare ``<a/>`` tags under the size limit holds a million,
# and every reader walks each element, so the cap bounds their work and memory.
MAX_ELEMENTS = 200_000
_PROLOG = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)  # fmt: skip
_BOMLESS_UTF16 = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))


def _family(name: str) -> str:
    """The codec for a declared encoding; only real text encodings (no rot13, hex, utf-7…)."""
    try:
        return text_charset(name)
    except UnsupportedMediaType as exc:
        raise Malformed(
            f"the XML declares an encoding we do not read: {name!r}",
            errors=[{"line": 1, "message": exc.detail}],
        ) from exc


def _declared(head: str) -> str | None:
    match = _PROLOG.match(head.encode("ascii", "replace"))
    return match.group(1).decode() if match else None


def _contradiction(message: str) -> Malformed:
    return Malformed(
        message, errors=[{"line": 1, "message": "declared encoding contradicts the bytes"}]
    )


def _byte_order(raw: bytes) -> tuple[str | None, bytes]:
    """The encoding a byte-order mark (or a BOM-less UTF-16 ``<?``) proves, and the bytes
    after the mark."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name, raw[len(bom) :]
    for head, name in _BOMLESS_UTF16:
        if raw.startswith(head):
            return name, raw
    return None, raw


def decode_xml(raw: bytes, charset: str | None = None) -> str:
    """The document as text. The bytes decide when they can: a byte-order mark is the
    encoding; valid UTF-8 with multi-byte sequences under a single-byte label (a template's
    hard-coded ISO-8859-1 prolog over a UTF-8 pipeline) is UTF-8; a label the bytes do not fit
    gives way to one they do, or to UTF-8. Each label overruled is warned
    ``charset_mislabelled``. A 400 only for bytes that fit no reading, or for a Content-Type
    ``charset`` (RFC 7303 makes it authoritative) and a prolog that both fit but read
    differently."""
    physical, body = _byte_order(raw)
    if physical is not None:
        text = _decode(body, physical)
        labels = _labels(charset, _declared(text[:200]))
        for label, name, codec in labels:
            if not _compatible(codec, _family(physical)):
                _overruled(label, name, physical)
        return text
    match = _PROLOG.match(raw[:200])
    return _by_labels(raw, _labels(charset, match.group(1).decode() if match else None))


_Label = tuple[str, str, str]  # (where: Content-Type or XML, name as written, codec)


def _labels(charset: str | None, declared: str | None) -> list[_Label]:
    pairs = (("the Content-Type", charset), ("the XML", declared))
    return [(label, name, _family(name)) for label, name in pairs if name]


def _overruled(label: str, name: str, reading: str) -> None:
    reading = reading.upper()
    warn(
        "charset_mislabelled",
        f"{label} declares {name!r} but the bytes are {reading}: read as {reading}",
        line=1 if label == "the XML" else None,
    )


def _by_labels(raw: bytes, labels: list[_Label]) -> str:
    """Without a byte-order mark: the reading the bytes and the labels agree on."""
    if not labels:
        return _decode(raw, "utf-8")
    if is_multibyte_utf8(raw) and all(c == "utf-8" or single_byte(c) for _, _, c in labels):
        return _as_utf8(raw, labels)
    codecs_ = dict.fromkeys(c for _, _, c in labels)
    readings = {codec: text for codec in codecs_ if (text := _fit(raw, codec)) is not None}
    if len(set(readings.values())) == 1:
        codec, text = next(iter(readings.items()))
        for label, name, other in labels:
            if other not in readings:
                _overruled(label, name, codec)
        return text
    if readings:
        (_, says, _), (_, declares, _) = labels
        raise _contradiction(f"the Content-Type says {says!r} but the XML declares {declares!r}")
    if is_utf8(raw):
        return _as_utf8(raw, labels)
    label, name, codec = labels[0]
    if codec.startswith(("utf-16", "utf-32")):
        raise _contradiction(f"{label} declares {name!r} but has no {name} byte order")
    return _decode(raw, codec, label=name)


def _as_utf8(raw: bytes, labels: list[_Label]) -> str:
    for label, name, codec in labels:
        if codec != "utf-8":
            _overruled(label, name, "UTF-8")
    return raw.decode("utf-8")


def _fit(raw: bytes, codec: str) -> str | None:
    """The text if ``raw`` fits ``codec``. Without a byte-order mark the document starts in
    ASCII (``<``), so it is never UTF-16 or UTF-32."""
    if codec.startswith(("utf-16", "utf-32")):
        return None
    try:
        return decode_as(raw, codec)
    except UnicodeDecodeError:
        return None


def _compatible(declared: str, physical: str) -> bool:
    return (
        declared.removesuffix("-sig") == physical
        or (declared.startswith("utf-16") and physical.startswith("utf-16"))
        or (declared.startswith("utf-32") and physical.startswith("utf-32"))
    )


def _decode(raw: bytes, encoding: str, *, label: str | None = None) -> str:
    label = label or encoding
    try:
        return decode_as(raw, encoding)
    except UnicodeError as exc:
        start = getattr(exc, "start", 0)
        line = raw[:start].count(b"\n") + 1
        raise Malformed(
            f"the XML is not valid {label}: byte {start} (line {line}) cannot be decoded",
            errors=[{"line": line, "message": f"invalid {label} at byte offset {start}"}],
        ) from exc


def _internal_subset(text: str) -> tuple[int, str] | None:
    """The DOCTYPE's internal subset and where the DOCTYPE starts, in one linear scan: quoted
    literals are skipped whole (they may hold '>' or '['), so the subset is always found."""
    start = text.find("<!DOCTYPE")
    if start < 0:
        return None
    i, quote, opened = start + 9, "", -1
    while i < len(text):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "[" and opened < 0:
            opened = i
        elif char == "]" and opened >= 0:
            return start, text[opened + 1 : i]
        elif char == ">" and opened < 0:
            return None
        i += 1
    return (start, text[opened + 1 :]) if opened >= 0 else None


def _check_doctype(text: str) -> None:
    """Before parsing: an internal subset declaring entities is refused, so even billion laughs
    is a 422 naming the line rather than a parser error."""
    found = _internal_subset(text)
    if found is not None and "<!ENTITY" in found[1]:
        raise _entities(text[: found[0]].count("\n") + 1)


def _entities(line: int) -> Invalid:
    return Invalid(
        "entity declarations are not accepted",
        errors=[{"line": line, "message": "DTD internal subset declares entities"}],
    )


class _ParserOptions(TypedDict):
    resolve_entities: bool
    no_network: bool
    load_dtd: bool
    dtd_validation: bool
    huge_tree: bool
    recover: bool
    remove_comments: bool
    remove_pis: bool


_PARSER_OPTIONS: _ParserOptions = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "recover": False,
    "remove_comments": True,
    "remove_pis": True,
}


def parse_xml(raw: bytes, charset: str | None = None) -> etree._Element:
    """The root element of ``raw``; raises Malformed (400) or Invalid (422), nothing else."""
    text = decode_xml(raw, charset)
    _check_doctype(text)
    # Re-encode as UTF-8 with the declaration dropped, so libxml2 cannot decode differently.
    without_prolog = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(without_prolog.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise Malformed(
            f"the XML is not well-formed: {exc.msg}",
            errors=[{"line": line, "message": str(exc.msg)}],
        ) from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # backstop for the regex
        raise _entities(1)
    entity = next(root.iter(etree.Entity), None)
    if entity is not None:
        raise Invalid(
            "entity references are not accepted",
            errors=[{"line": entity.sourceline or 1, "message": f"entity {entity.text}"}],
        )
    _check_size(root)
    return root


def _check_size(root: etree._Element) -> None:
    """Refuse a tree of more than ``MAX_ELEMENTS`` elements, naming the line of the first one
    over; counting stops there, so the check costs at most the limit."""
    over = next(islice(root.iter(etree.Element), MAX_ELEMENTS, None), None)
    if over is not None:
        line = over.sourceline or 1
        raise Invalid(
            f"the XML has more than {MAX_ELEMENTS:,} elements; no news document needs as many",
            errors=[{"line": line, "message": f"more than {MAX_ELEMENTS} elements"}],
        )


def local(tag: object) -> str:
    """An element's tag without its namespace (``{ns}newsItem`` → ``newsItem``)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""
