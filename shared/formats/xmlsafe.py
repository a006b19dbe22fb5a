"""Safe, exact XML reading for partner documents (DESIGN §7).

Guarantees: no entity is expanded, no DTD is loaded, nothing is fetched, XInclude is never run;
a plain ``<!DOCTYPE nitf SYSTEM "…">`` is accepted, an internal subset declaring entities is a
422. The encoding is taken from the byte-order mark or the prolog and honoured exactly (UTF-8,
UTF-16, windows-1251, ISO-8859-x…); a declaration that contradicts the bytes is a 400, never
guessed. Syntax errors are a 400 naming the line.
"""

from __future__ import annotations

import codecs
import functools
import re
from typing import TypedDict

from lxml import etree

from shared.errors import Invalid, Malformed, UnsupportedMediaType
from shared.formats.charsets import text_charset

MAX_DEPTH = 256  # libxml2's own limit without huge_tree: deeper documents are a 400
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


def decode_xml(raw: bytes, charset: str | None = None) -> str:
    """The document as text, decoded exactly as its BOM, the Content-Type ``charset`` (which
    RFC 7303 makes authoritative) or its prolog says; any two of them disagreeing is a 400."""
    physical = None
    body = raw
    for bom, name in _BOMS:
        if raw.startswith(bom):
            physical, body = name, raw[len(bom) :]
            break
    else:
        for head, name in _BOMLESS_UTF16:
            if raw.startswith(head):
                physical = name
    if physical is not None:
        text = _decode(body, physical)
        for label, declared in (("XML", _declared(text[:200])), ("Content-Type", charset)):
            if declared and not _compatible(_family(declared), _family(physical)):
                raise _contradiction(
                    f"the {label} declares {declared!r} but the bytes are {physical}"
                )
        return text
    match = _PROLOG.match(raw[:200])
    declared = match.group(1).decode() if match else None
    if charset and declared and _family(charset) != _family(declared):
        raise _contradiction(f"the Content-Type says {charset!r} but the XML declares {declared!r}")
    encoding = charset or declared or "utf-8"
    codec = _family(encoding)
    if codec.startswith(("utf-16", "utf-32")):
        raise _contradiction(f"the XML declares {encoding!r} but has no {encoding} byte order")
    if codec != "utf-8" and not raw.isascii() and _is_utf8(raw) and _single_byte(codec):
        raise _contradiction(f"the XML declares {encoding!r} but its bytes are UTF-8")
    return _decode(raw, codec, label=encoding)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@functools.cache
def _single_byte(codec: str) -> bool:
    """One byte, one character (Latin, Cyrillic…): there valid UTF-8 means a wrong declaration,
    as real windows-1251 or ISO-8859 text is practically never valid UTF-8."""
    return len(bytes(range(256)).decode(codec, errors="replace")) == 256


def _compatible(declared: str, physical: str) -> bool:
    return (
        declared == physical
        or (declared.startswith("utf-16") and physical.startswith("utf-16"))
        or (declared.startswith("utf-32") and physical.startswith("utf-32"))
    )


def _decode(raw: bytes, encoding: str, *, label: str | None = None) -> str:
    label = label or encoding
    try:
        return raw.decode(encoding)
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
    entity = next((n for n in root.iter() if isinstance(n, etree._Entity)), None)
    if entity is not None:
        raise Invalid(
            "entity references are not accepted",
            errors=[{"line": entity.sourceline or 1, "message": f"entity {entity.text}"}],
        )
    return root


def local(tag: object) -> str:
    """An element's tag without its namespace (``{ns}newsItem`` → ``newsItem``)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""
