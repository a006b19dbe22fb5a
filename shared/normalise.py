"""Turn a ``ParsedItem`` into the normalised item: clean text, sanitised HTML, language,
dateline, source, timestamps and fingerprint.

``normalise`` is deterministic for the same input and context, raises ``Invalid`` for content
that cannot be stored (over-long fields), and never returns naive datetimes.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime

import lxml.html
import nh3

from shared.dateline import find_dateline
from shared.errors import Invalid
from shared.language import detect_language, normalise_tag
from shared.model import Dateline, NormalisedItem, ParseContext, ParsedItem
from shared.vocab import enrich

MAX_LINE_FIELD = 1000
MAX_URI = 1024

ALLOWED_TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "sub",
    "sup",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "q",
    "cite",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "code",
    "hr",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "figure",
    "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
BLOCK_TAGS = {
    "p",
    "div",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "tr",
    "table",
    "figure",
    "figcaption",
    "section",
    "article",
    "header",
    "footer",
    "ul",
    "ol",
}

# Control characters (except tab/newline), bidi overrides and isolates, zero-width space, BOM.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\S*\w\S*")  # a whitespace-separated token with a letter or digit
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})


def clean_line(value: str | None, *, field: str, limit: int = MAX_LINE_FIELD) -> str | None:
    """Plain single-line text: NFC, no control/bidi/zero-width characters, whitespace folded."""
    if value is None:
        return None
    text = _SPACES.sub(" ", _UNSAFE.sub("", unicodedata.normalize("NFC", value))).strip()
    if len(text) > limit:
        raise Invalid(
            f"{field} is {len(text)} characters long; the limit is {limit}",
            errors=[{"field": f"/{field}", "message": f"longer than {limit} characters"}],
        )
    return text or None


def clean_block(value: str | None) -> str | None:
    """Multi-line plain text: paragraphs kept (blank line between them), lines folded."""
    if value is None:
        return None
    text = _UNSAFE.sub("", unicodedata.normalize("NFC", value)).replace("\r\n", "\n")
    paragraphs = [_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    joined = "\n\n".join(p for p in paragraphs if p)
    return joined or None


def sanitise_html(value: str | None) -> str | None:
    """Allowlist-sanitised HTML (nh3), after Unicode normalisation; idempotent."""
    if value is None:
        return None
    cleaned = nh3.clean(
        _UNSAFE.sub("", unicodedata.normalize("NFC", value)),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
    return cleaned or None


def html_to_text(value: str) -> str | None:
    """The readable text of an HTML fragment: one paragraph per block element."""
    root = lxml.html.fragment_fromstring(value, create_parent="div")
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = _SPACES.sub(" ", "".join(current)).strip()
        if text:
            blocks.append(text)
        current.clear()

    def walk(element: lxml.html.HtmlElement) -> None:
        block = element.tag in BLOCK_TAGS
        if block:
            flush()
        if element.tag == "br":
            current.append(" ")
        current.append(element.text or "")
        for child in element:
            walk(child)
            current.append(child.tail or "")
        if block:
            flush()

    walk(root)
    flush()
    return "\n\n".join(blocks) or None


def text_to_html(value: str) -> str:
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in value.split("\n\n"))


def word_count(text: str | None) -> int:
    return len(_WORD.findall(text)) if text else 0


def fingerprint(headline: str | None, body_text: str | None) -> str:
    """sha256 of the story text with case, quotes and whitespace unified."""
    basis = body_text or headline or ""
    folded = unicodedata.normalize("NFKC", basis).translate(_QUOTES).casefold()
    return hashlib.sha256(_SPACES.sub(" ", folded).strip().encode()).hexdigest()


def _dateline(
    parsed: ParsedItem, body_text: str | None, ctx: ParseContext, stamp: datetime
) -> Dateline | None:
    found = None
    if body_text:
        found = find_dateline(
            body_text.split("\n\n", 1)[0],
            near=stamp.astimezone(ctx.tz).date(),
            patterns=ctx.profile.dateline_patterns,
        )
    if parsed.dateline is None:
        return found[0] if found else None
    if found is None:
        return parsed.dateline
    lead = found[0]
    given = parsed.dateline
    return Dateline(
        located=given.located or lead.located,
        date=given.date or lead.date,
        source=given.source or lead.source,
        text=given.text or lead.text,
    )


def derive_uri(namespace: str, headline: str | None, stamp: datetime) -> str:
    """An opaque, stable uri for an item without an id: partner, stamp and headline."""
    basis = f"{stamp.astimezone(UTC).isoformat()}|{_SPACES.sub(' ', (headline or '').casefold())}"
    return f"urn:dateline:{namespace}:{hashlib.sha256(basis.encode()).hexdigest()[:24]}"


def normalise(parsed: ParsedItem, ctx: ParseContext, *, namespace: str) -> NormalisedItem:
    """The normalised item for ``parsed``. Items without a uri get one derived within
    ``namespace`` (the partner's slug)."""
    body_html = sanitise_html(parsed.body_html)
    body_text = clean_block(parsed.body_text)
    if body_text is None and body_html is not None:
        body_text = html_to_text(body_html)
    if body_html is None and body_text is not None:
        body_html = text_to_html(body_text)
    headline = clean_line(parsed.headline, field="headline")
    versioncreated = parsed.versioncreated or parsed.firstcreated or ctx.received_at
    firstcreated = parsed.firstcreated or versioncreated
    dateline = _dateline(parsed, body_text, ctx, firstcreated)
    language = normalise_tag(parsed.language) or detect_language(
        body_text or headline or "", hints=ctx.profile.languages
    )
    uri = clean_line(parsed.uri, field="uri", limit=MAX_URI)
    return NormalisedItem(
        format=parsed.format,
        uri=uri or derive_uri(namespace, headline, firstcreated),
        uri_derived=uri is None,
        version=clean_line(parsed.version, field="version", limit=64),
        type=parsed.type or "text",
        pubstatus=parsed.pubstatus or "usable",
        headline=headline,
        slugline=clean_line(parsed.slugline, field="slugline"),
        byline=clean_line(parsed.byline, field="byline"),
        abstract=clean_line(parsed.abstract, field="abstract", limit=10_000),
        ednote=clean_line(parsed.ednote, field="ednote", limit=10_000),
        body_html=body_html,
        body_text=body_text,
        word_count=word_count(body_text),
        language=language,
        dateline=dateline,
        firstcreated=firstcreated,
        versioncreated=versioncreated,
        embargoed=parsed.embargoed,
        urgency=parsed.urgency,
        priority=parsed.priority,
        subjects=enrich(parsed.subjects),
        keywords=[k for k in (clean_line(k, field="keywords") for k in parsed.keywords) if k],
        places=parsed.places,
        genre=clean_line(parsed.genre, field="genre"),
        source=clean_line(parsed.source, field="source") or (dateline.source if dateline else None),
        copyrightholder=clean_line(parsed.copyrightholder, field="copyrightholder"),
        usageterms=clean_line(parsed.usageterms, field="usageterms", limit=10_000),
        renditions=parsed.renditions,
        associations=parsed.associations,
        fingerprint=fingerprint(headline, body_text),
    )
