"""Normalisation: clean text, sanitised HTML, language, dateline, subjects, timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.errors import Invalid
from shared.model import Dateline, ParseContext, ParsedItem, Profile, Subject
from shared.normalise import (
    clean_line,
    fingerprint,
    html_to_text,
    normalise,
    sanitise_html,
    word_count,
)

RECEIVED = datetime(2022, 1, 7, 12, 0, tzinfo=UTC)
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


def test_dateline_year_is_nearest_to_the_stamp_in_the_partner_zone() -> None:
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
