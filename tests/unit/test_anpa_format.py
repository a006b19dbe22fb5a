"""shared.reading.formats.anpa: ANPA 1312 wire copy becomes one ParsedItem per message."""

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
from shared.reading.formats import anpa, iptc7901, text
from shared.reading.normalise import MAX_DERIVED_HEADLINE, headline_from_body
from shared.reading.prepare import prepare
from shared.reading.repairs import collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
RECEIVED = datetime(2024, 6, 15, 9, 0, tzinfo=UTC)
CTX = ParseContext(received_at=RECEIVED)
SYN, SOH, STX, ETX, EOT, US = "\x16", "\x01", "\x02", "\x03", "\x04", "\x1f"
STAMP = "06-14-24 1000GMT"


def sample(name: str) -> str:
    """Legacy wires are 7-bit ASCII or latin-1; the registry hands the module decoded text."""
    return (SAMPLES / "anpa" / name).read_bytes().decode("latin-1")


def parse_one(doc: str, ctx: ParseContext = CTX) -> ParsedItem:
    items = anpa.parse(doc, ctx)
    assert len(items) == 1
    return items[0]


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ap_lead(place: str, text: str) -> Dateline:
    return Dateline(located=place, date=None, source="AP", text=text)


def category(code: str, name: str | None) -> Subject:
    return Subject(scheme="anpa-category", code=code, name=name)


def supplemental(code: str) -> Subject:
    return Subject(scheme="anpa-supplemental", code=code)


def item(
    *,
    headline: str | None,
    paragraphs: Sequence[str],
    stamp: datetime,
    subjects: Sequence[Subject],
    slugline: str | None,
    urgency: int,
    priority: int,
    dateline: Dateline | None = None,
    version: str | None = None,
    pubstatus: str = "usable",
    byline: str | None = None,
    abstract: str | None = None,
    ednote: str | None = None,
    source: str | None = "AP",
) -> ParsedItem:
    """The item the parser must return: every field, the server-side ones left empty."""
    return ParsedItem(
        format="anpa-1312",
        uri=None,
        version=version,
        type="text",
        pubstatus=pubstatus,
        headline=headline,
        slugline=slugline,
        byline=byline,
        abstract=abstract,
        ednote=ednote,
        body_text="\n\n".join(paragraphs),
        body_html="\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
        language=None,
        dateline=dateline,
        firstcreated=stamp,
        versioncreated=stamp,
        embargoed=None,
        urgency=urgency,
        priority=priority,
        subjects=list(subjects),
        keywords=[],
        source=source,
    )


def framed(*lines: str, header: str = "r a\x13\x11 BC-Test 06-14 0100", trailer: str = "") -> str:
    body = "\r\n".join(lines)
    return f"{SYN}{SYN}{SOH}a0001{US}-----\r\n{header}\r\n{STX}{body}\r\n{ETX}{trailer}\r\n{EOT}"


def test_the_module_reads_text_family_bodies_as_anpa_1312() -> None:
    assert (anpa.NAME, anpa.FAMILY) == ("anpa-1312", "text")


def test_a_full_story_maps_every_header_and_text_field() -> None:
    assert parse_one(sample("normal-story.anpa")) == item(
        headline="Highway bridge collapses into Ohio River; 3 hurt",
        abstract="Crews search for vehicles after span of Route 52 bridge gives way during rush "
        "hour",
        byline="By MARGARET ELLSWORTH, Associated Press",
        ednote="Updates with governor's comments, new casualty figures. With AP Photos.",
        slugline="Bridge-Collapse",
        version="1st Ld-Writethru",
        paragraphs=[
            "PORTSMOUTH, Ohio (AP) _ A section of a highway bridge over the Ohio River collapsed "
            "during the evening rush hour Friday, sending at least two cars into the water and "
            "injuring three people, authorities said.",
            "“We heard a sound like thunder and then the whole middle just dropped,” said Dale "
            "Hutchins, who was fishing from the riverbank.",
            "Gov. Ellen Marsh said state inspectors had rated the span “fair” in a review last "
            "year and promised a full investigation.",
            "___",
            "Associated Press writer Tom Reyes in Columbus contributed to this report.",
        ],
        dateline=ap_lead("Portsmouth, Ohio", "PORTSMOUTH, Ohio (AP)"),
        stamp=at(2024, 6, 14, 22, 47),
        urgency=3,
        priority=3,
        subjects=[category("a", "Domestic news"), supplemental("US")],
    )


def test_a_stream_of_three_stories_is_a_batch_in_order() -> None:
    items = anpa.parse(sample("batch-three-stories.anpa"), CTX)
    assert items == [
        item(
            headline="Reyes scores 31, Storm hold off Wolves 104-99",
            byline="By DANIEL KOWALSKI, AP Sports Writer",
            slugline="Storm-Wolves",
            paragraphs=[
                "SEATTLE (AP) _ Nina Reyes scored 31 points and the Seattle Storm held off the "
                "Minnesota Wolves 104-99 on Saturday night.",
                "The Wolves pulled within two with 40 seconds left but missed their last three "
                "shots.",
            ],
            dateline=ap_lead("Seattle", "SEATTLE (AP)"),
            stamp=at(2024, 3, 3, 5, 41),
            urgency=5,
            priority=4,
            subjects=[category("s", "Sports"), supplemental("BKN")],
        ),
        item(
            headline="Fed officials signal patience on rate cuts",
            byline="By LAURA BENNETT, AP Economics Writer",
            slugline="Fed-Rates",
            paragraphs=[
                "WASHINGTON (AP) _ Two Federal Reserve officials said Saturday that the central "
                "bank can afford to wait before cutting interest rates."
            ],
            dateline=ap_lead("Washington", "WASHINGTON (AP)"),
            stamp=at(2024, 3, 3, 6, 2),
            urgency=5,
            priority=4,
            subjects=[category("f", "Business and finance")],
        ),
        item(
            headline="Farmers block roads to Brussels for third day",
            slugline="Farm-Protests",
            paragraphs=[
                "BRUSSELS (AP) _ Hundreds of tractors blocked the main roads into Brussels for a "
                "third day on Saturday as farmers protested against cheap imports."
            ],
            dateline=ap_lead("Brussels", "BRUSSELS (AP)"),
            stamp=at(2024, 3, 3, 6, 15),
            urgency=6,
            priority=5,
            subjects=[category("i", "International news"), supplemental("EU")],
        ),
    ]


def test_an_editors_note_paragraph_becomes_the_ednote_and_leaves_the_body() -> None:
    assert parse_one(sample("editors-note.anpa")) == item(
        headline="In parched Kansas, wheat farmers weigh selling the family land",
        byline="By RUTH CALDWELL, Associated Press",
        ednote="This story is part of an occasional series on how the drought is changing rural "
        "America.",
        slugline="Drought-Farmers",
        paragraphs=[
            "DODGE CITY, Kan. (AP) _ Walt Brenner has farmed the same 1,200 acres for 41 years. "
            "This summer, for the first time, he listed them for sale.",
            "“Three dry years in a row will do that,” he said.",
        ],
        dateline=ap_lead("Dodge City, Kan.", "DODGE CITY, Kan. (AP)"),
        stamp=at(2023, 8, 5, 14, 10),
        urgency=5,
        priority=4,
        subjects=[category("a", "Domestic news"), supplemental("US")],
    )


def test_a_kill_advisory_cancels_the_story() -> None:
    assert parse_one(sample("kill-advisory.anpa")) == item(
        headline="KILL: Bank robbery story",
        ednote="KILL the story slugged BC-US--Bank-Robbery. The suspect named in it was "
        "misidentified.",
        slugline="Bank-Robbery",
        version="KILL",
        pubstatus="canceled",
        paragraphs=[
            "CHICAGO (AP) _ The Associated Press has withdrawn its story on a bank robbery in "
            "Chicago, sent at 10:42 a.m. EST. It misidentified the suspect. A substitute story "
            "will be sent."
        ],
        dateline=ap_lead("Chicago", "CHICAGO (AP)"),
        stamp=at(2023, 11, 21, 16, 55),
        urgency=2,
        priority=2,
        subjects=[category("v", "Advisories"), supplemental("US")],
    )


def test_tts_codes_are_translated_or_removed_and_cr_cr_lf_is_one_line_end() -> None:
    assert parse_one(sample("odd-control-codes.anpa")) == item(
        headline="Wildfire near El Paso forces evacuation of 2,000",
        byline="By JOSÉ MARTÍNEZ",
        slugline="Border-Fire",
        version="2nd Ld-Writethru",
        paragraphs=[
            "EL PASO, Texas (AP) _ A wind-driven wildfire forced about 2,000 residents from their "
            "homes on Wednesday, the fire chief, Andrés Peña, said.",
            "Crews from New Mexico joined the fight overnight.",
        ],
        dateline=ap_lead("El Paso, Texas", "EL PASO, Texas (AP)"),
        stamp=at(2024, 10, 9, 7, 2),
        urgency=3,
        priority=3,
        subjects=[category("n", "State and regional news"), supplemental("TX")],
    )


def test_a_tabular_agate_story_keeps_its_columns_in_a_pre_block() -> None:
    rows = ["\t          W\tL\tPct", "\tDuluth     52\t31\t.627", "\tFargo      47\t36\t.566"]
    expected = item(
        headline="Northern League standings",
        slugline="Standings",
        paragraphs=[],
        stamp=at(2024, 7, 1, 4, 30),
        urgency=5,
        priority=4,
        subjects=[category("q", "Sports results"), supplemental("BBO")],
    )
    expected.body_text = "\n".join(rows)
    expected.body_html = "<pre>" + html.escape("\n".join(rows), quote=False) + "</pre>"
    assert parse_one(sample("tabular-standings.anpa")) == expected


def test_a_profile_category_mapping_adds_the_partners_subject() -> None:
    business = Subject(scheme="iptc-mediatopic", code="04000000", name="economy")
    ctx = ParseContext(
        profile=Profile(category_subjects={"Business and finance": business}), received_at=RECEIVED
    )
    items = anpa.parse(sample("batch-three-stories.anpa"), ctx)
    assert items[1].subjects == [category("f", "Business and finance"), business]


def test_a_two_digit_year_is_the_one_nearest_the_arrival() -> None:
    doc = framed("^Headline<", "\t   Body text here.", trailer="AP-WF-12-31-99 2359GMT<")
    assert parse_one(doc).firstcreated == at(1999, 12, 31, 23, 59)
    late = ParseContext(received_at=datetime(2098, 6, 1, tzinfo=UTC))
    assert parse_one(doc, late).firstcreated == at(2099, 12, 31, 23, 59)


def test_a_trailer_in_eastern_time_is_converted_with_daylight_saving() -> None:
    summer = framed("^Headline<", "\t   Body.", trailer="06-14-24 1830ET")
    winter = framed("^Headline<", "\t   Body.", trailer="01-14-24 1830ET")
    assert parse_one(summer).versioncreated == at(2024, 6, 14, 22, 30)
    assert parse_one(winter).versioncreated == at(2024, 1, 14, 23, 30)


def test_a_trailer_without_a_zone_is_read_in_the_partners_time_zone() -> None:
    ctx = ParseContext(profile=Profile(timezone="Europe/Berlin"), received_at=RECEIVED)
    doc = framed("^Headline<", "\t   Body.", trailer="06-14-24 1830")
    assert parse_one(doc, ctx).versioncreated == at(2024, 6, 14, 16, 30)


def test_an_soh_without_etx_is_invalid_naming_its_line() -> None:
    doc = f"{SOH}a0001{US}-----\r\nr a\x13\x11 BC-Test 06-14 0100\r\n{STX}^Head<\r\n\tBody\r\n"
    with pytest.raises(Invalid) as caught:
        anpa.parse(doc, CTX)
    assert caught.value.errors == [
        {"line": 1, "message": "the ANPA 1312 message opened by SOH has no ETX"}
    ]


def test_a_missing_trailer_is_invalid_naming_the_etx_line() -> None:
    with pytest.raises(Invalid) as caught:
        anpa.parse(framed("^Headline<", "\t   Body."), CTX)
    assert type(caught.value) is Invalid
    assert caught.value.errors == [{"line": 5, "message": "no trailer MM-DD-YY HHMM after ETX"}]


def test_an_impossible_trailer_date_is_a_timestamp_error_naming_the_line() -> None:
    with pytest.raises(TimestampError) as caught:
        anpa.parse(framed("^Headline<", "\t   Body.", trailer="AP-WF-02-30-24 1200GMT<"), CTX)
    assert caught.value.errors == [
        {"line": 5, "message": "impossible date or time 2024-02-30 12:00"}
    ]


def test_a_story_with_neither_headline_nor_body_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        anpa.parse(framed("^BC-Test,0<", "", trailer="06-14-24 1200GMT"), CTX)
    assert caught.value.errors == [{"line": 3, "message": "the story has no headline and no body"}]


def test_an_invalid_member_fails_the_whole_batch_with_its_index() -> None:
    good = framed("^Headline<", "\t   Body.", trailer="06-14-24 1200GMT")
    bad = framed("^Headline<", "\t   Body.", trailer="06-31-24 1200GMT")
    with pytest.raises(TimestampError) as caught:
        anpa.parse(good + bad, CTX)
    assert caught.value.errors == [
        {"index": 1, "line": 10, "message": "impossible date or time 2024-06-31 12:00"}
    ]


def test_an_unreadable_priority_line_is_invalid_naming_it() -> None:
    doc = framed(
        "^Headline<", "\t   Body.", header="this is not a header", trailer="06-14-24 1200GMT"
    )
    with pytest.raises(Invalid) as caught:
        anpa.parse(doc, CTX)
    assert caught.value.errors[0]["line"] == 2


def test_a_headline_less_bulletin_keeps_its_sentence_as_the_body() -> None:
    assert parse_one(sample("bulletin-no-headline.anpa")) == item(
        headline=None,
        slugline="Budget-Vote",
        paragraphs=["WASHINGTON (AP) _ The Senate passed the budget bill 52-48."],
        dateline=ap_lead("Washington", "WASHINGTON (AP)"),
        stamp=at(2024, 6, 14, 21, 57),
        urgency=2,
        priority=2,
        subjects=[category("w", "Washington news"), supplemental("US")],
    )


def test_a_headline_less_bulletin_is_titled_by_its_first_sentence_with_a_warning() -> None:
    raw = sample("bulletin-no-headline.anpa").encode("latin-1")
    [got] = prepare(raw, "text/plain", namespace="ap", profile=Profile(), received_at=RECEIVED)
    assert got.headline == "The Senate passed the budget bill 52-48."
    assert got.warnings == [
        {
            "code": "headline_derived",
            "field": "/headline",
            "message": "no headline: the first sentence of the text is used",
        }
    ]


def test_a_caret_line_opening_with_a_dateline_is_the_body_not_the_headline() -> None:
    got = parse_one(
        framed(
            "^BC-US--Tower-Fire,0040<",
            "^FLASH<",
            "^NEW YORK (AP) _ Fire swept through a Queens tower. Dozens were led to safety.<",
            header="f a\x13\x11 BC-US--Tower-Fire 06-14 0040",
            trailer=STAMP,
        )
    )
    assert (got.headline, got.abstract, got.urgency) == (None, None, 1)
    assert got.body_text == (
        "NEW YORK (AP) _ Fire swept through a Queens tower. Dozens were led to safety."
    )
    assert got.dateline == ap_lead("New York", "NEW YORK (AP)")


def test_a_digest_of_caret_lines_keeps_them_as_its_body_not_its_abstract() -> None:
    got = parse_one(
        framed(
            "^BC-AP-Top-Stories,0160<",
            "^AP Top Stories at 6 a.m. EDT<",
            "^Eds: Times are EDT.<",
            "^BUDGET-VOTE _ The Senate passes the budget bill. SENT: 640 words.<",
            "^By a vote of 52-48, senators sent the bill to the House after a late-night session.<",
            trailer=STAMP,
        )
    )
    assert (got.headline, got.ednote, got.abstract, got.byline) == (
        "AP Top Stories at 6 a.m. EDT",
        "Times are EDT.",
        None,
        None,
    )
    assert got.body_text == (
        "BUDGET-VOTE _ The Senate passes the budget bill. SENT: 640 words.\n\n"
        "By a vote of 52-48, senators sent the bill to the House after a late-night session."
    )


def test_table_headings_stay_in_the_preformatted_body_not_in_byline_or_abstract() -> None:
    got = parse_one(sample("agate-headings.anpa"))
    rows = [
        "All Times CDT",
        "East Division",
        "\t          W\tL\tPct",
        "\tWinnipeg   38\t19\t.667",
        "West Division",
        "\tBillings   31\t25\t.554",
    ]
    assert (got.headline, got.byline, got.abstract, got.dateline) == (
        "Prairie League standings",
        "By The Associated Press",
        None,
        None,
    )
    assert got.body_text == "\n".join(rows)
    assert got.body_html == "<pre>" + html.escape("\n".join(rows), quote=False) + "</pre>"


def test_agate_sent_without_the_tabular_code_is_known_by_its_columns() -> None:
    got = parse_one(
        framed(
            "^Lakeside Classic Scores<",
            "^Third Round=",
            "\tMaren Holt        68-66-67  —  201",
            "\tAiko Tanabe       70-65-68  —  203",
            "\tPriya Raman       69-69-66  —  204",
            trailer=STAMP,
        )
    )
    assert (got.byline, got.abstract) == (None, None)
    assert got.body_text == (
        "Third Round\n\tMaren Holt        68-66-67  —  201\n\tAiko Tanabe       70-65-68  —  203"
        "\n\tPriya Raman       69-69-66  —  204"
    )


def test_prose_with_two_spaces_after_its_sentences_is_not_a_table() -> None:
    got = parse_one(
        framed(
            "^Headline<",
            "\t   DENVER (AP) _ Snow fell on 12 May.  Crews worked 14 hours.",
            "\t   Roads reopened at 6 p.m.  About 300 cars were stuck.",
            "\t   The storm moved east by 9 p.m.  Another is due on 15 May.",
            trailer=STAMP,
        )
    )
    assert got.body_text is not None and got.body_text.count("\n\n") == 2
    assert got.dateline == ap_lead("Denver", "DENVER (AP)")


def test_control_codes_and_a_lowercase_cycle_prefix_stay_out_of_the_header_slug() -> None:
    doc = framed(
        "^Heat wave strains Texas power grid<",
        "\t   AUSTIN, Texas (AP) _ Grid operators asked residents to conserve power.",
        header="u n \x13\x11\x0ebc-TX--Heat-Wave\x0f 2ndLd-Writethru  06-14 0130",
        trailer=STAMP,
    )
    got = parse_one(doc)
    assert (got.slugline, got.version) == ("Heat-Wave", "2ndLd-Writethru")
    assert got.subjects == [category("n", "State and regional news"), supplemental("TX")]


def test_codes_sent_with_the_parity_bit_set_are_removed_from_keyword_lines() -> None:
    doc = framed("^\x8eBC-US--Fed-Rates\x9c,0220<", "^Headline<", "\t   Body.", trailer=STAMP)
    got = parse_one(doc)
    assert got.slugline == "Fed-Rates"


def test_a_year_9999_trailer_east_of_utc_parses_and_reads_the_lead_near_arrival() -> None:
    ctx = ParseContext(profile=Profile(timezone="Asia/Seoul"), received_at=RECEIVED)
    doc = framed(
        "^Headline<", "\t   SEOUL, June 14 (AP) _ Body.", trailer="AP-WF-12-31-9999 2359GMT<"
    )
    got = parse_one(doc, ctx)
    assert got.versioncreated == at(9999, 12, 31, 23, 59)
    assert got.dateline is not None and got.dateline.date == date(2024, 6, 14)


def test_a_year_9999_trailer_west_of_utc_is_a_timestamp_error_naming_the_line() -> None:
    with pytest.raises(TimestampError) as caught:
        anpa.parse(framed("^Headline<", "\t   Body.", trailer="12-31-9999 2359ET"), CTX)
    assert caught.value.errors == [
        {
            "line": 5,
            "message": "date and time 9999-12-31 23:59 lies outside the representable range in UTC",
        }
    ]


@pytest.mark.parametrize(
    ("body", "lead", "headline"),
    [
        ("WASHINGTON (AP) — The Senate passed the budget bill 52-48.", "WASHINGTON (AP)",
         "The Senate passed the budget bill 52-48."),
        ("PORTSMOUTH, Ohio (AP) _ Gov. Ellen Marsh said the U.S. bridge fund is empty. More.",
         "PORTSMOUTH, Ohio (AP)", "Gov. Ellen Marsh said the U.S. bridge fund is empty."),
        ("Fire crews were called at 10 a.m. Friday. Nobody was hurt.", None,
         "Fire crews were called at 10 a.m. Friday."),
        ("WASHINGTON lawmakers agreed on Friday. More.", "WASHINGTON",
         "WASHINGTON lawmakers agreed on Friday."),
        ("BERLIN (dpa) - " + "Coalition talks " * 20, "BERLIN (dpa)",
         "Coalition talks " * 6 + "Coalition talks…"),
    ],
)  # fmt: skip
def test_a_derived_headline_is_the_first_sentence_after_the_lead(
    body: str, lead: str | None, headline: str
) -> None:
    dateline = Dateline(text=lead) if lead else None
    derived = headline_from_body(body, dateline)
    assert derived == headline
    assert derived is not None and len(derived) <= MAX_DERIVED_HEADLINE


def test_no_headline_is_derived_without_body_text() -> None:
    with collecting() as warnings:
        assert headline_from_body(None, None) is None
    assert warnings == []


@pytest.mark.parametrize(
    "page",
    [
        "SOH and STX are the names of control characters.\nSYN SYN SOH a0001 US ----- is framing.",
        "Belarus and Uzbekistan agree\n07 January 2022, 13:21\nMINSK, 7 January (BelTA) – Text.",
        '{"uri": "urn:x", "headline": "ninjs"}',
        "a0001\x1f----- without the SOH byte",
        "",
    ],
)
def test_plain_prose_and_other_formats_are_not_sniffed_as_anpa(page: str) -> None:
    assert anpa.sniff(page) is False


def test_iptc_7901_is_not_sniffed_as_anpa_nor_anpa_as_iptc_7901() -> None:
    seven = (SAMPLES / "iptc7901" / "normal-story.7901").read_text(encoding="utf-8")
    assert (anpa.sniff(seven), iptc7901.sniff(sample("normal-story.anpa"))) == (False, False)
    assert anpa.sniff(sample("normal-story.anpa")) and text.sniff(seven)


@settings(max_examples=300, database=None, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("\x16\x01\x02\x03\x04\x1f\x13\x11\x12^<=\t\r\n -_0123abrAP"))
    | st.text()
)
def test_any_text_parses_or_is_refused_cleanly(doc: str) -> None:
    for candidate in (doc, f"\x01a1{US}\n" + doc, sample("normal-story.anpa")[: len(doc)]):
        try:
            items = anpa.parse(candidate, CTX)
        except (Malformed, Invalid, UnsupportedMediaType) as exc:
            assert exc.errors and all("message" in e for e in exc.errors)
        else:
            assert items and all(isinstance(i, ParsedItem) for i in items)
