"""shared.reading.formats.text: a plain-text wire page becomes one ParsedItem without its chrome."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from shared.core.errors import Invalid, Malformed, TimestampError
from shared.core.model import Dateline, ParseContext, ParsedItem, Profile, Subject
from shared.reading.formats import parse_body, text
from shared.reading.repairs import Warning_, collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "text"
DEMO = Path(__file__).resolve().parents[2] / "services" / "cli" / "samples"
RECEIVED = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
MINSK_CTX = ParseContext(profile=Profile(timezone="Europe/Minsk"), received_at=RECEIVED)


def parse(page: str, ctx: ParseContext = MINSK_CTX) -> ParsedItem:
    items = text.parse(page, ctx)
    assert len(items) == 1
    return items[0]


def sample(name: str, folder: Path = SAMPLES) -> str:
    return (folder / name).read_text(encoding="utf-8")


def item(
    *,
    headline: str,
    paragraphs: Sequence[str],
    dateline: Dateline | None = None,
    stamp: datetime | None = None,
    subjects: Sequence[Subject] = (),
    source: str | None = None,
) -> ParsedItem:
    """The item the parser must return: every field, the server-side ones left empty."""
    return ParsedItem(
        format="text",
        uri=None,
        version=None,
        type="text",
        pubstatus="usable",
        headline=headline,
        body_text="\n\n".join(paragraphs),
        body_html="\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
        language=None,
        dateline=dateline,
        firstcreated=stamp,
        versioncreated=stamp,
        subjects=list(subjects),
        source=source,
    )


def category(name: str) -> Subject:
    return Subject(scheme="category", code=None, name=name)


def test_the_module_is_the_fallback_of_the_text_family() -> None:
    assert (text.NAME, text.FAMILY) == ("text", "text")
    assert text.sniff("anything at all") is True


def test_an_english_page_in_the_belta_shape_gives_every_field() -> None:
    assert parse(sample("en-economy-march.txt")) == item(
        headline="Belarus and Uzbekistan agree to double deliveries of grain elevators",
        paragraphs=[
            "MINSK, 14 March (BelTA) – Belarus and Uzbekistan have agreed to double the supply of "
            "Belarusian-made grain elevator equipment over the next two years, Deputy Industry "
            "Minister Pavel Kovalenko told reporters after a meeting of the bilateral working "
            "group in Minsk on 14 March.",
            "The parties signed a roadmap that covers the delivery of 40 modular elevators, the "
            "training of service engineers and the opening of a joint assembly site near "
            'Tashkent. "Our partners want equipment that can be serviced locally, and we are '
            'ready to give them exactly that," the deputy minister said.',
            "According to him, the first 12 units will be shipped before the autumn harvest. The "
            "remaining units will follow in 2024, once the assembly site is operational.",
            "Trade between the two countries grew by 18% in 2022. Machine-building products & "
            "spare parts account for almost a third of Belarusian exports to Uzbekistan.",
            "The working group will meet again in Tashkent in September to review progress.",
        ],
        dateline=Dateline("Minsk", date(2023, 3, 14), "BelTA", "MINSK, 14 March (BelTA)"),
        stamp=datetime(2023, 3, 14, 13, 45, tzinfo=UTC),
        subjects=[category("Economy")],
        source="BelTA",
    )


def test_body_html_has_one_escaped_paragraph_per_block() -> None:
    body_html = parse(sample("en-economy-march.txt")).body_html or ""
    assert body_html.count("<p>") == 5 and body_html.count("</p>\n<p>") == 4
    assert (
        "<p>Trade between the two countries grew by 18% in 2022. Machine-building products "
        "&amp; spare parts account for almost a third of Belarusian exports to "
        "Uzbekistan.</p>" in body_html
    )
    assert parse('A <b> headline\n\nTom & Jerry <i>said</i> "hi".').body_html == (
        '<p>Tom &amp; Jerry &lt;i&gt;said&lt;/i&gt; "hi".</p>'
    )


def test_a_russian_page_keeps_cyrillic_place_and_agency() -> None:
    assert parse(sample("ru-society-january.txt")) == item(
        headline="В Минске открылась зимняя ярмарка народных мастеров",
        paragraphs=[
            "МИНСК, 7 января (БЕЛТА) – Зимняя ярмарка народных мастеров открылась в Минске на "
            "площади у Дворца Республики, сообщили корреспонденту БЕЛТА в городском управлении "
            "культуры.",
            "На ярмарке представлены изделия из соломки, льна и дерева, керамика и вышивка. Свои "
            "работы привезли мастера из всех областей страны.",
            "«Многие приходят целыми семьями, чтобы выбрать подарки и поучаствовать в "
            "мастер-классах», – рассказала одна из организаторов ярмарки.",
            "Ярмарка будет работать до 10 января ежедневно с 10.00 до 20.00.",
        ],
        dateline=Dateline("Минск", date(2022, 1, 7), "БЕЛТА", "МИНСК, 7 января (БЕЛТА)"),
        stamp=datetime(2022, 1, 7, 10, 21, tzinfo=UTC),
        subjects=[category("Общество")],
        source="БЕЛТА",
    )


def test_a_stamp_on_new_years_eve_dates_a_1_january_lead_in_the_new_year() -> None:
    assert parse(sample("en-new-year-eve-stamp.txt")) == item(
        headline="Minsk welcomes 2022 with fireworks over the Svisloch",
        paragraphs=[
            "MINSK, 1 January (BelTA) – Thousands of people gathered on the embankments of the "
            "Svisloch River to see in the New Year as a twelve-minute fireworks display lit up "
            "the sky over the centre of Minsk.",
            "The city authorities said the display was launched from four sites at once so that "
            "it could be seen from most districts of the capital. Public transport ran until 2am "
            "to take people home.",
            '"It was cold, but nobody wanted to leave," said a student who came to the '
            "embankment with friends.",
            "Police reported no serious incidents during the celebrations.",
        ],
        dateline=Dateline("Minsk", date(2022, 1, 1), "BelTA", "MINSK, 1 January (BelTA)"),
        stamp=datetime(2021, 12, 31, 20, 50, tzinfo=UTC),
        subjects=[category("Society")],
        source="BelTA",
    )


def test_a_stamp_just_after_midnight_dates_a_31_december_lead_in_the_old_year() -> None:
    assert parse(sample("en-new-year-morning-stamp.txt")) == item(
        headline="Regional freight operator reports busiest year on record",
        paragraphs=[
            "MINSK, 31 December (BelTA) – A regional freight operator based in Minsk handled "
            "more container trains in 2021 than in any previous year, its press service said on "
            "the last day of the year.",
            "Transit shipments between Asia and the European Union accounted for most of the "
            "growth. The number of container trains the company handled rose by a quarter "
            "compared with 2020.",
            "The operator plans to open a second terminal near Brest and to buy new shunting "
            "locomotives in 2022.",
        ],
        dateline=Dateline("Minsk", date(2021, 12, 31), "BelTA", "MINSK, 31 December (BelTA)"),
        stamp=datetime(2021, 12, 31, 21, 10, tzinfo=UTC),
        subjects=[category("Economy")],
        source="BelTA",
    )


def test_a_page_without_chrome_or_stamp_dates_its_lead_from_the_arrival() -> None:
    june = ParseContext(profile=MINSK_CTX.profile, received_at=datetime(2024, 6, 22, 9, tzinfo=UTC))
    assert parse(sample("en-no-chrome-june.txt"), june) == item(
        headline="Vitebsk prepares to host international arts festival",
        paragraphs=[
            "VITEBSK, 22 June (BelTA) – Preparations for the international arts festival are "
            "entering their final stage in Vitebsk, with the main stage in the Summer "
            "Amphitheatre almost ready, the city executive committee said.",
            "More than 3,000 performers from 20 countries are expected to take part. The "
            "organisers have added two open-air venues in the old town this year.",
            "Tickets for the opening concert sold out within a week.",
        ],
        dateline=Dateline("Vitebsk", date(2024, 6, 22), "BelTA", "VITEBSK, 22 June (BelTA)"),
        source="BelTA",
    )


def test_a_page_without_a_dateline_takes_the_line_after_the_stamp_as_headline() -> None:
    assert parse(sample("en-no-dateline-october.txt")) == item(
        headline="Academy of Sciences opens a laboratory of plant genetics",
        paragraphs=[
            "A new laboratory of plant genetics has opened at the Academy of Sciences in Minsk, "
            "where researchers will work on frost-resistant varieties of winter wheat and "
            "rapeseed.",
            "The laboratory has received modern sequencing equipment. Its staff of 25 includes "
            "eight young scientists who joined after postgraduate studies abroad.",
            "The first results are expected in two years, the academy said.",
        ],
        stamp=datetime(2022, 10, 12, 6, 5, tzinfo=UTC),
        subjects=[category("Science")],
    )


def test_hard_wrapped_paragraphs_are_joined_and_an_ap_lead_is_read() -> None:
    assert parse(sample("en-ap-style-wrapped.txt")) == item(
        headline="Subway service restored after overnight signal failure",
        paragraphs=[
            "NEW YORK (AP) _ Service on three subway lines was restored early Friday after a "
            "signal failure in lower Manhattan stranded thousands of late-night riders, transit "
            "officials said.",
            "Crews worked through the night to replace a damaged relay, a spokeswoman for the "
            "transit authority said. No injuries were reported.",
        ],
        dateline=Dateline("New York", None, "AP", "NEW YORK (AP)"),
        source="AP",
    )


@pytest.mark.parametrize(
    ("name", "headline", "located", "source"),
    [
        (
            "belta-style-en.txt",
            "Grodno Oblast to build 14 new rural health centres this year",
            "Grodno",
            "BelTA",
        ),
        (
            "belta-style-ru.txt",
            "В Гродненской области в этом году построят 14 сельских амбулаторий",
            "Гродно",
            "БЕЛТА",
        ),
    ],
)
def test_the_demo_samples_parse_with_only_the_time_zone_configured(
    name: str, headline: str, located: str, source: str
) -> None:
    parsed = parse(sample(name, DEMO))
    assert (parsed.headline, parsed.source, parsed.firstcreated, parsed.versioncreated) == (
        headline,
        source,
        datetime(2022, 2, 9, 8, 40, tzinfo=UTC),
        datetime(2022, 2, 9, 8, 40, tzinfo=UTC),
    )
    assert parsed.dateline is not None
    assert (parsed.dateline.located, parsed.dateline.date) == (located, date(2022, 2, 9))
    assert (parsed.body_text or "").startswith(parsed.dateline.text + " – ")
    assert len(parsed.body_text.split("\n\n")) == 4  # type: ignore[union-attr]
    assert parsed.subjects in ([category("Regions")], [category("Регионы")])


def test_a_scrape_date_in_the_chrome_is_never_the_story_date() -> None:
    page = (
        "Projects\nFlag Tuesday, 16 April 2024\nAll news\nSport\n\n"
        "Belarusian biathletes win relay gold\n\n"
        "RAUBICHI, 9 January (BelTA) – The national team won the relay at home.\n"
    )
    assert parse(page) == item(
        headline="Belarusian biathletes win relay gold",
        paragraphs=["RAUBICHI, 9 January (BelTA) – The national team won the relay at home."],
        dateline=Dateline("Raubichi", date(2024, 1, 9), "BelTA", "RAUBICHI, 9 January (BelTA)"),
        source="BelTA",
    )


def test_a_page_with_only_a_headline_and_paragraphs_works() -> None:
    page = "Storm warning for Brest region\n\nWind gusts may reach 25 m/s.\n\nStay indoors.\n"
    assert parse(page) == item(
        headline="Storm warning for Brest region",
        paragraphs=["Wind gusts may reach 25 m/s.", "Stay indoors."],
    )


def test_lines_without_blank_separators_are_each_a_paragraph_and_crlf_is_accepted() -> None:
    page = (
        "Headline about the harvest\r\nMINSK, 7 January (BelTA) – First line of the story."
        "\r\nSecond paragraph of the story.\r\nFollow us\r\n"
    )
    assert parse(page) == item(
        headline="Headline about the harvest",
        paragraphs=[
            "MINSK, 7 January (BelTA) – First line of the story.",
            "Second paragraph of the story.",
        ],
        dateline=Dateline("Minsk", date(2024, 1, 7), "BelTA", "MINSK, 7 January (BelTA)"),
        source="BelTA",
    )


def test_a_stamp_between_headline_and_lead_is_read_and_not_taken_as_headline() -> None:
    page = (
        "Minsk metro extends opening hours\n07 January 2022, 13:21\n\n"
        "MINSK, 7 January (BelTA) – Trains will run until 1am.\n"
    )
    assert parse(page) == item(
        headline="Minsk metro extends opening hours",
        paragraphs=["MINSK, 7 January (BelTA) – Trains will run until 1am."],
        dateline=Dateline("Minsk", date(2022, 1, 7), "BelTA", "MINSK, 7 January (BelTA)"),
        stamp=datetime(2022, 1, 7, 10, 21, tzinfo=UTC),
        source="BelTA",
    )


def test_a_lead_deep_in_the_story_is_not_the_dateline() -> None:
    page = (
        "Talks on transit tariffs continue\n\n"
        "The delegations met for a second day and discussed rail transit tariffs in detail.\n\n"
        "Both sides said progress was made on container traffic, but not on bulk cargo.\n\n"
        "BERLIN (dpa) – A German delegation is expected next week.\n"
    )
    parsed = parse(page)
    assert (parsed.headline, parsed.dateline, parsed.source) == (
        "Talks on transit tariffs continue",
        None,
        None,
    )
    assert (parsed.body_text or "").startswith("The delegations met")


def test_a_profile_strips_its_lines_anywhere_maps_its_category_and_adds_dateline_patterns() -> None:
    profile = Profile(
        timezone="Europe/Minsk",
        strip_lines=("Read also: .*", "ADVERTISEMENT"),
        category_subjects={"economy": Subject("iptc-mediatopic", "04000000", "economy")},
        dateline_patterns=(r"(?P<located>[A-Z]+)/(?P<source>BelTA)/",),
    )
    page = (
        "Economy\n14 March 2023, 16:45\n\nPotash exports rise\n\n"
        "MINSK/BelTA/ Exports rose in February.\n\nadvertisement\n\n"
        "Read also: Minsk hosts the dairy fair, which opened this morning.\n\n"
        "Prices were stable, the ministry said.\n"
    )
    ctx = ParseContext(profile=profile, received_at=RECEIVED)
    assert parse(page, ctx) == item(
        headline="Potash exports rise",
        paragraphs=[
            "MINSK/BelTA/ Exports rose in February.",
            "Prices were stable, the ministry said.",
        ],
        dateline=Dateline("Minsk", None, "BelTA", "MINSK/BelTA/"),
        stamp=datetime(2023, 3, 14, 13, 45, tzinfo=UTC),
        subjects=[category("Economy"), Subject("iptc-mediatopic", "04000000", "economy")],
        source="BelTA",
    )


def test_the_stamp_is_read_in_the_partners_time_zone() -> None:
    ctx = ParseContext(profile=Profile(timezone="America/New_York"), received_at=RECEIVED)
    page = "Politics\n13 March 2022, 02:30\n\nCouncil meets overnight\n\nThe council met.\n"
    parsed = parse(page, ctx)
    assert parsed.firstcreated == parsed.versioncreated == datetime(2022, 3, 13, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("page", "line", "message"),
    [
        (
            "MINSK, 7 January (BelTA) – A story without any headline.\n",
            1,
            "no headline above the dateline lead",
        ),
        (
            "07 January 2022, 13:21\n\nMINSK, 7 January (BelTA) – Text.\n",
            3,
            "no headline above the dateline lead",
        ),
        ("\n\nJust a headline\n\n", 3, "the story has no body text after the headline"),
        ("07 January 2022, 13:21\n", 1, "the text has no headline, only a timestamp"),
    ],
)
def test_a_page_without_headline_or_body_is_invalid_naming_the_line(
    page: str, line: int, message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        parse(page)
    assert type(caught.value) is Invalid
    assert caught.value.errors == [{"line": line, "message": message}]
    assert caught.value.detail == f"line {line}: {message}"


def test_an_empty_page_is_invalid_at_line_1() -> None:
    with pytest.raises(Invalid) as caught:
        parse(" \n \n")
    assert caught.value.errors == [{"line": 1, "message": "no headline"}]


@pytest.mark.parametrize(
    ("page", "line", "problem"),
    [
        (
            "Projects\nPresident\n31 February 2022, 13:21\n\nHeadline here\n\n"
            "MINSK, 7 January (BelTA) – Text.\n",
            3,
            "day 31 does not exist in 2022-02",
        ),
        ("Headline here\n\nMINSK, 31 February (BelTA) – Text.\n", 3, "impossible date"),
    ],
)
def test_an_impossible_stamp_or_lead_date_raises_naming_its_line(
    page: str, line: int, problem: str
) -> None:
    with pytest.raises(TimestampError) as caught:
        parse(page)
    [error] = caught.value.errors
    assert error["line"] == line and problem in error["message"]
    assert caught.value.detail.startswith(f"line {line}: ")


# --- 8-bit copy: read as the agency means it (shared.reading.formats.decode) ---------------

PAGE = "Café owners face rates rise\n\nLONDON (PA) – Café owners in England face a “rise”.\n"
GUESSED = "no charset given and the bytes are not UTF-8: read as Windows-1252"


def read(
    raw: bytes, content_type: str = "text/plain", profile: Profile | None = None
) -> tuple[ParsedItem, list[Warning_]]:
    ctx = ParseContext(profile=profile or Profile(timezone="Europe/London"), received_at=RECEIVED)
    with collecting() as warnings:
        [found] = parse_body(raw, content_type, ctx)
    return found, warnings


def test_utf8_without_a_charset_is_read_as_utf8_without_a_warning() -> None:
    found, warnings = read(PAGE.encode())
    assert (found.headline, warnings) == ("Café owners face rates rise", [])


def test_windows_1252_without_a_charset_is_guessed_and_warned() -> None:
    found, warnings = read(PAGE.encode("cp1252"))
    assert found.body_text == "LONDON (PA) – Café owners in England face a “rise”."
    assert warnings == [{"code": "charset_guessed", "message": GUESSED}]


def test_the_five_bytes_windows_1252_leaves_undefined_are_read_as_latin_1() -> None:
    found, _ = read(b"Rates rise\n\nLONDON (PA) - Owners\x81 face a \x9d rise.\n")
    assert found.body_text == "LONDON (PA) - Owners\x81 face a \x9d rise."


def test_without_a_charset_the_profile_charset_is_used_without_a_warning() -> None:
    page = "Снег в Минске\n\nМИНСК, 7 января (БЕЛТА) – В Минске идёт снег.\n"
    profile = Profile(timezone="Europe/Minsk", charset="windows-1251")
    found, warnings = read(page.encode("cp1251"), profile=profile)
    assert (found.headline, warnings) == ("Снег в Минске", [])


def test_a_byte_the_profile_charset_leaves_undefined_becomes_a_replacement_warned() -> None:
    raw = "Снег в Минске\n\nМИНСК, 7 января (БЕЛТА) – Снег".encode("cp1251") + b"\x98.\n"
    profile = Profile(timezone="Europe/Minsk", charset="windows-1251")
    found, warnings = read(raw, profile=profile)
    assert found.body_text == "МИНСК, 7 января (БЕЛТА) – Снег\ufffd."
    message = f"byte {len(raw) - 3} is not cp1251 (the profile's charset): replaced with U+FFFD"
    assert warnings == [{"code": "charset_replaced", "message": message}]


@pytest.mark.parametrize("declared", ["iso-8859-1", "windows-1251", "us-ascii"])
def test_utf8_bytes_under_an_explicit_single_byte_charset_are_read_as_utf8_warned(
    declared: str,
) -> None:
    found, warnings = read(PAGE.encode(), f"text/plain; charset={declared}")
    assert found.headline == "Café owners face rates rise"
    assert [w["code"] for w in warnings] == ["charset_mislabelled"]


def test_bytes_fitting_neither_the_explicit_charset_nor_utf8_are_a_400_naming_the_offset() -> None:
    raw = PAGE.encode("cp1252")
    with pytest.raises(Malformed) as caught:
        read(raw, "text/plain; charset=utf-8")
    assert caught.value.errors == [{"field": "", "message": "invalid utf-8 at byte offset 3"}]


def test_pure_ascii_under_any_label_is_not_warned() -> None:
    found, warnings = read(b"Rates rise\n\nLONDON (PA) - Owners face a rise.\n",
                           "text/plain; charset=iso-8859-1")  # fmt: skip
    assert (found.headline, warnings) == ("Rates rise", [])
