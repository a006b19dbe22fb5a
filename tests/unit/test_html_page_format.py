"""shared.reading.formats.html_page: an article page becomes one ParsedItem without its chrome."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.errors import Invalid, Malformed, TimestampError, UnsupportedMediaType
from shared.core.model import ParseContext, ParsedItem, Profile, Rendition, Subject
from shared.reading.formats import html_page
from shared.reading.repairs import collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "html"
RECEIVED = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
CTX = ParseContext(profile=Profile(timezone="Europe/Minsk"), received_at=RECEIVED)


def parse(page: str, ctx: ParseContext = CTX) -> ParsedItem:
    items = html_page.parse(page, ctx)
    assert len(items) == 1
    return items[0]


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def test_the_module_is_the_only_reader_of_the_html_family() -> None:
    assert (html_page.NAME, html_page.FAMILY) == ("html", "html")
    assert html_page.sniff("<p>anything</p>") is True


def test_a_news_page_drops_its_chrome_and_reads_meta_and_json_ld() -> None:
    assert parse(sample("news-chrome-jsonld.html")) == ParsedItem(
        format="html",
        uri="https://www.balticwire.example/energy/2024/04/17/estlink-3-grant",
        headline="Estlink 3 interconnector wins EU grant of EUR 182 million",
        byline="Kadri Tamm, Mikko Virtanen",
        abstract="The European Commission has awarded EUR 182 million to the third "
        "Estonia–Finland power link.",
        body_html=(
            "<p>TALLINN, 17 April (BBW) – The European Commission has awarded EUR 182 million "
            "from the Connecting Europe Facility to Estlink 3, the third power interconnector "
            "between Estonia and Finland, grid operator Elering said on Wednesday.</p>\n"
            '<figure><img src="/img/estlink3.jpg" alt="Cable ship"><figcaption>A cable-laying '
            "ship off Paldiski. Photo: Elering</figcaption></figure>\n"
            "<p>The 700-megawatt cable is due to enter service in 2035 and will raise the "
            "transmission capacity between the two countries to 2,000 MW.</p>\n"
            "<h2>Grid security</h2>\n"
            "<p>“The link is a question of security of supply as much as of market integration,” "
            "Elering chairman Kalle Kilk said.</p>"
        ),
        language="en-GB",
        firstcreated=datetime(2024, 4, 17, 6, 31, tzinfo=UTC),
        versioncreated=datetime(2024, 4, 17, 8, 5, tzinfo=UTC),
        subjects=[Subject("category", None, "Energy")],
        keywords=[
            "Estlink 3",
            "interconnector",
            "Elering",
            "Fingrid",
            "Connecting Europe Facility",
        ],
        source="Baltic Business Wire",
        copyrightholder="Baltic Business Wire OÜ",
        renditions=[
            Rendition(
                name="image",
                href="https://cdn.balticwire.example/img/2024/04/estlink3-1200.jpg",
                mimetype="image/jpeg",
                width=1200,
                height=800,
            )
        ],
    )


def test_a_page_with_only_meta_tags_gives_a_headline_and_no_body() -> None:
    assert parse(sample("meta-only.html")) == ParsedItem(
        format="html",
        uri="https://portjournal.example/news/riga-grain-record",
        headline="Riga port handles record grain volume",
        byline="Ilze Ozola",
        abstract="Freeport of Riga handled 5.2 million tonnes of grain in the 2023/24 season.",
        language="en-US",
        firstcreated=datetime(2024, 4, 10, 11, 20, tzinfo=UTC),  # naive: read in Minsk time
        versioncreated=datetime(2024, 4, 10, 11, 20, tzinfo=UTC),
        keywords=["Riga", "grain", "ports"],
        source="Latvian Port Journal",
        renditions=[
            Rendition("image", "https://portjournal.example/media/riga-grain.jpg", None, 1600, 900),
            Rendition("image-2", "https://portjournal.example/media/riga-grain-square.jpg"),
        ],
    )


def test_a_russian_page_takes_the_article_time_and_leaves_rubric_date_and_author_out() -> None:
    section = Subject("category", None, "Президент")
    mapped = Subject("iptc-mediatopic", "11000000", "politics")
    ctx = ParseContext(
        profile=Profile(timezone="Europe/Minsk", category_subjects={"президент": mapped}),
        received_at=RECEIVED,
    )
    assert parse(sample("ru-page.html"), ctx) == ParsedItem(
        format="html",
        uri="https://belta.example/president/view/ukaz-eksport-47731-2022/",
        headline="Лукашенко подписал указ о поддержке экспорта сельскохозяйственной техники",
        byline="Ольга Иванова",
        body_html=(
            "<p>МИНСК, 7 января (БЕЛТА) – Президент Беларуси Александр Лукашенко подписал указ о "
            "поддержке экспорта сельскохозяйственной техники, сообщили БЕЛТА в пресс-службе главы "
            "государства.</p>\n"
            "<p>Документ предусматривает льготное кредитование покупателей белорусской техники за "
            "рубежом.</p>\n"
            "<p>Указ вступает в силу после его официального опубликования.</p>"
        ),
        language="ru",
        firstcreated=datetime(2022, 1, 7, 10, 21, tzinfo=UTC),
        versioncreated=datetime(2022, 1, 7, 10, 21, tzinfo=UTC),
        subjects=[section, mapped],
        keywords=["указ", "экспорт", "сельхозтехника"],
        source="БЕЛТА",
    )


def test_a_scrape_date_in_the_chrome_is_never_taken_for_the_story_date() -> None:
    assert parse(sample("scrape-date-chrome.html")) == ParsedItem(
        format="html",
        headline="Ferry operator adds winter sailings",
        body_html=(
            "<p>Updated on Tuesday, 16 April 2024 at 10:02</p>\n"
            "<p>The island ferry operator will add two evening crossings on weekdays from 4 "
            "November, the company said, after complaints from commuters about the 17:30 gap.</p>\n"
            "<p>The extra sailings were first promised on 3 March 2023 but postponed for lack of "
            "crew.</p>"
        ),
    )


def test_the_title_loses_its_site_suffix_when_the_site_is_named() -> None:
    page = (
        "<html><head><title>Dam reopens | River Post</title>"
        '<meta property="og:site_name" content="River Post"></head><body></body></html>'
    )
    assert parse(page).headline == "Dam reopens"


def test_json_ld_article_body_stands_in_when_the_page_has_no_text() -> None:
    page = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        '"headline": "Bridge closed", "articleBody": "The bridge is closed until May.", '
        '"datePublished": "2024-04-02", "author": "Anna Berg"}</script></head><body></body></html>'
    )
    item = parse(page)
    assert (item.headline, item.body_text, item.byline, item.firstcreated) == (
        "Bridge closed",
        "The bridge is closed until May.",
        "Anna Berg",
        datetime(2024, 4, 1, 21, 0, tzinfo=UTC),
    )


def test_broken_json_ld_is_skipped() -> None:
    page = '<script type="application/ld+json">{"headline": </script><h1>Still here</h1>'
    assert parse(page).headline == "Still here"


def test_an_impossible_published_time_is_a_timestamp_error() -> None:
    page = '<meta property="article:published_time" content="2024-02-31T10:00:00Z"><h1>X</h1>'
    with pytest.raises(TimestampError):
        parse(page)


@pytest.mark.parametrize(
    "page",
    ["", "   ", "<html><head><title> </title></head><body><nav>Home</nav></body></html>"],
    ids=["empty", "blank", "chrome only"],
)
def test_a_page_with_neither_headline_nor_body_is_invalid(page: str) -> None:
    with pytest.raises(Invalid):
        parse(page)


def test_an_xml_prolog_and_control_characters_do_not_break_the_parser() -> None:
    page = '<?xml version="1.0" encoding="utf-8"?><html><body><h1>A\x00B</h1><p>t</p></body></html>'
    item = parse(page)
    assert (item.headline, item.body_html) == ("AB", "<p>t</p>")


def test_a_dangling_separator_leaves_the_site_name_and_the_title_suffix_still_goes() -> None:
    page = (
        "<html><head><title>Dunes replanted | Harbour Times</title>"
        '<meta property="og:site_name" content="Harbour Times |">'
        '<meta name="copyright" content="Harbour Times Pty Ltd -"></head><body></body></html>'
    )
    with collecting() as warnings:
        item = parse(page)
    assert (item.headline, item.source, item.copyrightholder) == (
        "Dunes replanted",
        "Harbour Times",
        "Harbour Times Pty Ltd",
    )
    assert warnings == [
        {
            "code": "credit_trimmed",
            "field": "og:site_name",
            "message": "'Harbour Times |' read as 'Harbour Times': a dangling separator was "
            "left out",
        },
        {
            "code": "credit_trimmed",
            "field": "copyright",
            "message": "'Harbour Times Pty Ltd -' read as 'Harbour Times Pty Ltd': a dangling "
            "separator was left out",
        },
    ]


def test_wordpress_shortcodes_left_in_a_page_are_unwrapped_or_removed() -> None:
    page = (
        "<html><body><article><h1>Dunes</h1><p>Volunteers replanted the dunes.</p>"
        '<p>[caption id="attachment_77" width="640"]<img src="d.jpg"> Volunteers at work.'
        '[/caption]</p><p class="g">[gallery ids="77,78"]</p></article></body></html>'
    )
    with collecting() as warnings:
        item = parse(page)
    assert item.body_html == (
        '<p>Volunteers replanted the dunes.</p>\n<p><img src="d.jpg"> Volunteers at work.</p>'
    )
    assert warnings == [
        {
            "code": "shortcodes_removed",
            "field": "body",
            "message": "WordPress shortcodes [caption], [gallery] removed; the text they enclose "
            "is kept",
        }
    ]


def test_nested_articles_read_as_the_outer_one_with_the_time_of_an_inner_one() -> None:
    page = (
        "<html><body><article><h1>Quay delayed</h1><p>The quay is late.</p>"
        '<article><p>Divers found old blocks.</p><time datetime="2024-04-19T10:00">19 April'
        "</time></article></article></body></html>"
    )
    item = parse(page)
    assert (item.headline, item.body_html, item.firstcreated) == (
        "Quay delayed",
        "<p>The quay is late.</p>\n<p>Divers found old blocks.</p>",
        datetime(2024, 4, 19, 7, 0, tzinfo=UTC),  # 10:00 in Minsk
    )


def test_a_time_in_a_related_block_of_an_article_is_not_the_story_time() -> None:
    page = (
        '<html><body><article><h1>Quay</h1><p>Late.</p><div class="related"><time '
        'datetime="2020-01-01T10:00">old</time></div></article></body></html>'
    )
    assert parse(page).firstcreated is None


def test_dropped_chrome_leaves_the_text_around_it_in_place() -> None:
    page = (
        "<html><body><article><h1>Quay</h1><p>One <button>Share</button>two "
        '<span class="share">x</span><span class="share">y</span>three<!-- note --> four</p>'
        "<p>Five</p></article></body></html>"
    )
    assert parse(page).body_html == "<p>One two three four</p>\n<p>Five</p>"


def test_the_first_main_region_in_document_order_is_the_container() -> None:
    page = (
        '<html><body><div role="main"><p>First region.</p></div><main><p>Second region.</p>'
        "</main></body></html>"
    )
    assert parse(page).body_html == "<p>First region.</p>"


def test_a_byline_in_the_chrome_is_skipped_and_itemprop_author_wins_over_byline_class() -> None:
    page = (
        '<html><body><aside><a rel="author" href="/a">Aside Person</a></aside><article><h1>Q</h1>'
        '<p class="byline">By Ann Lee</p><span itemprop="author">Bo Chen</span><p>Text.</p>'
        "</article></body></html>"
    )
    assert parse(page).byline == "Bo Chen"


def test_a_json_ld_headline_nested_in_lists_hundreds_deep_is_read() -> None:
    deep = "[" * 500 + '"Quay delayed"' + "]" * 500
    page = (
        f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": {deep}}}'
        "</script><p>Text.</p>"
    )
    assert parse(page).headline == "Quay delayed"


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(p.name for p in SAMPLES.glob("*.html"))),
    st.lists(st.tuples(st.integers(0, 8000), st.text(max_size=4)), max_size=6),
)
def test_a_mangled_page_raises_only_input_errors(name: str, edits: list[tuple[int, str]]) -> None:
    page = sample(name)
    for at, chunk in edits:
        at %= len(page)
        page = page[:at] + chunk + page[at + len(chunk) :]
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        html_page.parse(page, CTX)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_only_input_errors(page: str) -> None:
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        html_page.parse(page, CTX)
