"""Ritzau RBNews stories and XMLNewsQueuedResponse batches read into whole ParsedItems, the
repairs warned, and refusals."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

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
from shared.core.model import Dateline, NormalisedItem, ParseContext, ParsedItem, Profile, Subject
from shared.reading.formats import parse_body, rbnews
from shared.reading.formats.common.xmlsafe import parse_xml
from shared.reading.prepare import prepare, warnings_of
from shared.reading.repairs import Warning_, collecting

IN_COPENHAGEN = ParseContext(
    profile=Profile(
        timezone="Europe/Copenhagen",
        category_subjects={"sport": Subject("iptc-mediatopic", "15000000", "sport")},
        priority_labels={"haster": 1},
    ),
    received_at=datetime(2026, 5, 4, 10, 0, tzinfo=UTC),
)
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TEMPURI = "http://tempuri.org/"
P, END = "&lt;p&gt;", "&lt;/p&gt;"  # an HTML paragraph, escaped as Ritzau sends it
CONTENT = f"{P}Regionerne bygger tre nye klinikker.{END}{P}De åbner i 2028.{END}"
FULL = f"""<NewsID>5f0c2a7e-3b1d</NewsID>
<PublishDate>2026-05-04T11:32:10.573</PublishDate>
<strapline>NU/INDLAND-I</strapline>
<headline>Regioner vil bygge tre nye akutklinikker</headline>
<subtitle>Klinikkerne skal stå klar i 2028</subtitle>
<town>Aarhus</town>
<origin>/ritzau/</origin>
<section>Indland</section>
<version>2</version>
<content>{CONTENT}</content>
<Priority>3</Priority>
<IPTCList xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">
<a:int>07000000</a:int><a:int>42</a:int></IPTCList>
<Annuleret>false</Annuleret>
<byLine>Sofie Kragh Jensen</byLine>
<TilRedaktionen>Opdateret med antal klinikker.</TilRedaktionen>"""


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def story(fields: str = FULL) -> str:
    return f'<RBNews xmlns:i="{XSI}">{fields}</RBNews>'


def queued(*stories: str, error: str = "0", message: str = "") -> bytes:
    return (
        f'<XMLNewsQueuedResponse xmlns="{TEMPURI}"><XMLNewsQueuedResult>'
        f'<error xmlns="">{error}</error><errormsg xmlns="">{message}</errormsg>'
        f'<ListOfRBNews xmlns="">{"".join(stories)}</ListOfRBNews>'
        "</XMLNewsQueuedResult></XMLNewsQueuedResponse>"
    ).encode()


def warned(raw: str | bytes) -> tuple[list[ParsedItem], list[Warning_]]:
    data = raw.encode() if isinstance(raw, str) else raw
    with collecting() as warnings:
        items = rbnews.parse(parse_xml(data), IN_COPENHAGEN)
    return items, warnings


def prepared(raw: bytes) -> list[NormalisedItem]:
    return prepare(
        raw, "application/xml", namespace="ritzau", profile=IN_COPENHAGEN.profile,
        received_at=IN_COPENHAGEN.received_at,
    )  # fmt: skip


def one(raw: str) -> ParsedItem:
    [item] = warned(raw)[0]
    return item


def refusal(raw: str | bytes) -> DatelineError:
    data = raw.encode() if isinstance(raw, str) else raw
    with pytest.raises(Invalid) as caught:
        rbnews.parse(parse_xml(data), IN_COPENHAGEN)
    return caught.value


def with_field(name: str, xml: str) -> str:
    """``FULL`` with the element ``name`` replaced by ``xml``."""
    lines = [line for line in FULL.splitlines() if not line.startswith(f"<{name}")]
    return story("\n".join(lines) + xml)


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<RBNews/>", True),
        (f'<RBNews xmlns="{TEMPURI}"/>', True),
        (f'<XMLNewsQueuedResponse xmlns="{TEMPURI}"/>', True),
        ("<rbnews/>", True),
        ("<ListOfRBNews/>", False),
        ("<nitf/>", False),
    ],
)
def test_sniff_takes_the_two_ritzau_roots_in_any_namespace(xml: str, expected: bool) -> None:
    assert rbnews.sniff(etree.fromstring(xml)) is expected


def test_the_registry_reads_rbnews_as_xml_and_refuses_it_as_an_html_page() -> None:
    [item] = parse_body(story().encode(), "application/xml", IN_COPENHAGEN)
    assert item.format == "rbnews"
    with pytest.raises(UnsupportedMediaType):
        parse_body(story().encode(), "text/html", IN_COPENHAGEN)


# --- whole stories ---------------------------------------------------------------------------


def test_a_story_maps_every_field_and_reads_publish_date_in_the_partner_zone() -> None:
    [item], warnings = warned(story())
    assert item == ParsedItem(
        format="rbnews",
        uri="5f0c2a7e-3b1d",
        version="2",
        headline="Regioner vil bygge tre nye akutklinikker",
        slugline="NU/INDLAND-I",  # Ritzau's routing slug, not a teaser
        byline="Sofie Kragh Jensen",
        abstract="Klinikkerne skal stå klar i 2028",
        ednote="Opdateret med antal klinikker.",
        body_html="<p>Regionerne bygger tre nye klinikker.</p><p>De åbner i 2028.</p>",
        dateline=Dateline(located="Aarhus"),
        firstcreated=at(2026, 5, 4, 9, 32, 10, 573_000),  # CEST
        versioncreated=at(2026, 5, 4, 9, 32, 10, 573_000),
        priority=3,
        subjects=[Subject("category", None, "Indland"), Subject("iptc-subject", "07000000")],
        source="ritzau",
    )
    assert warnings == []


def test_a_queued_response_is_a_batch_whose_repairs_name_their_story() -> None:
    second = with_field("headline", '<headline i:nil="true"/>').replace("5f0c2a7e", "77aa01")
    items = prepared(queued(story(), second))
    assert [i.uri for i in items] == ["5f0c2a7e-3b1d", "77aa01-3b1d"]
    assert items[1].headline == "Regionerne bygger tre nye klinikker."
    assert warnings_of(items) == [
        {"code": "headline_derived", "index": 1, "field": "/headline",
         "message": "no headline: the first sentence of the text is used"},
    ]  # fmt: skip


def test_a_cancelled_story_needs_no_headline_or_content() -> None:
    fields = "<NewsID>x1</NewsID><headline/><content/><Annuleret>true</Annuleret>"
    assert one(story(fields)) == ParsedItem(format="rbnews", uri="x1", pubstatus="canceled")


# --- repairs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "headline"),
    [
        # the dateline lead goes, the first sentence is kept
        (f"{P}KØBENHAVN (Ritzau) - Politiet har anholdt to mænd. Ingen kom til skade.{END}",
         "Politiet har anholdt to mænd."),
        # "ca. 40", "kl. 14" and "hr. Hansen" do not end the sentence
        (f"{P}Cirka ca. 40 butikker lukker kl. 14 i dag. Resten følger.{END}",
         "Cirka ca. 40 butikker lukker kl. 14 i dag."),
        (f"{P}Ifølge hr. Hansen er der tre nye klinikker. Flere følger.{END}",
         "Ifølge hr. Hansen er der tre nye klinikker."),
        (f"{P}Hvem vinder valget? Ingen ved det.{END}", "Hvem vinder valget?"),
    ],
)  # fmt: skip
def test_a_nil_headline_is_the_first_sentence_of_the_body(content: str, headline: str) -> None:
    """Ritzau sends flashes and briefs with a nil headline: normalise titles them."""
    fields = f'<NewsID>x</NewsID><headline i:nil="true"/><content>{content}</content>'
    [item] = prepared(story(fields).encode())
    assert item.headline == headline
    assert [w["code"] for w in item.warnings] == ["headline_derived"]


def test_entities_escaped_twice_are_unescaped_once() -> None:
    fields = "<NewsID>x</NewsID><subtitle>Spire&amp;apos;s nye satellit</subtitle>"
    fields += "<headline>H</headline><content>&lt;p&gt;Det er &amp;amp;quot;stort&amp;amp;quot;"
    fields += "&lt;/p&gt;</content>"
    [item], warnings = warned(story(fields))
    assert (item.abstract, item.body_html) == ("Spire's nye satellit", '<p>Det er "stort"</p>')
    assert [w["code"] for w in warnings] == ["entity_double_escaped", "entity_double_escaped"]


def test_content_lines_split_by_br_become_paragraphs() -> None:
    content = "&lt;p&gt;Resultater:&lt;br/&gt;FCM-Brøndby 3-1&lt;br/&gt;AGF-OB 0-0&lt;/p&gt;"
    item = one(with_field("content", f"<content>{content}</content>"))
    assert item.body_html == "<p>Resultater:</p><p>FCM-Brøndby 3-1</p><p>AGF-OB 0-0</p>"


def test_content_without_markup_is_plain_text() -> None:
    item = one(with_field("content", "<content>Kort besked uden opmærkning.</content>"))
    assert (item.body_html, item.body_text) == (None, "Kort besked uden opmærkning.")


def test_a_note_to_the_desk_in_html_is_read_as_text() -> None:
    note = f"<TilRedaktionen>{P}Historien &lt;b&gt;opdateres&lt;/b&gt;.{END}</TilRedaktionen>"
    assert one(with_field("TilRedaktionen", note)).ednote == "Historien opdateres."


@pytest.mark.parametrize(
    ("value", "expected", "warnings"),
    [("4", 4, []), ("haster", 1, []), ("12", None, ["priority_ignored"]),
     ("høj", None, ["priority_ignored"]), ("²", None, ["priority_ignored"])],
)  # fmt: skip
def test_priority_is_a_number_or_a_profile_label(
    value: str, expected: int | None, warnings: list[str]
) -> None:
    [item], found = warned(with_field("Priority", f"<Priority>{value}</Priority>"))
    assert item.priority == expected and [w["code"] for w in found] == warnings


def test_section_maps_through_the_profile_and_names_match_in_any_case() -> None:
    fields = "<newsid>x</newsid><HEADLINE>H</HEADLINE><Section>Sport</Section>"
    fields += "<BYLINE>Jonas Mølgaard</BYLINE><Language>da</Language>"
    item = one(story(fields))
    assert (item.uri, item.headline, item.byline, item.language) == ("x", "H", "Jonas Mølgaard",
                                                                      "da")  # fmt: skip
    assert item.subjects == [
        Subject("category", None, "Sport"),
        Subject("iptc-mediatopic", "15000000", "sport"),
    ]


def test_nil_is_honoured_whatever_namespace_the_sender_bound_it_to() -> None:
    raw = '<RBNews xmlns:i="http://www.w3.org/2001/XMLSchema-insance"><headline>H</headline>'
    raw += '<byLine i:nil="true">ignored</byLine></RBNews>'
    assert one(raw).byline is None


def test_an_error_reported_beside_stories_keeps_them() -> None:
    items, warnings = warned(queued(story(), error="3", message="Kø næsten fuld"))
    assert len(items) == 1
    assert warnings == [
        {"code": "feed_error", "line": 1,
         "message": "Ritzau reports error 3: Kø næsten fuld; its stories are read"},
    ]  # fmt: skip


# --- refusals --------------------------------------------------------------------------------


def test_a_response_without_stories_is_invalid_naming_ritzaus_error() -> None:
    error = refusal(queued(error="2", message="Forkert adgangskode"))
    assert error.detail == (
        "line 1: the response holds no RBNews story; Ritzau reports error 2: Forkert adgangskode"
    )


def test_an_empty_queue_is_invalid() -> None:
    assert "holds no RBNews story" in refusal(queued()).detail


def test_a_story_without_headline_or_content_is_invalid_naming_its_line() -> None:
    error = refusal(queued(story("<NewsID>x</NewsID>"), story("\n<NewsID>y</NewsID><headline/>")))
    assert error.errors == [
        {"index": 0, "line": 1, "message": "an RBNews story needs a headline or content"},
        {"index": 1, "line": 1, "message": "an RBNews story needs a headline or content"},
    ]


@pytest.mark.parametrize("value", ["i går", "2026-02-30T10:00:00", "04-05-2026 11:32"])
def test_an_unreadable_publish_date_is_a_timestamp_error_naming_its_line(value: str) -> None:
    raw = with_field("PublishDate", f"\n<PublishDate>{value}</PublishDate>")
    with pytest.raises(TimestampError) as caught:
        rbnews.parse(parse_xml(raw.encode()), IN_COPENHAGEN)
    assert caught.value.errors[0]["line"] == 16  # FULL's 15 other lines come first


# --- robustness ------------------------------------------------------------------------------

_TRICKY = ("", "true", "false", "0", "-1", "99", "2026-13-01T00:00:00", "&lt;p&gt;x&lt;/p&gt;",
           "&lt;endash&gt;-&lt;/endash&gt;", "KØBENHAVN (Ritzau) -")  # fmt: skip
_VALUES = st.one_of(st.text(max_size=30), st.sampled_from(_TRICKY))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(picks=st.lists(st.tuples(st.integers(0, 40), _VALUES), max_size=5))
def test_mangled_stories_raise_only_input_errors(picks: list[tuple[int, str]]) -> None:
    root = parse_xml(queued(story(), story()))
    elements = list(root.iter())
    for index, value in picks:
        elements[index % len(elements)].text = _xml_safe(value)
    with contextlib.suppress(Malformed, Invalid, UnsupportedMediaType):
        rbnews.parse(root, IN_COPENHAGEN)


def _xml_safe(text: str) -> str:
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or "\ue000" <= c
                   <= "\ufffd")  # fmt: skip
