"""RFC 5322 / MIME e-mail (copy mailed to a desk) read into one ``ParsedItem``.

Mapping: ``Message-ID`` → ``uri`` as an RFC 2392 ``mid:`` URI; ``Subject`` (RFC 2047 decoded) →
headline; ``Date`` (RFC 5322, naive → the partner's zone) → firstcreated and versioncreated;
``Organization`` → source, with the ``From`` display name as byline; without ``Organization`` the
``From`` display name (else address) is the source, as Superdesk's ``original_source`` is, because
a desk or agency mailbox sends most wire mail; ``Content-Language`` → language; ``Keywords`` →
keywords; ``X-Priority`` (1 highest … 5 lowest, else ``Importance``) → priority. The body is the
HTML part (its ``<body>`` only) as body_html, else the plain part as body_text, chosen as
``get_body`` does (multipart/alternative, mixed, related). Image parts become renditions with
name, mimetype and size only: no href, their bytes are never kept. A partner whose profile says
``"email_format": "aap-formatted"`` mails a JSON object of arrays as the text/plain body under a
generic subject: see ``_aap_fields`` for its mapping.

Liberal where the sender's intent is plain, each repair warned: headers are decoded as the
``email`` package's default policy does (RFC 2047 words, raw UTF-8 bytes even inside a word);
raw 8-bit header bytes that are not UTF-8 and a part without a charset whose bytes are not UTF-8
are read in the profile's ``charset``, else Windows-1252 (``charset_guessed``); a part or word
whose bytes are UTF-8, not its declared charset, is read as UTF-8 (``charset_mislabelled``); a
charset we do not read as text (unknown, ``punycode``…) is never used: UTF-8 or Windows-1252
instead (``charset_unknown``); bytes that fit no charset inside a word become U+FFFD
(``charset_replaced``). Strict where nothing can be read or the input is hostile: a part whose
bytes fit neither its declared charset nor UTF-8, or broken base64, is ``Malformed`` naming the
part (IMAP section numbers: ``1.2``); no headers, or neither subject nor body, is ``Invalid``;
more than ``MAX_PARTS`` parts, nesting deeper than ``MAX_DEPTH`` or header comments nested deeper
than ``MAX_COMMENT_DEPTH`` is ``Invalid``, and so is a header we read that is longer than
``MAX_HEADER_CHARS``, headers read holding more than ``MAX_READ_CHARS`` in all, or a Content-Type
or Content-Disposition of more than ``MAX_PARAMETERS`` parameters or comments: the limits are
enforced as the parser meets them, so that no message costs more than linear time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from email import errors as email_errors
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import Policy
from email.utils import parseaddr
from typing import Any, Self
from urllib.parse import quote

import lxml.etree
import lxml.html

from shared.core.errors import Invalid, Malformed, TimestampError
from shared.core.model import Dateline, ParseContext, ParsedItem, Place, Profile, Rendition, Subject
from shared.reading.dateline import title_case
from shared.reading.formats.common.charsets import read_text, text_codec
from shared.reading.formats.common.jsonsafe import decode_json
from shared.reading.repairs import warn
from shared.reading.timestamps import parse_timestamp

NAME = "email"
FAMILY = "email"

MAX_PARTS = 100
MAX_DEPTH = 10
MAX_COMMENT_DEPTH = 10  # RFC 5322 comments nest; the email package and parseaddr recurse on them
# The email package's header parsing slices the rest of the value at every token and costs a few
# microseconds a character, the square of the length with many parameters or comments: the
# headers we read are refused beyond these (real ones are far shorter: a long RFC 2231 file name
# is some ten parameters of a few hundred characters; a 100-part message reads some 300 headers).
MAX_HEADER_CHARS = 8192
MAX_READ_CHARS = 65_536
MAX_PARAMETERS = 32
IMPORTANCE = {"high": 1, "normal": 3, "low": 5}
MID_SAFE = "@!$&'()*+,;=-._~"  # RFC 3986 sub-delims and unreserved characters kept as written
AAP_FORMATTED = "aap-formatted"
_PAYLOAD_DEFECTS = (
    email_errors.InvalidBase64CharactersDefect,
    email_errors.InvalidBase64LengthDefect,
    email_errors.InvalidBase64PaddingDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.NoBoundaryInMultipartDefect,
)
_BODY = re.compile(r"<body[\s>]", re.I)
# The MIME headers the email package itself reads structured; every other header is read as
# unstructured text (RFC 2047 words decoded), which never raises on odd syntax.
_MIME_HEADERS = {"content-type", "content-disposition", "content-transfer-encoding", "mime-version"}
_COMMENTED = {"from", *_MIME_HEADERS}  # headers parsed for (recursively nested) comments
_PARAMETERISED = {"content-type", "content-disposition"}
# RFC 2047: the charset of a word (white space included: codec lookup ignores it, "utf 7" is utf-7)
_ENCODED_WORD = re.compile(r"=\?([^?]*)\?([bBqQ])\?")
# RFC 2231: charset'lang'value; a charset has no "*" or "=", so no match scans past the next one
_EXTENDED_VALUE = re.compile(r"(\*\s*=\s*\"?)([^'\"\s;*=]*)'")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def sniff(raw: bytes) -> bool:
    """Always True: the e-mail family has this one reader."""
    return True


def parse(raw: bytes, ctx: ParseContext) -> list[ParsedItem]:
    """One item for the message, or raises ``Malformed``/``Invalid``/``TimestampError``."""
    message = _message(raw, ctx.profile)
    sections = _sections(message)
    headline = _header(message, "Subject")
    html, text = _body(message, sections, ctx.profile)
    stamp = _date(message, ctx)
    source, byline = _sender(message)
    item = ParsedItem(
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
    if ctx.profile.email_format == AAP_FORMATTED:
        fields = _aap_fields(message, sections, ctx.profile)
        if fields is not None:
            _apply_aap(item, fields, ctx)
    if item.headline is None and not (item.body_html or item.body_text or "").strip():
        raise _invalid("/headers/Subject", "the message has neither a subject nor a body text")
    return [item]


def _invalid(field: str, message: str, error: type[Invalid] = Invalid) -> Invalid:
    return error(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _malformed(field: str, message: str) -> Malformed:
    return Malformed(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _message(raw: bytes, profile: Profile) -> EmailMessage:
    reading = policy.default.clone(
        header_factory=_HeaderReader(profile.charset), message_factory=_PartCounter()
    )
    message = BytesParser(policy=reading).parsebytes(raw)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise _invalid("/headers", "the body has no mail headers (RFC 5322)")
    return message


class _Part(EmailMessage):
    """A MIME part that knows its IMAP section number (``1``, ``1.2``…) and nesting depth, set
    as the parser attaches it, so nesting deeper than ``MAX_DEPTH`` is refused there: the parser
    tests every line against the boundary of each enclosing part, so a deep message costs its
    depth times its length before it could be refused whole."""

    section = "1"
    depth = 0

    def attach(self, payload: Self) -> None:  # type: ignore[override]  # as typeshed's MIMEPart
        super().attach(payload)
        payload.depth = self.depth + 1
        number = len(self.get_payload())
        payload.section = f"{self.section}.{number}" if self.depth else str(number)
        if payload.depth > MAX_DEPTH:
            raise _invalid(
                _pointer(payload.section), f"MIME parts nest deeper than {MAX_DEPTH} levels"
            )


class _PartCounter:
    """The parser's message factory: refuses the part after ``MAX_PARTS`` as the parser makes
    it, rather than after a body of thousands of parts was parsed whole."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self, policy: Policy) -> _Part:
        self.made += 1
        if self.made > MAX_PARTS:
            raise _invalid("/parts", f"the message has more than {MAX_PARTS} MIME parts")
        return _Part(policy=policy)


def _sections(message: Message) -> dict[int, str]:
    """IMAP section numbers by part identity; refuses a part with broken base64 or boundaries."""
    sections: dict[int, str] = {}
    for part in message.walk():
        section = part.section if isinstance(part, _Part) else "1"
        sections[id(part)] = section
        for defect in part.defects:
            if isinstance(defect, _PAYLOAD_DEFECTS):
                raise _malformed(_pointer(section), f"part {section}: {type(defect).__name__}")
    return sections


def _pointer(section: str) -> str:
    return "/parts/" + section.replace(".", "/")


def _payload(part: Message, section: str) -> bytes:
    data = part.get_payload(decode=True)
    for defect in part.defects:
        if isinstance(defect, _PAYLOAD_DEFECTS):
            raise _malformed(_pointer(section), f"part {section}: {type(defect).__name__}")
    return data if isinstance(data, bytes) else b""


def _body(
    message: EmailMessage, sections: dict[int, str], profile: Profile
) -> tuple[str | None, str | None]:
    """(body_html, body_text): the HTML part's ``<body>``, else the plain part's paragraphs."""
    body = message.get_body(preferencelist=("html", "plain"))
    if body is None:
        return None, None
    content = _text(body, sections[id(body)], profile)
    if body.get_content_subtype() == "html":
        return _inner_body(content), None
    return None, _paragraphs(content)


def _text(part: Message, section: str, profile: Profile) -> str:
    """The part's text as its sender means it (``charsets.read_text``): its declared charset
    when we read that as text, else UTF-8 or the profile's charset or Windows-1252."""
    field = _pointer(section)
    name = part.get_param("charset")
    if isinstance(name, tuple):  # RFC 2231 (charset'lang'value): a charset name is ASCII
        name = name[2]
    codec = text_codec(str(name)) if name else None
    if name and codec is None:
        warn(
            "charset_unknown",
            f"part {section} declares the charset {name!r}, which is not a text encoding we "
            "read: read as UTF-8 if valid, else as 8-bit copy without a charset",
            field=field,
        )
    try:
        return read_text(_payload(part, section), codec, fallback=profile.charset, field=field)
    except UnicodeDecodeError as exc:
        message = f"part {section} is not valid {name}: byte {exc.start} cannot be decoded"
    raise _malformed(field, message)


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


class _HeaderReader(HeaderRegistry):
    """The header factory of our e-mail policy: the default policy's parsing, given only what
    is safe and repaired. Raw 8-bit bytes that are not UTF-8 are re-read in the partner's
    charset (else Windows-1252); a charset we do not read as text, in an RFC 2047 word or an
    RFC 2231 parameter, is replaced by UTF-8 before the email package could run its codec
    (``punycode`` is quadratic); comments nested deeper than ``MAX_COMMENT_DEPTH`` are refused
    before anything recurses on them.

    The email package parses a header again at every read (a part's Content-Type some ten times),
    at a few microseconds a character: each header is parsed once here and kept, and the
    headers read may not exceed ``MAX_HEADER_CHARS`` each, ``MAX_READ_CHARS`` in all, nor
    (MIME headers) ``MAX_PARAMETERS`` parameters or comments."""

    def __init__(self, fallback: str | None) -> None:
        super().__init__()
        for name in set(self.registry) - _MIME_HEADERS:
            del self.registry[name]  # read as the default class, UnstructuredHeader
        self.fallback = fallback
        self.read: dict[tuple[str, str], BaseHeader] = {}
        self.chars = 0

    def __call__(self, name: str, value: Any) -> BaseHeader:
        key = (name, str(value))
        header = self.read.get(key)
        if header is None:
            header = self.read[key] = self._parse(name, key[1])
        return header

    def _parse(self, name: str, value: str) -> BaseHeader:
        field = f"/headers/{name}"
        text = _LINE_BREAK.sub("", value)
        if name.lower() in _COMMENTED:
            _check_structure(field, text, parameters=name.lower() in _PARAMETERISED)
        self._count(field, len(text))
        data = text.encode("ascii", "surrogateescape")
        if not data.isascii():
            text = read_text(data, None, fallback=self.fallback, field=field)
        escaped = text.encode("utf-8").decode("ascii", "surrogateescape")
        escaped = _ENCODED_WORD.sub(lambda m: _known(m, 1, field), escaped)
        escaped = _EXTENDED_VALUE.sub(lambda m: _known(m, 2, field), escaped)
        try:
            header = super().__call__(name, escaped)
        except (UnicodeError, LookupError, RecursionError, ValueError) as exc:
            # The email package's own decoding (an RFC 2231 value it reads past our guard).
            raise _invalid(field, f"the header cannot be read ({type(exc).__name__})") from None
        if header.count("\ufffd") > text.count("\ufffd"):
            warn("charset_replaced", "bytes that fit no charset became U+FFFD", field=field)
        return header

    def _count(self, field: str, length: int) -> None:
        if length > MAX_HEADER_CHARS:
            raise _invalid(
                field,
                f"the header is {length:,} characters long; the limit is {MAX_HEADER_CHARS:,}",
            )
        self.chars += length
        if self.chars > MAX_READ_CHARS:
            raise _invalid(
                field, f"the headers read hold more than {MAX_READ_CHARS:,} characters in all"
            )


def _known(match: re.Match[str], group: int, field: str) -> str:
    """The match with its charset group replaced by ``utf-8`` unless we read it as text."""
    charset = match.group(group)
    if not charset or text_codec(charset.partition("*")[0]) is not None:
        return match.group(0)
    warn(
        "charset_unknown",
        f"the charset {charset!r} is not a text encoding we read: read as UTF-8",
        field=field,
    )
    start, end = match.span(group)
    whole = match.string
    return whole[match.start() : start] + "utf-8" + whole[end : match.end()]


def _check_structure(field: str, value: str, *, parameters: bool) -> None:
    """Refuse comments ``((…))`` nested deeper than ``MAX_COMMENT_DEPTH`` and, with
    ``parameters``, more than ``MAX_PARAMETERS`` parameters (every ``;``: the email package
    scans the value from each one, quoted or not) or comments. One linear scan; quoted strings
    and backslash escapes are skipped."""
    if parameters and value.count(";") > MAX_PARAMETERS:
        raise _invalid(field, f"the header has more than {MAX_PARAMETERS} parameters")
    depth, quoted, escaped, comments = 0, False, False, 0
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
            if depth > MAX_COMMENT_DEPTH:
                raise _invalid(field, f"comments nest deeper than {MAX_COMMENT_DEPTH} levels")
            comments += parameters
            if comments > MAX_PARAMETERS:
                raise _invalid(field, f"the header has more than {MAX_PARAMETERS} comments")
        elif char == ")":
            depth = max(depth - 1, 0)


def _header(message: Message, name: str) -> str | None:
    """The header's first occurrence, decoded by our policy; unfolded and trimmed."""
    value = message.get(name)
    return " ".join(str(value).split()) or None if value is not None else None


def _message_id(message: Message) -> str | None:
    """``<id@host>`` → ``mid:id@host`` (RFC 2392), percent-encoding what a URI cannot hold."""
    # Read raw: an identifier is not RFC 2047 text, and decoding could make two ids one.
    raw = next((str(v) for k, v in message.raw_items() if k.lower() == "message-id"), None)
    bare = " ".join(raw.split()) if raw is not None else None
    if not bare:
        return None
    found = re.search(r"<([^<>]+)>", bare)
    bare = (found.group(1) if found else bare).strip()
    # Raw 8-bit bytes (kept as surrogates by the parser) are percent-encoded as the bytes they are.
    return "mid:" + quote(bare.encode("utf-8", "surrogateescape"), safe=MID_SAFE) if bare else None


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
    if sender:  # decoded words may hold comments the raw header did not show
        _check_structure("/headers/From", sender, parameters=False)
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
        renditions.append(
            Rendition(name=_filename(part), mimetype=part.get_content_type(), size=size)
        )
    return renditions


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (email_errors.HeaderParseError, ValueError, IndexError, LookupError):
        name = None
    return " ".join(name.split()) or None if name else None


# --- AAP formatted e-mail --------------------------------------------------------------------

_AAP_STAMP = re.compile(
    r"(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})\s+(?P<h>\d{1,2}):(?P<mi>\d{2})"
    r"(?::(?P<s>\d{2}))?(?:\s*(?P<ampm>[AaPp][Mm]))?"
)


def _aap_key(key: str) -> str:
    """``"News Value"``, ``"news_value"``, ``"NewsValue"`` → ``newsvalue``."""
    return re.sub(r"[\W_]+", "", key).casefold()


def _aap_fields(
    message: EmailMessage, sections: dict[int, str], profile: Profile
) -> dict[str, list[str]] | None:
    """AAP's formatted e-mail: the text/plain part is a JSON object of arrays of strings
    (``{"Headline": ["…"], "Body": ["para", …], "News Value": ["3"], …}``); a bare string or
    number counts as a one-element array, empty strings and anything else are dropped. None,
    warned ``email_format_mismatch``, when the body is no such object: the message is then
    read as the ordinary e-mail it looks like."""
    part = message.get_body(preferencelist=("plain",))
    content = _text(part, sections[id(part)], profile).strip() if part is not None else ""
    try:
        data = decode_json(content) if content.startswith("{") else None
    except (Malformed, Invalid):
        data = None
    if not isinstance(data, dict):
        warn(
            "email_format_mismatch",
            "the profile says aap-formatted but the text/plain body is not a JSON object: "
            "read as an ordinary e-mail",
            field="/body",
        )
        return None
    fields: dict[str, list[str]] = {}
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        kept = [str(v).strip() for v in values if type(v) in (str, int) and str(v).strip()]
        fields.setdefault(_aap_key(key), kept)
    return fields


def _apply_aap(item: ParsedItem, fields: dict[str, list[str]], ctx: ParseContext) -> None:
    """AAP fields over the ordinary e-mail item: Headline, Abstract, Slugline (first value);
    Body (every value, each line a paragraph); News Value → urgency, Priority → priority
    (``profile.label_number``); Category → category subjects (every value, with the profile's
    mapped subject); Keyword → keywords (before the Keywords header's); Dateline → dateline
    located; Place → places; Timestamp (M/D/YYYY H:MM:SS in the partner's zone) →
    firstcreated and versioncreated.
    ``Sign off`` (the journalist's or desk's sign-off) is the byline only when the e-mail names
    no author itself (no From display name beside an Organization): a sign-off is a desk code
    more often than a name. Take Key is not mapped."""

    def first(key: str) -> str | None:
        return next((" ".join(v.split()) for v in fields.get(key, [])), None)

    item.headline = first("headline") or item.headline
    item.abstract = first("abstract")
    item.slugline = first("slugline")
    lines = [line.strip() for v in fields.get("body", []) for line in v.splitlines()]
    item.body_text, item.body_html = "\n\n".join(line for line in lines if line) or None, None
    item.urgency = _aap_label(ctx.profile, "urgency", first("newsvalue"), "/body/News Value")
    item.priority = _aap_label(ctx.profile, "priority", first("priority"), "/body/Priority")
    item.subjects = _aap_subjects(fields.get("category", []), ctx.profile)
    item.keywords = list(dict.fromkeys([*fields.get("keyword", []), *item.keywords]))
    located = first("dateline")
    item.dateline = Dateline(located=title_case(located), text=located) if located else None
    item.places = [Place(name=" ".join(p.split())) for p in fields.get("place", [])]
    item.byline = item.byline or first("signoff")
    stamp = _aap_stamp(first("timestamp"), ctx)
    if stamp is not None:
        item.firstcreated = item.versioncreated = stamp


def _aap_label(profile: Profile, kind: str, label: str | None, field: str) -> int | None:
    number = profile.label_number(kind, label)
    if label is not None and number is None:
        warn("label_unmapped", f"{label!r} is not one of the profile's {kind} labels", field=field)
    return number


def _aap_subjects(labels: list[str], profile: Profile) -> list[Subject]:
    subjects: list[Subject] = []
    for label in (" ".join(v.split()) for v in labels):
        for subject in (Subject(scheme="category", name=label), profile.mapped_subject(label)):
            if subject is not None and subject not in subjects:
                subjects.append(subject)
    return subjects


def _aap_stamp(value: str | None, ctx: ParseContext) -> datetime | None:
    """The Timestamp; an unreadable or impossible one is warned ``timestamp_unreadable`` and
    the Date header's time kept."""
    if value is None:
        return None
    stamp = _aap_instant(value, ctx.tz)
    if stamp is None:
        warn(
            "timestamp_unreadable",
            f"{value!r} is not a M/D/YYYY H:MM:SS time: the Date header is used",
            field="/body/Timestamp",
        )
    return stamp


def _aap_instant(value: str, tz: tzinfo) -> datetime | None:
    """``5/4/2026 9:15:02`` (month first, as AAP writes it; ``AM``/``PM`` allowed) in ``tz``."""
    found = _AAP_STAMP.fullmatch(value)
    if found is None:
        return None
    hour = int(found["h"])
    if found["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if found["ampm"].lower() == "pm" else 0)
    try:
        local = datetime(
            int(found["y"]), int(found["mo"]), int(found["d"]), hour, int(found["mi"]),
            int(found["s"] or 0), tzinfo=tz,
        )  # fmt: skip
        return local.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 9999 west of UTC is 10000 in UTC
        return None
