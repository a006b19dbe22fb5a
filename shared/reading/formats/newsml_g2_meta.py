"""NewsML-G2 building blocks: element access, QCodes and catalogs, times, concepts, content.

Guarantees: QCodes resolve through the item's own ``<catalog>`` declarations over the IPTC
standard aliases (``subj``, ``medtop``, ``stat``, ``ninat``, ``cpnat``, ``drol``…), so a partner
alias bound to an IPTC scheme URI is read as that scheme; nothing named by ``catalogRef`` is
fetched. Every failure is ``Invalid`` or ``TimestampError`` naming the element's line.
Inline content is copied as markup with namespaces removed; remote content is only referenced.

Loose copy is repaired and the repair recorded (``shared.reading.repairs.warn``): an element
name in the wrong case (``Header``, ``Sent``) is read as the G2 name (``element_case``); a
date-time without an offset is read in the partner's zone (``time_zone_assumed``); a subject
``type`` that is not a QCode is ignored (``subject_type_ignored``); STT's escaped
``<endash>-</endash>`` becomes an en dash (``pseudo_markup``); a paragraph of lines (``<br>``,
or newlines in a results table or a bullet list) becomes one paragraph per line
(``line_breaks_kept`` for newlines).
"""

from __future__ import annotations

import base64
import binascii
import copy
import html
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from lxml import etree

from shared.core.errors import DatelineError, Invalid, TimestampError
from shared.core.model import ParseContext, Place, Rendition, Subject
from shared.reading.formats.common.charsets import text_codec
from shared.reading.formats.common.xmlsafe import local
from shared.reading.repairs import collecting, warn
from shared.reading.timestamps import parse_timestamp

NS = "http://iptc.org/std/nar/2006-10-01/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CV = "http://cv.iptc.org/newscodes/"
IPTC_ALIASES = {
    alias: f"{CV}{path}/"
    for alias, path in {
        "subj": "subjectcode", "medtop": "mediatopic", "stat": "pubstatusg2",
        "ninat": "ninature", "cpnat": "cpnature", "drol": "descriptionrole",
        "genre": "genre", "rnd": "rendition", "isrol": "infosourcerole", "sig": "signal",
        "nprov": "newsprovider", "crol": "creatorrole", "ctrol": "contributorrole",
        "irel": "itemrelation", "group": "pkggroupmode",
    }.items()
}  # fmt: skip
SCHEME_NAMES = {f"{CV}subjectcode/": "iptc-subject", f"{CV}mediatopic/": "iptc-mediatopic"}
PLACE_NATURES = frozenset({"geoArea", "poi"})
MAX_SIZE = 2**63 - 1  # renditions' sizes go to a BIGINT column
_SPACES = re.compile(r"\s+")
# RFC 3339 (5.6) lets a space stand for the "T": BusinessDesk writes "2026-05-04 09:15:00".
_DATETIME = re.compile(
    r"\d{4}-?\d{2}-?\d{2}[Tt ]\d{2}:?\d{2}(?::?\d{2}(?:\.\d+)?)?(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?"
)
_DATE = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?")
_TRUNCATED = re.compile(r"\d{4}(?:-\d{2})?(?:[Zz]|[+-]\d{2}:\d{2})?")  # xs:gYear, xs:gYearMonth
NITF_RENAMES = {"hl2": "h2"}
NITF_DROPS = frozenset({"media"})
# STT writes an en dash as escaped pseudo-markup: "3&lt;endash&gt;-&lt;/endash&gt;1".
_PSEUDO_DASH = re.compile(
    r"(?:<|&lt;)endash(?:>|&gt;)\s*(?:-\s*)?(?:<|&lt;)/endash(?:>|&gt;)", re.IGNORECASE
)
# Text holding an HTML element's tag and a closing tag or <br> is markup, whatever its label.
_HTML_TAG = re.compile(
    r"<(?:p|div|br|span|b|i|em|strong|ul|ol|li|h[1-6]|a|table|tr|td|th|blockquote)\b[^<>]*>",
    re.IGNORECASE,
)
_HTML_END = re.compile(
    r"</(?:p|div|span|b|i|em|strong|[ou]l|li|h[1-6]|a|t[rdh]|table)>|<br\b", re.I
)
_BULLET = re.compile(r"^(?:[-*•·–—]|\d{1,2}[.)])\s")
_LINE_END = re.compile(r"[.!?:;…)\d\"'»”%]$")
# libxml2's forgiving HTML parser, which fetches nothing; text outside an element becomes a <p>.
_HTML_PARSER = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
MIN_TABLE_LINES = 3  # two lines ending in a full stop may be a paragraph wrapped by the sender


def invalid(
    element: etree._Element | None, message: str, error: type[DatelineError] = Invalid
) -> DatelineError:
    """An error naming the element's line (1 when unknown)."""
    line = (element.sourceline if element is not None else None) or 1
    return error(f"line {line}: {message}", errors=[{"line": line, "message": message}])


# --- element access ---------------------------------------------------------------------


def first(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first G2 element at ``path`` below ``element``; None when any step is missing.
    A step missing under its G2 name is taken in another case (``element_case``)."""
    for name in path:
        if element is None:
            return None
        found = element.find(f"{{{NS}}}{name}")
        element = found if found is not None else next(iter(_other_case(element, name)), None)
    return element


def every(element: etree._Element | None, *path: str) -> list[etree._Element]:
    """All G2 elements at ``path`` below ``element``, in document order (in another case only
    when none has the G2 name)."""
    parent = first(element, *path[:-1])
    if parent is None:
        return []
    found: list[etree._Element] = parent.findall(f"{{{NS}}}{path[-1]}")
    return found if found or path[-1] == "*" else _other_case(parent, path[-1])


# A G2 element's metadata children are few; past this many, no other-case lookup is made (each
# lookup scans every child, and a hostile header could hold thousands).
MAX_CASE_SCAN = 200


def _other_case(parent: etree._Element, name: str) -> list[etree._Element]:
    """G2 children of ``parent`` named ``name`` in another case (BusinessDesk's ``Header``)."""
    if len(parent) > MAX_CASE_SCAN:
        return []
    folded = name.casefold()
    found = [
        child
        for child in parent
        if isinstance(child.tag, str)
        and child.tag.startswith(f"{{{NS}}}")
        and local(child.tag).casefold() == folded
    ]
    for child in found:
        warn(
            "element_case",
            f"<{local(child.tag)}> is read as the NewsML-G2 element <{name}>",
            line=child.sourceline,
        )
    return found


def line_text(element: etree._Element | None) -> str | None:
    """All text inside ``element`` on one line, whitespace folded; None when blank."""
    if element is None:
        return None
    text = _SPACES.sub(" ", "".join(element.itertext())).strip()
    return pseudo_markup(text, line=element.sourceline) or None


def pseudo_markup(text: str, *, line: int | None = None) -> str:
    """``text`` with STT's escaped pseudo-markup resolved: ``<endash>-</endash>`` between
    numbers ("3<endash>-</endash>1") is the en dash the agency means ("3–1"). For any text read
    from STT copy (G2 here; NITF may import it)."""
    if "endash" not in text.lower():
        return text
    fixed = _PSEUDO_DASH.sub("–", text)
    if fixed != text:
        warn("pseudo_markup", "STT <endash> pseudo-markup is read as an en dash", line=line)
    return fixed


@contextmanager
def member_warnings(index: int) -> Iterator[None]:
    """Inside the block, repairs concern batch member ``index``: recorded with it, they land
    on that member's item only."""
    with collecting() as found:
        yield
    for entry in found:
        warn(
            entry["code"],
            entry["message"],
            field=entry.get("field"),
            line=entry.get("line"),
            index=index,
        )


def lang_of(element: etree._Element) -> str | None:
    """The element's ``xml:lang``, inherited from its ancestors as XML says."""
    found = element.xpath("ancestor-or-self::*[@xml:lang][1]/@xml:lang")
    return str(found[0]).strip().lower() or None if found else None


def name_in(element: etree._Element | None, lang: str | None) -> str | None:
    """The concept's ``<name>`` in ``lang`` (exact tag, then primary subtag), else the first."""
    pairs = [(lang_of(n), line_text(n)) for n in every(element, "name")]
    names = [(tag or "", text) for tag, text in pairs if text]
    want = (lang or "").lower()
    tiers = (want, want.split("-")[0], "") if want else ("",)
    for tier, test in zip(tiers, (str.__eq__, _primary, str.__eq__), strict=False):
        found = next((text for tag, text in names if test(tag, tier)), None)
        if found:
            return found
    return names[0][1] if names else None


def _primary(tag: str, primary: str) -> bool:
    return tag.split("-")[0] == primary


# --- QCodes and catalogs ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QCode:
    scheme: str | None  # the scheme URI, when the alias is declared or standard
    alias: str
    code: str


def _same_uri(uri: str) -> str:
    uri = uri.strip().lower().replace("https://", "http://", 1)
    return uri if uri.endswith(("/", "#")) else uri + "/"


class Catalog:
    """Alias → scheme URI: the IPTC standard aliases, then the document's own declarations."""

    def __init__(self, *holders: etree._Element | None) -> None:
        self.schemes = dict(IPTC_ALIASES)
        for holder in holders:
            for scheme in every(holder, "catalog", "scheme"):
                alias, uri = (scheme.get("alias") or "").strip(), (scheme.get("uri") or "").strip()
                if alias and uri:
                    self.schemes[alias] = _same_uri(uri)

    def qcode(self, element: etree._Element | None, attr: str = "qcode") -> QCode | None:
        """The QCode in ``attr``; a value that is not ``alias:code`` is ``Invalid``."""
        raw = (element.get(attr) or "").strip() if element is not None else ""
        if not raw:
            return None
        alias, colon, code = raw.partition(":")
        if not (colon and alias and code):
            raise invalid(element, f"{attr} {raw[:64]!r} is not a QCode (alias:code)")
        return QCode(self.schemes.get(alias), alias, code)

    def concept(self, element: etree._Element) -> QCode | None:
        """A concept by ``qcode``, else by ``uri`` split at a known scheme URI or its last '/'."""
        found = self.qcode(element)
        uri = (element.get("uri") or "").strip()
        if found is not None or not uri:
            return found
        prefix, _, code = uri.rstrip("/").rpartition("/")
        if not (prefix and code):
            return None
        scheme = _same_uri(prefix)
        alias = next((a for a, s in self.schemes.items() if s == scheme), prefix + "/")
        return QCode(scheme, alias, code)

    @staticmethod
    def scheme_name(qcode: QCode) -> str:
        return SCHEME_NAMES.get(qcode.scheme or "", qcode.alias)

    def role(self, element: etree._Element | None) -> str:
        """The code of the element's ``role`` QCode ("" when it has none)."""
        found = self.qcode(element, "role")
        return found.code if found else ""


# --- times and numbers -------------------------------------------------------------------


def instant(
    element: etree._Element | None, ctx: ParseContext, *, dates: bool = False
) -> datetime | None:
    """An aware UTC instant from an xs:dateTime (offset honoured, else read in ``ctx.tz``).

    ``dates`` also takes an xs:date (local midnight) and skips a bare year or year-month, which
    name no instant. Empty elements are None; anything else unreadable is ``TimestampError``.
    A date-time without an offset is warned ``time_zone_assumed``: G2 wants one.
    """
    text = "".join(element.itertext()).strip() if element is not None else ""
    if element is None or not text:
        return None
    value = text
    if dates and (day := _DATE.fullmatch(text)):
        value = f"{day['day']}T00:00:00{day['zone'] or ''}"
    elif dates and _TRUNCATED.fullmatch(text):
        return None
    found = _DATETIME.fullmatch(value)
    if found is None:
        message = f"{text[:64]!r} is not an ISO 8601 date-time"
        raise invalid(element, message, TimestampError)
    try:
        stamp = parse_timestamp(value, tz=ctx.tz)
    except TimestampError as exc:
        raise invalid(element, exc.detail, TimestampError) from None
    if found["zone"] is None and value == text:  # a date alone is local midnight by definition
        warn(
            "time_zone_assumed",
            f"{text[:64]!r} names no time zone: read in the partner's zone {ctx.profile.timezone}",
            line=element.sourceline,
        )
    return stamp


def number(
    element: etree._Element | None,
    raw: str | None,
    *,
    low: int = 0,
    high: int = MAX_SIZE,
    what: str = "a whole number",
) -> int | None:
    """A whole number from ``low`` to ``high``; None when absent or blank."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\+?\d{1,19}", raw) or not low <= int(raw) <= high:
        raise invalid(element, f"{raw[:32]!r} is not {what} from {low} to {high}")
    return int(raw)


# --- concepts: subjects, places, genre ----------------------------------------------------


def concepts(
    content: etree._Element | None, lang: str | None, catalog: Catalog
) -> tuple[list[Subject], list[Place]]:
    """Subjects by scheme; subjects whose type is a geoArea or poi are places instead."""
    subjects: list[Subject] = []
    places: list[Place] = []
    for element in every(content, "subject"):
        name, nature = name_in(element, lang), _subject_type(element, catalog)
        if nature is not None and nature.code in PLACE_NATURES:
            code = (element.get("qcode") or element.get("uri") or "").strip() or None
            if name or code:
                places.append(Place(name=name, code=code))
            continue
        concept = catalog.concept(element)
        if concept is not None:
            subjects.append(Subject(catalog.scheme_name(concept), concept.code, name))
        elif name or (element.get("literal") or "").strip():
            subjects.append(Subject("category", None, name or element.get("literal", "").strip()))
    return subjects, places


def _subject_type(element: etree._Element, catalog: Catalog) -> QCode | None:
    """The subject's ``type`` QCode. A plain word (BusinessDesk's ``type="category"``) says
    nothing we can use, so it is ignored (``subject_type_ignored``) rather than refused."""
    raw = (element.get("type") or "").strip()
    alias, colon, code = raw.partition(":")
    if raw and not (colon and alias and code):
        warn(
            "subject_type_ignored",
            f"subject type {raw[:64]!r} is not a QCode (alias:code) and is ignored",
            line=element.sourceline,
        )
        return None
    return catalog.qcode(element, "type")


def label(element: etree._Element | None, lang: str | None, catalog: Catalog) -> str | None:
    """A concept's name in ``lang``, else its literal, else its code."""
    if element is None:
        return None
    concept = catalog.concept(element)
    literal = (element.get("literal") or "").strip() or None
    return name_in(element, lang) or literal or (concept.code if concept else None)


# --- content: inline XHTML, inline NITF, inline data, remote renditions ------------------


def _detach(node: etree._Element) -> None:
    """Remove ``node`` but keep the text that follows it."""
    parent, tail = node.getparent(), node.tail or ""
    if parent is None:
        return
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(node)


def markup(
    container: etree._Element,
    *,
    renames: dict[str, str] | None = None,
    drop: Iterable[str] = (),
    skip_text: str | None = None,
    line: int | None = None,
) -> str | None:
    """The inner markup of ``container`` as plain HTML: namespaces gone, ``drop`` elements
    removed, an ``h1`` repeating ``skip_text`` (the headline) removed, STT's ``<endash>``
    pseudo-markup (escaped or not) an en dash, and a paragraph of lines one paragraph per line.
    Repairs name ``line``, else the line of the element repaired."""
    box = copy.deepcopy(container)
    dropped = set(drop)
    for node in list(box.iter()):
        if not isinstance(node.tag, str):
            continue
        name = node.tag.rpartition("}")[2]  # an HTML parse allows names QName refuses ("p<")
        if (renamed := (renames or {}).get(name, name)) != node.tag:
            node.tag = renamed
        for key in [k for k in node.attrib if k.startswith("{")]:
            del node.attrib[key]
        if node is not box and name == "endash":
            node.tail = "–" + (node.tail or "")
            warn("pseudo_markup", "STT <endash> pseudo-markup is read as an en dash",
                 line=line or node.sourceline)  # fmt: skip
            _detach(node)
        elif node is not box and (
            name in dropped or (name == "h1" and skip_text and line_text(node) == skip_text)
        ):
            _detach(node)
    etree.cleanup_namespaces(box)
    for node in box.iter():
        node.text = pseudo_markup(node.text, line=line or box.sourceline) if node.text else None
        node.tail = pseudo_markup(node.tail, line=line or box.sourceline) if node.tail else None
    for paragraph in [p for p in box.iter("p") if p is not box]:
        _split_lines(paragraph, line or paragraph.sourceline)
    parts = [html.escape(box.text or "", quote=False)]
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in box]
    return "".join(parts).strip() or None


def _split_lines(paragraph: etree._Element, line: int | None) -> None:
    """Replace a ``<p>`` of lines by one ``<p>`` per line: lines split by ``<br>``, or by
    newlines when the text is a results table or a bullet list (``_is_line_table``). A reader of
    the text would otherwise get one run-on line: HTML folds newlines and so does html_to_text
    with ``<br>``."""
    parent, children = paragraph.getparent(), list(paragraph)
    texts = [paragraph.text or "", *(child.tail or "" for child in children)]
    by_newline = any("\n" in t.strip() for t in texts) and _is_line_table(_lines_of(paragraph))
    if parent is None or not (by_newline or any(c.tag == "br" for c in children)):
        return
    if by_newline:
        warn("line_breaks_kept", "a paragraph of lines is kept as one paragraph per line",
             line=line)  # fmt: skip
    lines: list[list[str | etree._Element]] = [[]]

    def add(text: str) -> None:
        parts = text.split("\n") if by_newline else [text]
        lines[-1].append(parts[0])
        lines.extend([part] for part in parts[1:])

    add(paragraph.text or "")
    for child in children:
        tail, child.tail = child.tail or "", None
        if child.tag == "br":
            lines.append([])
        else:
            lines[-1].append(child)
        add(tail)
    kept = [p for p in map(_paragraph, lines) if p is not None]
    if kept:
        kept[-1].tail = paragraph.tail
    paragraph.tail = None
    for new in reversed(kept):  # addnext, not index + slice: linear in the paragraph count
        paragraph.addnext(new)
    parent.remove(paragraph)


def _lines_of(paragraph: etree._Element) -> str:
    """The paragraph's text with a newline for each ``<br>``."""
    parts = [paragraph.text or ""]
    for child in paragraph:
        parts += ["\n" if child.tag == "br" else "".join(child.itertext()), child.tail or ""]
    return "".join(parts)


def _is_line_table(text: str) -> bool:
    """Lines meant as lines: two or more bullets, or at least ``MIN_TABLE_LINES`` lines each
    ending as a line ends (a full stop, a score, a colon) before one starting as a line starts
    (a capital, a digit, a bullet). A paragraph the sender merely wrapped breaks mid-sentence."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if sum(1 for line in lines if _BULLET.match(line)) >= 2:
        return True
    return len(lines) >= MIN_TABLE_LINES and all(
        _LINE_END.search(before)
        and (after[0].isupper() or after[0].isdigit() or _BULLET.match(after))
        for before, after in pairwise(lines)
    )


def _paragraph(parts: list[str | etree._Element]) -> etree._Element | None:
    """A ``<p>`` of one line's text and inline elements; None for a blank line."""
    new = etree.Element("p")
    for part in parts:
        if isinstance(part, str) and len(new):
            new[-1].tail = (new[-1].tail or "") + part
        elif isinstance(part, str):
            new.text = (new.text or "") + part
        else:
            new.append(part)
    new.text = (new.text or "").lstrip() or None
    if len(new):
        new[-1].tail = (new[-1].tail or "").rstrip() or None
    else:
        new.text = (new.text or "").rstrip() or None
    return new if len(new) or new.text else None


def html_markup(text: str, *, line: int | None) -> str | None:
    """HTML sent as text (inlineData, Ritzau's ``content``) read as ``markup`` reads inline
    XHTML, so its paragraphs of lines become a paragraph per line too; repairs name ``line``."""
    try:
        root = etree.fromstring(text, _HTML_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    body = None if root is None else root.find("body")
    if body is None:  # nothing libxml2 can read as a page body: left to the sanitiser
        return text.strip() or None
    return markup(body, line=line)


def inline_xml(element: etree._Element, headline: str | None) -> str | None:
    """HTML from inline NITF (``body.content``), an XHTML ``body``, or a bare fragment."""
    nitf = next(element.iter("{*}body.content"), None)
    if nitf is not None:
        return markup(nitf, renames=NITF_RENAMES, drop=NITF_DROPS)
    body = next(element.iter("{*}body"), None)
    return markup(element if body is None else body, skip_text=headline)


def nitf_headline(element: etree._Element) -> str | None:
    """The ``hedline/hl1`` of inline NITF, else its ``head/title`` (BusinessDesk's only one)."""
    headline = line_text(next(element.iter("{*}hl1"), None))
    head = next(element.iter("{*}head"), None)
    return headline or line_text(None if head is None else head.find("{*}title"))


def looks_like_html(text: str | None) -> bool:
    """Whether ``text`` is HTML markup: an HTML element's tag, and a closing tag or ``<br>``."""
    return bool(text and _HTML_TAG.search(text) and _HTML_END.search(text))


def inline_data(element: etree._Element) -> str | None:
    """The text of ``inlineData``; base64 content is decoded (UTF-8 unless a charset is given)."""
    text = element.text or ""
    encoding = (element.get("encoding") or "").strip().lower()
    if encoding:
        text = _base64(element, text, encoding)
    return pseudo_markup(text, line=element.sourceline).strip() or None


def _base64(element: etree._Element, text: str, encoding: str) -> str:
    charset = re.search(r"charset=[\"']?([\w.-]+)", element.get("contenttype") or "")
    try:
        if encoding.rpartition(":")[2] != "base64":
            raise ValueError(f"unknown encoding {encoding!r}")
        raw = base64.b64decode("".join(text.split()), validate=True)
        codec = text_codec(charset[1]) if charset else "utf-8"
        if codec is None:  # only text codecs: never punycode (quadratic), rot13 and the like
            raise LookupError("its charset is not a text encoding we read")
        return raw.decode(codec)
    except (ValueError, LookupError, binascii.Error) as exc:
        raise invalid(element, f"inlineData cannot be decoded: {exc}") from None


def rendition(element: etree._Element, catalog: Catalog) -> Rendition:
    """A ``remoteContent`` reference (never fetched)."""
    name = catalog.qcode(element, "rendition")
    return Rendition(
        name=name.code if name else None,
        href=(element.get("href") or element.get("residref") or "").strip() or None,
        mimetype=(element.get("contenttype") or "").split(";")[0].strip() or None,
        width=number(element, element.get("width")),
        height=number(element, element.get("height")),
        size=number(element, element.get("size")),
    )
