"""shared.reading.formats.common.xmlsafe: partner XML is read safely and decoded exactly, or
refused precisely.

Checked through ``parse_xml`` and through the registry (``parse_body``), so the guarantees hold
for what a client actually sends: no entity expanded, no DTD or XInclude loaded, nothing read
from the file system, the encoding read as the bytes prove it (a label they contradict is
overruled and warned ``charset_mislabelled``), and every refusal an ``InputError`` naming the
line (or byte offset) rather than an exception escaping.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from lxml import etree

from shared.core.errors import InputError, Invalid, Malformed, UnsupportedMediaType
from shared.core.model import ParseContext, ParsedItem
from shared.reading.formats import parse_body
from shared.reading.formats.common.xmlsafe import MAX_DEPTH, MAX_ELEMENTS, parse_xml
from shared.reading.repairs import collecting

CTX = ParseContext()
PASSWD = Path("/etc/passwd")
SECRET_LINES = [line for line in PASSWD.read_text().splitlines() if line] if PASSWD.exists() else []
HEADLINE = "Лукашенко встретился с губернатором Гродненской области"
PARAGRAPH = (
    "МИНСК, 7 января (БЕЛТА) - Съешь же ещё этих мягких французских булок, да выпей чаю. Ёж."
)
ENTITY_REFUSAL = {"line": 2, "message": "DTD internal subset declares entities"}


def nitf(prolog: str = "", doctype: str = "") -> str:
    """A small, complete NITF story with a Cyrillic headline and paragraph."""
    return (
        f"{prolog}{doctype}<nitf>\n"
        '<head><docdata><doc-id id-string="belta-2022-0107-1321"/></docdata></head>\n'
        f"<body><body.head><hedline><hl1>{HEADLINE}</hl1></hedline></body.head>\n"
        f"<body.content><p>{PARAGRAPH}</p></body.content></body>\n</nitf>\n"
    )


def declared(encoding: str) -> str:
    return f'<?xml version="1.0" encoding="{encoding}"?>\n'


EXPECTED = ParsedItem(
    format="nitf",
    uri="belta-2022-0107-1321",
    headline=HEADLINE,
    body_html=f"<p>{PARAGRAPH}</p>",
)


def post(raw: bytes, content_type: str = "application/xml") -> list[ParsedItem]:
    return parse_body(raw, content_type, CTX)


def refused(raw: bytes, kind: type[InputError]) -> InputError:
    """The refusal of ``raw`` sent as application/xml; asserts no secret leaks into it."""
    with pytest.raises(kind) as caught:
        post(raw)
    assert_no_secret(repr(caught.value.as_dict()))
    return caught.value


def assert_no_secret(text: str) -> None:
    assert not [line for line in SECRET_LINES if line in text]


# --- DOCTYPE, entities, XInclude --------------------------------------------------------------


def test_a_plain_nitf_doctype_is_accepted() -> None:
    raw = nitf(declared("UTF-8"), '<!DOCTYPE nitf SYSTEM "nitf-3-5.dtd">\n').encode()
    assert post(raw) == [EXPECTED]


def test_a_public_doctype_pointing_at_the_network_is_accepted_and_not_fetched() -> None:
    doctype = (
        '<!DOCTYPE nitf PUBLIC "-//IPTC//DTD NITF 3.5//EN"'
        ' "http://www.nitf.org/site/nitf-documentation/nitf-3-5.dtd">\n'
    )
    assert post(nitf(declared("UTF-8"), doctype).encode()) == [EXPECTED]


def test_an_external_dtd_on_disk_is_never_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ATTLIST nitf planted CDATA "from-the-dtd">')
    root = parse_xml(f'<!DOCTYPE nitf SYSTEM "{dtd.as_uri()}">\n<nitf/>'.encode())
    assert dict(root.attrib) == {}


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE nitf [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + "]>\n<nitf><head><title>&lol9;</title></head></nitf>"
)
PARAMETER_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE nitf [\n'
    ' <!ENTITY % remote SYSTEM "file:///etc/passwd">\n %remote;\n]>\n<nitf/>'
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE nitf [\n'
    ' <!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
    "<nitf><body><body.head><hedline><hl1>&x;</hl1></hedline></body.head></body></nitf>"
)
INTERNAL_ENTITY_IN_ATTRIBUTE = (
    '<?xml version="1.0"?>\n<!DOCTYPE nitf [\n <!ENTITY who "planted">\n]>\n'
    '<nitf><head><docdata><doc-id id-string="&who;"/></docdata></head></nitf>'
)


@pytest.mark.parametrize(
    "xml",
    [BILLION_LAUGHS, PARAMETER_ENTITY, EXTERNAL_ENTITY, INTERNAL_ENTITY_IN_ATTRIBUTE],
    ids=["billion-laughs", "parameter-entity", "external-entity", "entity-in-attribute"],
)
def test_an_internal_subset_declaring_entities_is_a_422_naming_its_line(xml: str) -> None:
    error = refused(xml.encode(), Invalid)
    assert (error.status, error.errors) == (422, [ENTITY_REFUSAL])


def test_an_internal_subset_without_entities_is_accepted_and_its_defaults_ignored() -> None:
    doctype = '<!DOCTYPE nitf [\n <!ATTLIST nitf planted CDATA "from-the-subset">\n]>\n'
    root = parse_xml(nitf(doctype=doctype).encode())
    assert dict(root.attrib) == {}


def test_an_internal_subset_after_a_system_literal_holding_a_gt_is_still_refused() -> None:
    xml = INTERNAL_ENTITY_IN_ATTRIBUTE.replace("<!DOCTYPE nitf [", '<!DOCTYPE nitf SYSTEM "a>b" [')
    assert refused(xml.encode(), Invalid).errors == [ENTITY_REFUSAL]


def test_an_internal_subset_after_a_long_comment_is_still_refused() -> None:
    xml = INTERNAL_ENTITY_IN_ATTRIBUTE.replace("\n<!DOCTYPE", f"<!--{'x' * 10_050}-->\n<!DOCTYPE")
    assert refused(xml.encode(), Invalid).errors == [ENTITY_REFUSAL]


def test_an_undeclared_entity_under_an_external_doctype_is_a_422_naming_its_line() -> None:
    xml = '<!DOCTYPE nitf SYSTEM "nitf-3-5.dtd">\n<nitf>\n<head>\n<title>a&nbsp;b</title>'
    error = refused(f"{xml}</head></nitf>".encode(), Invalid)
    assert [e["line"] for e in error.errors] == [4]


@pytest.mark.parametrize(
    "xml",
    [
        EXTERNAL_ENTITY,
        PARAMETER_ENTITY,
        EXTERNAL_ENTITY.replace("<!DOCTYPE nitf [", '<!DOCTYPE nitf SYSTEM "a>b" ['),
        PARAMETER_ENTITY.replace("<!DOCTYPE nitf [", '<!DOCTYPE nitf SYSTEM "a>b" ['),
        EXTERNAL_ENTITY.replace("\n<!DOCTYPE", f"<!--{'x' * 10_050}-->\n<!DOCTYPE"),
        EXTERNAL_ENTITY.replace("&x;", "<![CDATA[&x;]]>"),
    ],
)
def test_the_password_file_never_appears_in_a_result_or_an_error(xml: str) -> None:
    try:
        root = parse_xml(xml.encode())
    except InputError as error:
        assert_no_secret(repr(error.as_dict()))
    else:
        assert_no_secret(etree.tostring(root, encoding="unicode"))


def test_xinclude_elements_are_kept_as_elements_and_never_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET PAYROLL")
    xml = (
        '<nitf xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{secret.as_uri()}" parse="text"/>'
        f'<xi:include href="{PASSWD.as_uri()}" parse="text"/></nitf>'
    )
    root = parse_xml(xml.encode())
    text = etree.tostring(root, encoding="unicode")
    assert [child.tag for child in root] == ["{http://www.w3.org/2001/XInclude}include"] * 2
    assert "TOP SECRET" not in text
    assert_no_secret(text)


# --- encodings ------------------------------------------------------------------------------


def bom_utf16(order: str, decl: str) -> bytes:
    bom = codecs.BOM_UTF16_LE if order == "le" else codecs.BOM_UTF16_BE
    return bom + nitf(decl).encode(f"utf-16-{order}")


@pytest.mark.parametrize(
    "raw",
    [
        nitf().encode("utf-8"),
        nitf(declared("UTF-8")).encode("utf-8"),
        codecs.BOM_UTF8 + nitf(declared("utf-8")).encode("utf-8"),
        codecs.BOM_UTF8 + nitf().encode("utf-8"),
        bom_utf16("le", declared("UTF-16")),
        bom_utf16("be", declared("UTF-16")),
        bom_utf16("le", ""),
        bom_utf16("be", ""),
        nitf(declared("UTF-16LE")).encode("utf-16-le"),
        nitf(declared("UTF-16BE")).encode("utf-16-be"),
        nitf(declared("UTF-16")).encode("utf-16-le"),
        nitf(declared("windows-1251")).encode("cp1251"),
        nitf(declared("Windows-1251")).encode("cp1251"),
        nitf(declared("ISO-8859-5")).encode("iso8859-5"),
        nitf(declared("KOI8-R")).encode("koi8-r"),
        codecs.BOM_UTF32_LE + nitf(declared("UTF-32")).encode("utf-32-le"),
    ],
    ids=[
        "utf8-bare", "utf8-declared", "utf8-bom-declared", "utf8-bom-bare",
        "utf16le-bom", "utf16be-bom", "utf16le-bom-bare", "utf16be-bom-bare",
        "utf16le-no-bom", "utf16be-no-bom", "utf16-no-bom", "windows-1251",
        "Windows-1251-capitalised", "iso-8859-5", "koi8-r", "utf32le-bom",
    ],
)  # fmt: skip
def test_the_declared_or_marked_encoding_is_decoded_exactly(raw: bytes) -> None:
    assert post(raw) == [EXPECTED]


def mislabelled(label: str, name: str, reading: str) -> dict[str, object]:
    """The warning for a label the bytes overruled (line 1 when the label is the prolog)."""
    where = {"line": 1} if label == "the XML" else {}
    message = f"{label} declares {name!r} but the bytes are {reading}: read as {reading}"
    return {"code": "charset_mislabelled", **where, "message": message}


def read_warned(
    raw: bytes, content_type: str = "application/xml"
) -> tuple[list[ParsedItem], list[dict[str, object]]]:
    with collecting() as warnings:
        items = post(raw, content_type)
    return items, warnings


@pytest.mark.parametrize(
    ("raw", "warning"),
    [
        (nitf(declared("UTF-16")).encode("utf-8"), mislabelled("the XML", "UTF-16", "UTF-8")),
        (nitf(declared("UTF-32")).encode("utf-8"), mislabelled("the XML", "UTF-32", "UTF-8")),
        (
            bom_utf16("le", declared("windows-1251")),
            mislabelled("the XML", "windows-1251", "UTF-16-LE"),
        ),
        (bom_utf16("be", declared("UTF-8")), mislabelled("the XML", "UTF-8", "UTF-16-BE")),
        (
            codecs.BOM_UTF8 + nitf(declared("windows-1251")).encode(),
            mislabelled("the XML", "windows-1251", "UTF-8"),
        ),
        (
            nitf(declared("UTF-8")).encode("utf-16-le"),
            mislabelled("the XML", "UTF-8", "UTF-16-LE"),
        ),
    ],
    ids=[
        "utf-16-declared-over-utf-8", "utf-32-declared-over-utf-8", "bom-utf-16-le-says-1251",
        "bom-utf-16-be-says-utf-8", "bom-utf-8-says-1251", "bomless-utf-16-says-utf-8",
    ],
)  # fmt: skip
def test_a_declaration_the_bytes_prove_wrong_is_overruled_and_warned(
    raw: bytes, warning: dict[str, object]
) -> None:
    assert read_warned(raw) == ([EXPECTED], [warning])


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (nitf(declared("UTF-16")).encode("cp1251"), "no UTF-16 byte order"),
        (nitf(declared("x-klingon")).encode("utf-8"), "encoding we do not read"),
    ],
    ids=["utf-16-declared-over-1251-bytes", "unknown-encoding"],
)
def test_a_declaration_nothing_readable_fits_is_a_400_naming_line_1(raw: bytes, says: str) -> None:
    error = refused(raw, Malformed)
    assert (error.status, [e["line"] for e in error.errors]) == (400, [1])
    assert says in error.detail


def test_utf8_declared_over_windows_1251_bytes_is_a_400_naming_the_line_and_byte_offset() -> None:
    raw = nitf(declared("UTF-8")).encode("cp1251")
    offset = next(i for i, byte in enumerate(raw) if byte > 0x7F)
    error = refused(raw, Malformed)
    assert error.errors == [{"line": 4, "message": f"invalid UTF-8 at byte offset {offset}"}]
    assert f"byte {offset}" in error.detail


@pytest.mark.parametrize("codec", ["rot13", "hex", "base64", "zlib"])
def test_a_prolog_naming_a_non_text_codec_is_refused(codec: str) -> None:
    error = refused(nitf(declared(codec)).encode(), InputError)
    assert error.status in (400, 415)


# --- syntax, depth, what the registry refuses -----------------------------------------------


@pytest.mark.parametrize(
    ("xml", "line"),
    [
        ("<nitf>\n<head>\n<title>Oops</head>\n</nitf>", 3),
        ("<nitf>\n<head>\n<title>Cut off", 3),
        ("<nitf>\n<body>\n\n<p>Tom & Jerry</p></body></nitf>", 4),
        ('<nitf>\n<p a="1" a="2"/></nitf>', 2),
        ("<nitf/>\n<nitf/>", 2),
    ],
    ids=["mismatched-tag", "truncated", "bare-ampersand", "duplicate-attribute", "two-roots"],
)
def test_malformed_xml_is_a_400_naming_the_line(xml: str, line: int) -> None:
    error = refused(xml.encode(), Malformed)
    assert [e["line"] for e in error.errors] == [line]


def test_nesting_within_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 10
    root = parse_xml(b"<nitf>" + b"<p>" * depth + b"</p>" * depth + b"</nitf>")
    assert sum(1 for _ in root.iter()) == depth + 1


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, MAX_DEPTH + 2, 5_000, 100_000])
def test_nesting_deeper_than_the_limit_is_refused_cleanly(depth: int) -> None:
    raw = b"<nitf>\n" + b"<p>" * depth + b"</p>" * depth + b"</nitf>"
    error = refused(raw, InputError)
    assert error.status in (400, 422)
    assert [e["line"] for e in error.errors] == [2]


def test_a_document_of_max_elements_is_read() -> None:
    root = parse_xml(b"<nitf>\n" + b"<p/>\n" * (MAX_ELEMENTS - 1) + b"</nitf>")
    assert sum(1 for _ in root.iter()) == MAX_ELEMENTS


def test_more_elements_than_the_limit_is_a_422_naming_the_line_of_the_first_over() -> None:
    raw = b"<nitf>" + b"<p/>" * (MAX_ELEMENTS - 1) + b"\n<p/>\n<p/></nitf>"
    error = refused(raw, Invalid)
    assert error.detail == "the XML has more than 200,000 elements; no news document needs as many"
    assert error.errors == [{"line": 2, "message": "more than 200000 elements"}]


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", "application/nitf+xml"])
def test_a_json_body_sent_as_xml_is_a_415(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        post(b' \n{"uri": "urn:x", "headline": "<nitf/>"}', content_type)


@pytest.mark.parametrize(
    "xml",
    [
        "<catalog><book/></catalog>",
        '<svg xmlns="http://www.w3.org/2000/svg"/>',
        "<html><body><p>Page</p></body></html>",
        '<newsItem xmlns="urn:not-iptc"/>',
    ],
)
def test_an_unknown_xml_root_is_a_415_naming_it(xml: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        post(xml.encode())
    assert f"<{etree.QName(etree.fromstring(xml)).localname}>" in caught.value.detail


def test_an_endless_run_of_unclosed_doctypes_is_refused_without_backtracking() -> None:
    # Quadratic scanning made 260 KB of this take 18 s; the scan is linear now.
    with pytest.raises(InputError):
        parse_xml(("<!DOCTYPE a [" * 200_000).encode())


def _nitf_body(headline: str, prolog: str = "") -> str:
    return (
        f"{prolog}<nitf><head><title>{headline}</title></head><body><body.head><hedline>"
        f"<hl1>{headline}</hl1></hedline></body.head><body.content><p>Текст новости о погоде."
        "</p></body.content></body></nitf>"
    )


def test_the_content_type_charset_decides_when_there_is_no_prolog() -> None:
    raw = _nitf_body("Снег в Минске").encode("cp1251")
    [item] = parse_body(raw, "text/xml; charset=windows-1251", ParseContext())
    assert item.headline == "Снег в Минске"


def test_a_content_type_charset_and_a_prolog_both_fitting_but_reading_differently_is_a_400() -> (
    None
):
    raw = _nitf_body("Снег", '<?xml version="1.0" encoding="koi8-r"?>').encode("koi8-r")
    with pytest.raises(Malformed, match="Content-Type says"):
        parse_body(raw, "application/xml; charset=windows-1251", ParseContext())


@pytest.mark.parametrize("declared", ["ISO-8859-1", "windows-1251", "KOI8-R", "windows-1252"])
def test_utf8_bytes_under_a_single_byte_prolog_are_read_as_utf8_and_warned(declared: str) -> None:
    raw = _nitf_body("Müller и Привет", f'<?xml version="1.0" encoding="{declared}"?>')
    with collecting() as warnings:
        root = parse_xml(raw.encode("utf-8"))
    assert root.findtext("head/title") == "Müller и Привет"
    assert warnings == [mislabelled("the XML", declared, "UTF-8")]


def test_pure_ascii_under_a_single_byte_prolog_fits_both_and_is_not_warned() -> None:
    raw = _nitf_body("Snow in Minsk", '<?xml version="1.0" encoding="ISO-8859-1"?>')
    with collecting() as warnings:
        root = parse_xml(raw.replace("Текст новости о погоде", "Weather").encode("ascii"))
    assert (root.findtext("head/title"), warnings) == ("Snow in Minsk", [])


@pytest.mark.parametrize(
    ("content_type", "prolog", "encoding", "warning"),
    [
        (
            "application/xml; charset=iso-8859-1", "utf-8", "utf-8",
            mislabelled("the Content-Type", "iso-8859-1", "UTF-8"),
        ),
        (
            "text/xml; charset=utf-8", "ISO-8859-1", "utf-8",
            mislabelled("the XML", "ISO-8859-1", "UTF-8"),
        ),
        (
            "application/xml; charset=utf-8", "windows-1251", "cp1251",
            mislabelled("the Content-Type", "utf-8", "CP1251"),
        ),
        ("text/xml; charset=windows-1251", "windows-1251", "cp1251", None),
    ],
    ids=["header-latin-1-over-utf-8", "prolog-latin-1-over-utf-8", "header-utf-8-over-1251",
         "agreeing"],
)  # fmt: skip
def test_a_content_type_charset_and_a_prolog_disagreeing_give_way_to_what_the_bytes_fit(
    content_type: str, prolog: str, encoding: str, warning: dict[str, object] | None
) -> None:
    raw = _nitf_body("Снег в Минске", f'<?xml version="1.0" encoding="{prolog}"?>')
    [item], warnings = read_warned(raw.encode(encoding), content_type)
    assert (item.headline, warnings) == ("Снег в Минске", [warning] if warning else [])


def test_undefined_windows_1252_bytes_are_read_as_latin_1_not_refused() -> None:
    raw = (
        b'<?xml version="1.0" encoding="windows-1252"?><nitf><body><body.head><hedline>'
        b"<hl1>Caf\xe9 \x93Zum L\xf6wen\x94 \x81</hl1></hedline></body.head></body></nitf>"
    )
    [item], warnings = read_warned(raw)
    assert (item.headline, warnings) == ("Café “Zum Löwen” \x81", [])
