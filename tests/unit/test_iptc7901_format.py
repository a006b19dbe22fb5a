"""shared.reading.formats.iptc7901: IPTC 7901 wire messages become one ParsedItem each."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.errors import Invalid, Malformed, TimestampError, UnsupportedMediaType
from shared.core.model import Dateline, ParseContext, ParsedItem, Profile, Subject
from shared.reading.formats import anpa, iptc7901

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "iptc7901"
RECEIVED = datetime(2024, 3, 17, 9, 0, tzinfo=UTC)
CTX = ParseContext(received_at=RECEIVED)
SOH, STX, ETX, EOT = "\x01", "\x02", "\x03", "\x04"


def sample(name: str, encoding: str = "utf-8") -> str:
    return (SAMPLES / name).read_bytes().decode(encoding)


def parse_one(doc: str, ctx: ParseContext = CTX) -> ParsedItem:
    items = iptc7901.parse(doc, ctx)
    assert len(items) == 1
    return items[0]


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def dpa_lead(place: str) -> Dateline:
    return Dateline(located=place, date=None, source="dpa", text=f"{place} (dpa)")


def category(code: str, name: str | None = None) -> Subject:
    return Subject(scheme="iptc7901-category", code=code, name=name)


def item(
    *,
    headline: str | None,
    paragraphs: Sequence[str],
    stamp: datetime,
    category: Subject,
    priority: int,
    urgency: int,
    keywords: Sequence[str] = (),
    dateline: Dateline | None = None,
    pubstatus: str = "usable",
    byline: str | None = None,
    abstract: str | None = None,
    ednote: str | None = None,
    source: str | None = "dpa",
) -> ParsedItem:
    """The item the parser must return: every field, the server-side ones left empty."""
    return ParsedItem(
        format="iptc-7901",
        uri=None,
        version=None,
        type="text",
        pubstatus=pubstatus,
        headline=headline,
        slugline="/".join(keywords) or None,
        byline=byline,
        abstract=abstract,
        ednote=ednote,
        body_text="\n\n".join(paragraphs),
        body_html="\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
        language=None,
        dateline=dateline,
        firstcreated=None,
        versioncreated=stamp,
        embargoed=None,
        urgency=urgency,
        priority=priority,
        subjects=[category],
        keywords=list(keywords),
        source=source,
    )


def message(*lines: str, heading: str = "dpa0001 4 vm 50", trailer: str = "161200 Mar 24") -> str:
    text = "\r\n".join(lines)
    return f"{SOH}{heading}\r\n{STX}{text}\r\n{ETX}\r\n{trailer}\r\n{EOT}"


def test_the_module_reads_text_family_bodies_as_iptc_7901() -> None:
    assert (iptc7901.NAME, iptc7901.FAMILY) == ("iptc-7901", "text")


def test_a_full_message_maps_heading_keywords_headline_byline_body_and_trailer() -> None:
    assert parse_one(sample("normal-story.7901")) == item(
        headline="Coalition agrees on 2025 budget after all-night talks",
        abstract="Spending to rise by 2 per cent while the debt brake stays in place",
        byline="By Anna Schmidt and Jonas Weber, dpa",
        keywords=["Germany", "Politics", "Budget"],
        paragraphs=[
            "Berlin (dpa) - Germany's governing coalition agreed on a draft budget for 2025 early "
            "on Friday after more than 14 hours of talks, government sources said.",
            "The draft foresees spending of 481 billion euros (520 billion dollars), about 2 per "
            "cent more than this year.",
            '"We have found a solution that keeps the debt brake," the finance minister told '
            "reporters.",
        ],
        dateline=dpa_lead("Berlin"),
        stamp=at(2024, 7, 5, 4, 12),
        category=category("pol", "Politics"),
        priority=3,
        urgency=3,
    )


def test_several_messages_are_a_batch_in_order() -> None:
    assert iptc7901.parse(sample("batch-three-messages.7901"), CTX) == [
        item(
            headline="Bayern gewinnt Spitzenspiel gegen Leverkusen",
            byline="Von Klaus Bergmann, dpa",
            keywords=["Fußball", "Bundesliga"],
            paragraphs=[
                "München (dpa) - Der FC Bayern München hat das Spitzenspiel gegen Bayer "
                "Leverkusen mit 3:1 gewonnen."
            ],
            dateline=dpa_lead("München"),
            stamp=at(2024, 3, 16, 18, 32),
            category=category("SPO", "Sport"),
            priority=4,
            urgency=5,
        ),
        item(
            headline="Storm warning for northern Germany",
            keywords=["Weather", "Storms"],
            paragraphs=[
                "Hamburg (dpa) - The German weather service issued a storm warning for the North "
                "Sea coast on Saturday evening."
            ],
            dateline=dpa_lead("Hamburg"),
            stamp=at(2024, 3, 16, 18, 40),
            category=category("vm"),
            priority=2,
            urgency=2,
        ),
        item(
            headline="Eurozone inflation eases to 2.6 per cent",
            keywords=["Economy", "Inflation"],
            paragraphs=[
                "Frankfurt (dpa) - Inflation in the eurozone eased in February, the EU statistics "
                "office said."
            ],
            dateline=dpa_lead("Frankfurt"),
            stamp=at(2024, 3, 16, 19, 5),
            category=category("FIN", "Economy, business and finance"),
            priority=4,
            urgency=5,
        ),
    ]


def test_the_not_for_publication_part_becomes_the_ednote() -> None:
    assert parse_one(sample("not-for-publication.7901")) == item(
        headline="The bears of Churchill: a town learns to live with its neighbours",
        byline="By Claire Dubois, dpa",
        ednote="Editorial contacts: Claire Dubois, Tel: +1-204-555-0147 Pictures available in "
        "the dpa picture service.",
        keywords=["Feature", "Canada", "Wildlife"],
        paragraphs=[
            "Churchill (dpa) - Every autumn, when the sea ice on Hudson Bay starts to form, the "
            "polar bears come to town.",
            "Residents keep their car doors unlocked so that anyone surprised by a bear can jump "
            "in.",
        ],
        dateline=dpa_lead("Churchill"),
        stamp=at(2023, 11, 2, 12, 15),
        category=category("HUM", "Human interest"),
        priority=4,
        urgency=5,
    )


def test_a_withdrawal_is_canceled_and_its_heading_note_is_the_ednote() -> None:
    assert parse_one(sample("kill-advisory.7901")) == item(
        headline="KILL: Report on minister's resignation withdrawn",
        ednote="Not for publication - editors please note: do not use dpa0512",
        keywords=["Withdrawal", "Berlin"],
        pubstatus="canceled",
        paragraphs=[
            'Berlin (dpa) - dpa withdraws its report dpa0512 "Transport minister resigns". The '
            "report was wrong: the minister has not resigned."
        ],
        dateline=dpa_lead("Berlin"),
        stamp=at(2024, 9, 12, 19, 5),
        category=category("pol", "Politics"),
        priority=1,
        urgency=1,
    )


def test_odd_codes_lone_cr_line_ends_and_a_trailer_before_etx_are_handled() -> None:
    doc = sample("odd-control-codes.7901", "latin-1")
    assert iptc7901.sniff(doc)
    assert parse_one(doc) == item(
        headline="Hochwasser an der Elbe steigt weiter",
        byline="Von Jörg Schäfer, dpa",
        paragraphs=[
            "Dresden (dpa) - Der Pegel der Elbe in Dresden ist am Dienstag auf 6,20 Meter "
            "gestiegen. Die Stadt rief Katastrophenalarm aus.",
            "Anwohner in Laubegast wurden aufgefordert, ihre Keller zu räumen.",
        ],
        dateline=dpa_lead("Dresden"),
        stamp=at(2024, 9, 17, 14, 30),
        category=category("vm"),
        priority=4,
        urgency=5,
    )


def test_a_trailer_without_month_takes_the_month_nearest_the_arrival() -> None:
    doc = message("Headline =", "", "Body text.", trailer="302330")
    assert parse_one(doc).versioncreated == at(2024, 3, 30, 23, 30)
    new_year = ParseContext(received_at=datetime(2024, 1, 1, 0, 5, tzinfo=UTC))
    doc = message("Headline =", "", "Body text.", trailer="312355")
    assert parse_one(doc, new_year).versioncreated == at(2023, 12, 31, 23, 55)


def test_a_naive_trailer_is_read_in_the_partners_time_zone() -> None:
    ctx = ParseContext(profile=Profile(timezone="Europe/Berlin"), received_at=RECEIVED)
    doc = message("Headline =", "", "Body text.", trailer="051412 Jul 24")
    assert parse_one(doc, ctx).versioncreated == at(2024, 7, 5, 12, 12)
    doc = message("Headline =", "", "Body text.", trailer="051412 MEZ Jan 24")
    assert parse_one(doc, ctx).versioncreated == at(2024, 1, 5, 13, 12)


def test_a_profile_category_mapping_adds_the_partners_subject() -> None:
    politics = Subject(scheme="iptc-subject", code="11000000", name="politics")
    ctx = ParseContext(profile=Profile(category_subjects={"pol": politics}), received_at=RECEIVED)
    assert parse_one(sample("normal-story.7901"), ctx).subjects == [
        category("pol", "Politics"),
        politics,
    ]


def test_a_message_without_etx_is_invalid_naming_the_soh_line() -> None:
    doc = f"\r\n{SOH}dpa0001 4 vm 50\r\n{STX}Headline =\r\nBody\r\n"
    with pytest.raises(Invalid) as caught:
        iptc7901.parse(doc, CTX)
    assert caught.value.errors == [
        {"line": 2, "message": "the IPTC 7901 message opened by SOH has no ETX"}
    ]


def test_a_missing_trailer_is_invalid_naming_the_etx_line() -> None:
    with pytest.raises(Invalid) as caught:
        iptc7901.parse(message("Headline =", "", "Body text.", trailer=""), CTX)
    assert type(caught.value) is Invalid
    assert caught.value.errors == [{"line": 5, "message": "no trailer ddhhmm [Mon YY] after ETX"}]


def test_an_impossible_trailer_is_a_timestamp_error_naming_its_line() -> None:
    with pytest.raises(TimestampError) as caught:
        iptc7901.parse(message("Headline =", "", "Body.", trailer="311200 Feb 24"), CTX)
    assert caught.value.errors == [
        {"line": 6, "message": "impossible date or time 2024-02-31 12:00"}
    ]


def test_a_bad_member_fails_the_batch_with_its_index() -> None:
    good = message("Headline =", "", "Body.")
    bad = message("Headline =", "", "Body.", trailer="162512 Mar 24")
    with pytest.raises(TimestampError) as caught:
        iptc7901.parse(good + bad, CTX)
    assert caught.value.errors == [
        {"index": 1, "line": 12, "message": "impossible date or time 2024-03-16 25:12"}
    ]


def test_a_message_with_neither_headline_nor_text_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        iptc7901.parse(message("Sport/", ""), CTX)
    assert caught.value.errors == [
        {"line": 2, "message": "the message has no headline and no text"}
    ]


def test_a_dpa_english_heading_block_files_markers_lead_notice_byline_and_notebook() -> None:
    assert parse_one(sample("english-heading-block.7901")) == item(
        headline="Coalition agrees on 2025 budget after all-night talks",
        byline="By Anna Schmidt and Jonas Weber, dpa",
        ednote="1st Lead; adds quotes from finance minister Editorial contact: Anna Schmidt, "
        "+49 30 555 0123",
        keywords=["Germany", "Politics", "Budget"],
        paragraphs=[
            "Berlin (dpa) - Germany's governing coalition agreed on a draft budget for 2025 early "
            "on Friday, government sources said.",
            '"We have found a solution that keeps the debt brake," the finance minister told '
            "reporters.",
        ],
        dateline=dpa_lead("Berlin"),
        stamp=at(2024, 7, 5, 4, 12),
        category=category("pol", "Politics"),
        priority=2,
        urgency=2,
    )


def test_a_heading_without_equals_signs_still_sorts_status_lines_headline_and_byline() -> None:
    got = parse_one(
        message(
            "FLASH",
            "(Eds: embargoed until 1200 GMT)",
            "Corrected repetition",
            "Storm surge floods",
            "Hamburg fish market",
            "",
            "By Lena Vogt, dpa",
            "",
            "Hamburg (dpa) - A storm surge flooded the fish market.",
        )
    )
    assert (got.headline, got.byline, got.ednote, got.abstract) == (
        "Storm surge floods Hamburg fish market",
        "By Lena Vogt, dpa",
        "embargoed until 1200 GMT; Corrected repetition",
        None,
    )
    assert got.body_text == "Hamburg (dpa) - A storm surge flooded the fish market."


@pytest.mark.parametrize(
    ("line", "ednote"),
    [
        ("2nd lead - adds death toll", "2nd lead - adds death toll"),
        ("REFILE", "REFILE"),
        ("CORRECTS spelling of minister's name in para 3",
         "CORRECTS spelling of minister's name in para 3"),
        ("(with pictures)", "with pictures"),
        ("1. Zusammenfassung", "1. Zusammenfassung"),
        ("Berichtigte Wiederholung", "Berichtigte Wiederholung"),
        ("EILT", None),
        ("+++ URGENT +++", None),
    ],
)  # fmt: skip
def test_status_lines_are_never_the_headline(line: str, ednote: str | None) -> None:
    got = parse_one(message(line, "Minister resigns =", "", "Berlin (dpa) - Text."))
    assert (got.headline, got.ednote) == ("Minister resigns", ednote)


@pytest.mark.parametrize(
    "headline",
    [
        "Embargo on Russian oil extended",
        "First lead found in missing hiker case",
        "Update on talks expected Friday",
        "Correction officers strike in Bavaria",
    ],
)
def test_headlines_that_open_with_a_status_word_stay_headlines(headline: str) -> None:
    got = parse_one(message(headline, "", "Berlin (dpa) - Text."))
    assert (got.headline, got.ednote) == (headline, None)


def test_markers_and_lead_lines_before_stx_are_not_keywords() -> None:
    doc = f"{SOH}dpa0001 2 pl 50\r\nGermany/Budget/\r\nURGENT\r\n2nd Lead\r\n{STX}Headline =\r\n"
    got = parse_one(doc + f"\r\nBerlin (dpa) - Text.\r\n{ETX}\r\n161200 Mar 24\r\n{EOT}")
    assert (got.slugline, got.keywords, got.ednote) == (
        "Germany/Budget",
        ["Germany", "Budget"],
        "2nd Lead",
    )


def test_an_urgent_sent_without_a_headline_keeps_its_lead_as_the_body() -> None:
    got = parse_one(message("URGENT", "", "Berlin (dpa) - The transport minister resigned."))
    assert (got.headline, got.ednote) == (None, None)
    assert got.body_text == "Berlin (dpa) - The transport minister resigned."
    assert got.dateline == dpa_lead("Berlin")


def test_short_lines_opening_like_a_byline_are_headline_and_text_when_they_name_no_one() -> None:
    got = parse_one(
        message("EU chief", "Von der Leyen to visit Kyiv", "", "By 2030, the EU wants peace.", "")
    )
    assert (got.headline, got.byline) == ("EU chief Von der Leyen to visit Kyiv", None)
    assert got.body_text == "By 2030, the EU wants peace."


def test_a_notizblock_heading_opens_the_desk_notes_even_without_a_notice_line() -> None:
    got = parse_one(
        message(
            "Bundestag wählt Präsidentin =",
            "",
            "Berlin (dpa) - Der Bundestag hat gewählt.",
            "",
            "Notizblock",
            "",
            "Internet: www.bundestag.de",
        )
    )
    assert got.body_text == "Berlin (dpa) - Der Bundestag hat gewählt."
    assert got.ednote == "Internet: www.bundestag.de"


def test_a_year_9999_trailer_east_of_utc_is_read_without_overflow() -> None:
    ctx = ParseContext(profile=Profile(timezone="Asia/Tokyo"), received_at=RECEIVED)
    doc = message("Headline =", "", "Tokyo, 16 March (dpa) - Text.", trailer="312359 GMT Dec 9999")
    got = parse_one(doc, ctx)
    assert got.versioncreated == at(9999, 12, 31, 23, 59)
    assert got.dateline is not None and got.dateline.date == date(2024, 3, 16)


def test_a_year_9999_trailer_west_of_utc_is_a_timestamp_error_naming_its_line() -> None:
    with pytest.raises(TimestampError) as caught:
        iptc7901.parse(message("Headline =", "", "Body.", trailer="312359 EST Dec 9999"), CTX)
    assert caught.value.errors == [
        {
            "line": 6,
            "message": "date and time 9999-12-31 23:59 lies outside the representable range in UTC",
        }
    ]


@pytest.mark.parametrize(
    "page",
    [
        "The SOH byte (0x01) starts an IPTC 7901 message: SOH dpa0001 4 vm 50 STX.",
        "Belarus and Uzbekistan agree\n07 January 2022, 13:21\nMINSK, 7 January (BelTA) – Text.",
        f"{SOH}dpa0001 4 vm 50\r\nno STX anywhere",
        f"{SOH}just some words\r\n{STX}text{ETX}",
        "",
    ],
)
def test_plain_prose_and_half_framed_text_are_not_sniffed_as_iptc_7901(page: str) -> None:
    assert iptc7901.sniff(page) is False


def test_an_iptc_7901_message_is_not_taken_for_anpa() -> None:
    assert anpa.sniff(sample("normal-story.7901")) is False


@settings(max_examples=300, database=None, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("\x01\x02\x03\x04\x16dpa0123456 vmSPO=/\t\r\nBy(-)"))
    | st.text()
)
def test_any_text_parses_or_is_refused_cleanly(doc: str) -> None:
    for candidate in (
        doc,
        f"{SOH}dpa1 4 vm 9\n{STX}" + doc,
        sample("normal-story.7901")[: len(doc)],
    ):
        try:
            items = iptc7901.parse(candidate, CTX)
        except (Malformed, Invalid, UnsupportedMediaType) as exc:
            assert exc.errors and all("message" in e for e in exc.errors)
        else:
            assert items and all(isinstance(i, ParsedItem) for i in items)
