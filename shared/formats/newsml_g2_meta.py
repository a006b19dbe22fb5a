"""NewsML-G2 building blocks: element access, QCodes and catalogs, times, concepts, content.

Guarantees: QCodes resolve through the item's own ``<catalog>`` declarations over the IPTC
standard aliases (``subj``, ``medtop``, ``stat``, ``ninat``, ``cpnat``, ``drol``…), so a partner
alias bound to an IPTC scheme URI is read as that scheme; nothing named by ``catalogRef`` is
fetched. Every failure is ``Invalid`` or ``TimestampError`` naming the element's line.
Inline content is copied as markup with namespaces removed; remote content is only referenced.
"""

from __future__ import annotations

import base64
import binascii
import copy
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from shared.errors import DatelineError, Invalid, TimestampError
from shared.formats.xmlsafe import local
from shared.model import ParseContext, Place, Rendition, Subject
from shared.timestamps import parse_timestamp

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
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?P<zone>[Zz]|[+-]\d{2}:\d{2})?"
)
_DATE = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})(?P<zone>[Zz]|[+-]\d{2}:\d{2})?")
_TRUNCATED = re.compile(r"\d{4}(?:-\d{2})?(?:[Zz]|[+-]\d{2}:\d{2})?")  # xs:gYear, xs:gYearMonth
NITF_RENAMES = {"hl2": "h2"}
NITF_DROPS = frozenset({"media"})


def invalid(
    element: etree._Element | None, message: str, error: type[DatelineError] = Invalid
) -> DatelineError:
    """An error naming the element's line (1 when unknown)."""
    line = (element.sourceline if element is not None else None) or 1
    return error(f"line {line}: {message}", errors=[{"line": line, "message": message}])


# --- element access ---------------------------------------------------------------------


def first(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first G2 element at ``path`` below ``element``; None when any step is missing."""
    for name in path:
        if element is None:
            return None
        element = element.find(f"{{{NS}}}{name}")
    return element


def every(element: etree._Element | None, *path: str) -> list[etree._Element]:
    """All G2 elements at ``path`` below ``element``, in document order."""
    parent = first(element, *path[:-1])
    return [] if parent is None else parent.findall(f"{{{NS}}}{path[-1]}")


def line_text(element: etree._Element | None) -> str | None:
    """All text inside ``element`` on one line, whitespace folded; None when blank."""
    if element is None:
        return None
    return _SPACES.sub(" ", "".join(element.itertext())).strip() or None


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
    """
    text = "".join(element.itertext()).strip() if element is not None else ""
    if not text:
        return None
    value = text
    if dates and (day := _DATE.fullmatch(text)):
        value = f"{day['day']}T00:00:00{day['zone'] or ''}"
    elif dates and _TRUNCATED.fullmatch(text):
        return None
    if not _DATETIME.fullmatch(value):
        message = f"{text[:64]!r} is not an ISO 8601 date-time"
        raise invalid(element, message, TimestampError)
    try:
        return parse_timestamp(value, tz=ctx.tz)
    except TimestampError as exc:
        raise invalid(element, exc.detail, TimestampError) from None


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
        name, nature = name_in(element, lang), catalog.qcode(element, "type")
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
) -> str | None:
    """The inner markup of ``container`` as plain HTML: namespaces gone, ``drop`` elements
    removed, an ``h1`` repeating ``skip_text`` (the headline) removed."""
    box = copy.deepcopy(container)
    dropped = set(drop)
    for node in list(box.iter()):
        if not isinstance(node.tag, str):
            continue
        name = local(node.tag)
        node.tag = (renames or {}).get(name, name)
        for key in [k for k in node.attrib if k.startswith("{")]:
            del node.attrib[key]
        if node is not box and (
            name in dropped or (name == "h1" and skip_text and line_text(node) == skip_text)
        ):
            _detach(node)
    etree.cleanup_namespaces(box)
    parts = [html.escape(box.text or "", quote=False)]
    parts += [etree.tostring(child, encoding="unicode", method="html") for child in box]
    return "".join(parts).strip() or None


def inline_xml(element: etree._Element, headline: str | None) -> str | None:
    """HTML from inline NITF (``body.content``), an XHTML ``body``, or a bare fragment."""
    nitf = next(element.iter("{*}body.content"), None)
    if nitf is not None:
        return markup(nitf, renames=NITF_RENAMES, drop=NITF_DROPS)
    body = next(element.iter("{*}body"), None)
    return markup(element if body is None else body, skip_text=headline)


def nitf_headline(element: etree._Element) -> str | None:
    """The ``hedline/hl1`` of inline NITF, if any."""
    return line_text(next(element.iter("{*}hl1"), None))


def inline_data(element: etree._Element) -> str | None:
    """The text of ``inlineData``; base64 content is decoded (UTF-8 unless a charset is given)."""
    text = element.text or ""
    encoding = (element.get("encoding") or "").strip().lower()
    if not encoding:
        return text.strip() or None
    charset = re.search(r"charset=[\"']?([\w.-]+)", element.get("contenttype") or "")
    try:
        if encoding.rpartition(":")[2] != "base64":
            raise ValueError(f"unknown encoding {encoding!r}")
        raw = base64.b64decode("".join(text.split()), validate=True)
        return raw.decode(charset[1] if charset else "utf-8").strip() or None
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
