"""RFC 5322 / MIME e-mail (copy mailed to a desk) read into one ``ParsedItem``.

Mapping: ``Message-ID`` → ``uri`` as an RFC 2392 ``mid:`` URI; ``Subject`` (RFC 2047 decoded) →
headline; ``Date`` (RFC 5322, naive → the partner's zone) → firstcreated and versioncreated;
``Organization`` → source, with the ``From`` display name as byline; without ``Organization`` the
``From`` display name (else address) is the source, as Superdesk's ``original_source`` is, because
a desk or agency mailbox sends most wire mail; ``Content-Language`` → language; ``Keywords`` →
keywords; ``X-Priority`` (1 highest … 5 lowest, else ``Importance``) → priority. The body is the
HTML part (its ``<body>`` only) as body_html, else the plain part as body_text, chosen as
``get_body`` does (multipart/alternative, mixed, related). Image parts become renditions with
name, mimetype and size only: no href, their bytes are never kept.

Strict: every header and part is decoded exactly as its charset says (raw 8-bit headers must be
UTF-8, RFC 6532; a part without a charset is read as UTF-8, a superset of the RFC's US-ASCII
default); an unknown charset, bytes that do not decode or broken base64 are ``Malformed`` naming
the header or the part (IMAP section numbers: ``1.2``); no headers, or neither subject nor body,
is ``Invalid``; more than ``MAX_PARTS`` parts or nesting deeper than ``MAX_DEPTH`` is ``Invalid``.
"""

from __future__ import annotations

import re
from datetime import datetime
from email import errors as email_errors
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr
from urllib.parse import quote

import lxml.etree
import lxml.html

from shared.errors import Invalid, Malformed, TimestampError
from shared.model import ParseContext, ParsedItem, Rendition
from shared.timestamps import parse_timestamp

NAME = "email"
FAMILY = "email"

MAX_PARTS = 100
MAX_DEPTH = 10
IMPORTANCE = {"high": 1, "normal": 3, "low": 5}
MID_SAFE = "@!$&'()*+,;=-._~"  # RFC 3986 sub-delims and unreserved characters kept as written
_PAYLOAD_DEFECTS = (
    email_errors.InvalidBase64CharactersDefect,
    email_errors.InvalidBase64LengthDefect,
    email_errors.InvalidBase64PaddingDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.NoBoundaryInMultipartDefect,
)
_BODY = re.compile(r"<body[\s>]", re.I)


def sniff(raw: bytes) -> bool:
    """Always True: the e-mail family has this one reader."""
    return True


def parse(raw: bytes, ctx: ParseContext) -> list[ParsedItem]:
    """One item for the message, or raises ``Malformed``/``Invalid``/``TimestampError``."""
    message = _message(raw)
    sections = _sections(message)
    headline = _header(message, "Subject")
    body = message.get_body(preferencelist=("html", "plain"))
    html = text = None
    if body is not None:
        content = _text(body, sections[id(body)])
        if body.get_content_subtype() == "html":
            html = _inner_body(content)
        else:
            text = _paragraphs(content)
    if headline is None and not (html or text or "").strip():
        raise _invalid("/headers/Subject", "the message has neither a subject nor a body text")
    stamp = _date(message, ctx)
    source, byline = _sender(message)
    return [
        ParsedItem(
            format=NAME,
            uri=_message_id(message),
            headline=headline,
            byline=byline,
            body_html=html,
            body_text=text,
            language=_language(message),
            firstcreated=stamp,
            versioncreated=stamp,
            priority=_priority(message),
            keywords=_keywords(message),
            source=source,
            renditions=_images(message, sections),
        )
    ]


def _invalid(field: str, message: str, error: type[Invalid] = Invalid) -> Invalid:
    return error(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _malformed(field: str, message: str) -> Malformed:
    return Malformed(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _message(raw: bytes) -> EmailMessage:
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        raise _invalid("/parts", f"MIME parts nest deeper than {MAX_DEPTH} levels") from None
    if not isinstance(message, EmailMessage) or not message.keys():
        raise _invalid("/headers", "the body has no mail headers (RFC 5322)")
    return message


def _sections(message: Message) -> dict[int, str]:
    """IMAP section numbers by part identity (``1``, ``1.2``…); enforces the part limits."""
    sections: dict[int, str] = {}
    pending: list[tuple[Message, str, int]] = [(message, "1", 0)]
    while pending:
        part, section, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _invalid(_pointer(section), f"MIME parts nest deeper than {MAX_DEPTH} levels")
        sections[id(part)] = section
        if len(sections) > MAX_PARTS:
            raise _invalid("/parts", f"the message has more than {MAX_PARTS} MIME parts")
        for defect in part.defects:
            if isinstance(defect, _PAYLOAD_DEFECTS):
                raise _malformed(_pointer(section), f"part {section}: {type(defect).__name__}")
        children = part.get_payload() if part.is_multipart() else []
        prefix = "" if depth == 0 else f"{section}."
        for number, child in enumerate(children or [], start=1):
            if isinstance(child, Message):
                pending.append((child, f"{prefix}{number}", depth + 1))
    return sections


def _pointer(section: str) -> str:
    return "/parts/" + section.replace(".", "/")


def _payload(part: Message, section: str) -> bytes:
    data = part.get_payload(decode=True)
    for defect in part.defects:
        if isinstance(defect, _PAYLOAD_DEFECTS):
            raise _malformed(_pointer(section), f"part {section}: {type(defect).__name__}")
    return data if isinstance(data, bytes) else b""


def _text(part: Message, section: str) -> str:
    """The part's text, decoded exactly with its declared charset (UTF-8 when none)."""
    charset = part.get_content_charset() or "utf-8"
    data = _payload(part, section)
    try:
        return data.decode(charset)
    except UnicodeDecodeError as exc:
        message = f"part {section} is not valid {charset}: byte {exc.start} cannot be decoded"
    except (LookupError, ValueError):  # ValueError: a NUL in the charset name
        message = f"part {section} declares the unknown charset {charset!r}"
    raise _malformed(_pointer(section), message)


def _paragraphs(content: str) -> str | None:
    """Plain mail text as paragraphs: hard-wrapped lines joined, blank lines separating
    paragraphs, the signature after an RFC 3676 ``-- `` line dropped."""
    lines = content.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if "-- " in lines:
        lines = lines[: lines.index("-- ")]
    paragraphs, block = [], []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line.strip())
        elif block:
            paragraphs.append(" ".join(block))
            block = []
    return "\n\n".join(paragraphs) or None


def _inner_body(document: str) -> str:
    """The markup inside ``<body>`` of a whole HTML document (no head, title or styles)."""
    if not _BODY.search(document):
        return document
    try:
        root = lxml.html.document_fromstring(document)
    except (lxml.etree.ParserError, ValueError):
        return document
    body = root.find("body")
    if body is None:
        return document
    inner = [body.text or ""]
    inner += [lxml.html.tostring(child, encoding="unicode") for child in body]
    return "".join(inner)


# --- headers -------------------------------------------------------------------------------


def _raw_header(message: Message, name: str) -> str | None:
    """The header's first occurrence as Unicode: raw 8-bit bytes must be UTF-8 (RFC 6532)."""
    raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    if raw is None:
        return None
    try:
        return str(raw).encode("ascii", "surrogateescape").decode("utf-8")
    except UnicodeError:
        raise _malformed(f"/headers/{name}", "raw 8-bit header bytes that are not UTF-8") from None


def _header(message: Message, name: str) -> str | None:
    """The header with RFC 2047 encoded words decoded exactly; unfolded and trimmed."""
    raw = _raw_header(message, name)
    if raw is None:
        return None
    field = f"/headers/{name}"
    try:
        chunks = decode_header(raw)
    except (email_errors.HeaderParseError, ValueError, IndexError):
        raise _malformed(field, "unreadable RFC 2047 encoded words") from None
    words = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            words.append(chunk)
            continue
        try:
            words.append(chunk.decode(charset or "raw-unicode-escape"))
        except UnicodeDecodeError:
            raise _malformed(field, f"an encoded word that is not valid {charset}") from None
        except (LookupError, ValueError):  # ValueError: a NUL in the charset name
            raise _malformed(field, f"an encoded word in unknown charset {charset!r}") from None
    return " ".join("".join(words).split()) or None


def _message_id(message: Message) -> str | None:
    """``<id@host>`` → ``mid:id@host`` (RFC 2392), percent-encoding what a URI cannot hold."""
    raw = _raw_header(message, "Message-ID")
    if raw is None:
        return None
    bare = " ".join(raw.split())
    found = re.search(r"<([^<>]+)>", bare)
    bare = (found.group(1) if found else bare).strip()
    return "mid:" + quote(bare, safe=MID_SAFE) if bare else None


def _date(message: Message, ctx: ParseContext) -> datetime | None:
    raw = _header(message, "Date")
    if raw is None:
        return None
    try:
        return parse_timestamp(raw, tz=ctx.tz, near=ctx.received_at)
    except TimestampError as exc:
        raise _invalid("/headers/Date", exc.detail, TimestampError) from None


def _sender(message: Message) -> tuple[str | None, str | None]:
    """(source, byline): the organisation and the person when both are named, else the sender
    (display name, else address) as source."""
    sender = _header(message, "From")
    name, address = parseaddr(sender or "")
    if "@" not in address:
        name, address = name or sender or "", ""
    who = name.strip() or address.strip() or None
    organisation = _header(message, "Organization")
    if organisation:
        return organisation, name.strip() or None
    return who, None


def _language(message: Message) -> str | None:
    value = _header(message, "Content-Language")
    return value.split(",")[0].strip() or None if value else None


def _keywords(message: Message) -> list[str]:
    value = _header(message, "Keywords") or ""
    return list(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))


def _priority(message: Message) -> int | None:
    """``X-Priority: 1 (Highest)`` → 1; else ``Importance: high`` → 1, normal 3, low 5."""
    found = re.match(r"\s*([1-5])\b", _header(message, "X-Priority") or "")
    if found:
        return int(found.group(1))
    return IMPORTANCE.get((_header(message, "Importance") or "").lower())


def _images(message: Message, sections: dict[int, str]) -> list[Rendition]:
    """Image parts as references: filename, mimetype, decoded size. Nothing is stored."""
    renditions = []
    for part in message.walk():
        if part.get_content_maintype() != "image" or part.is_multipart():
            continue
        section = sections[id(part)]
        size = len(_payload(part, section))
        name = _filename(part, section)
        renditions.append(Rendition(name=name, mimetype=part.get_content_type(), size=size))
    return renditions


def _filename(part: Message, section: str) -> str | None:
    try:
        name = part.get_filename()
    except (email_errors.HeaderParseError, ValueError, IndexError, LookupError):
        name = None
    if name and re.search("[\ud800-\udfff]", name):
        raise _malformed(_pointer(section), f"part {section}: a file name that is not UTF-8")
    return " ".join(name.split()) or None if name else None
