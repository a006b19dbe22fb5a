"""shared.reading.formats.feed: an RSS or Atom feed is a batch, one ParsedItem per item or entry."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.errors import Invalid, Malformed, TimestampError, UnsupportedMediaType
from shared.core.model import Association, ParseContext, ParsedItem, Profile, Rendition, Subject
from shared.reading.formats import feed
from shared.reading.formats.common.xmlsafe import parse_xml
from shared.reading.formats.wordpress import autop, shortcodes
from shared.reading.repairs import Warning_, collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "feed"
RECEIVED = datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
CTX = ParseContext(profile=Profile(timezone="Europe/Minsk"), received_at=RECEIVED)
CDN = "https://cdn.balticwire.example/img/2024/04"
BBW = "Baltic Business Wire – Energy"
NK = "Nordsee-Kurier – Wirtschaft"


def parse(raw: bytes, ctx: ParseContext = CTX) -> list[ParsedItem]:
    return feed.parse(parse_xml(raw), ctx)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def rss(*items: str, channel: str = "<title>Wire</title>") -> bytes:
    return f"<rss version='2.0'><channel>{channel}{''.join(items)}</channel></rss>".encode()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b"<rss version='2.0'/>", True),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", True),
        (b"<entry xmlns='http://www.w3.org/2005/Atom'/>", True),
        (b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/>", True),
        (b"<feed/>", False),
        (b"<nitf/>", False),
    ],
)
def test_sniff_takes_rss_rdf_and_atom_roots_only(document: bytes, expected: bool) -> None:
    assert feed.sniff(parse_xml(document)) is expected


def test_rss_2_with_content_encoded_and_enclosures_maps_every_field() -> None:
    assert parse(sample("rss2-content-enclosures.xml")) == [
        ParsedItem(
            format="rss",
            uri="bbw-energy-20240417-0931",
            headline="Estlink 3 interconnector wins EU grant of EUR 182 million",
            byline="Kadri Tamm",
            abstract="The European Commission has awarded EUR 182 million to the third "
            "Estonia–Finland power link.",
            body_html=(
                "<p>TALLINN, 17 April (BBW) – The European Commission has awarded EUR 182 "
                "million from the Connecting Europe Facility to Estlink 3, the third power "
                "interconnector between Estonia and Finland, grid operator Elering said on "
                "Wednesday.</p>\n<p>The 700-megawatt cable is due to enter service in 2035.</p>\n"
                "<ul><li>Length: about 150 km</li><li>Capacity: 700 MW</li></ul>"
            ),
            language="en-gb",
            firstcreated=utc(2024, 4, 17, 6, 31),
            versioncreated=utc(2024, 4, 17, 6, 31),
            subjects=[
                Subject("iptc-mediatopic", "20000251", None),
                Subject("category", None, "Energy"),
                Subject("https://www.balticwire.example/sections", None, "Utilities"),
            ],
            keywords=["interconnector", "Elering", "Fingrid"],
            source=BBW,
            copyrightholder="Copyright 2024 Baltic Business Wire OÜ",
            renditions=[
                Rendition("enclosure", f"{CDN}/estlink3.jpg", "image/jpeg", size=184320),
                Rendition("media", f"{CDN}/estlink3-1200.jpg", "image/jpeg", 1200, 800),
                Rendition("thumbnail", f"{CDN}/estlink3-150.jpg", None, 150, 100),
            ],
        ),
        ParsedItem(
            format="rss",
            uri="https://www.balticwire.example/energy/2024/04/16/elwind",
            headline="Latvia & Lithuania sign offshore wind accord",
            byline="Jonas Petrauskas",
            body_html="Riga and Vilnius agreed to develop the ELWIND offshore wind project "
            "jointly & to share the grid connection.",
            language="en-gb",
            firstcreated=utc(2024, 4, 16, 15, 5),  # "+02:00" in a pubDate is honoured
            versioncreated=utc(2024, 4, 16, 15, 5),
            source=BBW,
            copyrightholder="Copyright 2024 Baltic Business Wire OÜ",
        ),
    ]


def test_atom_with_xhtml_content_maps_every_field_and_inherits_feed_authors() -> None:
    assert parse(sample("atom-xhtml.xml")) == [
        ParsedItem(
            format="atom",
            uri="tag:nordsee-kurier.example,2024:wirtschaft/8812",
            headline="Hafen Bremerhaven meldet Rekord beim Autoumschlag",
            byline="Hauke Jensen, Merle Brandt",
            abstract="Mehr als 2,1 Millionen Fahrzeuge wurden 2023 umgeschlagen.",
            body_html=(
                "<p>BREMERHAVEN (nk) – Der Autoterminal in Bremerhaven hat im vergangenen Jahr "
                "mehr als <strong>2,1 Millionen</strong> Fahrzeuge umgeschlagen, so viele wie nie "
                "zuvor.</p>\n        <h2>Elektroautos treiben das Wachstum</h2>\n        "
                '<p>Fast jedes dritte Fahrzeug war ein <a href="https://nordsee-kurier.example/'
                'thema/e-mobilitaet">Elektroauto</a>.</p>'
            ),
            language="de-DE",
            firstcreated=utc(2024, 4, 17, 6, 15),
            versioncreated=utc(2024, 4, 17, 9, 2, 30),
            subjects=[
                Subject("category", None, "Wirtschaft"),
                Subject("iptc-mediatopic", "20000349", "transport"),
            ],
            source=NK,
            copyrightholder="© 2024 Nordsee-Kurier GmbH",
            renditions=[
                Rendition(
                    "enclosure",
                    "https://img.nordsee-kurier.example/2024/04/autoterminal.jpg",
                    "image/jpeg",
                    size=245760,
                )
            ],
        ),
        ParsedItem(
            format="atom",
            uri="tag:nordsee-kurier.example,2024:wirtschaft/8809",
            headline="Werft in Papenburg stellt 300 neue Mitarbeiter ein",
            byline="Redaktion Nordsee-Kurier",
            body_html="<p>PAPENBURG (nk) – Die Meyer Werft will bis Jahresende 300 Fachkräfte "
            "einstellen.</p>",
            language="de",
            versioncreated=utc(2024, 4, 16, 18, 0),
            source=NK,
            copyrightholder="© 2024 Nordsee-Kurier GmbH",
        ),
        ParsedItem(
            format="atom",
            uri="tag:nordsee-kurier.example,2024:economy/8790",
            headline="Port of Hamburg container volume stable in first quarter",
            byline="Redaktion Nordsee-Kurier",
            body_text="HAMBURG (nk) - Container throughput at Hamburg held steady at 1.9 million "
            "TEU in the first quarter.",
            language="en",
            firstcreated=utc(2024, 4, 15, 8, 0),
            versioncreated=utc(2024, 4, 15, 8, 0),
            source=NK,
            copyrightholder="© 2024 Nordsee-Kurier GmbH",
        ),
    ]


def test_a_windows_1251_feed_is_decoded_by_its_prolog_and_naive_dates_use_the_zone() -> None:
    source = "Гродненская правда – Экономика"
    assert parse(sample("rss-windows-1251.xml")) == [
        ParsedItem(
            format="rss",
            uri="https://grodno-pravda.example/?p=48213",
            headline="В Гродно открыли логистический центр на 120 фур в сутки",
            body_html="<p>ГРОДНО, 12 марта (БЕЛТА) – В Гродно открыли логистический центр "
            "площадью 18 тыс. кв. м.</p><p>Инвестиции составили около $25 млн.</p>",
            language="ru",
            firstcreated=utc(2024, 3, 12, 6, 5),
            versioncreated=utc(2024, 3, 12, 6, 5),
            subjects=[Subject("category", None, "Экономика")],
            source=source,
        ),
        ParsedItem(
            format="rss",
            uri="https://grodno-pravda.example/?p=48190",
            headline="Лидский завод увеличил выпуск сельхозтехники на 14%",
            body_html="ЛИДА, 11 марта – Лидский завод за два месяца выпустил на 14% больше "
            "комбайнов, чем годом ранее.",
            language="ru",
            firstcreated=utc(2024, 3, 11, 13, 40),  # 16:40 in Minsk
            versioncreated=utc(2024, 3, 11, 13, 40),
            source=source,
        ),
    ]


def test_rss_1_rdf_items_are_read_with_dublin_core() -> None:
    assert parse(sample("rdf-rss1.xml")) == [
        ParsedItem(
            format="rss",
            uri="https://press.agrarian.example/r/2024-041",
            headline="Spring sowing campaign starts two weeks early",
            byline="Press office",
            body_html="Farms in the southern regions began sowing spring wheat on 2 April.",
            language="en",
            firstcreated=utc(2024, 4, 3, 6, 30),
            versioncreated=utc(2024, 4, 3, 6, 30),
            keywords=["agriculture"],
            source="Agrarian Press Service",
        )
    ]


def test_a_second_item_without_guid_or_link_rejects_the_feed_naming_index_1() -> None:
    with pytest.raises(Invalid) as caught:
        parse(sample("bad/second-item-without-id.xml"))
    assert caught.value.errors == [
        {"index": 1, "line": 13, "message": "the item has neither an id nor a link"}
    ]


def test_an_unreadable_pub_date_is_a_timestamp_error_naming_index_and_line() -> None:
    good = "<item><guid>a</guid><title>A</title></item>"
    bad = (
        "<item><guid>b</guid><title>B</title>\n<pubDate>Mon, 31 Feb 2024 10:00 GMT</pubDate></item>"
    )
    with pytest.raises(TimestampError) as caught:
        parse(rss(good, bad))
    assert [(e["index"], e["line"]) for e in caught.value.errors] == [(1, 2)]


def test_an_item_with_neither_title_nor_body_is_invalid() -> None:
    with pytest.raises(Invalid) as caught:
        parse(rss("<item><guid>x</guid></item>"))
    assert caught.value.errors[0]["message"] == "the item has neither a title nor a body"


def test_an_empty_feed_is_invalid() -> None:
    with pytest.raises(Invalid):
        parse(rss())


def test_a_lone_atom_entry_is_one_item_and_uses_the_alternate_link_without_id() -> None:
    raw = (
        b"<entry xmlns='http://www.w3.org/2005/Atom' xml:lang='fr'><title>Gr\xc3\xa8ve</title>"
        b"<link rel='self' href='https://x.example/self'/>"
        b"<link href='https://x.example/greve'/>"
        b"<content type='image/jpeg' src='https://x.example/greve.jpg'/>"
        b"<updated>2024-04-16T10:00:00</updated></entry>"
    )
    assert parse(raw) == [
        ParsedItem(
            format="atom",
            uri="https://x.example/greve",
            headline="Grève",
            language="fr",
            versioncreated=utc(2024, 4, 16, 7, 0),
            renditions=[Rendition("content", "https://x.example/greve.jpg", "image/jpeg")],
        )
    ]


def test_category_labels_are_mapped_through_the_profile() -> None:
    mapped = Subject("iptc-mediatopic", "20000344", "economy")
    ctx = ParseContext(profile=Profile(category_subjects={"economy": mapped}))
    items = parse(
        rss("<item><guid>g</guid><title>T</title><category>Economy</category></item>"), ctx
    )
    assert items[0].subjects == [Subject("category", None, "Economy"), mapped]


# --- agency copy as the agencies mean it ---------------------------------------------------


def parse_warned(raw: bytes, ctx: ParseContext = CTX) -> tuple[list[ParsedItem], list[Warning_]]:
    with collecting() as warnings:
        items = parse(raw, ctx)
    return items, warnings


WENN_NS = (
    "xmlns='http://www.w3.org/2005/Atom' "
    "xmlns:cm='http://feed.wenn.com/xmlns/2010/03/wenn_cm' "
    "xmlns:nm='http://feed.wenn.com/xmlns/2010/03/wenn_nm'"
)


def wenn(*entries: str) -> bytes:
    return f"<feed {WENN_NS}><title>WENN</title>{''.join(entries)}</feed>".encode()


def test_wenn_extensions_give_abstract_priority_keywords_and_a_missing_title() -> None:
    entry = (
        "<entry><id>w1</id><updated>2026-05-04T09:12:00Z</updated>"
        "<content type='html'>&lt;p&gt;Body.&lt;/p&gt;</content>"
        "<cm:ContentMetadata><cm:title>Singer rests her voice</cm:title>"
        "<cm:first_line>The tour opens in June.</cm:first_line>"
        "<cm:tags><cm:tag value='Maren Vale'/><cm:tag>Music</cm:tag></cm:tags></cm:ContentMetadata>"
        "<nm:NewsManagement><nm:priority> 3 </nm:priority></nm:NewsManagement></entry>"
    )
    [item], warnings = parse_warned(wenn(entry))

    assert item == ParsedItem(
        format="atom",
        uri="w1",
        headline="Singer rests her voice",
        abstract="The tour opens in June.",
        body_html="<p>Body.</p>",
        versioncreated=utc(2026, 5, 4, 9, 12),
        priority=3,
        keywords=["Maren Vale", "Music"],
        source="WENN",
    )
    assert warnings == []


def test_a_wenn_summary_stays_the_abstract_over_the_first_line() -> None:
    entry = (
        "<entry><id>w2</id><title>T</title><summary>The summary.</summary>"
        "<content type='html'>Body</content>"
        "<cm:ContentMetadata><cm:first_line>The first line.</cm:first_line></cm:ContentMetadata>"
        "</entry>"
    )
    assert parse(wenn(entry))[0].abstract == "The summary."


def test_an_unreadable_wenn_priority_is_left_out_with_a_warning_naming_the_entry() -> None:
    entries = [
        f"<entry><id>w{n}</id><title>T</title>"
        f"<nm:NewsManagement><nm:priority>{p}</nm:priority></nm:NewsManagement></entry>"
        for n, p in ((1, "high"), (2, "top"), (3, "12"))
    ]
    ctx = ParseContext(profile=Profile(priority_labels={"high": 2}), received_at=RECEIVED)
    items, warnings = parse_warned(wenn(*entries), ctx)

    assert [i.priority for i in items] == [2, None, None]
    assert warnings == [
        {
            "code": "priority_unreadable",
            "index": 1,
            "field": "NewsManagement/priority",
            "line": 1,
            "message": "priority 'top' is not a number from 1 to 9; left out",
        },
        {
            "code": "priority_unreadable",
            "index": 2,
            "field": "NewsManagement/priority",
            "line": 1,
            "message": "priority '12' is not a number from 1 to 9; left out",
        },
    ]


def test_a_dangling_separator_is_trimmed_from_the_source_of_that_item() -> None:
    items, warnings = parse_warned(
        rss(
            "<item><guid>a</guid><title>A</title></item>",
            "<item><guid>b</guid><title>B</title><source url='https://r.example'>Reuters |</source>"
            "</item>",
        )
    )
    assert [i.source for i in items] == ["Wire", "Reuters"]
    assert warnings == [
        {
            "code": "credit_trimmed",
            "index": 1,
            "field": "source",
            "message": "'Reuters |' read as 'Reuters': a dangling separator was left out",
        }
    ]


def test_metadata_text_keeps_its_word_breaks() -> None:
    raw = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>x</id>"
        b"<title type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>Un<b>usual</b> day<br/>"
        b"in port</div></title></entry></feed>"
    )
    assert parse(raw)[0].headline == "Unusual day in port"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<p>[caption id="attachment_12" align="alignnone" width="300"]<img src="a.jpg"/> Ships in '
         "port.[/caption]</p>", '<p><img src="a.jpg"/> Ships in port.</p>'),
        ('<p>Before.</p><p>[gallery ids="1,2,3"]</p><p>After.</p>', "<p>Before.</p><p>After.</p>"),
        ("[embed]https://video.example/v/1[/embed]", "https://video.example/v/1"),
        ("""[caption width="300" caption='The harbour at dawn']<img src="b.jpg"/>[/caption]""",
         'The harbour at dawn <img src="b.jpg"/>'),
        ('[VIDEO src="a.mp4"]', ""),
        ("stray [/caption] closer", "stray  closer"),
    ],
)  # fmt: skip
def test_shortcodes_are_unwrapped_or_removed(markup: str, expected: str) -> None:
    with collecting() as warnings:
        assert shortcodes(markup, field="content:encoded", index=0) == expected
    assert [w["code"] for w in warnings] == ["shortcodes_removed"]


@pytest.mark.parametrize(
    "markup", ["He said [sic] it was so.", "[captions] are not shortcodes", "[[gallery]"]
)
def test_text_in_brackets_that_is_no_shortcode_is_kept(markup: str) -> None:
    with collecting() as warnings:
        assert shortcodes(markup, field="f") == markup.replace("[gallery]", "")
    assert [w["code"] for w in warnings] == (["shortcodes_removed"] if "gallery" in markup else [])


def test_a_hostile_run_of_unclosed_shortcodes_is_read_in_one_pass() -> None:
    markup = '[caption width="1"' * 50_000 + "]"
    assert shortcodes(markup, field="f") == '[caption width="1"' * 49_999


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("One.\n\nTwo,\nthree.", "<p>One.</p>\n<p>Two,<br>\nthree.</p>"),
        ("<h2>Sub</h2>\n\nText\r\n\r\n\n\n<ul>\n<li>a</li>\n</ul>",
         "<h2>Sub</h2>\n<p>Text</p>\n<ul>\n<li>a</li>\n</ul>"),
        ("<p>Already</p>\n\nloose", "<p>Already</p>\n\nloose"),
    ],
)  # fmt: skip
def test_autop_makes_paragraphs_of_a_stored_post(content: str, expected: str) -> None:
    assert autop(content) == expected


WXR_HEAD = (
    "<rss version='2.0' xmlns:excerpt='http://wordpress.org/export/1.2/excerpt/' "
    "xmlns:content='http://purl.org/rss/1.0/modules/content/' "
    "xmlns:dc='http://purl.org/dc/elements/1.1/' xmlns:wp='http://wordpress.org/export/1.2/'>"
    "<channel><title>Harbour Times</title><language>en-AU</language>"
    "<wp:author><wp:author_login>nkaur</wp:author_login>"
    "<wp:author_display_name><![CDATA[Navdeep Kaur]]></wp:author_display_name></wp:author>"
)
ATTACHMENT = (
    "<item><title>Terminal</title><guid>https://h.example/terminal.jpg</guid>"
    "<excerpt:encoded><![CDATA[The terminal in April.]]></excerpt:encoded>"
    "<wp:post_id>212</wp:post_id><wp:post_type>attachment</wp:post_type>"
    "<wp:attachment_url>https://h.example/terminal.jpg</wp:attachment_url></item>"
)
MENU = "<item><title>Home</title><guid>m</guid><wp:post_type>nav_menu_item</wp:post_type></item>"


def wxr(*items: str) -> bytes:
    return (WXR_HEAD + "".join(items) + "</channel></rss>").encode()


def post(guid: str, extra: str = "", content: str = "Para one.\n\nPara two.") -> str:
    return (
        f"<item><title>Post {guid}</title><guid isPermaLink='false'>{guid}</guid>"
        "<pubDate>Mon, 30 Nov -0001 00:00:00 +0000</pubDate><dc:creator>nkaur</dc:creator>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded>"
        f"<wp:post_type>post</wp:post_type>{extra}</item>"
    )


def test_a_wordpress_export_reads_posts_and_skips_what_is_not_a_story() -> None:
    first = post(
        "p1",
        "<wp:post_date>2026-05-04 18:30:00</wp:post_date>"
        "<wp:post_date_gmt>2026-05-04 08:30:00</wp:post_date_gmt>"
        "<excerpt:encoded><![CDATA[The short of it.]]></excerpt:encoded>"
        "<category domain='category' nicename='transport'><![CDATA[Transport]]></category>"
        "<category domain='post_tag' nicename='ferries'><![CDATA[ferries]]></category>"
        "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>212</wp:meta_value>"
        "</wp:postmeta>",
    )
    draft = post(
        "p2",
        "<wp:post_date>2026-05-04 19:05:00</wp:post_date>"
        "<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>",
        content="Loose line.",
    )
    ctx = ParseContext(profile=Profile(timezone="Australia/Sydney"), received_at=RECEIVED)
    items, warnings = parse_warned(wxr(ATTACHMENT, first, MENU, draft, MENU), ctx)

    assert items == [
        ParsedItem(
            format="rss",
            uri="p1",
            headline="Post p1",
            byline="Navdeep Kaur",
            abstract="The short of it.",
            body_html="<p>Para one.</p>\n<p>Para two.</p>",
            language="en-AU",
            firstcreated=utc(2026, 5, 4, 8, 30),
            versioncreated=utc(2026, 5, 4, 8, 30),
            subjects=[Subject("category", None, "Transport")],
            keywords=["ferries"],
            source="Harbour Times",
            associations=[
                Association(
                    rel="featureimage",
                    uri="https://h.example/terminal.jpg",
                    type="picture",
                    headline="Terminal",
                    caption="The terminal in April.",
                )
            ],
        ),
        ParsedItem(
            format="rss",
            uri="p2",
            headline="Post p2",
            byline="Navdeep Kaur",
            body_html="<p>Loose line.</p>",
            language="en-AU",
            firstcreated=utc(2026, 5, 4, 9, 5),
            versioncreated=utc(2026, 5, 4, 9, 5),
            source="Harbour Times",
        ),
    ]
    assert warnings == [
        {
            "code": "not_a_story",
            "field": "/rss/channel/item",
            "message": "skipped export item 0 (wp:post_type 'attachment'): only posts and pages "
            "are stories",
        },
        {
            "code": "not_a_story",
            "field": "/rss/channel/item",
            "message": "skipped export 2 items 2, 4 (wp:post_type 'nav_menu_item'): only posts "
            "and pages are stories",
        },
    ]


def test_a_featured_image_missing_from_the_export_is_a_warning() -> None:
    meta = (
        "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>99</wp:meta_value>"
        "</wp:postmeta>"
    )
    [item], warnings = parse_warned(wxr(post("p1", meta)))
    assert item.associations == []
    assert warnings == [
        {
            "code": "featured_image_missing",
            "index": 0,
            "field": "wp:postmeta/_thumbnail_id",
            "message": "the featured image (attachment 99) is not in the export",
        }
    ]


def test_an_export_without_a_post_or_page_is_invalid() -> None:
    with pytest.raises(Invalid, match="no post or page"):
        parse(wxr(ATTACHMENT, MENU))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(p.name for p in SAMPLES.glob("*.xml"))),
    st.lists(st.tuples(st.integers(0, 6000), st.binary(max_size=4)), max_size=6),
)
def test_a_mangled_feed_raises_only_input_errors(name: str, edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(sample(name))
    for at, chunk in edits:
        at %= len(raw)
        raw[at : at + len(chunk)] = chunk
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        root = parse_xml(bytes(raw))
        if feed.sniff(root):
            feed.parse(root, CTX)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<guid>g</guid>",
                "<link>l</link>",
                "<title>t</title>",
                "<guid/>",
                "<pubDate>x</pubDate>",
                "<pubDate>Tue, 16 Apr 2024 10:00 +2500</pubDate>",
                "<description>&lt;p</description>",
                "<enclosure url='u' length='-1'/>",
                "<category domain='http://cv.iptc.org/newscodes/subjectcode/'/>",
                "<category domain='http://cv.iptc.org/newscodes/subjectcode/'>subj:</category>",
            ]
        ),
        max_size=8,
    ),
    st.integers(0, 3),
)
def test_random_items_raise_only_input_errors(parts: list[str], copies: int) -> None:
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        parse(rss(*[f"<item>{''.join(parts)}</item>"] * copies))
