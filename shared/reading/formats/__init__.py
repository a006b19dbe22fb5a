"""Format registry: the content type picks a family, sniffing picks the format within it.

Each format is one module exposing ``NAME`` (the item's ``format`` value), ``FAMILY``,
``sniff(doc) -> bool`` and ``parse(doc, ctx) -> list[ParsedItem]``, where ``doc`` depends on the
family: the decoded text for ``json``, ``text`` and ``html``; the root element (parsed safely by
``xmlsafe``) for ``xml``; the raw bytes for ``email``. ``parse`` is strict: it raises
``Malformed`` (400) for bytes or syntax it cannot read and ``Invalid`` (422) for content that is
readable but wrong, with ``errors`` naming the field, index or line.

Bytes are read as the sender means them (``charsets.read_text``): a mislabelled or missing
charset is repaired and warned, only bytes that fit no reading are a 400. A body of another kind
than its content type says is a 415 (``_contradicts``), except an e-mail saved as text and sent
as ``text/plain``, which is read as e-mail (``family_for``, warned ``content_type_mismatch``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType

from shared.core.errors import Invalid, Malformed, UnsupportedMediaType
from shared.core.model import ParseContext, ParsedItem, Profile
from shared.reading.formats import (
    anpa,
    email,
    feed,
    html_page,
    iptc7901,
    newsml1,
    newsml_g2,
    ninjs,
    nitf,
    rbnews,
    text,
)
from shared.reading.formats.common.charsets import read_text, text_charset
from shared.reading.formats.common.jsonsafe import decode_json
from shared.reading.formats.common.xmlsafe import local, parse_xml
from shared.reading.repairs import warn

# Tried in order within a family; the last one of a family is its fallback.
FORMATS: tuple[ModuleType, ...] = (
    ninjs,
    newsml_g2,
    newsml1,
    nitf,
    rbnews,
    feed,
    html_page,
    email,
    anpa,
    iptc7901,
    text,
)

# Content type (without parameters) -> family; any other ``+xml`` type is ``xml`` too.
CONTENT_TYPES: dict[str, str] = {
    "application/json": "json",
    "application/ninjs+json": "json",
    "text/plain": "text",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "message/rfc822": "email",
}
# What a body of each family must start with (after a BOM and white space), else 415.
_LEADS: dict[str, tuple[str, ...]] = {"json": ("{", "["), "xml": ("<",)}
# A JSON text that is one scalar: JSON, so the ninjs reader refuses it as no item (422), not 415.
_JSON_SCALAR = re.compile(rb'("[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9][0-9.eE+-]*|true|false|null)\s*')


@dataclass(frozen=True, slots=True)
class MediaType:
    essence: str
    charset: str | None

    @classmethod
    def parse(cls, header: str | None) -> MediaType:
        if not header or not header.strip():
            raise UnsupportedMediaType("a Content-Type header is required")
        essence, _, params = header.partition(";")
        charset = None
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"').lower()
        return cls(essence.strip().lower(), charset)


def family_of(media: MediaType) -> str:
    family = CONTENT_TYPES.get(media.essence)
    if family is None and media.essence.endswith("+xml"):
        family = "xml"
    if family is None:
        accepted = ", ".join(sorted(CONTENT_TYPES))
        raise UnsupportedMediaType(
            f"content type {media.essence!r} is not accepted; use one of: {accepted}"
        )
    return family


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.I)


def _meta_charset(raw: bytes) -> str | None:
    """An HTML page's own ``<meta charset>`` (first 2 KiB), used when the header gives none."""
    match = _META_CHARSET.search(raw[:2048])
    return match.group(1).decode("ascii") if match else None


def decode(raw: bytes, media: MediaType, family: str, profile: Profile) -> str:
    """Decode the body as the sender means it (``charsets.read_text``): JSON strictly as UTF-8;
    text and HTML liberally, an unlabelled 8-bit body in the profile's charset or Windows-1252.
    Bytes that fit neither their label nor UTF-8 are a 400 naming the first bad byte."""
    if not raw.strip():
        raise Malformed("the request body is empty")
    declared = media.charset or (_meta_charset(raw) if family == "html" else None)
    charset = text_charset(declared) if declared else None
    if family == "json" and charset not in (None, "utf-8"):
        raise UnsupportedMediaType(f"JSON must be UTF-8 (RFC 8259), not {charset!r}")
    try:
        if family == "json":
            decoded = raw.decode("utf-8")
        else:
            decoded = read_text(raw, charset, fallback=profile.charset)
    except UnicodeDecodeError as exc:
        label = charset or "utf-8"
        raise Malformed(
            f"the body is not valid {label}: byte {exc.start} cannot be decoded",
            errors=[{"field": "", "message": f"invalid {label} at byte offset {exc.start}"}],
        ) from exc
    return decoded.removeprefix("\ufeff")


def detect(doc: object, family: str) -> ModuleType:
    candidates: Sequence[ModuleType] = [f for f in FORMATS if f.FAMILY == family]  # noqa: SIM300
    for module in candidates:
        if module.sniff(doc):
            return module
    if family == "xml":
        root = local(getattr(doc, "tag", ""))
        raise UnsupportedMediaType(f"an XML document with root <{root}> is not a format we read")
    if not candidates:
        raise UnsupportedMediaType(f"no parser reads {family} bodies")
    return candidates[-1]


_FIRST_TAG = re.compile(rb"<([A-Za-z][\w:.-]*)")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_NEWS_ROOTS = {b"nitf", b"rss", b"feed", b"NewsML", b"newsMessage", b"newsItem", b"packageItem",
               b"RDF", b"rdf:RDF", b"RBNews", b"XMLNewsQueuedResponse"}  # fmt: skip


def _contradicts(raw: bytes, media: MediaType, family: str) -> None:
    """415 for a body of another kind than its content type says (docs/api.md, Pushing items):
    markup or JSON sent as plain text, a news XML document sent as an HTML page, prose sent as
    e-mail."""
    body = raw.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    head = body[:1].decode("latin-1")
    looks = None
    leads = _LEADS.get(family)
    scalar = family == "json" and _JSON_SCALAR.fullmatch(body) is not None
    if leads is not None and head not in leads and not scalar:
        looks = family.upper()
    elif family == "text" and (_is_markup(body) or _is_json(body)):
        looks = "plain text"
    elif family == "html" and _first_tag(body) in _NEWS_ROOTS:
        looks = "an HTML page"
    elif family == "email" and not _HEADER_LINE.match(body):
        looks = "an e-mail message"
    if looks is not None:
        raise UnsupportedMediaType(
            f"the body does not look like {looks}, as {media.essence!r} says"
        )


def _first_tag(body: bytes) -> bytes | None:
    match = _FIRST_TAG.search(body[:4096])
    return match.group(1) if match else None


def _is_markup(body: bytes) -> bool:
    return body[:1] == b"<" and (body[:2] in (b"<?", b"<!") or _first_tag(body[:64]) is not None)


def _is_json(body: bytes) -> bool:
    """Whether the body is JSON; nesting too deep to decode (a bomb) counts as JSON, so it is
    refused as such rather than recursing."""
    if body[:1] not in (b"{", b"["):
        return False
    try:
        decode_json(body.decode("utf-8", errors="replace"))
    except Malformed:
        return False
    except Invalid:
        return True
    return True


def document(raw: bytes, media: MediaType, family: str, profile: Profile) -> object:
    """What the family's parsers read: text, an XML root element, or the raw bytes."""
    if not raw.strip():
        raise Malformed("the request body is empty")
    _contradicts(raw, media, family)
    if family == "xml":
        return parse_xml(raw, media.charset)
    if family == "email":
        return raw
    return decode(raw, media, family, profile)


_MAIL_FIELD = re.compile(rb"([!-9;-~]+):")  # an RFC 5322 field name and its colon
_MAIL_MARKS = {b"subject", b"date", b"received", b"message-id", b"mime-version"}
MAIL_HEAD_LINES = 200  # a header block longer than this is not looked at


def _is_mail(raw: bytes) -> bool:
    """An e-mail saved as text: from the very first byte a run of ``Name: value`` header lines
    (folded lines allowed) naming From and one of Subject, Date, Received, Message-ID or
    MIME-Version, ended by a blank line. Wire copy (ANPA, 7901 open with control codes) and
    story pages (a headline, a dateline lead) never open like that."""
    names: set[bytes] = set()
    for line in raw.split(b"\n", MAIL_HEAD_LINES)[:MAIL_HEAD_LINES]:
        line = line.removesuffix(b"\r")
        if not line:
            return b"from" in names and bool(names & _MAIL_MARKS)
        if line[:1] in (b" ", b"\t") and names:
            continue
        field = _MAIL_FIELD.match(line)
        if field is None:
            return False
        names.add(field.group(1).lower())
    return False


def family_for(raw: bytes, media: MediaType) -> str:
    """The content type's family; an e-mail sent as ``text/plain`` (a saved ``.eml``) is read
    as e-mail, warned ``content_type_mismatch``."""
    family = family_of(media)
    if family == "text" and _is_mail(raw):
        warn(
            "content_type_mismatch",
            f"an e-mail message (RFC 5322 headers) sent as {media.essence!r}: read as e-mail",
        )
        return "email"
    return family


def parse_body(raw: bytes, content_type: str | None, ctx: ParseContext) -> list[ParsedItem]:
    """Decode, detect and strictly parse a request body into one or more items."""
    media = MediaType.parse(content_type)
    family = family_for(raw, media)
    doc = document(raw, media, family, ctx.profile)
    module = detect(doc, family)
    items: list[ParsedItem] = module.parse(doc, ctx)
    return items
