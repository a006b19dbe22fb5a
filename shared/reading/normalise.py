"""Turn a ``ParsedItem`` into the normalised item: clean text, sanitised HTML, language,
dateline, source, timestamps and fingerprint.

``normalise`` is deterministic for the same input and context, raises ``Invalid`` for content
that cannot be stored (over-long fields, a control character inside an identifier), and never
returns naive datetimes or a creation time more than a day after arrival.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import partial

import lxml.html
import nh3

from shared.core.errors import Invalid
from shared.core.model import (
    Association,
    Dateline,
    NormalisedItem,
    ParseContext,
    ParsedItem,
    PubStatus,
    Rendition,
    rfc3339,
)
from shared.reading.collect import FieldErrors
from shared.reading.dateline import find_dateline
from shared.reading.language import detect_language, normalise_tag
from shared.reading.repairs import warn
from shared.reading.timestamps import local_date
from shared.reading.vocab import enrich

MAX_LINE_FIELD = 1000
MAX_URI = 1024
# A creation time later than this after arrival is a partner's clock or template error.
FUTURE_SLACK = timedelta(days=1)

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
# A whitespace-separated token counts as a word if it has a letter or digit. This matches the
# others: its first character once (the lookbehind after it says it starts a token; a pattern
# that starts with a character class lets the regex engine skip ahead fast), the rest
# possessively, and then the token's end.
_WORDLESS_TOKEN = re.compile(r"[^\w\s](?<!\S[^\w\s])[^\w\s]*+(?!\S)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})


def _folded(text: str) -> str:
    """Runs of whitespace as one space, none at either end: ``_SPACES.sub(" ", text).strip()``
    (``str.split`` and the regex's ``\\s`` know the same whitespace) at a fifth of the cost."""
    return " ".join(text.split())


def clean_line(value: str | None, *, field: str, limit: int = MAX_LINE_FIELD) -> str | None:
    """Plain single-line text: NFC, no control/bidi/zero-width characters, whitespace folded."""
    if value is None:
        return None
    text = _folded(_UNSAFE.sub("", unicodedata.normalize("NFC", value)))
    if len(text) > limit:
        raise Invalid(
            f"{field} is {len(text)} characters long; the limit is {limit}",
            errors=[{"field": f"/{field}", "message": f"longer than {limit} characters"}],
        )
    return text or None


def clean_identifier(value: str | None, *, field: str, limit: int) -> str | None:
    """An identifier (uri, version) trimmed, else as given. A control or invisible character
    inside one (CR/LF smuggled into a uri, a bidi override) is a 422 naming the field: removing
    it would silently make the identifier name another item."""
    if value is None:
        return None
    text = value.strip()
    for offset, char in enumerate(text):
        # Control, format (bidi, zero-width, soft hyphen) and line/paragraph separators, and any
        # white space but a plain space: an identifier is never folded or cleaned.
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or (
            char.isspace() and char != " "
        ):
            character = f"U+{ord(char):04X} at offset {offset}"
            message = f"contains the control or invisible character {character}"
            raise Invalid(f"{field} {message}", errors=[{"field": f"/{field}", "message": message}])
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
    paragraphs = [_folded(p) for p in re.split(r"\n\s*\n|\n", text)]
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
        text = _folded("".join(current))
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
    # The tokens less those without a letter or digit, each found in one pass of a regex that
    # cannot backtrack (a regex for the words themselves backtracks quadratically on long runs
    # of non-word characters: 20 KB of "&" took seconds). Twice as fast as a search per token.
    return len(text.split()) - len(_WORDLESS_TOKEN.findall(text)) if text else 0


def fingerprint(headline: str | None, body_text: str | None) -> str:
    """sha256 of the story text with case, quotes and whitespace unified."""
    basis = body_text or headline or ""
    folded = unicodedata.normalize("NFKC", basis).translate(_QUOTES).casefold()
    return hashlib.sha256(_folded(folded).encode()).hexdigest()


def _dateline(
    parsed: ParsedItem, body_text: str | None, ctx: ParseContext, stamp: datetime
) -> Dateline | None:
    found = None
    if body_text:
        found = find_dateline(
            body_text.split("\n\n", 1)[0],
            near=local_date(stamp, ctx.tz),
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


def _created(parsed: ParsedItem, ctx: ParseContext) -> tuple[datetime, datetime]:
    """(firstcreated, versioncreated), received_at when the partner gives neither.

    A creation time more than ``FUTURE_SLACK`` after arrival (a wrong clock, year 9999 in a
    template) would pin the item to the top of every desk and feed: it becomes received_at, and
    the ``time_in_future`` warning keeps the partner's value, and firstcreated is never later.
    """
    latest = ctx.received_at + FUTURE_SLACK
    firstcreated, versioncreated = parsed.firstcreated, parsed.versioncreated
    if firstcreated is not None and firstcreated > latest:
        _future("firstcreated", firstcreated, ctx)
        firstcreated = None  # so versioncreated (or received_at) below
    if versioncreated is not None and versioncreated > latest:
        _future("versioncreated", versioncreated, ctx)
        versioncreated = ctx.received_at
        firstcreated = min(firstcreated or versioncreated, versioncreated)
    versioncreated = versioncreated or firstcreated or ctx.received_at
    return firstcreated or versioncreated, versioncreated


def _future(field: str, stamp: datetime, ctx: ParseContext) -> None:
    warn(
        "time_in_future",
        f"{field} {rfc3339(stamp)} is more than a day after the item arrived "
        f"({rfc3339(ctx.received_at)}) and was not used",
        field=f"/{field}",
    )


MAX_DERIVED_HEADLINE = 120
# Words a period follows inside a sentence: "Gov. Ellen Marsh", "Jan. 7", "Sen. Ruiz".
# fmt: off
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "sen", "rep", "gov", "gen", "lt", "col", "capt", "sgt", "maj",
    "adm", "prof", "rev", "jr", "sr", "no", "vs", "inc", "corp", "co", "ltd", "jan", "feb", "mar",
    "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "ave",
    # Nordic and German copy: hr., fru., mio., mia., kl., ca., bl.a., nr., dvs., z.B., bzw.
    "hr", "fr", "fru", "mio", "mia", "kl", "ca", "nr", "dvs", "mill", "bzw", "vgl", "ggf", "evt",
})
# fmt: on
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?=\s|$)")
_AFTER_LEAD = re.compile(r"\s*(?:\([^()\n]{1,40}\)\s*)?(?:--|[-–—_])\s+")


def headline_from_body(body_text: str | None, dateline: Dateline | None) -> str | None:
    """For an item sent without a headline (an agency's one-sentence urgent), the first sentence
    of its text after the dateline lead, as desks title such items: at most 120 characters, cut
    at a word with "…". Warns ``headline_derived``; None without text."""
    first = (body_text or "").split("\n\n", 1)[0].strip()
    lead = dateline.text if dateline else None
    after = _AFTER_LEAD.match(first, len(lead)) if lead and first.startswith(lead) else None
    story = first[after.end() :] if after else first
    sentence = _first_sentence(story[: MAX_DERIVED_HEADLINE + 2])  # longer ones are cut anyway
    if not sentence:
        return None
    if len(sentence) > MAX_DERIVED_HEADLINE:
        cut = sentence[: MAX_DERIVED_HEADLINE - 1].rsplit(" ", 1)[0]
        sentence = cut.rstrip(" ,;:-–—") + "…"
    message = "no headline: the first sentence of the text is used"
    warn("headline_derived", message, field="/headline")
    return sentence


def _first_sentence(text: str) -> str:
    """Up to the first full stop, question or exclamation mark that ends a sentence (not one
    after an initial, an abbreviation or inside "U.S.")."""
    for end in _SENTENCE_END.finditer(text):
        word = text[text.rfind(" ", 0, end.start()) + 1 : end.start()].lstrip("(\"'“‘")
        short = (len(word) == 1 and word.isalpha()) or "." in word
        if text[end.start()] == "." and (short or word.casefold() in _ABBREVIATIONS):
            continue
        return text[: end.end()].strip()
    return text.strip()


def derive_uri(namespace: str, headline: str | None, stamp: datetime) -> str:
    """An opaque, stable uri for an item without an id: partner, stamp and headline."""
    basis = f"{stamp.astimezone(UTC).isoformat()}|{_SPACES.sub(' ', (headline or '').casefold())}"
    return f"urn:dateline:{namespace}:{hashlib.sha256(basis.encode()).hexdigest()[:24]}"


# Links handed on to publishers (renditions' href, associations' uri): http(s) or relative only.
# Browsers ignore ASCII controls and spaces inside a scheme ("java\tscript:"), so we do too.
WEB_SCHEMES = {"http", "https"}
ID_SCHEMES = {"urn", "tag"}  # an association's uri may be an identifier rather than a link
HOSTILE_SCHEMES = {"javascript", "vbscript", "data", "file"}
_LINK_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?")
_LINK_IGNORED = re.compile("[\x00-\x20\x7f]")


def _link_scheme(link: str | None) -> tuple[str, bool]:
    """(scheme, whether ``//`` follows it) as a browser would read it; ("", False) if relative."""
    found = _LINK_SCHEME.match(_LINK_IGNORED.sub("", link or ""))
    return (found[1].lower(), found[2] is not None) if found else ("", False)


def _safe_renditions(
    renditions: list[Rendition] | tuple[Rendition, ...], field: str
) -> list[Rendition]:
    """The renditions whose href is http(s) or relative: whatever the format, a ``javascript:``
    or ``file:`` link never reaches a publishing system; such a rendition is dropped."""
    kept = []
    for index, rendition in enumerate(renditions):
        scheme, _ = _link_scheme(rendition.href)
        if not scheme or scheme in WEB_SCHEMES:
            kept.append(rendition)
        else:
            message = f"a rendition linking to a {scheme}: URL was dropped"
            warn("href_dropped", message, field=f"{field}/{index}/href")
    return kept


def _safe_associations(associations: list[Association]) -> list[Association]:
    """The associations whose uri is a web link, relative, or an identifier (``urn:``,
    ``tag:``, an agency's ``AFP:123``): a hostile scheme or another scheme's URL (``ftp://``)
    is dropped. Their renditions are checked and their headline and caption cleaned too."""
    kept = []
    for index, link in enumerate(associations):
        field = f"/associations/{index}"
        scheme, url = _link_scheme(link.uri)
        if scheme not in WEB_SCHEMES | ID_SCHEMES and (scheme in HOSTILE_SCHEMES or url):
            message = f"an association linking to a {scheme}: URL was dropped"
            warn("href_dropped", message, field=f"{field}/uri")
            continue
        kept.append(
            Association(
                rel=link.rel,
                uri=link.uri,
                type=link.type,
                headline=clean_line(link.headline, field=f"{field[1:]}/headline"),
                caption=clean_line(link.caption, field=f"{field[1:]}/caption", limit=10_000),
                renditions=tuple(_safe_renditions(link.renditions, f"{field}/renditions")),
            )
        )
    return kept


# The single-line fields cleaned by ``clean_line``, with their limits.
_LINES = (
    ("slugline", MAX_LINE_FIELD),
    ("byline", MAX_LINE_FIELD),
    ("abstract", 10_000),
    ("ednote", 10_000),
    ("genre", MAX_LINE_FIELD),
    ("source", MAX_LINE_FIELD),
    ("copyrightholder", MAX_LINE_FIELD),
    ("usageterms", 10_000),
)


def _line(parsed: ParsedItem, name: str, limit: int) -> str | None:
    value: str | None = getattr(parsed, name)
    return clean_line(value, field=name, limit=limit)


def normalise(parsed: ParsedItem, ctx: ParseContext, *, namespace: str) -> NormalisedItem:
    """The normalised item for ``parsed``. Items without a uri get one derived within
    ``namespace`` (the partner's slug)."""
    body_html = sanitise_html(parsed.body_html)
    body_text = clean_block(parsed.body_text)
    if body_text is None and body_html is not None:
        body_text = html_to_text(body_html)
    if body_html is None and body_text is not None:
        body_html = text_to_html(body_text)
    # Every field's problem is reported, not only the first (shared/reading/collect.py).
    found = FieldErrors()
    headline = found.read(lambda: clean_line(parsed.headline, field="headline"))
    uri = found.read(lambda: clean_identifier(parsed.uri, field="uri", limit=MAX_URI))
    version = found.read(lambda: clean_identifier(parsed.version, field="version", limit=64))
    lines = {name: found.read(partial(_line, parsed, name, limit)) for name, limit in _LINES}
    keywords = found.read(lambda: [clean_line(k, field="keywords") for k in parsed.keywords])
    created = found.read(lambda: _created(parsed, ctx))
    found.raise_if_any()
    assert created is not None
    firstcreated, versioncreated = created
    dateline = _dateline(parsed, body_text, ctx, firstcreated)
    headline = headline or headline_from_body(body_text, dateline)
    language = normalise_tag(parsed.language) or detect_language(
        "\n".join(filter(None, (headline, body_text))), hints=ctx.profile.languages
    )
    # the partner's own stamp, even one too far ahead to keep: resends derive the same uri
    sent = parsed.firstcreated or parsed.versioncreated or firstcreated
    return NormalisedItem(
        format=parsed.format,
        uri=uri or derive_uri(namespace, headline, sent),
        uri_derived=uri is None,
        version=version,
        type=parsed.type or "text",
        pubstatus=parsed.pubstatus or PubStatus.USABLE,
        headline=headline,
        slugline=lines["slugline"],
        byline=lines["byline"],
        abstract=lines["abstract"],
        ednote=lines["ednote"],
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
        keywords=[k for k in keywords or [] if k],
        places=parsed.places,
        genre=lines["genre"],
        source=lines["source"] or (dateline.source if dateline else None),
        copyrightholder=lines["copyrightholder"],
        usageterms=lines["usageterms"],
        renditions=_safe_renditions(parsed.renditions, "/renditions"),
        associations=_safe_associations(parsed.associations),
        fingerprint=fingerprint(headline, body_text),
    )
