"""Normalisation: clean text, sanitised HTML, language, dateline, subjects, timestamps."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core.errors import Invalid, TimestampError
from shared.core.model import Dateline, NormalisedItem, ParseContext, ParsedItem, Profile, Subject
from shared.reading.normalise import (
    clean_line,
    fingerprint,
    html_to_text,
    normalise,
    sanitise_html,
    word_count,
)
from shared.reading.prepare import prepare
from shared.reading.repairs import collecting

RECEIVED = datetime(2022, 1, 7, 12, 0, tzinfo=UTC)
RECEIVED_EARLY = datetime(2022, 1, 7, 9, 0, tzinfo=UTC)
FAR = datetime(2030, 1, 1, tzinfo=UTC)
DECEMBER = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
MINSK = ParseContext(profile=Profile(timezone="Europe/Minsk"), received_at=RECEIVED)


def test_single_line_fields_lose_control_bidi_and_zero_width_characters() -> None:
    assert clean_line("  Head\u202eline\u200b with\ttabs \x07 ", field="headline") == (
        "Headline with tabs"
    )
    assert clean_line(" \u200b ", field="headline") is None


def test_over_long_single_line_field_is_422_naming_it() -> None:
    with pytest.raises(Invalid) as caught:
        clean_line("x" * 1001, field="headline")
    assert caught.value.errors == [{"field": "/headline", "message": "longer than 1000 characters"}]


def test_html_is_sanitised_with_an_allowlist() -> None:
    dirty = (
        '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">a</a>'
        '<a href="https://example.com/x">b</a></p><iframe src="https://e.x"></iframe>'
    )
    assert sanitise_html(dirty) == (
        '<p>Hi <a rel="noopener noreferrer nofollow">a</a>'
        '<a href="https://example.com/x" rel="noopener noreferrer nofollow">b</a></p>'
    )


@given(st.text())
def test_sanitising_is_idempotent(text: str) -> None:
    once = sanitise_html(text)
    assert sanitise_html(once) == once


def test_html_becomes_text_one_paragraph_per_block() -> None:
    html = "<h2>Sub</h2><p>First <b>bold</b>\n line.</p><ul><li>one</li><li>two</li></ul>"
    assert html_to_text(html) == "Sub\n\nFirst bold line.\n\none\n\ntwo"


def test_word_count_counts_tokens_with_letters_or_digits() -> None:
    assert word_count("MINSK, 7 January (BelTA) – Trade exceeds $1.5 billion.") == 8
    assert word_count(None) == 0


def test_fingerprint_ignores_case_quotes_and_spacing() -> None:
    assert fingerprint(None, "“We came,” he said.\n\nNext") == fingerprint(
        None, '"we came," he  said. next'
    )
    assert fingerprint(None, "one text") != fingerprint(None, "another text")


def test_item_without_uri_gets_a_stable_derived_one() -> None:
    parsed = ParsedItem(format="text", headline="Same  Headline", body_text="Body text here.")
    one = normalise(parsed, MINSK, namespace="belta")
    two = normalise(
        ParsedItem(format="text", headline="same headline", body_text="Other text."),
        MINSK,
        namespace="belta",
    )
    assert one.uri == two.uri
    assert one.uri.startswith("urn:dateline:belta:")
    assert one.uri_derived
    assert normalise(parsed, MINSK, namespace="other").uri != one.uri


def test_whole_normalised_item_from_a_parsed_ninjs_like_item() -> None:
    parsed = ParsedItem(
        format="ninjs",
        uri="urn:x:1",
        version="2",
        headline=" Quake hits coast ",
        body_html="<p>TOKYO (AP) _ A strong earthquake shook the coast on Friday.</p>",
        subjects=[Subject("iptc-subject", "04006002"), Subject("category", None, "World")],
        keywords=[" quake ", ""],
        versioncreated=datetime(2022, 1, 7, 10, 21, tzinfo=UTC),
    )
    item = normalise(parsed, MINSK, namespace="ap")
    assert item.headline == "Quake hits coast"
    assert item.body_text == "TOKYO (AP) _ A strong earthquake shook the coast on Friday."
    assert item.word_count == 11
    assert item.language == "en"
    assert item.dateline == Dateline(located="Tokyo", date=None, source="AP", text="TOKYO (AP)")
    assert item.source == "AP"
    assert item.firstcreated == item.versioncreated == datetime(2022, 1, 7, 10, 21, tzinfo=UTC)
    assert item.keywords == ["quake"]
    assert [(s.scheme, s.code) for s in item.subjects] == [
        ("iptc-subject", "04006002"),
        ("iptc-subject", "04006000"),
        ("iptc-subject", "04000000"),
        ("category", None),
    ]
    assert item.subjects[2].name == "economy, business and finance"
    assert not item.uri_derived


def test_item_without_any_time_gets_received_at() -> None:
    item = normalise(ParsedItem(format="text", headline="H", body_text="B"), MINSK, namespace="p")
    assert item.firstcreated == item.versioncreated == RECEIVED


def test_dateline_year_is_the_stamps_in_the_partner_zone() -> None:
    parsed = ParsedItem(
        format="text",
        headline="New Year",
        body_text="MINSK, 31 December (BelTA) – Fireworks lit the sky over the city tonight.",
        versioncreated=datetime(2021, 12, 31, 21, 30, tzinfo=UTC),  # 00:30 on 1 January in Minsk
    )
    item = normalise(parsed, MINSK, namespace="belta")
    assert item.dateline is not None
    assert item.dateline.date == date(2021, 12, 31)


def test_language_falls_back_to_the_partner_language_for_short_text() -> None:
    ctx = ParseContext(profile=Profile(languages=("be",)), received_at=RECEIVED)
    item = normalise(
        ParsedItem(format="text", headline="Навіны", body_text="Коратка."), ctx, namespace="p"
    )
    assert item.language == "be"


def test_given_language_tag_is_put_in_bcp47_case() -> None:
    item = normalise(
        ParsedItem(format="ninjs", uri="u", language="en_gb", body_text="Text."),
        MINSK,
        namespace="p",
    )
    assert item.language == "en-GB"


# ---- creation times: never more than a day after arrival --------------------------------------


def _times(**stamps: datetime) -> tuple[NormalisedItem, list[dict[str, Any]]]:
    parsed = ParsedItem(format="ninjs", uri="u", headline="H", body_text="Body.", **stamps)
    with collecting() as warnings:
        item = normalise(parsed, MINSK, namespace="p")
    return item, warnings


def test_a_far_future_versioncreated_becomes_received_at_and_the_warning_keeps_it() -> None:
    first = datetime(2022, 1, 7, 9, 0, tzinfo=UTC)
    item, warnings = _times(firstcreated=first, versioncreated=datetime(9999, 12, 31, tzinfo=UTC))
    assert (item.firstcreated, item.versioncreated) == (first, RECEIVED)
    assert warnings == [
        {
            "code": "time_in_future",
            "field": "/versioncreated",
            "message": "versioncreated 9999-12-31T00:00:00Z is more than a day after the item "
            "arrived (2022-01-07T12:00:00Z) and was not used",
        }
    ]


@pytest.mark.parametrize(
    ("stamps", "expected", "fields"),
    [
        # firstcreated alone in the future: it becomes versioncreated
        (
            {"firstcreated": FAR, "versioncreated": RECEIVED_EARLY},
            (RECEIVED_EARLY, RECEIVED_EARLY),
            ["/firstcreated"],
        ),
        # both in the future, or the only one given: received_at for both
        (
            {"firstcreated": FAR, "versioncreated": FAR},
            (RECEIVED, RECEIVED),
            ["/firstcreated", "/versioncreated"],
        ),
        ({"firstcreated": FAR}, (RECEIVED, RECEIVED), ["/firstcreated"]),
        ({"versioncreated": FAR}, (RECEIVED, RECEIVED), ["/versioncreated"]),
        # firstcreated never after the versioncreated that replaced a future one
        (
            {"firstcreated": RECEIVED + timedelta(hours=12), "versioncreated": FAR},
            (RECEIVED, RECEIVED),
            ["/versioncreated"],
        ),
        # up to a day ahead (a partner's clock, an embargoed preview) is kept as sent
        (
            {"versioncreated": RECEIVED + timedelta(hours=23)},
            (RECEIVED + timedelta(hours=23), RECEIVED + timedelta(hours=23)),
            [],
        ),
    ],
)
def test_creation_times_are_bounded_by_arrival_plus_a_day(
    stamps: dict[str, datetime], expected: tuple[datetime, datetime], fields: list[str]
) -> None:
    item, warnings = _times(**stamps)
    assert (item.firstcreated, item.versioncreated) == expected
    assert [(w["code"], w["field"]) for w in warnings] == [("time_in_future", f) for f in fields]


def test_a_resent_item_with_a_future_stamp_derives_the_same_uri() -> None:
    parsed = ParsedItem(format="text", headline="H", body_text="B", versioncreated=FAR)
    later = ParseContext(profile=MINSK.profile, received_at=RECEIVED + timedelta(hours=2))
    first, again = normalise(parsed, MINSK, namespace="p"), normalise(parsed, later, namespace="p")
    assert first.versioncreated != again.versioncreated
    assert first.uri == again.uri


def test_a_bounded_stamp_also_dates_the_dateline() -> None:
    parsed = ParsedItem(
        format="ninjs",
        uri="u",
        body_text="MINSK, 6 January (BelTA) – The forum opened in the capital on Thursday.",
        versioncreated=datetime(9999, 12, 31, 23, 30, tzinfo=UTC),  # year 10000 in Minsk
    )
    item = normalise(parsed, MINSK, namespace="belta")
    assert item.dateline is not None and item.dateline.date == date(2022, 1, 6)


# ---- year 9999 through every format, in zones west and east of UTC -----------------------------

LEAD = "GENEVA, 3 May (dpa) - The talks ended without agreement on Monday, officials said."


def _ninjs(stamp: str) -> tuple[bytes, str]:
    doc = {"uri": "urn:x:1", "headline": "Talks end", "versioncreated": stamp, "body_text": LEAD}
    return json.dumps(doc).encode(), "application/json"


def _nitf(stamp: str) -> tuple[bytes, str]:
    return (
        f'<nitf><head><docdata><doc-id id-string="x1"/><date.issue norm="{stamp}"/></docdata>'
        "</head><body><body.head><hedline><hl1>Talks end</hl1></hedline></body.head>"
        f"<body.content><p>{LEAD}</p></body.content></body></nitf>"
    ).encode(), "application/xml"


def _html(stamp: str) -> tuple[bytes, str]:
    return (
        '<!doctype html><html lang="en"><head><title>Talks end</title>'
        f'<meta property="article:published_time" content="{stamp}"></head>'
        f"<body><article><h1>Talks end</h1><p>{LEAD}</p></article></body></html>"
    ).encode(), "text/html; charset=utf-8"


def _rss(stamp: str) -> tuple[bytes, str]:
    return (
        '<rss version="2.0"><channel><title>Desk</title><item><title>Talks end</title>'
        f"<guid>urn:x:1</guid><pubDate>{stamp}</pubDate><description>{LEAD}</description>"
        "</item></channel></rss>"
    ).encode(), "application/rss+xml"


def _email(stamp: str) -> tuple[bytes, str]:
    return (
        "From: desk@agency.example\r\nSubject: Talks end\r\n"
        f"Date: {stamp}\r\nMessage-ID: <x1@agency.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{LEAD}\r\n"
    ).encode(), "message/rfc822"


ISO_WEST, ISO_EAST = "9999-12-31T23:30:00", "9999-12-31T23:30:00Z"
MAIL_WEST, MAIL_EAST = "Fri, 31 Dec 9999 23:30:00", "Fri, 31 Dec 9999 23:30:00 GMT"
YEAR_9999 = [
    pytest.param(build, stamp, zone, id=f"{build.__name__[1:]}-{zone.split('/')[1]}")
    for build, west, east in (
        (_ninjs, ISO_WEST, ISO_EAST),
        (_nitf, "99991231T233000", "99991231T233000Z"),
        (_html, ISO_WEST, ISO_EAST),
        (_rss, MAIL_WEST, MAIL_EAST),
        (_email, MAIL_WEST, MAIL_EAST),
    )
    # local 9999-12-31T23:30 in New York is year 10000 in UTC; 23:30Z is year 10000 in Moscow
    for stamp, zone in ((west, "America/New_York"), (east, "Europe/Moscow"))
]


@pytest.mark.parametrize(("build", "stamp", "zone"), YEAR_9999)
def test_year_9999_is_a_422_or_a_clean_item_never_an_overflow(
    build: Callable[[str], tuple[bytes, str]], stamp: str, zone: str
) -> None:
    raw, content_type = build(stamp)
    profile = Profile(timezone=zone)
    try:
        [item] = prepare(raw, content_type, namespace="p", profile=profile, received_at=RECEIVED)
    except TimestampError as exc:
        assert exc.status == 422
        assert "range" in exc.detail  # "out of range", "outside the representable range"
        return
    assert item.versioncreated == item.firstcreated == RECEIVED
    assert {w["code"] for w in item.warnings} == {"time_in_future"}
    assert item.dateline is not None and item.dateline.date == date(2021, 5, 3)


# ---- identifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "character"),
    [
        ("uri", "urn:x:1\r\nX-Injected: yes", "U+000D at offset 7"),
        ("uri", "urn:x:\u202e1", "U+202E at offset 6"),
        ("uri", "urn:x:\t1", "U+0009 at offset 6"),
        ("version", "2\x00", "U+0000 at offset 1"),
    ],
)
def test_an_identifier_with_a_control_character_is_a_422_naming_it(
    field: str, value: str, character: str
) -> None:
    parsed = ParsedItem(format="ninjs", uri="urn:x:1", headline="H", body_text="B")
    setattr(parsed, field, value)
    with pytest.raises(Invalid) as caught:
        normalise(parsed, MINSK, namespace="p")
    message = f"contains the control or invisible character {character}"
    assert caught.value.errors == [{"field": f"/{field}", "message": message}]


def test_an_identifier_is_trimmed_but_otherwise_kept() -> None:
    parsed = ParsedItem(format="rss", uri="\n  urn:x:1  \r\n", version=" 3 ", body_text="B")
    item = normalise(parsed, MINSK, namespace="p")
    assert (item.uri, item.version) == ("urn:x:1", "3")


def test_a_smuggled_line_break_in_a_ninjs_uri_is_refused_naming_the_member() -> None:
    docs = [{"uri": "urn:x:1", "headline": "A"}, {"uri": "urn:x:2\r\nBcc: x", "headline": "B"}]
    with pytest.raises(Invalid) as caught:
        prepare(
            json.dumps(docs).encode(), "application/json", namespace="p",
            profile=Profile(), received_at=RECEIVED,
        )  # fmt: skip
    assert caught.value.status == 422
    assert caught.value.errors == [
        {
            "index": 1,
            "field": "/uri",
            "message": "contains the control or invisible character U+000D at offset 7",
        }
    ]


# ---- language and dateline in context ----------------------------------------------------------


def test_a_german_story_whose_first_line_is_english_is_german() -> None:
    body = (
        "Editor's note: This story replaces the version sent at 10:12 with a corrected figure.\n\n"
        "HAMBURG (dpa) - Die Deutsche Bahn will die Strecke zwischen Hamburg und Berlin bis zum "
        "Herbst sanieren. Während der Bauarbeiten fahren die Fernzüge über Umleitungen."
    )
    item = normalise(
        ParsedItem(format="nitf", uri="u", headline="Bahn saniert Strecke", body_text=body),
        MINSK,
        namespace="dpa",
    )
    assert item.language == "de"


def test_a_yearless_dateline_received_months_later_is_this_years() -> None:
    ctx = ParseContext(profile=Profile(timezone="Europe/Berlin"), received_at=DECEMBER)
    item = normalise(
        ParsedItem(format="text", headline="Talks", body_text=LEAD), ctx, namespace="d"
    )
    assert item.dateline is not None and item.dateline.date == date(2026, 5, 3)
