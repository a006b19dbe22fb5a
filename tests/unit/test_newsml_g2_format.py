"""NewsML-G2 newsItems, packageItems and newsMessages read into whole ParsedItems, and refusals."""

from __future__ import annotations

import base64
import contextlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from shared.core.errors import (
    DatelineError,
    Invalid,
    Malformed,
    TimestampError,
    UnsupportedMediaType,
)
from shared.core.model import (
    Association,
    Dateline,
    ParseContext,
    ParsedItem,
    Place,
    Profile,
    Rendition,
    Subject,
)
from shared.reading.formats import newsml_g2
from shared.reading.formats.common.xmlsafe import parse_xml
from shared.reading.formats.newsml_g2_meta import pseudo_markup
from shared.reading.normalise import normalise
from shared.reading.repairs import Warning_, collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "newsml-g2"
IN_UTC = ParseContext(profile=Profile(timezone="UTC"))
IN_BERLIN = ParseContext(profile=Profile(timezone="Europe/Berlin"))
IN_MINSK = ParseContext(profile=Profile(timezone="Europe/Minsk"))
IN_AUCKLAND = ParseContext(profile=Profile(timezone="Pacific/Auckland"))
G2 = "http://iptc.org/std/nar/2006-10-01/"
REUTERS_GUID = "tag:reuters.example,2024:newsml_L8N3FG1AB"
ANSA = "urn:newsml:ansa.example:20240312:etna"
PIX = "https://media.pix.example/PIX0062134533"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def parsed(raw: bytes, ctx: ParseContext = IN_UTC) -> list[ParsedItem]:
    return newsml_g2.parse(parse_xml(raw), ctx)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
       micro: int = 0) -> datetime:  # fmt: skip
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def news_item(
    meta: str = "",
    content: str = "<headline>A headline</headline>",
    body: str = "",
    attrs: str = 'guid="urn:test:1" version="1"',
    root_extra: str = "",
) -> bytes:
    """A small newsItem with the given itemMeta, contentMeta and contentSet innards."""
    return (
        f'<newsItem xmlns="{G2}" {attrs}>{root_extra}'
        f'<itemMeta><itemClass qcode="ninat:text"/>{meta}</itemMeta>'
        f"<contentMeta>{content}</contentMeta><contentSet>{body}</contentSet></newsItem>"
    ).encode()


def one(raw: bytes, ctx: ParseContext = IN_UTC) -> ParsedItem:
    [item] = parsed(raw, ctx)
    return item


def warned(raw: bytes, ctx: ParseContext = IN_UTC) -> tuple[list[ParsedItem], list[Warning_]]:
    """The items and the repairs recorded while reading them."""
    with collecting() as warnings:
        items = parsed(raw, ctx)
    return items, warnings


def codes(raw: bytes, ctx: ParseContext = IN_UTC) -> list[str]:
    return [w["code"] for w in warned(raw, ctx)[1]]


def refusal(raw: bytes, ctx: ParseContext = IN_UTC) -> DatelineError:
    with pytest.raises(Invalid) as caught:
        parsed(raw, ctx)
    return caught.value


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (f'<newsItem xmlns="{G2}"/>', True),
        (f'<g2:newsMessage xmlns:g2="{G2}"/>', True),
        (f'<packageItem xmlns="{G2}"/>', True),
        (f'<conceptItem xmlns="{G2}"/>', True),  # sniffed, then refused as not news
        ("<newsItem/>", False),
        ('<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"/>', False),
        ("<NewsML/>", False),
    ],
)
def test_sniff_takes_roots_in_the_g2_namespace_only(xml: str, expected: bool) -> None:
    assert newsml_g2.sniff(etree.fromstring(xml)) is expected


# --- whole items from each sample ------------------------------------------------------------


def test_reuters_style_text_item_maps_every_field_and_keeps_the_xhtml_markup() -> None:
    [item] = parsed(sample("reuters-text-xhtml.xml"))
    body = item.body_html or ""
    assert body.startswith("<p>LONDON, March 12 (Reuters) - Anglo American will slow")
    assert '<a href="https://www.reuters.example/companies/AAL.L">Woodsmith</a>' in body
    assert "<h2>Costs</h2>" in body and "<li>Spending cut by <b>$1 billion</b></li>" in body
    assert "<table><tr><th>Year</th><td>2030</td></tr></table>" in body
    # a <br> ends a line: each line its own paragraph, so the text keeps it too
    assert "said.</p><p>Shares" in body and "<h1>" not in body and "xmlns" not in body
    assert item == ParsedItem(
        format="newsml-g2",
        uri=REUTERS_GUID,
        version="3",
        type="text",
        pubstatus="usable",
        headline="Anglo American slows Woodsmith potash mine to save cash",
        slugline="BRITAIN-POTASH/MINE",
        byline="By Jane Doe",
        abstract=(
            "Anglo American will slow work on its Woodsmith potash project in northern England."
        ),
        ednote="Adds analyst comment in paragraph 4. Refiles to fix typo in headline.",
        body_html=item.body_html,
        language="en-GB",
        dateline=Dateline("London", date(2024, 3, 12), "Reuters", "LONDON, March 12 (Reuters)"),
        firstcreated=at(2024, 3, 12, 13, 10),
        versioncreated=at(2024, 3, 12, 18, 5, 31, 250_000),
        embargoed=at(2024, 3, 12, 14, 0),
        urgency=3,
        subjects=[
            Subject("iptc-subject", "04000000", "economy, business and finance"),
            Subject("iptc-mediatopic", "20000139", "mining"),
            Subject("iptc-mediatopic", "20000523", None),
            Subject("N2", "MIN", "Mining"),
        ],
        keywords=["potash", "fertiliser"],
        places=[
            Place("United Kingdom", "iso3166-1a2:GB"),
            Place("Woodsmith mine", "rtrpoi:woodsmith"),
        ],
        genre="Current",
        source="Reuters",
        copyrightholder="Thomson Reuters",
        usageterms="Not for redistribution outside the licensed territory.",
    )


def test_dpa_style_item_with_inline_nitf_reads_naive_times_in_the_partner_zone() -> None:
    [item] = parsed(sample("dpa-text-nitf.xml"), IN_BERLIN)
    assert item == ParsedItem(
        format="newsml-g2",
        uri="urn:newsml:dpa.example:20240312:240312-99-123456",
        version="2",
        headline="Bundestag beschließt Haushalt 2024",  # from the NITF hedline: none in G2
        slugline="Bundestag/Haushalt",
        byline="Von Max Mustermann, dpa",
        ednote="Achtung: Sperrfrist beachten.",
        body_html=(
            "<p>Berlin (dpa) - Der Bundestag hat am Dienstag den Haushalt beschlossen.</p>\n"
            "            \n"
            "            <h2>Opposition kritisiert</h2>\n"
            "            <p>Die Opposition sprach von einem <em>Notbehelf</em>.</p>"
        ),
        language="de",
        dateline=Dateline(located="Berlin"),
        firstcreated=at(2024, 3, 12, 8, 15),  # CET
        versioncreated=at(2024, 3, 31, 1, 30),  # 02:30 is in the DST gap: fold=0 reads +01:00
        urgency=4,
        subjects=[
            Subject("iptc-subject", "11000000", "Politik"),
            Subject("dpasrv", "bdt", "Basisdienst"),
        ],
        keywords=["Bundestag", "Haushalt"],
        places=[Place("Deutschland", "iso3166-1a2:DE")],
        genre="report",
        source="Deutsche Presse-Agentur",
        copyrightholder="dpa",
        usageterms="Nur zur redaktionellen Verwendung.",
    )


def test_news_message_is_a_batch_and_a_package_member_stays_an_item_of_its_own() -> None:
    text, photo, package = parsed(sample("message-batch-3.xml"), IN_BERLIN)
    assert text == ParsedItem(
        format="newsml-g2",
        uri=f"{ANSA}-text",
        version="1",
        headline="Etna, nuova fontana di lava: chiuso l'aeroporto di Catania",
        body_text=(
            "CATANIA, 12 MAR - Nuova fontana di lava dall'Etna.\n\n"
            "L'aeroporto di Catania resta chiuso fino alle 20."
        ),
        language="it",
        dateline=Dateline("Catania", date(2024, 3, 12), None, "CATANIA, 12 MAR"),
        firstcreated=at(2024, 3, 12, 14, 58),
        versioncreated=at(2024, 3, 12, 14, 58),
        urgency=2,
        priority=2,  # from the message header
        subjects=[Subject("iptc-mediatopic", "06000000", "ambiente")],
        source="ANSA",
    )
    assert photo == ParsedItem(
        format="newsml-g2",
        uri=f"{ANSA}-photo",
        version="1",
        type="picture",
        byline="Orietta Scardino",
        abstract="La fontana di lava vista da Zafferana Etnea.",
        language="it",
        firstcreated=at(2024, 3, 11, 23, 0),  # date-only contentCreated: local midnight
        versioncreated=at(2024, 3, 12, 14, 40),
        priority=2,
        source="ANSA",
        renditions=[
            Rendition(
                "web", "https://media.ansa.example/etna-web.jpg", "image/jpeg", 1024, 683, 184320
            ),
        ],
    )
    assert package == ParsedItem(
        format="newsml-g2",
        uri=f"{ANSA}-package",
        version="1",
        type="composite",
        headline="Etna in eruzione",
        language="it",
        versioncreated=at(2024, 3, 12, 15, 0),
        priority=2,
        source="ANSA",
        associations=[
            Association("main", f"{ANSA}-text"),
            Association("illustration", f"{ANSA}-photo"),
        ],
    )


def test_package_item_is_one_composite_listing_every_referenced_item() -> None:
    assert one(sample("package.xml")) == ParsedItem(
        format="newsml-g2",
        uri="tag:ap.example,2024:pkg-election-night",
        version="7",
        type="composite",
        headline="Election night: the main stories",
        abstract="Results, pictures and analysis.",
        language="en-US",
        firstcreated=at(2024, 11, 5, 23, 0),
        versioncreated=at(2024, 11, 6, 5, 12),
        source="The Associated Press",
        associations=[
            Association("main", "tag:ap.example,2024:election-lead"),
            Association("sidebar", "tag:ap.example,2024:election-photo-1"),
            Association("seeAlso", "https://api.ap.example/items/election-video-2"),
        ],
    )


def test_picture_item_lists_its_remote_renditions_without_fetching_them() -> None:
    assert one(sample("picture-renditions.xml")) == ParsedItem(
        format="newsml-g2",
        uri="tag:pix.example,2024:PIX0062134533",
        version="11",
        type="picture",
        headline="Las Vegas economy still scarred",
        byline="Sam Platt",
        abstract="A general view of downtown Las Vegas, Nevada, on October 11, 2024.",
        language="en-US",
        firstcreated=at(2024, 10, 11, 20, 58),
        versioncreated=at(2024, 10, 12, 6, 42, 4),
        subjects=[Subject("iptc-mediatopic", "20000533", "unemployment")],
        keywords=["economy"],
        places=[Place("Las Vegas", "pixcity:89109")],
        source="Pix Agency",
        copyrightholder="Pix Agency North America",
        usageterms="Editorial use only.",
        renditions=[
            Rendition("highRes", f"{PIX}.jpg", "image/jpeg", 1500, 1001, 346071),
            Rendition("web", f"{PIX}-web.jpg", "image/jpeg", 480, 320, 28972),
            Rendition("thumb", f"{PIX}-thumb.gif", "image/gif", 80, 53, 6381),
        ],
    )


def test_canceled_item_is_accepted_as_a_kill_without_headline_or_body() -> None:
    assert one(sample("kill-canceled.xml")) == ParsedItem(
        format="newsml-g2",
        uri=REUTERS_GUID,
        version="4",
        pubstatus="canceled",
        ednote="KILL - this story has been withdrawn. Do not use.",
        versioncreated=at(2024, 3, 12, 18, 30),
        source="reuters.example",
    )


def test_windows_1251_item_is_decoded_as_its_prolog_says() -> None:
    assert one(sample("belta-windows-1251.xml"), IN_MINSK) == ParsedItem(
        format="newsml-g2",
        uri="urn:newsml:belta.example:20220107:potash",
        version="1",
        headline="Калийные удобрения: экспорт вырос на 12%",
        body_html=(
            "<p>МИНСК, 7 января (БЕЛТА) – Экспорт калийных удобрений вырос на 12%.</p>\n"
            "        <p>Об этом сообщили в министерстве.</p>"
        ),
        language="ru",
        dateline=Dateline("Минск", date(2022, 1, 7), "БЕЛТА", "МИНСК, 7 января (БЕЛТА)"),
        firstcreated=at(2022, 1, 7, 10, 21),
        versioncreated=at(2022, 1, 7, 10, 21),
        subjects=[Subject("iptc-subject", "04000000", "экономика, бизнес и финансы")],
        source="БЕЛТА",
        copyrightholder="БЕЛТА",
    )


def test_utf16_item_with_its_prolog_reads_the_same_as_utf8() -> None:
    utf8 = sample("reuters-text-xhtml.xml")
    utf16 = utf8.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert parsed(utf16) == parsed(utf8)


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.xml")))
def test_every_sample_item_survives_normalisation(name: str) -> None:
    for item in parsed(sample(name), IN_BERLIN):
        normalised = normalise(item, IN_BERLIN, namespace="partner")
        assert normalised.uri == item.uri and normalised.versioncreated.tzinfo is not None


# --- single behaviours ----------------------------------------------------------------------


def test_partner_alias_declared_in_the_catalog_resolves_to_the_iptc_scheme() -> None:
    catalog = '<catalog><scheme alias="iptc" uri="http://cv.iptc.org/newscodes/subjectcode/"/>'
    catalog += '<scheme alias="mt" uri="https://cv.iptc.org/newscodes/mediatopic"/></catalog>'
    subjects = '<subject qcode="iptc:15000000"/><subject qcode="mt:20000822"/>'
    item = one(news_item(content=subjects + "<headline>H</headline>", root_extra=catalog))
    assert item.subjects == [
        Subject("iptc-subject", "15000000"),
        Subject("iptc-mediatopic", "20000822"),
    ]


def test_subject_name_follows_the_item_language_then_its_primary_subtag() -> None:
    names = '<name xml:lang="en">sport</name><name xml:lang="fr-CA">sport FR</name>'
    names += '<name xml:lang="de">Sport DE</name>'
    content = f'<language tag="fr-FR"/><subject qcode="subj:15000000">{names}</subject>'
    content += "<headline>H</headline>"
    assert one(news_item(content=content)).subjects == [
        Subject("iptc-subject", "15000000", "sport FR")
    ]


def test_item_language_falls_back_to_the_root_xml_lang() -> None:
    attrs = 'guid="urn:test:1" xml:lang="sv"'
    assert one(news_item(attrs=attrs)).language == "sv"


def test_naive_times_are_read_in_the_partner_zone_and_offsets_are_honoured() -> None:
    meta = "<versionCreated>2024-07-01T12:00:00</versionCreated>"
    meta += "<firstCreated>2024-07-01T09:00:00+05:30</firstCreated>"
    item = one(news_item(meta=meta), IN_BERLIN)
    assert (item.versioncreated, item.firstcreated) == (at(2024, 7, 1, 10), at(2024, 7, 1, 3, 30))


def test_content_created_and_modified_are_fallbacks_and_a_bare_year_names_no_instant() -> None:
    content = "<contentCreated>2019</contentCreated><contentModified>2024-05-02T10:00:00Z"
    content += "</contentModified><headline>H</headline>"
    item = one(news_item(content=content))
    assert (item.firstcreated, item.versioncreated) == (None, at(2024, 5, 2, 10))


def test_empty_embargo_element_means_no_embargo() -> None:
    assert one(news_item(meta="<embargoed/>")).embargoed is None


def test_inline_plain_text_base64_is_decoded_in_its_charset() -> None:
    data = base64.b64encode("Zürich: Schnee.".encode("iso-8859-1")).decode()
    body = f'<inlineData contenttype="text/plain; charset=iso-8859-1" encoding="base64">{data}'
    assert one(news_item(body=body + "</inlineData>")).body_text == "Zürich: Schnee."


def test_inline_html_data_is_the_html_body() -> None:
    body = '<inlineData contenttype="text/html">&lt;p&gt;One&lt;/p&gt;</inlineData>'
    assert one(news_item(body=body)).body_html == "<p>One</p>"


def test_located_alone_gives_a_dateline_with_only_the_place() -> None:
    content = '<located qcode="city:1"><name>Oslo</name></located><headline>H</headline>'
    assert one(news_item(content=content)).dateline == Dateline(located="Oslo")


def test_picture_without_headline_is_accepted_on_its_caption() -> None:
    raw = news_item(content='<description role="drol:caption">A cat.</description>')
    raw = raw.replace(b"ninat:text", b"ninat:picture")
    assert one(raw).abstract == "A cat."


# --- loose copy: repaired, and the repair warned --------------------------------------------

BUSINESSDESK = f"""<newsMessage xmlns:xsi="{G2}" xmlns="{G2}">
<Header><Sent>2026-05-04 12:41:07</Sent><priority>5</priority></Header>
<itemSet>
<packageItem><itemRef residref="20260504124107"/></packageItem>
<newsItem guid="BD-20260504124107" version="2">
<itemMeta><itemClass qcode="ninat:text"/><provider literal="BusinessDesk"/>
<versionCreated>2026-05-04 12:41:07</versionCreated><ednote></ednote></itemMeta>
<contentMeta><urgency>5</urgency><subject type="category"><name>Markets</name></subject>
</contentMeta>
<contentSet><inlineXML contenttype="application/nitf+xml">
<nitf xmlns:xsi="http://iptc.org/std/NITF/2006-10-18/"><head><title>Port volumes slip</title>
</head><body><body.content><p>Port of Tauranga handled less cargo.</p></body.content></body>
</nitf></inlineXML></contentSet>
</newsItem>
</itemSet>
</newsMessage>""".encode()


def test_businessdesk_loose_message_is_read_as_meant_and_every_repair_is_warned() -> None:
    [item], warnings = warned(BUSINESSDESK, IN_AUCKLAND)
    assert item == ParsedItem(
        format="newsml-g2",
        uri="BD-20260504124107",
        version="2",
        headline="Port volumes slip",  # the inline NITF's head/title: the only headline
        body_html="<p>Port of Tauranga handled less cargo.</p>",
        firstcreated=None,
        versioncreated=at(2026, 5, 4, 0, 41, 7),  # NZST, UTC+12
        urgency=5,
        priority=5,  # from the capitalised Header
        subjects=[Subject("category", None, "Markets")],
        source="BusinessDesk",
    )
    assert warnings == [
        {"code": "element_case", "line": 2,
         "message": "<Header> is read as the NewsML-G2 element <header>"},
        {"code": "reference_skipped", "line": 4,
         "message": "a packageItem without a guid only references other items and is skipped"},
        {"code": "time_zone_assumed", "index": 0, "line": 7,
         "message": "'2026-05-04 12:41:07' names no time zone: read in the partner's zone "
                    "Pacific/Auckland"},
        {"code": "subject_type_ignored", "index": 0, "line": 8,
         "message": "subject type 'category' is not a QCode (alias:code) and is ignored"},
        {"code": "element_case", "index": 0, "line": 7,
         "message": "<ednote> is read as the NewsML-G2 element <edNote>"},
    ]  # fmt: skip


def test_a_reference_only_package_alone_is_still_refused_for_its_missing_guid() -> None:
    raw = f'<newsMessage xmlns="{G2}"><itemSet><packageItem><itemRef residref="x"/>'
    error = refusal(f"{raw}</packageItem></itemSet></newsMessage>".encode())
    assert "a packageItem needs a guid" in error.detail


def test_repairs_inside_a_batch_name_their_member() -> None:
    first = news_item(attrs='guid="urn:test:1"').decode()
    second = news_item(attrs='guid="urn:test:2"', meta="<versionCreated>2026-05-04T10:00:00"
                       "</versionCreated>").decode()  # fmt: skip
    raw = f'<newsMessage xmlns="{G2}"><itemSet>{first}{second}</itemSet></newsMessage>'.encode()
    _, warnings = warned(raw, IN_BERLIN)
    assert [(w["code"], w.get("index")) for w in warnings] == [("time_zone_assumed", 1)]


@pytest.mark.parametrize(
    ("meta", "content", "expected", "warnings"),
    [
        ("<versionCreated>2026-05-04 12:00:00</versionCreated>", "", at(2026, 5, 4, 10),
         ["time_zone_assumed"]),
        ("<versionCreated>2026-05-04T12:00:00+02:00</versionCreated>", "", at(2026, 5, 4, 10),
         []),
        ("", "<contentModified>2026-05-04</contentModified>", at(2026, 5, 3, 22), []),
    ],
)  # fmt: skip
def test_only_a_date_time_without_a_zone_warns_that_the_zone_was_assumed(
    meta: str, content: str, expected: datetime, warnings: list[str]
) -> None:
    raw = news_item(meta=meta, content=content + "<headline>H</headline>")
    [item], found = warned(raw, IN_BERLIN)
    assert item.versioncreated == expected and [w["code"] for w in found] == warnings


def test_a_subject_type_that_is_a_plain_word_is_ignored_but_a_bad_qcode_still_refused() -> None:
    content = '<subject type="Topic" qcode="subj:04000000"/><headline>H</headline>'
    [item], warnings = warned(news_item(content=content))
    assert item.subjects == [Subject("iptc-subject", "04000000")]
    assert [w["code"] for w in warnings] == ["subject_type_ignored"]
    content = '<subject type="Topic" qcode="04000000"/><headline>H</headline>'
    assert "is not a QCode" in refusal(news_item(content=content)).detail


def test_inline_nitf_headline_prefers_hl1_to_the_head_title() -> None:
    nitf = "<nitf><head><title>Title</title></head><body><body.head><hedline><hl1>Hl1</hl1>"
    nitf += "</hedline></body.head><body.content><p>B.</p></body.content></body></nitf>"
    body = f'<inlineXML contenttype="application/nitf+xml">{nitf}</inlineXML>'
    assert one(news_item(content="", body=body)).headline == "Hl1"


def test_plain_text_inline_data_holding_html_is_read_as_html_with_a_warning() -> None:
    body = '<inlineData contenttype="text/plain">&lt;p&gt;One.&lt;/p&gt;&lt;p&gt;Two.&lt;/p&gt;'
    [item], warnings = warned(news_item(body=body + "</inlineData>"))
    assert (item.body_html, item.body_text) == ("<p>One.</p><p>Two.</p>", None)
    assert warnings == [
        {"code": "content_type_mismatch", "line": 1,
         "message": "inlineData labelled 'text/plain' holds HTML: read as HTML"},
    ]  # fmt: skip


def test_plain_text_with_angle_brackets_stays_text() -> None:
    body = '<inlineData contenttype="text/plain">If a &lt; b and b &gt; c, a &lt; c.</inlineData>'
    [item], warnings = warned(news_item(body=body))
    assert (item.body_text, warnings) == ("If a < b and b > c, a < c.", [])


@pytest.mark.parametrize(
    ("paragraph", "expected", "warnings"),
    [
        # <br> ends a line: each line becomes its own paragraph, inline markup kept
        ("<p>Key points:<br/>rates <b>up</b><br/><br/>jobs down</p>",
         "<p>Key points:</p><p>rates <b>up</b></p><p>jobs down</p>", []),
        # a results table in newlines: kept line by line
        ("<p>Results:\n  HIFK–Lukko 3–1\n  Ilves–TPS 2–2</p>",
         "<p>Results:</p><p>HIFK–Lukko 3–1</p><p>Ilves–TPS 2–2</p>", ["line_breaks_kept"]),
        # bullets in newlines
        ("<p>- Miners lead\n- Banks slip</p>", "<p>- Miners lead</p><p>- Banks slip</p>",
         ["line_breaks_kept"]),
        # a paragraph the sender wrapped: one paragraph, as XHTML means
        ("<p>Sadat eläimet hoidetaan kuntoon,\n    että ne voidaan palauttaa.\n    Loput.</p>",
         "<p>Sadat eläimet hoidetaan kuntoon,\n    että ne voidaan palauttaa.\n    Loput.</p>", []),
        ("<p>The minister said.\n   Finland agreed.</p>",
         "<p>The minister said.\n   Finland agreed.</p>", []),
    ],
)  # fmt: skip
def test_a_paragraph_of_lines_becomes_a_paragraph_per_line(
    paragraph: str, expected: str, warnings: list[str]
) -> None:
    xhtml = f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{paragraph}</body></html>'
    body = f'<inlineXML contenttype="application/xhtml+xml">{xhtml}</inlineXML>'
    [item], found = warned(news_item(body=body))
    assert item.body_html == expected and [w["code"] for w in found] == warnings


def test_stt_endash_pseudo_markup_is_an_en_dash_in_headline_and_body() -> None:
    dash = "&lt;endash&gt;-&lt;/endash&gt;"
    content = f"<headline>Kärpät voitti 4{dash}2</headline>"
    xhtml = f"<html><body><p>Tulos 4{dash}2, erät 1<endash>-</endash>0.</p></body></html>"
    body = f'<inlineXML contenttype="xhtml/xml">{xhtml}</inlineXML>'
    body += f'<inlineData contenttype="text/plain">Tulos 4{dash}2.</inlineData>'
    [item], warnings = warned(news_item(content=content, body=body))
    assert (item.headline, item.body_html, item.body_text) == (
        "Kärpät voitti 4–2",
        "<p>Tulos 4–2, erät 1–0.</p>",
        "Tulos 4–2.",
    )
    assert {w["code"] for w in warnings} == {"pseudo_markup"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3<endash>-</endash>1", "3–1"),
        ("3&lt;endash&gt;-&lt;/endash&gt;1", "3–1"),  # escaped twice
        ("800<ENDASH> - </ENDASH>1000", "800–1000"),
        ("no dash here", "no dash here"),
    ],
)
def test_pseudo_markup_is_reusable_on_any_stt_text(text: str, expected: str) -> None:
    assert pseudo_markup(text) == expected


# --- refusals -------------------------------------------------------------------------------


def test_item_without_guid_is_invalid_naming_its_line() -> None:
    error = refusal(sample("bad/missing-guid.xml"))
    assert error.errors == [{"line": 2, "message": "a newsItem needs a guid"}]


def test_concept_item_is_not_news() -> None:
    error = refusal(sample("bad/concept-item.xml"))
    # libxml2 numbers an element by the line where its start tag ends
    assert "conceptItem is not news" in error.detail and error.errors[0]["line"] == 3


def test_batch_with_bad_members_names_each_by_index_and_accepts_nothing() -> None:
    error = refusal(sample("bad/batch-bad-members.xml"))
    assert [(e["index"], e["line"]) for e in error.errors] == [(1, 15), (2, 19)]
    assert "day 30 does not exist" in error.errors[0]["message"]
    assert "2 of 3 newsMessage items" in error.detail


def test_empty_news_message_is_invalid() -> None:
    raw = f'<newsMessage xmlns="{G2}"><header/><itemSet/></newsMessage>'.encode()
    assert "holds 1 to 1000 items, not 0" in refusal(raw).detail


def test_item_without_headline_or_content_is_invalid() -> None:
    assert "needs a headline or content" in refusal(news_item(content="")).detail


@pytest.mark.parametrize(
    ("meta", "content", "body", "message"),
    [
        ("", "<urgency>10</urgency><headline>H</headline>", "", "not an urgency from 1 to 9"),
        ("", "<urgency>high</urgency><headline>H</headline>", "", "not an urgency"),
        ('<pubStatus qcode="stat:draft"/>', "<headline>H</headline>", "", "is not usable"),
        ('<pubStatus qcode="usable"/>', "<headline>H</headline>", "", "is not a QCode"),
        ("", '<subject qcode="04000000"/><headline>H</headline>', "", "is not a QCode"),
        ("", "<headline>H</headline>", '<remoteContent href="x" width="-3"/>', "whole number"),
        ("", "<headline>H</headline>", '<inlineData encoding="base64">@@</inlineData>',
         "cannot be decoded"),
    ],
)  # fmt: skip
def test_unreadable_values_are_invalid_naming_their_line(
    meta: str, content: str, body: str, message: str
) -> None:
    error = refusal(news_item(meta=meta, content=content, body=body))
    assert message in error.errors[0]["message"] and error.errors[0]["line"] == 1


def test_unsupported_item_class_is_invalid() -> None:
    raw = news_item().replace(b"ninat:text", b"ninat:event")
    assert "item class ninat:event is not supported" in refusal(raw).detail


@pytest.mark.parametrize(
    "value", ["2024-02-30T10:00:00Z", "12 March 2024", "2024-03-12T10:00:00+25:00", "yesterday"]
)
def test_impossible_or_non_iso_dates_are_timestamp_errors(value: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parsed(news_item(meta=f"<versionCreated>{value}</versionCreated>"))
    assert caught.value.errors[0]["line"] == 1


def test_overlong_guid_is_invalid() -> None:
    raw = news_item(attrs=f'guid="urn:x:{"a" * 1100}"')
    assert "longer than 1024 bytes" in refusal(raw).detail


# --- robustness -----------------------------------------------------------------------------

_SAMPLES = sorted(p.name for p in SAMPLES.glob("*.xml"))
_ATTRS = ("qcode", "guid", "version", "width", "size", "tag", "rel", "role", "type", "uri")
_TRICKY = (
    "", ":", "a:", ":b", "subj:", "ninat:event", "stat:foo", "cpnat:geoArea", "-1", "1e3",
    "9" * 30, "2024-02-30T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
    "2024-03-31T02:30:00", "2024", "2024-13", "http://cv.iptc.org/newscodes/mediatopic/",
    "https://cv.iptc.org/newscodes/subjectcode/04000000", "base64", "application/xhtml+xml",
)  # fmt: skip
_VALUES = st.one_of(st.text(max_size=30), st.sampled_from(_TRICKY))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(_SAMPLES),
    picks=st.lists(st.tuples(st.integers(0, 500), st.sampled_from(_ATTRS), _VALUES),
                   max_size=4),
    texts=st.lists(st.tuples(st.integers(0, 500), _VALUES), max_size=4),
)  # fmt: skip
def test_mangled_documents_raise_only_input_errors(
    name: str, picks: list[tuple[int, str, str]], texts: list[tuple[int, str]]
) -> None:
    root = parse_xml(sample(name))
    elements = list(root.iter())
    for index, attr, value in picks:
        element = elements[index % len(elements)]
        element.set(attr, _xml_safe(value))
    for index, value in texts:
        element = elements[index % len(elements)]
        element.text = _xml_safe(value)
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        newsml_g2.parse(root, IN_BERLIN)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200), cut=st.integers(0, 4000))
def test_mangled_bytes_raise_only_input_errors(data: bytes, cut: int) -> None:
    raw = sample("reuters-text-xhtml.xml")
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        newsml_g2.parse(parse_xml(raw[:cut] + data + raw[cut:]), IN_UTC)


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or "\ue000" <= c
                   <= "\ufffd")  # fmt: skip
