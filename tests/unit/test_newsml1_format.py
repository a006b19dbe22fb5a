"""NewsML 1.x read into whole ParsedItems: AFP/ANA-style samples, batches, and every refusal."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
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
from shared.reading.formats import newsml1
from shared.reading.formats.common.xmlsafe import parse_xml
from shared.reading.repairs import collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "newsml1"
IN_UTC = ParseContext(profile=Profile(timezone="UTC"))
IN_ATHENS = ParseContext(profile=Profile(timezone="Europe/Athens"))
AFP_PIX = "https://media.afp.example/"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def sample(name: str, ctx: ParseContext = IN_UTC) -> list[ParsedItem]:
    return newsml1.parse(parse_xml((SAMPLES / name).read_bytes()), ctx)


def news_item(
    ident: str = "<PublicIdentifier>urn:newsml:x.example:20220107:1:1</PublicIdentifier>",
    management: str = "",
    component: str = "<NewsLines><HeadLine>Headline</HeadLine></NewsLines>",
) -> str:
    return (
        f"<NewsItem>\n<Identification><NewsIdentifier>{ident}</NewsIdentifier></Identification>\n"
        f"<NewsManagement>{management}</NewsManagement>\n"
        f"<NewsComponent>{component}</NewsComponent>\n</NewsItem>"
    )


def document(*items: str, envelope: str = "") -> str:
    return f"<NewsML>\n<NewsEnvelope>{envelope}</NewsEnvelope>\n" + "\n".join(items) + "\n</NewsML>"


def one(xml: str, ctx: ParseContext = IN_UTC) -> ParsedItem:
    [item] = newsml1.parse(parse_xml(xml.encode()), ctx)
    return item


def refusal(xml: str, ctx: ParseContext = IN_UTC) -> DatelineError:
    with pytest.raises((Malformed, Invalid)) as caught:
        newsml1.parse(parse_xml(xml.encode()), ctx)
    return caught.value


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "expected"),
    [("<NewsML/>", True), ('<NewsML xmlns="urn:x"/>', True), ("<nitf/>", False)],
)
def test_sniff_takes_a_newsml_root(xml: str, expected: bool) -> None:
    assert newsml1.sniff(parse_xml(xml.encode())) is expected


# --- whole samples -------------------------------------------------------------------------


def test_afp_style_item_maps_every_field() -> None:
    assert sample("afp-single.xml") == [
        ParsedItem(
            format="newsml-1",
            uri="urn:newsml:afp.com:20220107:TX-PAR-KHD41",
            version="1",
            type="text",
            pubstatus="usable",
            headline="Grève à la SNCF : un TGV sur deux samedi",
            slugline="France-transport-grève",
            byline="Claire Dumont",
            abstract="Les syndicats réclament des hausses de salaires",
            ednote="Sous embargo jusqu'à 12H00 GMT",
            body_html="<p>La SNCF prévoit un TGV sur deux samedi en raison d'une grève des "
            "contrôleurs, a annoncé la direction vendredi.</p>\n<p>Le trafic des TER sera "
            "également <em>très perturbé</em> en Île-de-France.</p>",
            body_text=None,
            language="fr",
            dateline=Dateline("Paris", date(2022, 1, 7), "AFP", "PARIS, 7 janvier 2022 (AFP)"),
            firstcreated=at(2022, 1, 7, 10, 15),
            versioncreated=at(2022, 1, 7, 10, 20),
            embargoed=None,
            urgency=4,
            priority=3,
            subjects=[
                Subject("iptc-subject", "04000000"),
                Subject("iptc-subject", "04015000"),
                Subject("iptc-subject", "04015001"),
                Subject("iptc-subject", "09000000"),
            ],
            keywords=["SNCF", "grève", "transport"],
            places=[Place("Paris", "FRA")],
            genre="Current",
            source="Agence France-Presse",
            copyrightholder="Agence France-Presse",
            usageterms="Reproduction réservée aux abonnés.",
            renditions=[],
            associations=[],
        )
    ]


def test_a_batch_of_three_news_items_keeps_their_order() -> None:
    ferry, stocks, alert = sample("batch-3.xml", IN_ATHENS)

    assert ferry == ParsedItem(
        format="newsml-1",
        uri="urn:newsml:amna.gr:20220107:1001",
        version="1",
        headline="Ferry services resume after Aegean gale",
        body_text="Ferries left Piraeus for the Cyclades on Friday morning after a two-day ban."
        "\n\nThe coast guard lifted the ban at 06:00.",
        dateline=Dateline("Piraeus", date(2022, 1, 7), "ANA", "PIRAEUS, Jan 7 (ANA)"),
        firstcreated=at(2022, 1, 7, 9, 0),
        versioncreated=at(2022, 1, 7, 9, 0),
        priority=4,
    )
    assert stocks == ParsedItem(
        format="newsml-1",
        uri="urn:newsml:amna.gr:20220107:1002",
        version="1",
        headline="Athens stock exchange opens higher",
        body_html="<p>The general index rose <strong>0.8%</strong> in early trade.</p>",
        firstcreated=at(2022, 1, 7, 9, 30),
        versioncreated=at(2022, 1, 7, 9, 30),
        urgency=2,
        priority=4,
    )
    assert alert == ParsedItem(
        format="newsml-1",
        uri="urn:newsml:amna.gr:20220107:1003",
        version="1",
        pubstatus="withheld",
        headline="Earthquake of 4.9 felt in Crete",
        firstcreated=at(2022, 1, 7, 9, 45),
        versioncreated=at(2022, 1, 7, 9, 45),
        priority=4,
    )


def test_photo_components_become_renditions_and_associations() -> None:
    assert sample("photos.xml") == [
        ParsedItem(
            format="newsml-1",
            uri="urn:newsml:afp.com:20220107:TX-SGE-MVK02",
            version="1",
            type="text",
            headline="Kazakhstan: troops patrol Almaty after unrest",
            body_html="<p>Troops patrolled the centre of Almaty on Friday as the city counted the "
            "cost of a week of unrest.</p>",
            language="en",
            dateline=Dateline("Almaty", date(2022, 1, 7), "AFP", "ALMATY, Jan 7 (AFP)"),
            firstcreated=at(2022, 1, 7, 15, 0),
            versioncreated=at(2022, 1, 7, 15, 0),
            urgency=4,
            renditions=[
                Rendition(
                    "HighDef", AFP_PIX + "hd/almaty-patrol.jpg", "image/jpeg", 3000, 2000, 2418034
                ),
                Rendition("Thumbnail", AFP_PIX + "thumb/almaty-patrol.jpg", "image/jpeg", 160, 107),
            ],
            associations=[
                Association("Photo", "urn:newsml:afp.com:20220107:PH-ALA-0031"),
                Association("associated", "urn:newsml:afp.com:20220106:TX-SGE-MUZ88"),
            ],
        )
    ]


def test_a_revision_keeps_the_uri_of_its_first_version_and_its_embargo_in_utc() -> None:
    assert sample("revision.xml") == [
        ParsedItem(
            format="newsml-1",
            uri="urn:newsml:afp.com:20220107:TX-MOW-QQ571",
            version="2",
            pubstatus="usable",
            headline="Russia: central bank keeps key rate at 8.5%",
            slugline="Russia-economy-rate",
            byline="Ivan Petrov",
            ednote="Rectification",
            body_html="<p>Russia's central bank kept its key rate at 8.5 percent on Friday "
            "(corrects rate in headline).</p>",
            language="en",
            dateline=Dateline("Moscow", date(2022, 1, 7), "AFP", "MOSCOW, Jan 7 (AFP)"),
            firstcreated=at(2022, 1, 7, 9, 5),
            versioncreated=at(2022, 1, 7, 10, 21),
            embargoed=at(2022, 1, 7, 12, 0),
            urgency=3,
            priority=2,
            subjects=[Subject("iptc-subject", "04006000")],
        )
    ]


# --- single fields -------------------------------------------------------------------------


def test_uri_is_built_from_the_identifier_parts_without_a_public_identifier() -> None:
    ident = "<ProviderId>afp.com</ProviderId><DateId>20220107</DateId><NewsItemId>X1</NewsItemId>"
    assert one(document(news_item(ident))).uri == "urn:newsml:afp.com:20220107:X1"


def test_times_without_offset_are_read_in_the_partner_zone() -> None:
    management = "<FirstCreated>20220701T120000</FirstCreated>"
    item = one(document(news_item(management=management)), IN_ATHENS)
    assert (item.firstcreated, item.versioncreated) == (at(2022, 7, 1, 9, 0), None)


def test_the_envelope_time_stands_in_when_the_item_has_none() -> None:
    item = one(document(news_item(), envelope="<DateAndTime>20220107T132100+0300</DateAndTime>"))
    assert (item.firstcreated, item.versioncreated) == (None, at(2022, 1, 7, 10, 21))


@pytest.mark.parametrize(
    ("management", "expected"),
    [
        ('<Status FormalName="Canceled"/>', "canceled"),
        ('<Status FormalName="Usable"/><Instruction FormalName="Kill"/>', "canceled"),
        ('<Status FormalName="Withheld"/>', "withheld"),
        ("", "usable"),
    ],
)
def test_status_and_kill_instructions_map_to_pubstatus(management: str, expected: str) -> None:
    assert one(document(news_item(management=management))).pubstatus == expected


def test_a_photo_only_item_is_a_picture_with_its_caption_as_abstract() -> None:
    component = (
        "<NewsLines><HeadLine>Almaty</HeadLine></NewsLines>"
        '<ContentItem Href="p.jpg"><MediaType FormalName="Photo"/></ContentItem>'
        "<NewsComponent><Role FormalName='Caption'/><ContentItem><MediaType FormalName='Text'/>"
        "<DataContent>Soldiers in Almaty.</DataContent></ContentItem></NewsComponent>"
    )
    item = one(document(news_item(component=component)))
    assert (item.type, item.abstract, item.renditions) == (
        "picture",
        "Soldiers in Almaty.",
        [Rendition("Photo", "p.jpg")],
    )


def test_html_sent_escaped_as_text_is_kept_as_html() -> None:
    component = (
        "<NewsLines><HeadLine>H</HeadLine></NewsLines><ContentItem><MediaType FormalName='Text'/>"
        "<DataContent>&lt;p&gt;One &amp;amp; two&lt;/p&gt;</DataContent></ContentItem>"
    )
    item = one(document(news_item(component=component)))
    assert (item.body_html, item.body_text) == ("<p>One &amp; two</p>", None)


def test_a_dangling_credit_line_is_trimmed_with_a_warning_naming_its_news_item() -> None:
    lines = "<NewsLines><HeadLine>H{n}</HeadLine><CreditLine>{credit}</CreditLine></NewsLines>"
    xml = document(
        news_item(component=lines.format(n=1, credit="AFP")),
        news_item(component=lines.format(n=2, credit="AAP -")),
    )
    with collecting() as warnings:
        items = newsml1.parse(parse_xml(xml.encode()), IN_UTC)

    assert [i.source for i in items] == ["AFP", "AAP"]
    assert warnings == [
        {
            "code": "credit_trimmed",
            "index": 1,
            "field": "NewsLines/CreditLine",
            "message": "'AAP -' read as 'AAP': a dangling separator was left out",
        }
    ]


def test_news_lines_keep_the_word_breaks_of_their_markup() -> None:
    component = (
        "<NewsLines><HeadLine>H</HeadLine><ByLine>Claire Dumont<ByLineTitle>AFP Correspondent"
        "</ByLineTitle></ByLine></NewsLines>"
    )
    assert one(document(news_item(component=component))).byline == "Claire Dumont AFP Correspondent"


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "error", "line"),
    [
        ("<NewsML>\n<NewsEnvelope/>\n</NewsML>", Invalid, 1),
        (document(news_item(ident="")), Invalid, 4),
        (document(news_item(component="")), Invalid, 3),
        (document(news_item(management='<Urgency FormalName="urgent"/>')), Invalid, 5),
        (document(news_item(management='<Status FormalName="Draft"/>')), Invalid, 5),
        (
            document(news_item(management="<FirstCreated>20220230T1000</FirstCreated>")),
            TimestampError,
            5,
        ),
        (
            document(news_item()).replace(
                "<NewsLines>", "<NewsLines><DateLine>X, 30 Feb 2022 (AFP)</DateLine>"
            ),
            TimestampError,
            6,
        ),
    ],
)
def test_refusals_name_the_line(xml: str, error: type[DatelineError], line: int) -> None:
    caught = refusal(xml)
    assert type(caught) is error
    assert caught.errors[0]["line"] == line


def test_a_batch_reports_every_bad_member_and_accepts_none() -> None:
    xml = document(
        news_item(),
        news_item(ident=""),
        news_item(management='<Urgency FormalName="0"/>'),
    )
    caught = refusal(xml)
    assert type(caught) is Invalid
    assert [(e["index"], e["line"]) for e in caught.errors] == [(1, 9), (2, 15)]
    assert caught.detail.startswith("2 of 3 NewsItems are invalid")


# --- robustness ----------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "NewsItem", "Identification", "NewsIdentifier", "PublicIdentifier", "RevisionId",
        "NewsItemId", "ProviderId", "NewsManagement", "FirstCreated", "Status", "Urgency",
        "StatusWillChange", "FutureStatus", "DateAndTime", "Instruction", "NewsComponent",
        "NewsLines", "HeadLine", "DateLine", "Role", "DescriptiveMetadata", "SubjectCode",
        "Subject", "Location", "Property", "ContentItem", "MediaType", "DataContent",
        "Characteristics", "SizeInBytes", "nitf", "body", "body.content", "p", "NewsItemRef",
    ]
)  # fmt: skip
ATTRS = st.sampled_from(["FormalName", "Value", "Href", "NewsItem", "Duid", "Scheme"])
TEXTS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


def _elements() -> st.SearchStrategy[etree._Element]:
    def build(name: str, attrs: dict[str, str], text: str, kids: list[etree._Element]):
        element = etree.Element(name, attrs)
        element.text = text
        element.extend(kids)
        return element

    attrs = st.dictionaries(ATTRS, TEXTS, max_size=2)
    leaf = st.builds(build, NAMES, attrs, TEXTS, st.just([]))
    return st.recursive(
        leaf,
        lambda kids: st.builds(build, NAMES, attrs, TEXTS, st.lists(kids, max_size=4)),
        max_leaves=30,
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(_elements(), max_size=4))
def test_random_newsml_trees_raise_nothing_but_input_errors(children: list) -> None:
    root = etree.Element("NewsML")
    root.extend(children)
    try:
        items = newsml1.parse(parse_xml(etree.tostring(root)), IN_UTC)
    except (Malformed, Invalid, UnsupportedMediaType):
        return
    assert items and all(i.format == "newsml-1" and i.uri for i in items)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mangled_samples_raise_nothing_but_input_errors(data: st.DataObject) -> None:
    path = SAMPLES / data.draw(st.sampled_from(sorted(p.name for p in SAMPLES.glob("*.xml"))))
    content = path.read_bytes()
    start = data.draw(st.integers(0, len(content)))
    end = data.draw(st.integers(start, min(len(content), start + 200)))
    junk = data.draw(st.binary(max_size=30))
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        newsml1.parse(parse_xml(content[:start] + junk + content[end:]), IN_UTC)
