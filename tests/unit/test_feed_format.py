"""shared.formats.feed: an RSS or Atom feed is a batch, one ParsedItem per item or entry."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import Invalid, Malformed, TimestampError, UnsupportedMediaType
from shared.formats import feed
from shared.formats.xmlsafe import parse_xml
from shared.model import ParseContext, ParsedItem, Profile, Rendition, Subject

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
