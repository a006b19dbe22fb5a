"""Format detection through the registry (``parse_body``): properties over every content type.

Guarantees: whatever the bytes and whatever accepted content type they come with, ``parse_body``
returns ParsedItems or raises an ``InputError`` subclass, nothing else; every good sample is
detected as its own format; prose is never mistaken for a wire format; an unsupported content
type is a 415.
"""

from __future__ import annotations

import encodings.aliases
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from shared.core.errors import InputError, Malformed, UnsupportedMediaType
from shared.core.model import ParseContext, ParsedItem, Profile
from shared.reading.formats import CONTENT_TYPES, anpa, iptc7901, parse_body
from shared.reading.formats.common.xmlsafe import local, parse_xml
from shared.reading.prepare import prepare
from shared.reading.repairs import collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CTX = ParseContext(
    profile=Profile(timezone="Europe/Berlin"),
    received_at=datetime(2022, 3, 14, 12, 0, tzinfo=UTC),
)
ACCEPTED = (
    *CONTENT_TYPES,
    "application/rss+xml",
    "application/atom+xml",
    "application/vnd.iptc.g2.newsitem+xml",
)
# Folder -> the content types a partner would send its samples with.
FOLDERS: dict[str, tuple[str, ...]] = {
    "ninjs": ("application/json", "application/ninjs+json"),
    "nitf": ("application/xml", "text/xml"),
    "newsml-g2": ("application/xml", "application/vnd.iptc.g2.newsitem+xml"),
    "newsml1": ("application/xml", "text/xml"),
    "feed": ("application/xml",),
    "html": ("text/html",),
    "email": ("message/rfc822",),
    "anpa": ("text/plain",),
    "iptc7901": ("text/plain",),
    "text": ("text/plain", "text/plain; charset=utf-8"),
}
NAMES = {
    "ninjs": "ninjs",
    "nitf": "nitf",
    "newsml-g2": "newsml-g2",
    "newsml1": "newsml-1",
    "html": "html",
    "email": "email",
    "anpa": "anpa-1312",
    "iptc7901": "iptc-7901",
    "text": "text",
}
# Eight-bit wire samples, sent as the partner's line would: declared ISO-8859-1.
LATIN_1 = {"odd-control-codes.anpa", "odd-control-codes.7901"}


def good_samples() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (SAMPLES / folder).iterdir() if p.is_file())


GOOD = good_samples()


def content_type(path: Path, essence: str) -> str:
    return f"{essence}; charset=iso-8859-1" if path.name in LATIN_1 else essence


def expected_format(path: Path) -> str:
    """The folder's NAME; a feed is ``atom`` or ``rss`` by its root element."""
    if path.parent.name != "feed":
        return NAMES[path.parent.name]
    return "atom" if local(parse_xml(path.read_bytes()).tag) in ("feed", "entry") else "rss"


def feed_types(path: Path) -> tuple[str, ...]:
    return ("application/xml", "text/xml", f"application/{expected_format(path)}+xml")


def sample_cases() -> list[tuple[Path, str]]:
    return [
        (path, content_type(path, essence))
        for path in GOOD
        for essence in (
            feed_types(path) if path.parent.name == "feed" else FOLDERS[path.parent.name]
        )
    ]


def survives(raw: bytes, content_type: str) -> list[ParsedItem] | InputError:
    """The parse result or the refusal; any other exception fails the test."""
    try:
        items = parse_body(raw, content_type, CTX)
    except InputError as error:
        event(f"refused {error.status}")
        return error
    event("parsed")
    assert isinstance(items, list)
    assert all(isinstance(item, ParsedItem) for item in items)
    return items


# --- every good sample is detected as its format ---------------------------------------------


def test_every_folder_has_good_samples() -> None:
    assert {p.parent.name for p in GOOD} == set(FOLDERS)


@pytest.mark.parametrize(
    ("path", "content_type"),
    sample_cases(),
    ids=[f"{p.parent.name}/{p.name}:{t}" for p, t in sample_cases()],
)
def test_every_good_sample_is_detected_as_its_format(path: Path, content_type: str) -> None:
    items = parse_body(path.read_bytes(), content_type, CTX)
    assert items
    assert {item.format for item in items} == {expected_format(path)}


# --- nothing but ParsedItems or an InputError ---------------------------------------------------

types = st.sampled_from(ACCEPTED)
charsets = st.sampled_from(
    ["", "; charset=utf-8", "; charset=windows-1251", "; charset=UTF-16", "; charset=koi8-r",
     "; charset=rot13", "; charset=utf-7", "; charset=nonsense", '; charset="iso-8859-1"']
)  # fmt: skip
headed = st.tuples(
    st.sampled_from([b"", b"<", b"{", b"[", b"\xef\xbb\xbf<", b"<?xml version='1.0'?>", b"\x01"]),
    st.binary(max_size=400),
).map(b"".join)
SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=600), headed), essence=types, charset=charsets)
def test_arbitrary_bytes_give_items_or_an_input_error(
    raw: bytes, essence: str, charset: str
) -> None:
    survives(raw, essence + charset)


# The first content type listed for each sample.
OWN_TYPE = {path: case for path, case in reversed(sample_cases())}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, str]:
    """A good sample truncated, byte-flipped, with noise inserted, spliced into or concatenated
    with another; with the content type the sample's own partner would send."""
    path = draw(st.sampled_from(GOOD))
    raw = path.read_bytes()
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "splice", "concatenate"]))
    at = draw(st.integers(0, len(raw)))
    if kind == "truncate":
        return raw[:at], OWN_TYPE[path]
    if kind == "flip":
        flips = st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255))
        out = bytearray(raw)
        for index, mask in draw(st.lists(flips, min_size=1, max_size=8)):
            out[index] ^= mask
        return bytes(out), OWN_TYPE[path]
    if kind == "insert":
        return raw[:at] + draw(st.binary(min_size=1, max_size=40)) + raw[at:], OWN_TYPE[path]
    other = draw(st.sampled_from(GOOD)).read_bytes()
    if kind == "splice":
        return raw[:at] + other[draw(st.integers(0, len(other))) :], OWN_TYPE[path]
    return raw + other, OWN_TYPE[path]


@SETTINGS
@given(case=mutated())
def test_mutated_samples_under_their_own_type_give_items_or_an_input_error(
    case: tuple[bytes, str],
) -> None:
    survives(*case)


@SETTINGS
@given(case=mutated(), essence=types)
def test_mutated_samples_under_any_accepted_type_give_items_or_an_input_error(
    case: tuple[bytes, str], essence: str
) -> None:
    survives(case[0], essence)


CODECS = sorted({*encodings.aliases.aliases.values(), "rot13", "idna", "punycode", "utf-7"})


@SETTINGS
@given(codec=st.sampled_from(CODECS), essence=st.sampled_from(["application/xml", "text/xml"]))
@example(codec="rot13", essence="application/xml")
def test_an_xml_prolog_naming_any_codec_gives_items_or_an_input_error(
    codec: str, essence: str
) -> None:
    prolog = f'<?xml version="1.0" encoding="{codec}"?>\n'
    survives(f"{prolog}<nitf><body><p>Story.</p></body></nitf>".encode(), essence)


# --- prose is text, never a wire format ----------------------------------------------------

words = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzäöüßабвгдеёжз0123456789", min_size=1, max_size=12
)
sentence = st.lists(words, min_size=1, max_size=14).map(lambda w: " ".join(w).capitalize() + ".")
prose = st.lists(
    st.one_of(sentence, st.sampled_from(["", "BC-Budget 05-12 0456", "a1234 r BC-Fire", "ZCZC"])),
    min_size=1,
    max_size=12,
).map("\n".join)


@SETTINGS
@given(text=prose)
def test_plain_prose_is_never_detected_as_anpa_or_7901(text: str) -> None:
    assert not anpa.sniff(text)
    assert not iptc7901.sniff(text)
    result = survives(text.encode(), "text/plain; charset=utf-8")
    if isinstance(result, list):
        assert {item.format for item in result} <= {"text"}


def test_a_wire_heading_in_prose_without_control_codes_stays_text() -> None:
    body = (
        "a1234 r BC-Budget 05-12 0456\n\nBERLIN (dpa) - The coalition agreed on the budget on "
        "Thursday after a night of talks, ministers said.\n"
    )
    [item] = parse_body(body.encode(), "text/plain", CTX)
    assert item.format == "text"


# --- unsupported content types ---------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "", "  ", "application/pdf", "image/jpeg", "text/csv", "application/octet-stream",
     "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text", "json",
     "application/json-seq", "text/markdown; charset=utf-8"],
)  # fmt: skip
def test_an_unsupported_content_type_is_a_415(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        parse_body(b'{"headline": "x"}', content_type, CTX)
    assert caught.value.status == 415


token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-+", min_size=1, max_size=20)


@SETTINGS
@given(essence=st.tuples(token, token).map("/".join), raw=st.binary(min_size=1, max_size=200))
def test_any_other_content_type_is_a_415(essence: str, raw: bytes) -> None:
    if essence in CONTENT_TYPES or essence.endswith("+xml"):
        return
    with pytest.raises(UnsupportedMediaType):
        parse_body(raw, essence, CTX)


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b'{"uri": "urn:x"}', "application/xml"),
        (b"<nitf/>", "application/json"),
        (b"\xef\xbb\xbf <NewsML/>", "application/ninjs+json"),
        (b"headline: x", "application/rss+xml"),
    ],
)
def test_a_body_contradicting_its_content_type_is_a_415(raw: bytes, content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType):
        parse_body(raw, content_type, CTX)


# --- bodies sent under the wrong type: e-mail as text, JSON bombs --------------------------

MAIL_AS_TEXT = (
    b"Received: from mx.belta.example\r\n\tby inbound.example; Mon, 4 May 2026 12:02:11 +0300\r\n"
    b"From: BelTA English Service <desk@wire.belta.example>\r\n"
    b"Subject: Grodno Azot to commission new ammonia unit\r\n"
    b"\r\n"
    b"GRODNO, 4 May (BelTA) - Grodno Azot will commission its new ammonia unit in June.\r\n"
)


def test_an_email_sent_as_text_plain_is_read_as_email_and_warned() -> None:
    with collecting() as warnings:
        [item] = parse_body(MAIL_AS_TEXT, "text/plain; charset=utf-8", CTX)
    assert (item.format, item.headline) == ("email", "Grodno Azot to commission new ammonia unit")
    assert warnings == [
        {
            "code": "content_type_mismatch",
            "message": "an e-mail message (RFC 5322 headers) sent as 'text/plain': read as e-mail",
        }
    ]


@pytest.mark.parametrize(
    "head",
    [
        b"From: desk@wire.belta.example\r\nTo: copy@example.org\r\n\r\n",  # no Subject, Date...
        b"Subject: Budget\r\nDate: Mon, 4 May 2026 12:02:11 +0300\r\n\r\n",  # no From
        b"Minsk\r\nFrom: desk@wire.belta.example\r\nSubject: x\r\n\r\n",  # not from the first byte
        b"From: desk@wire.belta.example\r\nSubject: x\r\nBERLIN (dpa) - Story.\r\n\r\n",  # no blank
        b"Note: From: the desk\r\nSubject: x\r\n\r\n",  # a field name must be From itself
    ],
)
def test_text_that_only_resembles_mail_headers_stays_text(head: bytes) -> None:
    body = (
        head + b"BERLIN (dpa) - The coalition agreed on the budget on Thursday, ministers said.\r\n"
    )
    with collecting() as warnings:
        items = parse_body(body, "text/plain", CTX)
    assert {item.format for item in items} == {"text"}
    assert warnings == []


@pytest.mark.parametrize("path", [p for p in GOOD if p.parent.name in ("anpa", "iptc7901", "text")])
def test_no_wire_or_text_sample_is_mistaken_for_mail(path: Path) -> None:
    items = parse_body(path.read_bytes(), content_type(path, "text/plain"), CTX)
    assert "email" not in {item.format for item in items}


@pytest.mark.parametrize("body", [b"[" * 5000 + b"]" * 5000, b'{"a": ' * 5000 + b"1" + b"}" * 5000])
def test_json_nested_thousands_deep_sent_as_text_is_a_clean_415(body: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        prepare(body, "text/plain", namespace="t", profile=Profile(), received_at=CTX.received_at)


def test_prose_sent_as_email_is_still_a_415() -> None:
    with pytest.raises(UnsupportedMediaType):
        parse_body(b"Just a story, no headers.\r\n\r\nMore words.", "message/rfc822", CTX)


def test_an_html_page_whose_meta_charset_is_wrong_is_read_as_its_utf8_bytes() -> None:
    page = (
        '<html><head><meta charset="iso-8859-1"><title>Zoë’s café</title></head>'
        "<body><article><h1>Zoë’s café reopens</h1><p>LONDON (PA) – The café reopened on "
        "Monday after a two-year refit, its owner Zoë Hartley said.</p></article></body></html>"
    )
    with collecting() as warnings:
        [item] = parse_body(page.encode(), "text/html", CTX)
    assert "Zoë" in (item.headline or "")
    assert [w["code"] for w in warnings] == ["charset_mislabelled"]


def test_json_stays_strict_utf8() -> None:
    with pytest.raises(Malformed) as caught:
        parse_body('{"uri": "urn:x", "headline": "Café"}'.encode("cp1252"), "application/json", CTX)
    assert caught.value.errors == [{"field": "", "message": "invalid utf-8 at byte offset 33"}]
