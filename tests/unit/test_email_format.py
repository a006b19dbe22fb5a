"""shared.reading.formats.email: a mailed story becomes one ParsedItem, decoded exactly."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.core.errors import Invalid, Malformed, TimestampError, UnsupportedMediaType
from shared.core.model import Dateline, ParseContext, ParsedItem, Place, Profile, Rendition, Subject
from shared.reading.formats import FORMATS, parse_body
from shared.reading.formats import email as mail
from shared.reading.prepare import prepare
from shared.reading.repairs import Warning_, collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "email"
RECEIVED = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
CTX = ParseContext(profile=Profile(timezone="Europe/Minsk"), received_at=RECEIVED)


def parse(raw: bytes, ctx: ParseContext = CTX) -> ParsedItem:
    items = mail.parse(raw, ctx)
    assert len(items) == 1
    return items[0]


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def message(*headers: str, body: str = "Body text.", charset: str = "utf-8") -> bytes:
    head = "\r\n".join(headers)
    return f"{head}\r\n\r\n{body}".encode(charset)


def test_the_module_is_the_only_reader_of_the_email_family() -> None:
    assert (mail.NAME, mail.FAMILY) == ("email", "email")
    assert mail.sniff(b"anything") is True


def test_a_plain_utf8_mail_maps_every_header_and_unwraps_its_paragraphs() -> None:
    assert parse(sample("plain-utf8.eml")) == ParsedItem(
        format="email",
        uri="mid:20240314084205.7731.grain@wire.belta.example",
        headline="Belarus, Uzbekistan agree to double grain elevator deliveries",
        body_text=(
            "MINSK, 14 March (BelTA) – Belarus and Uzbekistan have agreed to double the supply "
            "of Belarusian-made grain elevator equipment over the next two years, Deputy "
            "Industry Minister Pavel Kovalenko told reporters on 14 March.\n\n"
            "The roadmap signed in Minsk covers 40 modular elevators and a joint assembly site "
            "near Tashkent – “equipment our partners can service locally”."
        ),
        language="en",
        firstcreated=datetime(2024, 3, 14, 8, 42, 5, tzinfo=UTC),
        versioncreated=datetime(2024, 3, 14, 8, 42, 5, tzinfo=UTC),
        priority=2,
        keywords=["Belarus", "Uzbekistan", "agriculture", "machinery"],
        source="BelTA English Service",
    )


def test_multipart_alternative_prefers_the_windows_1251_html_part_without_its_head() -> None:
    assert parse(sample("alternative-cp1251.eml")) == ParsedItem(
        format="email",
        uri="mid:ukaz-export-0107@press.belta.example",
        headline="Лукашенко подписал указ о поддержке экспорта техники",
        body_html=(
            "<p>МИНСК, 7 января (БЕЛТА) – Президент Беларуси Александр Лукашенко подписал указ "
            "о поддержке экспорта <b>сельскохозяйственной техники</b>, сообщили БЕЛТА в "
            "пресс-службе главы государства.</p>\n"
            "<p>Документ вступает в силу после официального опубликования.</p>"
        ),
        firstcreated=datetime(2022, 1, 7, 10, 21, tzinfo=UTC),
        versioncreated=datetime(2022, 1, 7, 10, 21, tzinfo=UTC),
        source="БЕЛТА",
    )


def test_a_koi8r_encoded_subject_keeps_the_space_inside_its_encoded_words() -> None:
    assert parse(sample("subject-koi8r.eml")) == ParsedItem(
        format="email",
        uri="mid:grodno-logistika-1203@region.belta.example",
        headline="В Гродно открыли новый логистический центр",
        byline="Иван Петров",
        body_text=(
            "ГРОДНО, 12 марта (БЕЛТА) - В Гродно открыли логистический центр площадью 18 тыс. "
            "кв. м, рассчитанный на обработку 120 фур в сутки.\n\n"
            "Инвестиции в проект составили около $25 млн."
        ),
        firstcreated=datetime(2024, 3, 12, 6, 5, tzinfo=UTC),
        versioncreated=datetime(2024, 3, 12, 6, 5, tzinfo=UTC),
        priority=5,
        source="BelTA Grodno bureau",
    )


def test_an_image_attachment_is_a_rendition_without_href_and_a_pdf_is_ignored() -> None:
    assert parse(sample("mixed-image-attachment.eml")) == ParsedItem(
        format="email",
        uri="mid:hydrogen.grid.20240417@desk.dpa-int.example",
        headline="Germany unveils EUR 4 billion hydrogen grid plan",
        body_html=(
            "<p>BERLIN (dpa) - Germany&#8217;s economy ministry on Wednesday presented plans for "
            "a EUR 4 billion hydrogen pipeline network linking northern ports with industrial "
            "centres in the south.</p>\r\n<p>Photo: the Lubmin landing site.</p>"
        ),
        language="en-GB",
        firstcreated=datetime(2024, 4, 17, 12, 3, 11, tzinfo=UTC),
        versioncreated=datetime(2024, 4, 17, 12, 3, 11, tzinfo=UTC),
        keywords=["energy", "hydrogen"],
        source="dpa international",
        renditions=[
            Rendition(name="Lubmin landing site.jpg", href=None, mimetype="image/jpeg", size=1051)
        ],
    )


def test_the_registry_sends_message_rfc822_bodies_here() -> None:
    if mail not in FORMATS:
        pytest.skip("shared.reading.formats.email is not in the registry yet")
    items = parse_body(sample("plain-utf8.eml"), "message/rfc822", CTX)
    assert [i.format for i in items] == ["email"]


def test_a_date_without_a_zone_is_read_in_the_partner_zone() -> None:
    raw = message("Subject: Stamp", "Date: Fri, 07 Jan 2022 13:21:00")
    assert parse(raw).firstcreated == datetime(2022, 1, 7, 10, 21, tzinfo=UTC)


def test_an_impossible_date_is_a_timestamp_error_naming_the_header() -> None:
    with pytest.raises(TimestampError) as caught:
        parse(message("Subject: Stamp", "Date: Mon, 31 Feb 2022 13:21:00 +0000"))
    assert caught.value.errors[0]["field"] == "/headers/Date"


def test_raw_utf8_headers_are_read_as_rfc_6532_allows() -> None:
    raw = message("Subject: Привет из Минска", "From: Ольга <o@belta.example>")
    item = parse(raw)
    assert (item.headline, item.source) == ("Привет из Минска", "Ольга")


def parse_warned(raw: bytes, ctx: ParseContext = CTX) -> tuple[ParsedItem, list[Warning_]]:
    with collecting() as warnings:
        item = parse(raw, ctx)
    return item, warnings


def warning(code: str, field: str, message: str) -> Warning_:
    return {"code": code, "field": field, "message": message}


GUESSED = "no charset given and the bytes are not UTF-8: read as Windows-1252"


@pytest.mark.parametrize(
    "subject",
    [b"=?utf-8?q?It=E2=80=99s?=", "It\u2019s".encode(), "=?utf-8?q?It\u2019s?=".encode()],
    ids=["encoded-word", "raw-utf-8", "raw-utf-8-inside-an-encoded-word"],
)
def test_a_subject_reads_as_the_default_email_policy_reads_it(subject: bytes) -> None:
    item, warnings = parse_warned(b"Subject: " + subject + b"\r\n\r\nBody text.")
    assert (item.headline, warnings) == ("It\u2019s", [])


def test_a_literal_backslash_escape_in_a_subject_stays_literal() -> None:
    item = parse(b"Subject: \\u2019 is =?utf-8?q?literal?=\r\n\r\nBody text.")
    assert item.headline == "\\u2019 is literal"


def test_raw_8bit_headers_that_are_not_utf8_are_read_as_windows_1252_and_warned() -> None:
    raw = "Subject: Caf\u00e9 \u201cNord\u201d\r\n\r\nbody".encode("cp1252")
    item, warnings = parse_warned(raw)
    assert item.headline == "Caf\u00e9 \u201cNord\u201d"
    assert warnings == [warning("charset_guessed", "/headers/Subject", GUESSED)]


def test_raw_8bit_headers_are_read_in_the_profile_charset_without_a_warning() -> None:
    raw = "Subject: Привет\r\nFrom: Ольга <o@belta.example>\r\n\r\nbody".encode("cp1251")
    ctx = ParseContext(profile=Profile(timezone="Europe/Minsk", charset="windows-1251"))
    item, warnings = parse_warned(raw, ctx)
    assert (item.headline, item.source, warnings) == ("Привет", "Ольга", [])


@pytest.mark.parametrize("charset", ["x-unknown-charset", "punycode", "rot13", "unicode-escape"])
def test_an_encoded_word_in_a_charset_we_do_not_read_is_read_as_utf8_and_warned(
    charset: str,
) -> None:
    item, warnings = parse_warned(f"Subject: =?{charset}?Q?abc-d=C3=A9f?=\r\n\r\nb".encode())
    assert item.headline == "abc-déf"
    message = f"the charset {charset!r} is not a text encoding we read: read as UTF-8"
    assert warnings == [warning("charset_unknown", "/headers/Subject", message)]


def test_an_encoded_word_whose_bytes_do_not_fit_its_charset_keeps_the_rest() -> None:
    item, warnings = parse_warned(b"Subject: Flood =?utf-8?Q?=FF=FE?= warning\r\n\r\nb")
    assert item.headline == "Flood \ufffd\ufffd warning"
    message = "bytes that fit no charset became U+FFFD"
    assert warnings == [warning("charset_replaced", "/headers/Subject", message)]


def test_a_part_whose_bytes_do_not_fit_its_charset_is_malformed_naming_the_part() -> None:
    raw = (
        b"Subject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
        b"\r\n" + "Привет".encode("cp1251") + b"\r\n--b--\r\n"
    )
    with pytest.raises(Malformed) as caught:
        parse(raw)
    assert caught.value.errors == [
        {"field": "/parts/1", "message": "part 1 is not valid utf-8: byte 0 cannot be decoded"}
    ]


def part(content_type: str, body: bytes) -> bytes:
    return b"Subject: s\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + body


def test_a_part_without_a_charset_whose_bytes_are_not_utf8_is_windows_1252_warned() -> None:
    item, warnings = parse_warned(part("text/plain", b"Caf\xe9 \x93Nord\x94 \x81"))
    assert item.body_text == "Café “Nord” \x81"
    assert warnings == [warning("charset_guessed", "/parts/1", GUESSED)]


def test_a_part_without_a_charset_is_read_in_the_profile_charset() -> None:
    ctx = ParseContext(profile=Profile(timezone="Europe/Minsk", charset="koi8-r"))
    item, warnings = parse_warned(part("text/plain", "Снег".encode("koi8-r")), ctx)
    assert (item.body_text, warnings) == ("Снег", [])


def test_utf8_bytes_in_a_part_labelled_latin_1_are_read_as_utf8_and_warned() -> None:
    item, warnings = parse_warned(part("text/plain; charset=iso-8859-1", "Zoë’s".encode()))
    assert item.body_text == "Zoë’s"
    message = "the bytes are UTF-8, not the declared iso8859-1: read as UTF-8"
    assert warnings == [warning("charset_mislabelled", "/parts/1", message)]


@pytest.mark.parametrize("charset", ["punycode", "idna", "rot13", "x-nonsense", "utf-7"])
def test_a_part_in_a_charset_we_do_not_read_never_reaches_its_codec(charset: str) -> None:
    item, warnings = parse_warned(part(f"text/plain; charset={charset}", "abc-déf".encode()))
    assert item.body_text == "abc-déf"
    assert [w["code"] for w in warnings] == ["charset_unknown"]
    assert warnings[0]["field"] == "/parts/1"


def test_an_rfc_2231_parameter_in_punycode_is_read_as_utf8_not_decoded_by_punycode() -> None:
    raw = part("text/plain; charset=utf-8; name*=punycode''abc-%C3%A9", b"Body.")
    item, warnings = parse_warned(raw)
    assert item.body_text == "Body."
    assert [(w["code"], w["field"]) for w in warnings] == [
        ("charset_unknown", "/headers/Content-Type")
    ]


def test_a_from_header_with_thousands_of_nested_comments_is_a_clean_422() -> None:
    raw = b"Subject: s\r\nFrom: " + b"(" * 5000 + b")" * 5000 + b" desk@example.org\r\n\r\nb"
    with pytest.raises(Invalid) as caught:
        prepare(raw, "message/rfc822", namespace="t", profile=Profile(), received_at=RECEIVED)
    assert caught.value.errors == [
        {"field": "/headers/From", "message": "comments nest deeper than 10 levels"}
    ]


def test_a_content_type_with_thousands_of_nested_comments_is_a_clean_422() -> None:
    raw = b"Subject: s\r\nContent-Type: text/plain " + b"(" * 5000 + b")" * 5000 + b"\r\n\r\nb"
    with pytest.raises(Invalid) as caught:
        prepare(raw, "message/rfc822", namespace="t", profile=Profile(), received_at=RECEIVED)
    assert caught.value.errors[0]["field"] == "/headers/Content-Type"


def test_comments_nested_a_few_levels_and_parentheses_in_a_subject_are_fine() -> None:
    subject = "(" * 16 + "x" + ")" * 16
    raw = f"Subject: {subject}\r\nFrom: Desk (night (late)) <d@e.org>\r\n\r\nb".encode()
    item = parse(raw)
    assert (item.headline, item.source) == (subject, "Desk (night late)")


def test_bytes_without_headers_are_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        parse(b"just some words\r\n\r\nand more words")
    assert caught.value.errors[0]["field"] == "/headers"


def test_a_mail_with_neither_subject_nor_body_is_invalid() -> None:
    with pytest.raises(Invalid):
        parse(message("From: desk@example.org", body="  \r\n"))


def test_a_subject_alone_is_enough() -> None:
    item = parse(message("Subject: FLASH: Parliament dissolved", body=""))
    assert (item.headline, item.body_text, item.body_html) == (
        "FLASH: Parliament dissolved",
        None,
        None,
    )


def test_too_many_parts_are_invalid() -> None:
    parts = "".join("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(101))
    raw = f"Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n"
    with pytest.raises(Invalid) as caught:
        parse(raw.encode())
    assert caught.value.errors[0]["field"] == "/parts"


def test_nesting_deeper_than_ten_levels_is_invalid() -> None:
    head = "Subject: s\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    opening = "".join(
        f"--b{i}\r\nContent-Type: multipart/mixed; boundary=b{i + 1}\r\n\r\n" for i in range(12)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(13)))
    raw = head + opening + "--b12\r\nContent-Type: text/plain\r\n\r\nx\r\n" + closing
    with pytest.raises(Invalid) as caught:
        parse(raw.encode())
    assert "deeper than 10" in caught.value.detail


def test_nesting_too_deep_is_refused_naming_the_first_part_too_deep() -> None:
    opening = "".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n" for i in range(12)
    )
    raw = f"Subject: s\r\n{opening}Content-Type: text/plain\r\n\r\nx\r\n"
    with pytest.raises(Invalid) as caught:
        parse(raw.encode())
    assert caught.value.errors == [
        {
            "field": "/parts/1/1/1/1/1/1/1/1/1/1/1",
            "message": "MIME parts nest deeper than 10 levels",
        }
    ]


def refusal(raw: bytes) -> list[dict[str, object]]:
    with pytest.raises(Invalid) as caught:
        parse(raw)
    return caught.value.errors


def test_a_header_longer_than_the_limit_is_refused_naming_it() -> None:
    raw = message("Subject: " + "word " * 1800, "From: desk@example.org")
    assert refusal(raw) == [
        {
            "field": "/headers/Subject",
            "message": "the header is 9,000 characters long; the limit is 8,192",
        }
    ]


def test_a_content_type_with_more_than_32_parameters_is_refused() -> None:
    params = "".join(f"; p{i}=v" for i in range(33))
    raw = message("Subject: s", f"Content-Type: text/plain; charset=utf-8{params}")
    assert refusal(raw) == [
        {"field": "/headers/Content-Type", "message": "the header has more than 32 parameters"}
    ]


def test_semicolons_count_as_parameters_even_quoted() -> None:
    raw = message("Subject: s", 'Content-Disposition: inline; filename="' + ";" * 40 + '"')
    assert refusal(raw) == [
        {
            "field": "/headers/Content-Disposition",
            "message": "the header has more than 32 parameters",
        }
    ]


def test_a_content_type_with_more_than_32_comments_is_refused() -> None:
    raw = message("Subject: s", "Content-Type: text/plain " + "(c)" * 33)
    assert refusal(raw) == [
        {"field": "/headers/Content-Type", "message": "the header has more than 32 comments"}
    ]


def test_thirty_two_parameters_and_a_long_subject_are_fine() -> None:
    params = "".join(f"; p{i}=v" for i in range(31))
    subject = "Quay " * 1600  # 8,000 characters
    item = parse(message(f"Subject: {subject}", f"Content-Type: text/plain; charset=utf-8{params}"))
    assert (item.headline, item.body_text) == (subject.strip(), "Body text.")


def test_the_headers_read_may_hold_64_kib_in_all() -> None:
    parts = "".join(
        f'--b\r\nContent-Type: text/plain; name="{i}{"x" * 7000}"\r\n\r\nPart {i}.\r\n'
        for i in range(10)
    )
    raw = f"Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n"
    assert refusal(raw.encode()) == [
        {
            "field": "/headers/Content-Type",
            "message": "the headers read hold more than 65,536 characters in all",
        }
    ]


def test_the_signature_is_dropped_and_the_message_id_is_percent_encoded() -> None:
    raw = message(
        "Subject: s", "Message-ID: <a b/c@host>", body="Story line one\r\n\r\n-- \r\nJohn\r\n"
    )
    item = parse(raw)
    assert (item.uri, item.body_text) == ("mid:a%20b%2Fc@host", "Story line one")


def test_x_priority_wins_over_importance() -> None:
    item = parse(message("Subject: s", "X-Priority: 1 (Highest)", "Importance: low"))
    assert item.priority == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.sampled_from(
                [
                    b"Subject: =?utf-8?B?0J/RgNC4?=\r\n",
                    b"Subject: =?koi8-r?Q?=F0?=\r\n",
                    b"From: <<<@@>>>,,\r\n",
                    b"Message-ID: <<>\r\n",
                    b"Date: 99 Foo 2022\r\n",
                    b"Content-Type: multipart/mixed; boundary=x\r\n",
                    b"Content-Type: text/plain; charset=\xff\r\n",
                    b"Content-Transfer-Encoding: base64\r\n",
                    b"Content-Disposition: attachment; filename*=x''%ff\r\n",
                    b"\r\n",
                    b"--x\r\n",
                    b"--x--\r\n",
                    b"Content-Type: image/png\r\n",
                    b"\xd0\x9f\xff body ===\r\n",
                    b"Subject: =?punycode?Q?abc-def?= \xe9t\xe9\r\n",
                    b"From: (((((((((((((x))))))))))))) <a@b>\r\n",
                    b"Content-Type: text/plain; charset*=punycode''x%ff\r\n",
                    b"Content-Type: text/plain; charset=punycode\r\n",
                ]
            ),
            max_size=20,
        ).map(b"".join),
    )
)
def test_mangled_mail_raises_only_input_errors(raw: bytes) -> None:
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        mail.parse(raw, CTX)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(p.name for p in SAMPLES.glob("*.eml"))),
    st.lists(st.tuples(st.integers(0, 4000), st.binary(min_size=0, max_size=3)), max_size=6),
)
def test_a_sample_with_bytes_mangled_raises_only_input_errors(
    name: str, edits: list[tuple[int, bytes]]
) -> None:
    raw = bytearray(sample(name))
    for at, chunk in edits:
        at %= len(raw)
        raw[at : at + len(chunk)] = chunk
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        mail.parse(bytes(raw), CTX)


# --- AAP formatted e-mail ------------------------------------------------------------------

AAP = Profile(
    timezone="Australia/Sydney",
    email_format="aap-formatted",
    urgency_labels={"High": 2, "Normal": 5},
    priority_labels={"Urgent": 2, "Routine": 4},
    category_subjects={"Sport": Subject(scheme="aap-category", code="S", name="Sport")},
)
AAP_CTX = ParseContext(profile=AAP, received_at=datetime(2026, 5, 4, 0, 0, tzinfo=UTC))


def aap_mail(fields: dict[str, object], *headers: str) -> bytes:
    head = (
        "Message-ID: <aap-1@mail.aap.example>",
        "Date: Mon, 4 May 2026 09:20:00 +1000",
        "From: AAP Sport <sport@aap.example>",
        "Subject: AAP Formatted Email",
        "Content-Type: text/plain; charset=utf-8",
        *headers,
    )
    return message(*head, body=json.dumps(fields, ensure_ascii=False))


AAP_FIELDS: dict[str, object] = {
    "Headline": ["", "Matildas name uncapped keeper for Asian Cup"],
    "Abstract": ["Teenager Ruby Tait is the surprise pick."],
    "Slugline": ["SOC MATILDAS"],
    "Body": "Ruby Tait is in the Matildas squad.\r\n\r\nThe 18-year-old plays for Perth.",
    "News Value": ["High"],
    "Priority": ["Routine"],
    "Category": ["Sport", ""],
    "Keyword": ["soccer"],
    "Dateline": ["PERTH"],
    "Place": ["Perth"],
    "Sign off": ["rt/ds"],
    "Timestamp": ["5/4/2026 9:15:02 AM"],
    "Take Key": ["MATILDAS"],
}


def test_an_aap_formatted_mail_maps_its_json_fields() -> None:
    item, warnings = parse_warned(aap_mail(AAP_FIELDS, "Keywords: football"), AAP_CTX)
    stamp = datetime(2026, 5, 3, 23, 15, 2, tzinfo=UTC)
    assert item == ParsedItem(
        format="email",
        uri="mid:aap-1@mail.aap.example",
        headline="Matildas name uncapped keeper for Asian Cup",
        abstract="Teenager Ruby Tait is the surprise pick.",
        slugline="SOC MATILDAS",
        byline="rt/ds",
        body_text="Ruby Tait is in the Matildas squad.\n\nThe 18-year-old plays for Perth.",
        dateline=Dateline(located="Perth", text="PERTH"),
        places=[Place(name="Perth")],
        firstcreated=stamp,
        versioncreated=stamp,
        urgency=2,
        priority=4,
        subjects=[
            Subject(scheme="category", name="Sport"),
            Subject(scheme="aap-category", code="S", name="Sport"),
        ],
        keywords=["soccer", "football"],
        source="AAP Sport",
    )
    assert warnings == []


def test_without_the_profile_flag_an_aap_formatted_mail_is_an_ordinary_mail() -> None:
    ctx = ParseContext(profile=Profile(timezone="Australia/Sydney"), received_at=RECEIVED)
    item, warnings = parse_warned(aap_mail(AAP_FIELDS), ctx)
    assert (item.headline, item.urgency, item.abstract) == ("AAP Formatted Email", None, None)
    assert (item.body_text or "").startswith('{"Headline": ["", "Matildas')
    assert warnings == []


def test_a_flagged_mail_whose_body_is_not_a_json_object_is_read_as_an_ordinary_mail() -> None:
    raw = message("Subject: Matildas squad", "Date: Mon, 4 May 2026 09:20:00 +1000",
                  body="Ruby Tait has been named.")  # fmt: skip
    item, warnings = parse_warned(raw, AAP_CTX)
    assert (item.headline, item.body_text) == ("Matildas squad", "Ruby Tait has been named.")
    assert [(w["code"], w["field"]) for w in warnings] == [("email_format_mismatch", "/body")]


def test_an_unknown_label_and_an_unreadable_timestamp_are_warned_and_skipped() -> None:
    fields = {**AAP_FIELDS, "News Value": ["Huge"], "Priority": ["3"], "Timestamp": ["13/31/2026"]}
    item, warnings = parse_warned(aap_mail(fields), AAP_CTX)
    assert (item.urgency, item.priority) == (None, 3)
    assert item.versioncreated == datetime(2026, 5, 3, 23, 20, tzinfo=UTC)  # the Date header
    assert [(w["code"], w["field"]) for w in warnings] == [
        ("label_unmapped", "/body/News Value"),
        ("timestamp_unreadable", "/body/Timestamp"),
    ]


def test_the_sign_off_does_not_replace_a_byline_the_mail_gives() -> None:
    raw = aap_mail(AAP_FIELDS, "Organization: Australian Associated Press")
    item = parse(raw, AAP_CTX)
    assert (item.byline, item.source) == ("AAP Sport", "Australian Associated Press")


def test_a_json_body_nested_thousands_deep_is_not_an_aap_mail_and_not_an_error() -> None:
    raw = aap_mail({}).replace(b"{}", b'{"Body": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    item, warnings = parse_warned(raw, AAP_CTX)
    assert item.headline == "AAP Formatted Email"
    assert [w["code"] for w in warnings] == ["email_format_mismatch"]


# --- found by review: guards that could be got around ----------------------------------------


def _prepared(raw: bytes) -> list:  # type: ignore[type-arg]
    from shared.reading.prepare import prepare

    return prepare(raw, "message/rfc822", namespace="x", profile=Profile(), received_at=RECEIVED)


HEAD = b"From: A <a@b.c>\nDate: Mon, 04 May 2026 10:00:00 +0000\nMessage-ID: <m1@x>\n"


def test_an_encoded_word_charset_with_white_space_is_never_run_as_a_codec() -> None:
    [item] = _prepared(HEAD + b"Subject: =?utf 7?q?+ADw-script+AD4-?=\n\nBody text.\n")
    assert "<script>" not in (item.headline or "")
    assert "charset_unknown" in [w["code"] for w in item.warnings]


def test_an_rfc2231_value_behind_a_comment_is_a_422_not_a_500() -> None:
    raw = HEAD + b"Subject: s\nContent-Type: text/plain; charset*=(c)\"punycode''abc-\"\n\nB.\n"
    with pytest.raises(Invalid) as refused:
        _prepared(raw)
    assert refused.value.errors[0]["field"] == "/headers/Content-Type"


def test_comments_hidden_in_an_encoded_from_are_refused() -> None:
    raw = b"From: =?utf-8?q?" + b"=28" * 2000 + b"x?= <a@b.c>\nSubject: s\n\nBody.\n"
    with pytest.raises(Invalid) as refused:
        _prepared(raw)
    assert refused.value.errors[0]["field"] == "/headers/From"


def test_a_message_id_is_read_raw_not_decoded() -> None:
    [item] = _prepared(b"From: A <a@b.c>\nSubject: s\nMessage-ID: <=?utf-8?q?a=00b?=@x>\n\nB.\n")
    assert item.uri == "mid:=%3Futf-8%3Fq%3Fa=00b%3F=@x"
