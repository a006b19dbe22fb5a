"""NITF 3.x read into whole ParsedItems: AAP/PA/EFE/BelTA-style samples, and every refusal."""

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
from shared.core.model import Dateline, ParseContext, ParsedItem, Place, Profile, Rendition, Subject
from shared.reading.dateline import find_dateline
from shared.reading.formats import nitf
from shared.reading.formats.common.xmlsafe import parse_xml
from shared.reading.repairs import collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "nitf"
IN_UTC = ParseContext(profile=Profile(timezone="UTC"))
IN_MINSK = ParseContext(profile=Profile(timezone="Europe/Minsk"))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def sample(name: str, ctx: ParseContext = IN_UTC) -> list[ParsedItem]:
    return nitf.parse(parse_xml((SAMPLES / name).read_bytes()), ctx)


def one(xml: str, ctx: ParseContext = IN_UTC) -> ParsedItem:
    [item] = nitf.parse(parse_xml(xml.encode()), ctx)
    return item


def refusal(xml: str, ctx: ParseContext = IN_UTC) -> DatelineError:
    with pytest.raises((Malformed, Invalid)) as caught:
        nitf.parse(parse_xml(xml.encode()), ctx)
    return caught.value


def story(docdata: str = "", body_head: str = "", content: str = "<p>Text.</p>") -> str:
    return (
        f"<nitf>\n<head>\n<docdata>{docdata}</docdata>\n</head>\n<body>\n"
        f"<body.head><hedline><hl1>Headline</hl1></hedline>{body_head}</body.head>\n"
        f"<body.content>{content}</body.content>\n</body>\n</nitf>"
    )


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<nitf/>", True),
        ('<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"/>', True),
        ("<NewsML/>", False),
        ("<rss/>", False),
    ],
)
def test_sniff_takes_a_nitf_root_in_any_namespace(xml: str, expected: bool) -> None:
    assert nitf.sniff(parse_xml(xml.encode())) is expected


def test_sniff_refuses_what_is_not_an_element() -> None:
    assert nitf.sniff("<nitf/>") is False


# --- whole samples -------------------------------------------------------------------------


def test_aap_style_item_maps_every_field() -> None:
    assert sample("aap-full.xml") == [
        ParsedItem(
            format="nitf",
            uri="CCP:20220107:bushfire-blue-mountains",
            version="3",
            type="text",
            pubstatus="usable",
            headline="Emergency warning as bushfire nears Blue Mountains towns",
            slugline="NSW-FIRE-BLUEMOUNTAINS",
            byline="Mara Ellison, CCP Senior Reporter",
            abstract="An out-of-control bushfire is within two kilometres of homes in the upper "
            "Blue Mountains.",
            ednote="Updates casualty figure in par 3.",
            body_html="<p>An out-of-control bushfire is within two kilometres of homes in the "
            "upper Blue Mountains, with the Rural Fire Service issuing an emergency warning on "
            "Friday afternoon.</p>\n"
            '<p>"If you have not left, it is now too late," RFS spokesman Shane Rogers said.</p>\n'
            "<h2>Road closures</h2>\n"
            "<ul>\n<li>Great Western Highway, Katoomba to Blackheath</li>\n"
            "<li>Cliff Drive, Leura</li>\n</ul>\n"
            '<table>\n<tr><th>Town</th><th colspan="2">Alert level</th></tr>\n'
            "<tr><td>Katoomba</td><td>Emergency</td><td>16:00</td></tr>\n</table>\n"
            "<p>Two firefighters were treated for heat exhaustion.</p>\n"
            "<blockquote><p>We are asking people to stay off the roads.</p>"
            "<cite>NSW Police</cite></blockquote>\n"
            '<p>Evacuation centres have opened at <a href="https://www.rfs.example/centres">'
            "Springwood and Penrith</a>.</p>\n"
            "<p>CCP me/jt</p>",
            body_text=None,
            language="en-AU",
            dateline=Dateline(located="Katoomba", date=date(2022, 1, 7), text="KATOOMBA"),
            firstcreated=at(2022, 1, 7, 2, 21),
            versioncreated=at(2022, 1, 7, 2, 21),
            embargoed=at(2022, 1, 7, 3, 0),
            urgency=2,
            priority=2,
            subjects=[
                Subject("iptc-subject", "06005000", "natural resources"),
                Subject("iptc-subject", "03000000", "disaster and accident"),
                Subject("ccp", "FIRE", "Fire desk"),
                Subject("category", "a"),
                Subject("ccp-desk", "NSW", "NSW desk"),
                Subject("organisation", "RFS", "NSW Rural Fire Service"),
                Subject("person", "rogers-s", "Shane Rogers"),
                Subject("series", None, "Summer of fire"),
                Subject("fixture", "NSW-FIRES-LIVE"),
            ],
            keywords=["bushfire", "Blue Mountains", "RFS"],
            places=[Place("Katoomba", "AU"), Place("New South Wales", "AU-NSW")],
            genre="Current",
            source="CCP",
            copyrightholder="Coral Coast Press",
            usageterms="Not for syndication outside Australia.",
            renditions=[
                Rendition(
                    name="baseImage",
                    href="https://media.coralcoast.example/pix/katoomba-fire.jpg",
                    mimetype="image/jpeg",
                    width=1600,
                    height=1067,
                )
            ],
            associations=[],
        )
    ]


def test_windows_1251_item_is_decoded_as_its_prolog_says() -> None:
    assert sample("belta-windows-1251.xml") == [
        ParsedItem(
            format="nitf",
            uri="belta-2022-0107-1321-grain",
            headline="В Беларуси намолотили 8,5 млн тонн зерна",
            body_html="<p>МИНСК, 7 января (БЕЛТА) – Аграрии Беларуси собрали в 2022 году 8,5 млн "
            "тонн зерна с учетом кукурузы, сообщили в Министерстве сельского хозяйства и "
            "продовольствия.</p>\n<p>Средняя урожайность составила 34,2 центнера с гектара.</p>",
            language="ru-BY",
            dateline=Dateline("Минск", date(2022, 1, 7), "БЕЛТА", "МИНСК, 7 января (БЕЛТА)"),
            firstcreated=at(2022, 1, 7, 10, 21),
            versioncreated=at(2022, 1, 7, 10, 21),
            urgency=5,
            source="БЕЛТА",
        )
    ]


def test_item_with_a_nitf_3_5_doctype_is_read_and_its_embargo_kept_in_utc() -> None:
    assert sample("efe-doctype-3-5.xml") == [
        ParsedItem(
            format="nitf",
            uri="EFE-20220107-MAD-0412",
            pubstatus="usable",
            headline="El Prado reabre su sala de Goya tras dos años de obras",
            body_html="<p>Madrid, 7 ene (EFE).- El Museo del Prado reabre este viernes la sala "
            "dedicada a las pinturas negras de Goya.</p>\n<pre>Horario: 10.00-20.00</pre>",
            language="es",
            dateline=Dateline(located="Madrid", text="Madrid"),
            firstcreated=at(2022, 1, 7, 10, 15),
            versioncreated=at(2022, 1, 7, 10, 15),
            embargoed=at(2022, 1, 7, 12, 0),
            urgency=4,
            keywords=["Cultura"],
        )
    ]


def test_issue_date_without_offset_is_read_in_the_partner_zone() -> None:
    [item] = sample("naive-issue.xml", IN_MINSK)

    assert (item.firstcreated, item.versioncreated) == (at(2022, 7, 1, 10, 21),) * 2
    assert item == ParsedItem(
        format="nitf",
        uri="minsk-city-2022-07-01-metro",
        headline="Minsk metro extends evening service",
        body_html="<p>MINSK, 1 July (BelTA) – The Minsk metro will run until 01:30 on Fridays "
        "and Saturdays from next week, the city transport committee said.</p>",
        firstcreated=at(2022, 7, 1, 10, 21),
        versioncreated=at(2022, 7, 1, 10, 21),
    )


def test_killed_item_is_canceled_with_its_kill_note() -> None:
    assert sample("kill-withheld.xml") == [
        ParsedItem(
            format="nitf",
            uri="PA:2022-01-07:court-kingston",
            version="2",
            pubstatus="canceled",
            headline="KILL Kingston court story",
            slugline="COURTS Kingston",
            ednote="MANDATORY KILL: legal reasons. Do not use.",
            firstcreated=at(2022, 1, 7, 15, 45),
            versioncreated=at(2022, 1, 7, 15, 45),
            urgency=1,
            source="PA",
        )
    ]


def test_namespaced_nitf_3_6_item_is_withheld() -> None:
    assert sample("namespaced-3-6.xml") == [
        ParsedItem(
            format="nitf",
            uri="PA:2022-01-07:storm-warning",
            pubstatus="withheld",
            headline="Amber wind warning issued for Cumbria and Lancashire",
            byline="By Tom Rourke, PA",
            body_html="<p>Gusts of up to 80mph are expected on <em>Saturday</em>, the Met Office "
            "said.</p>",
            language="en-GB",
            firstcreated=at(2022, 1, 7, 9, 5),
            versioncreated=at(2022, 1, 7, 9, 5),
            source="PA",
        )
    ]


# --- single fields -------------------------------------------------------------------------


def test_title_stands_in_for_a_missing_hl1_and_hl2_for_a_missing_abstract() -> None:
    xml = (
        "<nitf><head><title>From the title</title></head><body><body.head><hedline>"
        "<hl2>First deck</hl2><hl2>second deck</hl2></hedline></body.head></body></nitf>"
    )
    item = one(xml)
    assert (item.headline, item.abstract) == ("From the title", "First deck second deck")


@pytest.mark.parametrize(
    ("norm", "expected"),
    [
        ("20220107T132100+0300", at(2022, 1, 7, 10, 21)),
        ("20220107T132100Z", at(2022, 1, 7, 13, 21)),
        ("20220107132100-0500", at(2022, 1, 7, 18, 21)),
        ("2022-01-07T13:21:00+03:00", at(2022, 1, 7, 10, 21)),
        ("20220107T000000", at(2022, 1, 6, 21, 0)),
        ("20220107", at(2022, 1, 6, 21, 0)),
    ],
)
def test_issue_dates_in_compact_and_extended_iso_forms(norm: str, expected: datetime) -> None:
    item = one(story(f'<date.issue norm="{norm}"/>'), IN_MINSK)
    assert (item.firstcreated, item.versioncreated) == (expected, expected)


def test_nitf_only_markup_becomes_html() -> None:
    content = (
        "<note><p>Note</p></note><dl><dt>Term</dt><dd>Meaning</dd></dl>"
        "<nitf-table><nitf-table-metadata/><table><tr><td>1</td></tr></table></nitf-table>"
        "<p>A <money unit='EUR'>€5</money> fee<br/>per <lang>día</lang>"
        "<sup>1</sup></p><hr/><fn><p>Foot</p></fn>"
    )
    assert one(story(content=content)).body_html == (
        "<p>Note</p><ul><li>Term</li><li>Meaning</li></ul><table><table><tr><td>1</td></tr>"
        "</table></table><p>A €5 fee<br>per día<sup>1</sup></p><hr><p>Foot</p>"
    )


def test_the_management_status_element_form_is_read_too() -> None:
    xml = story("<management-status>Withheld</management-status>")
    assert one(xml).pubstatus == "withheld"


def test_dateline_without_city_element_is_parsed_from_its_text() -> None:
    item = one(
        story('<date.issue norm="20220107T120000Z"/>', "<dateline>SYDNEY, Jan. 7 (AAP)</dateline>")
    )
    assert item.dateline == Dateline("Sydney", date(2022, 1, 7), "AAP", "SYDNEY, Jan. 7 (AAP)")


def test_category_meta_uses_the_partner_profile() -> None:
    profile = Profile(category_subjects={"s": Subject("iptc-subject", "15000000", "sport")})
    xml = '<nitf><head><title>T</title><meta name="anpa-category" content="s"/></head></nitf>'
    assert one(xml, ParseContext(profile=profile)).subjects == [
        Subject("iptc-subject", "15000000", "sport")
    ]


def test_non_iptc_subject_refnums_keep_their_ipr_as_scheme() -> None:
    xml = (
        '<nitf><head><title>T</title><tobject><tobject.subject tobject.subject.ipr="EFE" '
        'tobject.subject.refnum="CUL" tobject.subject.matter="Cultura"/>'
        '<tobject.subject tobject.subject.refnum="subj:15054000"/></tobject></head></nitf>'
    )
    assert one(xml).subjects == [
        Subject("efe", "CUL", "Cultura"),
        Subject("iptc-subject", "15054000"),
    ]


# --- agency copy as the agencies mean it ---------------------------------------------------


def read_warned(xml: str, ctx: ParseContext = IN_UTC) -> tuple[ParsedItem, list[dict[str, object]]]:
    with collecting() as warnings:
        item = one(xml, ctx)
    return item, warnings


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By H. COLE<byttl>Transport Correspondent</byttl>", "By H. COLE Transport Correspondent"),
        ("<person>Mara Ellison</person><byttl>Reporter</byttl>", "Mara Ellison Reporter"),
        ("<person>Mara Ellison</person>, <byttl>Reporter</byttl>", "Mara Ellison, Reporter"),
        ("Jane Doe<br/>Staff Writer", "Jane Doe Staff Writer"),
        ("By <em>Jo</em>hn Roe (<org>PA</org>)", "By John Roe (PA)"),
    ],
)  # fmt: skip
def test_a_byline_keeps_the_word_breaks_its_markup_implies(byline: str, expected: str) -> None:
    assert one(story(body_head=f"<byline>{byline}</byline>")).byline == expected


def test_dangling_separators_are_trimmed_from_every_credit_with_a_warning() -> None:
    xml = story(
        '<doc-id id-string="x" regsrc="AAP -"/><doc.copyright holder="PA Media –"/>',
        "<distributor>PA–</distributor>",
    )
    item, warnings = read_warned(xml)

    assert (item.source, item.copyrightholder) == ("PA", "PA Media")
    assert warnings == [
        {
            "code": "credit_trimmed",
            "field": "body.head/distributor",
            "line": 6,
            "message": "'PA–' read as 'PA': a dangling separator was left out",
        },
        {
            "code": "credit_trimmed",
            "field": "docdata/doc.copyright@holder",
            "line": 3,
            "message": "'PA Media –' read as 'PA Media': a dangling separator was left out",
        },
    ]


@pytest.mark.parametrize(
    ("regsrc", "expected"),
    [("dpa/", "dpa"), ("Reuters |", "Reuters"), ("- AAP", "AAP"), ("AP/Reuters", "AP/Reuters"),
     ("dpa-AFX", "dpa-AFX"), ("–", None)],
)  # fmt: skip
def test_only_separators_at_the_ends_of_a_credit_go(regsrc: str, expected: str | None) -> None:
    item, warnings = read_warned(story(f'<doc-id id-string="x" regsrc="{regsrc}"/>'))
    assert item.source == expected
    assert [w["code"] for w in warnings] == ([] if expected == regsrc else ["credit_trimmed"])


def test_the_dateline_text_never_includes_the_story_date() -> None:
    dateline = (
        "<dateline><location><city>LONDON</city></location>"
        '<story.date norm="20260504T093100+0100">Monday May 4</story.date></dateline>'
    )
    assert one(story(body_head=dateline)).dateline == Dateline(
        "London", date(2026, 5, 4), None, "LONDON"
    )


@pytest.mark.parametrize(
    ("dateline", "expected"),
    [
        ("SYDNEY, <story.date>May 4</story.date> (AAP)",
         Dateline("Sydney", date(2026, 5, 4), "AAP", "SYDNEY (AAP)")),
        ("BRISBANE <story.date>4 de mayo de 2026</story.date>",
         Dateline("Brisbane", None, None, "BRISBANE")),
        ("Port of Spain, <story.date>May 3</story.date>",
         Dateline("Port of Spain", date(2026, 5, 3), None, "Port of Spain")),
        ('<story.date norm="20260504">4 May</story.date>', Dateline(date=date(2026, 5, 4))),
    ],
)  # fmt: skip
def test_a_story_date_without_norm_gives_its_day_when_readable(
    dateline: str, expected: Dateline
) -> None:
    ctx = ParseContext(profile=Profile(timezone="UTC"), received_at=at(2026, 5, 4, 10))
    assert one(story(body_head=f"<dateline>{dateline}</dateline>"), ctx).dateline == expected


EFE_LEAD = "<p>Madrid, 4 may (EFE).- El Consejo de Ministros ha aprobado el plan.</p>"


@pytest.mark.parametrize(
    ("body_head", "content", "located"),
    [
        ("", "<p>La Feria de Abril abre esta noche.</p>", "Sevilla"),
        ("", EFE_LEAD, None),  # the lead locates it (normalise reads it)
        ("<dateline><location><city>CÁDIZ</city></location></dateline>", "<p>Texto.</p>", "Cádiz"),
        ('<dateline><story.date norm="20260504"/></dateline>', "<p>Texto.</p>", "Sevilla"),
    ],
)
def test_the_event_city_locates_a_story_only_the_dateline_and_lead_leave_unplaced(
    body_head: str, content: str, located: str | None
) -> None:
    xml = story('<evloc city="SEVILLA" state-prov="Andalucía" iso-cc="ES"/>', body_head, content)
    item = one(xml)
    assert (item.dateline.located if item.dateline else None) == located
    assert item.places == [Place("SEVILLA", "ES")]


def test_an_efe_lead_with_its_dot_dash_is_a_dateline() -> None:
    found = find_dateline("Madrid, 4 may (EFE).- El Consejo de Ministros", near=date(2026, 5, 4))
    assert found == (Dateline("Madrid", date(2026, 5, 4), "EFE", "Madrid, 4 may (EFE)"), 22)


def test_a_pre_table_keeps_its_lines_and_indentation() -> None:
    content = "<p>Results:</p>\n  <pre><b>Arsenal  2</b>\n   <b>Everton  0</b></pre>\n  <p>End.</p>"
    assert one(story(content=content)).body_html == (
        "<p>Results:</p>\n<pre><b>Arsenal  2</b>\n   <b>Everton  0</b></pre>\n<p>End.</p>"
    )


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "error", "line"),
    [
        ("<nitf>\n<head/>\n<body/>\n</nitf>", Invalid, 1),
        (story('<urgency ed-urg="high"/>'), Invalid, 3),
        (story('<urgency ed-urg="12"/>'), Invalid, 3),
        (story('<date.issue norm="20220231T100000Z"/>'), TimestampError, 3),
        (story("<x/>").replace("<docdata>", '<docdata management-status="draft">'), Invalid, 3),
        (
            story(content='<media><media-reference source="a.jpg" width="wide"/></media>'),
            Invalid,
            7,
        ),
        (story(body_head='<dateline><story.date norm="20220230"/></dateline>'), TimestampError, 6),
    ],
)
def test_refusals_name_the_line(xml: str, error: type[DatelineError], line: int) -> None:
    caught = refusal(xml)
    assert type(caught) is error
    assert caught.errors[0]["line"] == line


def test_a_doctype_declaring_entities_is_refused_before_parsing() -> None:
    xml = '<!DOCTYPE nitf [<!ENTITY x SYSTEM "file:///etc/passwd">]><nitf>&x;</nitf>'
    with pytest.raises(Invalid):
        parse_xml(xml.encode())


# --- robustness ----------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "head", "title", "docdata", "doc-id", "urgency", "date.issue", "date.release", "du-key",
        "body", "body.head", "hedline", "hl1", "hl2", "byline", "dateline", "story.date",
        "location", "city", "body.content", "p", "media", "media-reference", "tobject",
        "tobject.subject", "identified-content", "classifier", "evloc", "key-list", "keyword",
        "ed-msg", "meta", "management-status", "body.end", "tagline", "table", "bq", "byttl",
        "distributor", "doc.copyright", "pre", "person",
    ]
)  # fmt: skip
ATTRS = st.sampled_from(
    [
        "norm", "ed-urg", "id-string", "version", "key", "management-status", "source", "width",
        "height", "tobject.subject.refnum", "info", "name", "content", "value", "iso-cc",
        "city", "holder", "regsrc",
    ]
)  # fmt: skip
TEXTS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


def _elements() -> st.SearchStrategy[etree._Element]:
    def build(name: str, attrs: dict[str, str], text: str, kids: list[etree._Element]):
        element = etree.Element(name, {k: v for k, v in attrs.items()})
        element.text = text
        element.extend(kids)
        return element

    leaf = st.builds(build, NAMES, st.dictionaries(ATTRS, TEXTS, max_size=3), TEXTS, st.just([]))
    return st.recursive(
        leaf,
        lambda kids: st.builds(
            build,
            NAMES,
            st.dictionaries(ATTRS, TEXTS, max_size=3),
            TEXTS,
            st.lists(kids, max_size=4),
        ),
        max_leaves=25,
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(_elements(), max_size=4))
def test_random_nitf_trees_raise_nothing_but_input_errors(children: list) -> None:
    root = etree.Element("nitf")
    root.extend(children)
    raw = etree.tostring(root)
    try:
        items = nitf.parse(parse_xml(raw), IN_UTC)
    except (Malformed, Invalid, UnsupportedMediaType):
        return
    assert len(items) == 1 and items[0].format == "nitf"


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mangled_samples_raise_nothing_but_input_errors(data: st.DataObject) -> None:
    raw = SAMPLES / data.draw(st.sampled_from(sorted(p.name for p in SAMPLES.glob("*.xml"))))
    content = raw.read_bytes()
    start = data.draw(st.integers(0, len(content)))
    end = data.draw(st.integers(start, min(len(content), start + 200)))
    junk = data.draw(st.binary(max_size=30))
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        nitf.parse(parse_xml(content[:start] + junk + content[end:]), IN_UTC)
