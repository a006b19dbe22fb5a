"""ninjs 1.x (Superdesk flavour), 2.x and 3.x read into whole ParsedItems, and every refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    NormalisedItem,
    ParseContext,
    ParsedItem,
    Place,
    Profile,
    Rendition,
    Subject,
)
from shared.reading.formats import ninjs, parse_body
from shared.reading.normalise import normalise
from shared.reading.prepare import prepare
from shared.reading.repairs import collecting

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "ninjs"
IN_UTC = ParseContext(profile=Profile(timezone="UTC"))
IN_BRISBANE = ParseContext(profile=Profile(timezone="Australia/Brisbane"))
CCP_PHOTO = "urn:newsml:wire.coralcoast.example:2024-03-12T13:10:02.004Z:bremer-river-photo"
CCP_PIX = "https://media.coralcoast.example/pix/"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def one(doc: dict[str, Any], ctx: ParseContext = IN_UTC) -> ParsedItem:
    [item] = ninjs.parse(json.dumps(doc), ctx)
    return item


def refusal(text: str, ctx: ParseContext = IN_UTC) -> DatelineError:
    with pytest.raises((Malformed, Invalid)) as caught:
        ninjs.parse(text, ctx)
    return caught.value


# --- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"uri": "x"}', True),
        ('\n  [{"guid": "x"}]', True),
        ("MINSK, 7 January", False),
        ("", False),
    ],
)
def test_sniff_takes_json_objects_and_arrays(text: str, expected: bool) -> None:
    assert ninjs.sniff(text) is expected


def test_registry_sends_json_bodies_to_ninjs() -> None:
    items = parse_body(b'{"uri": "urn:x:1"}', "application/ninjs+json; charset=utf-8", IN_UTC)
    assert [(i.format, i.uri) for i in items] == [("ninjs", "urn:x:1")]


# --- whole items from each version ---------------------------------------------------------


def test_superdesk_1x_text_maps_every_field() -> None:
    items = ninjs.parse(sample("superdesk-1x-text.json"), IN_BRISBANE)

    assert items == [
        ParsedItem(
            format="ninjs",
            uri="urn:newsml:wire.coralcoast.example:2024-03-12T14:55:10.221Z:ipswich-flood-warning",
            version="3",
            type="text",
            pubstatus="usable",
            headline="Flood warning as Bremer River rises towards Ipswich homes",
            slugline="QLD-FLOOD-IPSWICH",
            byline="Mara Ellison",
            abstract="Residents of low-lying Ipswich suburbs have been told to prepare to leave as "
            "the Bremer River rises after two days of heavy rain.",
            ednote="Updates with evacuation centre details in par 4.",
            body_html="<p>IPSWICH, March 12 (CCP) - Residents of low-lying Ipswich suburbs have "
            "been told to prepare to leave as the Bremer River rises after two days of heavy "
            "rain.</p>\n<p>The Bureau of Meteorology expects the river to peak at about 11.5 "
            'metres at the David Trumpy Bridge early on Wednesday.</p>\n<p>"If you are in a '
            'flood-prone street, make a plan now and do not wait for the knock on the door," '
            "Mayor Teresa Harding said.</p>\n<p>An evacuation centre has opened at the Ipswich "
            "Showgrounds on Warwick Road.</p>",
            body_text=None,
            language="en-AU",
            dateline=Dateline(located="Ipswich"),
            firstcreated=at(2024, 3, 12, 4, 55, 10),
            versioncreated=at(2024, 3, 12, 6, 2, 41),
            embargoed=at(2024, 3, 12, 7, 0, 0),
            urgency=2,
            priority=3,
            subjects=[
                Subject("iptc-subject", "03005000", "flood"),
                Subject("iptc-subject", "17004000", "weather warning"),
                Subject("iptc-mediatopic", "20000139", "flood"),
                Subject("ccp-desk", "BNE", "Brisbane desk"),
                Subject("category", "a", "Australian General News"),
            ],
            keywords=["flood", "weather", "Ipswich"],
            places=[Place(name="QLD", code="QLD")],
            genre="Article (news)",
            source="CCP",
            copyrightholder="Coral Coast Press",
            usageterms="Not for syndication outside Australia.",
            renditions=[],
            associations=[
                Association(
                    rel="featuremedia",
                    uri=CCP_PHOTO,
                    type="picture",
                    headline="Bremer River at Ipswich",
                    renditions=(
                        Rendition(
                            "thumbnail", f"{CCP_PIX}bremer-thumb.jpg", "image/jpeg", 240, 160
                        ),
                    ),
                )
            ],
        )
    ]


def test_superdesk_1x_picture_reads_the_renditions_map_by_name() -> None:
    items = ninjs.parse(sample("superdesk-1x-picture.json"), IN_BRISBANE)

    assert items == [
        ParsedItem(
            format="ninjs",
            uri=CCP_PHOTO,
            version="1",
            type="picture",
            pubstatus="usable",
            headline="Bremer River at Ipswich",
            slugline="QLD-FLOOD-IPSWICH-PIX",
            byline="Tom Rourke/CCP",
            abstract="Floodwater from the Bremer River covers a park beside the David Trumpy "
            "Bridge in Ipswich, Tuesday, March 12, 2024.",
            language="en",
            dateline=Dateline(located="Ipswich"),
            firstcreated=at(2024, 3, 12, 3, 10, 2),
            versioncreated=at(2024, 3, 12, 3, 24, 40),
            urgency=3,
            priority=5,
            subjects=[Subject("iptc-subject", "03005000", "flood")],
            source="CCP",
            copyrightholder="Coral Coast Press",
            usageterms="Editorial use only.",
            renditions=[
                Rendition("original", f"{CCP_PIX}bremer-original.jpg", "image/jpeg", 5472, 3648),
                Rendition("viewImage", f"{CCP_PIX}bremer-view.jpg", "image/jpeg", 640, 427, 81234),
                Rendition("thumbnail", f"{CCP_PIX}bremer-thumb.jpg", "image/jpeg", 240, 160),
            ],
        )
    ]


def test_ninjs_2x_text_maps_the_arrays() -> None:
    items = ninjs.parse(sample("iptc-2x-text.json"), IN_UTC)

    lead = (
        "TALLINN, May 21 (BWS) - Cargo handling at Muuga harbour stopped on Tuesday as about "
        "400 dock workers began a 48-hour strike over night-shift pay."
    )
    ferries = "The port operator said ferries to Helsinki and Stockholm were running normally."
    talks = "Union chair Kadri Siimer said talks could resume on Thursday."
    assert items == [
        ParsedItem(
            format="ninjs",
            uri="urn:newsml:bws.example:20240521:tallinn-port-strike",
            version="2",
            type="text",
            pubstatus="usable",
            headline="Tallinn dock workers walk out over night-shift pay",
            slugline="estonia-port-strike",
            byline="Liis Kask",
            abstract="Cargo handling at Muuga harbour stopped on Tuesday as about 400 dock workers "
            "began a 48-hour strike over night-shift pay.",
            ednote="Corrects spelling of union leader's name in par 3.",
            body_html=f"<p>{lead}</p><p>{ferries}</p><p>{talks}</p>",
            body_text=f"{lead}\n\n{ferries}\n\n{talks}",
            language="en",
            dateline=Dateline(located="Tallinn"),
            firstcreated=at(2024, 5, 21, 6, 14),
            versioncreated=at(2024, 5, 21, 7, 40, 12),
            embargoed=None,
            urgency=4,
            priority=None,
            subjects=[
                Subject("iptc-mediatopic", "09000000", "labour"),
                Subject("iptc-subject", "09004001", "strike"),
                Subject("https://vocab.bws.example/topics/", "ports", "ports"),
                Subject("category", None, "Baltics"),
            ],
            keywords=[],
            places=[
                Place(name="Tallinn", code="https://sws.geonames.org/588409/"),
                Place(name="Estonia", code="EE"),
            ],
            genre="Current",
            source="Baltic Wire Service",
            copyrightholder="Baltic Wire Service",
            usageterms="For use by BWS subscribers only.",
            renditions=[
                Rendition(
                    name="print",
                    href="https://files.bws.example/2024/05/21/tallinn-port-strike.pdf",
                    mimetype="application/pdf",
                    size=48211,
                )
            ],
            associations=[
                Association(
                    "mainpicture",
                    "urn:newsml:bws.example:20240521:muuga-cranes-photo",
                    type="picture",
                    headline="Idle cranes at Muuga",
                )
            ],
        )
    ]


def test_ninjs_3x_text_maps_the_camel_case_fields() -> None:
    items = ninjs.parse(sample("iptc-3x-text.json"), IN_UTC)

    assert items == [
        ParsedItem(
            format="ninjs",
            uri="http://news.lowlands.example/items/2024/11/04/windpark-ijmuiden-ver",
            version="1",
            type="text",
            pubstatus="withheld",
            headline="Dutch government approves IJmuiden Ver offshore wind farm",
            slugline="nl-wind-ijmuiden",
            byline="Sanne de Vries",
            abstract="The Dutch climate ministry approved a 4-gigawatt wind farm 62 kilometres off "
            "the coast of North Holland.",
            ednote="Under embargo until the ministry's noon briefing.",
            body_html="<p>THE HAGUE, Nov 4 (LNA) - The Dutch climate ministry on Monday approved "
            "a 4-gigawatt wind farm 62 kilometres off the coast of North Holland.</p>"
            "<p>Construction is due to start in 2026.</p>",
            body_text=None,
            language="en-GB",
            dateline=Dateline(located="The Hague"),
            firstcreated=at(2024, 11, 4, 9, 2),
            versioncreated=datetime(2024, 11, 4, 9, 31, 45, 250000, tzinfo=UTC),
            embargoed=at(2024, 11, 4, 11, 0),
            urgency=3,
            priority=None,
            subjects=[
                Subject("iptc-mediatopic", "20000251", "wind power"),
                Subject("iptc-subject", "04005000", "energy and resource"),
                Subject("category", "lna:klimaat", "Klimaat"),
            ],
            keywords=[],
            places=[Place(name="IJmuiden", code="NL-NH-IJM")],
            genre="lna:hard-news",
            source="Lowlands News Agency",
            copyrightholder="Lowlands News Agency",
            usageterms="Embargoed until 12:00 CET.",
            renditions=[
                Rendition(
                    name="preview",
                    href="https://media.lowlands.example/2024/11/04/ijmuiden-ver.jpg",
                    mimetype="image/jpeg",
                    width=1200,
                    height=800,
                    size=215402,
                )
            ],
            associations=[
                Association(
                    "illustration",
                    "http://news.lowlands.example/items/2024/11/04/ijmuiden-ver-map",
                    type="graphic",
                )
            ],
        )
    ]


def test_a_batch_of_three_versions_keeps_its_order() -> None:
    items = ninjs.parse(sample("batch-3.json"), IN_BRISBANE)

    assert items == [
        ParsedItem(
            format="ninjs",
            uri="tag:wire.coralcoast.example,2024:market-close-0312",
            headline="ASX ends higher as miners rally",
            body_text="SYDNEY, March 12 (CCP) - Australian shares closed 0.6 per cent higher on "
            "Tuesday, led by iron ore miners.",
            versioncreated=at(2024, 3, 11, 20, 15),  # naive, read in Brisbane (UTC+10)
        ),
        ParsedItem(
            format="ninjs",
            uri="urn:newsml:bws.example:20240521:riga-tram-fares",
            headline="Riga raises tram fares from July",
            body_text="RIGA, May 21 (BWS) - Single tram tickets in Riga will cost 1.50 euros from "
            "July 1, the city council decided on Tuesday.",
            versioncreated=at(2024, 5, 21, 5, 0),
        ),
        ParsedItem(
            format="ninjs",
            uri="http://news.lowlands.example/items/2024/11/03/dyke-inspection",
            version="4",
            pubstatus="canceled",
            headline="KILL: Dyke inspection story withdrawn",
            ednote="This story has been withdrawn. Do not use.",
            versioncreated=at(2024, 11, 3, 17, 45),
        ),
    ]


# --- field rules ---------------------------------------------------------------------------


def test_uri_wins_over_guid_and_guid_stands_in_for_a_blank_uri() -> None:
    assert one({"uri": "urn:a", "guid": "urn:b"}).uri == "urn:a"
    assert one({"uri": "  ", "guid": " urn:b "}).uri == "urn:b"


@pytest.mark.parametrize(("version", "expected"), [(3, "3"), (3.0, "3"), (" 7 ", "7"), ("", None)])
def test_version_is_kept_as_a_string(version: Any, expected: str | None) -> None:
    assert one({"uri": "urn:a", "version": version}).version == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"code": "04000000", "name": "economy"}, Subject("iptc-subject", "04000000", "economy")),
        ({"code": "subj:15000000"}, Subject("iptc-subject", "15000000")),
        ({"qcode": "medtop:20000002"}, Subject("iptc-mediatopic", "20000002")),
        ({"code": "01000000", "scheme": "iptc"}, Subject("iptc-subject", "01000000")),
        ({"code": "01000000", "scheme": "MediaTopic"}, Subject("iptc-mediatopic", "01000000")),
        (
            {"uri": "http://cv.iptc.org/newscodes/subjectcode/15054000"},
            Subject("iptc-subject", "15054000"),
        ),
        (
            {"code": "x1", "scheme": "http://cv.iptc.org/newscodes/mediatopic/"},
            Subject("iptc-mediatopic", "x1"),
        ),
        (
            {"literal": "Innenriks", "name": "Innenriks"},
            Subject("category", "Innenriks", "Innenriks"),
        ),
        ({"code": "Q1", "scheme": "urn:partner:desks"}, Subject("urn:partner:desks", "Q1")),
        (
            {"uri": "http://www.wikidata.org/entity/Q90"},
            Subject("http://www.wikidata.org/entity/", "Q90"),
        ),
    ],
)
def test_subject_schemes_are_normalised_for_iptc_and_kept_otherwise(
    entry: dict[str, Any], expected: Subject
) -> None:
    assert one({"uri": "urn:a", "subjects": [entry]}).subjects == [expected]


def test_empty_subjects_and_keywords_are_dropped() -> None:
    item = one({"uri": "urn:a", "subject": [{"rel": "about"}], "keywords": ["", " x "]})
    assert (item.subjects, item.keywords) == ([], ["x"])


def test_headline_prefers_the_main_role_then_no_role_then_the_first() -> None:
    main = [{"role": "short", "value": "Short"}, {"role": "main", "value": "Main"}]
    bare = [{"role": "short", "value": "Short"}, {"value": "Bare"}]
    other = [{"role": "short", "value": "Short"}, {"role": "kicker", "value": "Kicker"}]
    headlines = [one({"uri": "u", "headlines": h}).headline for h in (main, bare, other)]
    assert headlines == ["Main", "Bare", "Short"]


def test_untyped_bodies_are_html_when_they_open_with_a_tag() -> None:
    html = one({"uri": "u", "bodies": [{"value": " <p>Hi</p>"}]})
    text = one({"uri": "u", "bodies": [{"value": "Hi <there>"}]})
    other = one({"uri": "u", "bodies": [{"contenttype": "application/json", "value": "{}"}]})
    assert [(i.body_html, i.body_text) for i in (html, text, other)] == [
        ("<p>Hi</p>", None),
        (None, "Hi <there>"),
        (None, None),
    ]


def test_ninjs_1x_xhtml_body_counts_as_html() -> None:
    assert one({"uri": "u", "body_xhtml": "<p>x</p>"}).body_html == "<p>x</p>"


def test_abstract_prefers_a_plain_summary() -> None:
    descriptions = [
        {"role": "caption", "value": "Caption"},
        {"role": "summary", "contenttype": "text/html", "value": "<p>Html</p>"},
        {"role": "summary", "contentType": "text/plain; charset=utf-8", "value": "Plain"},
    ]
    assert one({"uri": "u", "descriptions": descriptions}).abstract == "Plain"
    assert one({"uri": "u", "descriptions": descriptions[1:2]}).abstract == "<p>Html</p>"


@pytest.mark.parametrize(
    ("spelling", "expected"), [("cancelled", "canceled"), ("Withheld", "withheld")]
)
def test_pubstatus_accepts_superdesk_spellings(spelling: str, expected: str) -> None:
    assert one({"uri": "u", "pubstatus": spelling}).pubstatus == expected


def test_superdesk_preformatted_is_text() -> None:
    assert one({"uri": "u", "type": "preformatted"}).type == "text"


@pytest.mark.parametrize(
    ("local", "timezone", "expected"),
    [
        ("2024-01-15T12:00:00", "Europe/Helsinki", at(2024, 1, 15, 10, 0)),
        ("2024-07-15T12:00:00", "Europe/Helsinki", at(2024, 7, 15, 9, 0)),
        ("2024-03-31T03:30:00", "Europe/Helsinki", at(2024, 3, 31, 1, 30)),  # DST gap, fold=0
        ("2022-01-07 13:21", "Europe/Minsk", at(2022, 1, 7, 10, 21)),
        ("2022-01-07t10:21:00z", "Europe/Minsk", at(2022, 1, 7, 10, 21)),
    ],
)
def test_times_without_offset_are_read_in_the_partner_zone(
    local: str, timezone: str, expected: datetime
) -> None:
    ctx = ParseContext(profile=Profile(timezone=timezone))
    assert one({"uri": "u", "firstcreated": local}, ctx).firstcreated == expected


def test_association_slots_without_identifier_are_skipped() -> None:
    associations = {
        "featuremedia": None,
        "gallery": {"type": "picture"},
        "sidebar": {"uri": "urn:s"},
    }
    assert one({"uri": "u", "associations": associations}).associations == [
        Association("sidebar", "urn:s")
    ]


def test_ninjs_3x_headlines_and_bodies_are_read_by_role_and_content_type() -> None:
    item = one(
        {
            "uri": "u",
            "headlines": [
                {"role": "short", "contentType": "text/plain", "value": "Brief"},
                {"role": "main", "contentType": "text/plain", "value": "Main headline"},
            ],
            "bodies": [
                {"role": "main", "contentType": "text/plain", "value": "Plain body."},
                {"role": "main", "contentType": "text/html", "value": "<p>HTML body.</p>"},
            ],
        }
    )
    assert (item.headline, item.body_html, item.body_text) == (
        "Main headline",
        "<p>HTML body.</p>",
        "Plain body.",
    )


# --- repairs: what real agencies send, read with a warning ---------------------------------

STORY = {"uri": "urn:lw:0411", "headline": "Tide gauge fails at Rosslare"}


def read(text: str, ctx: ParseContext = IN_UTC) -> tuple[list[ParsedItem], list[dict[str, Any]]]:
    """The items and the repairs recorded while reading ``text``."""
    with collecting() as warnings:
        items = ninjs.parse(text, ctx)
    return items, warnings


def test_a_paginated_list_envelope_is_a_batch_of_its_items() -> None:
    page = {"total": 2, "limit": 20, "offset": 0, "item": [STORY, {"uri": "urn:lw:0412"}]}
    items, warnings = read(json.dumps(page))
    assert [i.uri for i in items] == ["urn:lw:0411", "urn:lw:0412"]
    assert items[0].headline == "Tide gauge fails at Rosslare"
    assert warnings == [
        {
            "code": "envelope_unwrapped",
            "field": "/item",
            "message": "2 items read out of an API envelope",
        }
    ]


def test_an_ap_media_api_item_response_is_its_one_item() -> None:
    response = {
        "api_version": "2",
        "id": "3f1c9d0e",
        "method": "content.item.get",
        "params": {"qt": "a1b2", "item": "urn:lw:0411"},
        "data": {"meta": {"products": [{"id": 31989}], "charge": 0}, "item": STORY},
    }
    items, warnings = read(json.dumps(response))
    assert [(i.uri, i.headline) for i in items] == [("urn:lw:0411", STORY["headline"])]
    assert warnings == [
        {
            "code": "envelope_unwrapped",
            "field": "/data/item",
            "message": "1 item read out of an API envelope",
        }
    ]


def test_an_ap_media_api_feed_unwraps_each_member_with_or_without_meta() -> None:
    feed = {
        "api_version": "2",
        "data": {
            "query": "type:text",
            "items": [{"meta": {"score": 1}, "item": STORY}, {"item": {"uri": "urn:lw:0412"}}],
        },
    }
    items, warnings = read(json.dumps(feed))
    assert [i.uri for i in items] == ["urn:lw:0411", "urn:lw:0412"]
    assert [(w["code"], w["field"]) for w in warnings] == [("envelope_unwrapped", "/data/items")]


def test_an_object_with_an_identifier_is_an_item_even_if_it_has_an_item_key() -> None:
    items, warnings = read(json.dumps({"uri": "urn:x", "item": [{"uri": "urn:y"}]}))
    assert ([i.uri for i in items], warnings) == (["urn:x"], [])


@pytest.mark.parametrize(
    ("envelope", "pointer"),
    [
        ({"total": 0, "limit": 20, "offset": 40, "item": []}, "/item"),
        ({"api_version": "2", "data": {"items": []}}, "/data/items"),
        ({"data": {"item": None}}, "/data/item"),
    ],
)
def test_an_envelope_holding_no_item_is_refused(envelope: dict[str, Any], pointer: str) -> None:
    refused = refusal(json.dumps(envelope))
    assert (type(refused), refused.errors) == (
        Invalid,
        [{"field": pointer, "message": "the envelope holds no item"}],
    )


def test_envelope_members_are_reported_by_index_and_nothing_is_accepted() -> None:
    feed = {"data": {"items": [{"item": STORY}, {"item": {"headline": "x"}}, {"item": 3}]}}
    refused = refusal(json.dumps(feed))
    assert type(refused) is Invalid
    assert refused.detail == "2 of 3 envelope items are invalid; nothing was accepted"
    assert refused.errors == [
        {"index": 1, "field": "/uri", "message": NO_ID},
        {"index": 2, "field": "/item", "message": "must be a ninjs object, not a number"},
    ]


def test_a_repair_inside_a_batch_member_names_its_index() -> None:
    page = {"item": [STORY, {"uri": "urn:lw:0412", "usageterms": ["Not for sale.", "No web."]}]}
    items, warnings = read(json.dumps(page))
    assert items[1].usageterms == "Not for sale. No web."
    assert warnings == [
        {
            "code": "envelope_unwrapped",
            "field": "/item",
            "message": "2 items read out of an API envelope",
        },
        {
            "code": "field_joined",
            "index": 1,
            "field": "/usageterms",
            "message": "an array of 2 strings was joined into one",
        },
    ]


@pytest.mark.parametrize(
    ("sent", "kind", "genre"),
    [("advisory", "text", "advisory"), ("Story", "text", "Story"), ("Photo", "picture", None)],
)
def test_a_type_outside_the_vocabulary_is_read_with_a_warning(
    sent: str, kind: str, genre: str | None
) -> None:
    items, warnings = read(json.dumps({**STORY, "type": sent}))
    assert (items[0].type, items[0].genre) == (kind, genre)
    message = f"type {sent!r} is not a ninjs type; read as {kind}"
    assert warnings == [{"code": "type_mapped", "field": "/type", "message": message}]


def test_a_mapped_type_leaves_a_genre_sent_alongside_alone() -> None:
    doc = {**STORY, "type": "advisory", "genres": [{"name": "Analysis"}]}
    assert (one(doc).type, one(doc).genre) == ("text", "Analysis")


def test_text_fields_sent_as_arrays_of_strings_are_joined() -> None:
    doc = {
        **STORY,
        "headline": ["Tide gauge fails", " at Rosslare "],
        "byline": ["Aoife Byrne", "Cian Walsh"],
        "usageterms": ["No archive.", "", "Ireland only."],
        "description_text": ["First paragraph.", "Second paragraph."],
        "body_text": ["ROSSLARE, March 3 - The gauge failed.", "It is being repaired."],
        "copyrightholder": [],
    }
    items, warnings = read(json.dumps(doc))
    item = items[0]
    assert (item.headline, item.byline, item.usageterms, item.copyrightholder) == (
        "Tide gauge fails at Rosslare",
        "Aoife Byrne Cian Walsh",
        "No archive. Ireland only.",
        None,
    )
    assert item.abstract == "First paragraph.\n\nSecond paragraph."
    assert item.body_text == "ROSSLARE, March 3 - The gauge failed.\n\nIt is being repaired."
    assert [(w["code"], w["field"]) for w in warnings] == [
        ("field_joined", "/headline"),
        ("field_joined", "/byline"),
        ("field_joined", "/description_text"),
        ("field_joined", "/body_text"),
        ("field_joined", "/copyrightholder"),
        ("field_joined", "/usageterms"),
    ]
    assert warnings[0]["message"] == "an array of 2 strings was joined into one"


def test_a_joined_field_still_keeps_its_length_limit() -> None:
    refused = refusal(json.dumps({**STORY, "headline": ["H" * 600, "H" * 600]}))
    assert refused.errors == [{"field": "/headline", "message": "is longer than 1000 characters"}]


def test_ninjs_1x_pattern_properties_give_headline_and_bodies() -> None:
    doc = {
        "uri": "u",
        "headline_sub": "Council to decide in May",
        "headline_main": "Harbour toll plan splits Cobh councillors",
        "body_richtext": "<p>COBH - A plan to charge a harbour toll <b>split</b> the council.</p>",
        "body_main": "COBH - A plan to charge a harbour toll split the council.",
    }
    item = one(doc)
    assert (item.headline, item.body_html, item.body_text) == (
        "Harbour toll plan splits Cobh councillors",
        doc["body_richtext"],
        doc["body_main"],
    )


@pytest.mark.parametrize(
    ("doc", "headline", "body_html", "body_text"),
    [
        ({"headline": "A", "headline_main": "B"}, "A", None, None),
        ({"headline_kicker": "K", "headline_sub": "S"}, "K", None, None),
        ({"body_html5": "<p>5</p>", "body_richtext": "<p>R</p>"}, None, "<p>5</p>", None),
        ({"body_html": "<p>H</p>", "body_html5": "<p>5</p>"}, None, "<p>H</p>", None),
        ({"body_text": "T", "body_main": "M"}, None, None, "T"),
        ({"body_main": " <p>M</p>"}, None, "<p>M</p>", None),
        ({"body_extra": "E", "body_html5": None}, None, None, "E"),
    ],
)
def test_ninjs_1x_pattern_properties_yield_to_the_named_fields(
    doc: dict[str, Any], headline: str | None, body_html: str | None, body_text: str | None
) -> None:
    item = one({"uri": "u", **doc})
    assert (item.headline, item.body_html, item.body_text) == (headline, body_html, body_text)


def test_an_embedded_1x_picture_keeps_headline_caption_and_renditions() -> None:
    photo = {
        "guid": "urn:lw:photo:7",
        "type": "picture",
        "headline": "Rosslare tide gauge",
        "description_text": "The broken tide gauge at Rosslare Europort on Monday.",
        "renditions": {
            "baseImage": {"href": "https://pix.lw.example/7-base.jpg", "mimetype": "image/jpeg"},
            "thumbnail": {"href": "https://pix.lw.example/7-thumb.jpg", "width": 120},
        },
    }
    [link] = one({"uri": "u", "associations": {"featuremedia": photo}}).associations
    assert link == Association(
        rel="featuremedia",
        uri="urn:lw:photo:7",
        type="picture",
        headline="Rosslare tide gauge",
        caption="The broken tide gauge at Rosslare Europort on Monday.",
        renditions=(
            Rendition("baseImage", "https://pix.lw.example/7-base.jpg", "image/jpeg"),
            Rendition("thumbnail", "https://pix.lw.example/7-thumb.jpg", width=120),
        ),
    )


def test_an_embedded_3x_picture_takes_its_caption_from_descriptions() -> None:
    photo = {
        "name": "Photo",
        "rel": "mainpicture",
        "uri": "https://lw.example/photo/8",
        "type": "picture",
        "headlines": [{"value": "Gauge"}],
        "descriptions": [
            {"role": "summary", "value": "Summary."},
            {"role": "caption", "contentType": "text/plain", "value": "Caption."},
        ],
        "renditions": [{"name": "web", "href": "https://pix.lw.example/8.jpg", "width": 800}],
    }
    [link] = one({"uri": "u", "associations": [photo]}).associations
    assert (link.rel, link.headline, link.caption, link.renditions) == (
        "mainpicture",
        "Gauge",
        "Caption.",
        (Rendition("web", "https://pix.lw.example/8.jpg", width=800),),
    )


def test_a_bad_field_of_an_association_is_left_out_not_the_story() -> None:
    photo = {
        "uri": "urn:lw:photo:9",
        "headline": 42,
        "type": "picture",
        "renditions": {"thumb": {"width": -1}},
    }
    items, warnings = read(json.dumps({"uri": "u", "associations": {"featuremedia": photo}}))
    assert items[0].associations == [Association("featuremedia", "urn:lw:photo:9", type="picture")]
    assert warnings == [
        {
            "code": "association_field_dropped",
            "field": "/associations/featuremedia/renditions/thumb/width",
            "message": "left out: must be a whole number of at least 0",
        },
        {
            "code": "association_field_dropped",
            "field": "/associations/featuremedia/headline",
            "message": "left out: must be a string, not a number",
        },
    ]


def test_an_association_type_outside_the_vocabulary_is_mapped_with_its_pointer() -> None:
    photo = {"uri": "urn:lw:photo:9", "type": "image"}
    items, warnings = read(json.dumps({"uri": "u", "associations": [photo]}))
    assert items[0].associations[0].type == "picture"
    assert warnings == [
        {
            "code": "type_mapped",
            "field": "/associations/0/type",
            "message": "type 'image' is not a ninjs type; read as picture",
        }
    ]


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b'"hello"', "a string"), (b" 42\n", "a number"), (b"null", "null"), (b"false", "a boolean")],
)
def test_a_json_scalar_is_a_422_naming_what_was_expected(body: bytes, kind: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_body(body, "application/json", IN_UTC)
    assert caught.value.errors == [{"field": "", "message": NOT_AN_ITEM + kind}]


@pytest.mark.parametrize("body", [b"hello world", b"nothing to see", b'"unterminated'])
def test_prose_sent_as_json_is_still_a_415(body: bytes) -> None:
    with pytest.raises(UnsupportedMediaType):
        parse_body(body, "application/json", IN_UTC)


# --- links: only http(s) and relative hrefs reach publishers (normalise, every format) --------

HOSTILE = {
    "uri": "urn:lw:0500",
    "headline": "Ferry timetable",
    "renditions": [
        {"name": "pdf", "href": "https://files.lw.example/timetable.pdf"},
        {"name": "local", "href": "timetable/print.pdf"},
        {"name": "evil", "href": "java\tscript:alert(1)"},
        {"name": "inline", "href": "data:text/html;base64,PHNjcmlwdD4="},
        {"name": "disk", "href": "file:///etc/passwd"},
    ],
    "associations": [
        {"rel": "photo", "uri": "https://lw.example/photo/1"},
        {"rel": "sidebar", "uri": "urn:lw:0499"},
        {"rel": "tagged", "uri": "tag:lw.example,2024:0498"},
        {"rel": "agency-id", "uri": "LW:0497"},
        {"rel": "script", "uri": "JavaScript:alert(1)"},
        {"rel": "ftp", "uri": "ftp://files.lw.example/0496"},
        {
            "rel": "gallery",
            "uri": "urn:lw:gallery:3",
            "renditions": [
                {"name": "ok", "href": "https://pix.lw.example/3.jpg"},
                {"name": "bad", "href": "vbscript:msgbox"},
            ],
        },
    ],
}


def prepared(doc: dict[str, Any]) -> NormalisedItem:
    [item] = prepare(
        json.dumps(doc).encode(), "application/json", namespace="lw", profile=Profile(),
        received_at=at(2024, 3, 4),
    )  # fmt: skip
    return item


def test_renditions_and_associations_keep_only_safe_links() -> None:
    item = prepared(HOSTILE)
    assert [r.name for r in item.renditions] == ["pdf", "local"]
    assert [a.uri for a in item.associations] == [
        "https://lw.example/photo/1",
        "urn:lw:0499",
        "tag:lw.example,2024:0498",
        "LW:0497",
        "urn:lw:gallery:3",
    ]
    assert item.associations[-1].renditions == (Rendition("ok", "https://pix.lw.example/3.jpg"),)
    assert item.warnings == [
        {
            "code": "href_dropped",
            "field": "/renditions/2/href",
            "message": "a rendition linking to a javascript: URL was dropped",
        },
        {
            "code": "href_dropped",
            "field": "/renditions/3/href",
            "message": "a rendition linking to a data: URL was dropped",
        },
        {
            "code": "href_dropped",
            "field": "/renditions/4/href",
            "message": "a rendition linking to a file: URL was dropped",
        },
        {
            "code": "href_dropped",
            "field": "/associations/4/uri",
            "message": "an association linking to a javascript: URL was dropped",
        },
        {
            "code": "href_dropped",
            "field": "/associations/5/uri",
            "message": "an association linking to a ftp: URL was dropped",
        },
        {
            "code": "href_dropped",
            "field": "/associations/6/renditions/1/href",
            "message": "a rendition linking to a vbscript: URL was dropped",
        },
    ]


def test_links_are_checked_for_every_format_not_only_ninjs() -> None:
    parsed = ParsedItem(
        format="nitf",
        uri="urn:x",
        headline="H",
        renditions=[Rendition("a", "javascript:void(0)"), Rendition("b", "https://x.example/b")],
    )
    with collecting() as warnings:
        item = normalise(parsed, IN_UTC, namespace="x")
    assert [r.name for r in item.renditions] == ["b"]
    assert [(w["code"], w["field"]) for w in warnings] == [("href_dropped", "/renditions/0/href")]


def test_an_association_headline_and_caption_are_cleaned_like_the_item() -> None:
    link = Association("photo", "urn:p", headline=" Gauge\u202e  at\tRosslare ", caption="\x07Cap ")
    parsed = ParsedItem(format="ninjs", uri="urn:x", headline="H", associations=[link])
    [cleaned] = normalise(parsed, IN_UTC, namespace="x").associations
    assert (cleaned.headline, cleaned.caption) == ("Gauge at Rosslare", "Cap")


# --- refusals --------------------------------------------------------------------------------

U = '{"uri": "urn:a", '  # the opening of a valid item, for one bad field
NOT_JSON = "is not valid JSON (RFC 8259 has no NaN or Infinity)"
UNSTORABLE = "contains U+0000 or a lone surrogate, which cannot be stored"
NOT_AN_ITEM = "expected a ninjs object or an array of them, not "
NO_ID = "a ninjs item needs a uri or guid"
RANK = "must be an integer from 1 to 9"
NOT_A_SIZE = "must be a whole number of at least 0"


def field(pointer: str, message: str) -> list[dict[str, Any]]:
    return [{"field": pointer, "message": message}]


@pytest.mark.parametrize(
    ("text", "error", "errors"),
    [
        (
            "{\n  \"uri\": 'single'\n}",
            Malformed,
            [{"line": 2, "column": 10, "message": "Expecting value"}],
        ),
        ('{"uri": "urn:a"} {}', Malformed, [{"line": 1, "column": 18, "message": "Extra data"}]),
        (U + '"urgency": NaN}', Malformed, field("/urgency", f"NaN {NOT_JSON}")),
        (U + '"x": [-Infinity]}', Malformed, field("/x/0", f"-Infinity {NOT_JSON}")),
        (U + '"x": 1e400}', Invalid, field("/x", "the number 1e400 is out of range")),
        (
            U + '"x": ' + "7" * 4301 + "}",
            Invalid,
            field("/x", "an integer of more than 4300 digits is not accepted"),
        ),
        (U + '"headline": "a\\u0000b"}', Invalid, field("/headline", UNSTORABLE)),
        (U + '"a/b": {"c~d": ["\\ud800"]}}', Invalid, field("/a~1b/c~0d/0", UNSTORABLE)),
        (
            U + '"x": {"\\udfff": 1}}',
            Invalid,
            field("/x", "a key contains U+0000 or a lone surrogate"),
        ),
        (
            U + '"headline": "A", "headline": "B"}',
            Invalid,
            field("/headline", "this key appears twice in one object"),
        ),
        ('"a story"', Invalid, field("", NOT_AN_ITEM + "a string")),
        ("null", Invalid, field("", NOT_AN_ITEM + "null")),
        ("-4.5e2", Invalid, field("", NOT_AN_ITEM + "a number")),
        ("true", Invalid, field("", NOT_AN_ITEM + "a boolean")),
        ("[]", Invalid, field("", "a batch holds 1 to 1000 items, not 0")),
        ("{}", Invalid, field("/uri", NO_ID)),
        ('{"uri": " ", "guid": ""}', Invalid, field("/uri", NO_ID)),
        ('{"uri": 42}', Invalid, field("/uri", "must be a string, not a number")),
        (
            U + '"headline": ["A", 7]}',
            Invalid,
            field("/headline/1", "must be a string, not a number"),
        ),
        ('{"uri": ["urn:a"]}', Invalid, field("/uri", "must be a string, not an array")),
        (U + '"type": 5}', Invalid, field("/type", "must be a string, not a number")),
        (
            U + '"headline": "' + "H" * 1001 + '"}',
            Invalid,
            field("/headline", "is longer than 1000 characters"),
        ),
        (
            U + '"headlines": [{"value": "' + "H" * 1001 + '"}]}',
            Invalid,
            field("/headlines/0/value", "is longer than 1000 characters"),
        ),
        (U + '"headlines": "Hi"}', Invalid, field("/headlines", "must be an array, not a string")),
        (
            U + '"subjects": [{"name": "ok"}, 1]}',
            Invalid,
            field("/subjects/1", "must be an object, not a number"),
        ),
        (
            U + '"subject": [{"code": 4000000}]}',
            Invalid,
            field("/subject/0/code", "must be a string, not a number"),
        ),
        (U + '"urgency": 0}', Invalid, field("/urgency", RANK)),
        (U + '"urgency": 10}', Invalid, field("/urgency", RANK)),
        (U + '"urgency": "3"}', Invalid, field("/urgency", RANK)),
        (U + '"priority": true}', Invalid, field("/priority", RANK)),
        (
            U + '"pubStatus": "killed"}',
            Invalid,
            field("/pubStatus", "must be one of canceled, usable, withheld, not 'killed'"),
        ),
        (U + '"version": true}', Invalid, field("/version", "must be a string, not a boolean")),
        (
            U + '"renditions": "big.jpg"}',
            Invalid,
            field("/renditions", "must be an object (ninjs 1.x) or an array, not a string"),
        ),
        (
            U + '"renditions": {"thumb": [1]}}',
            Invalid,
            field("/renditions/thumb", "must be an object, not an array"),
        ),
        (
            U + '"renditions": {"thumb": {"width": -1}}}',
            Invalid,
            field("/renditions/thumb/width", NOT_A_SIZE),
        ),
        (
            U + '"renditions": [{"name": "x", "sizeInBytes": 10.5}]}',
            Invalid,
            field("/renditions/0/sizeInBytes", NOT_A_SIZE),
        ),
        (
            U + '"keywords": "flood, rain"}',
            Invalid,
            field("/keywords", "must be an array of strings, not a string"),
        ),
        (
            U + '"keywords": ["flood", {}]}',
            Invalid,
            field("/keywords/1", "must be a string, not an object"),
        ),
        (
            U + '"associations": {"featuremedia": "urn:p"}}',
            Invalid,
            field("/associations/featuremedia", "must be an object, not a string"),
        ),
    ],
)
def test_refusals_name_the_line_or_field(
    text: str, error: type[DatelineError], errors: list[dict[str, Any]]
) -> None:
    refused = refusal(text)
    assert (type(refused), refused.errors) == (error, errors)


def test_sample_with_a_raw_newline_in_a_string_names_line_and_column() -> None:
    refused = refusal(sample("bad/truncated.json"))
    assert type(refused) is Malformed
    assert refused.errors == [{"line": 3, "column": 28, "message": "Invalid control character"}]
    assert refused.detail == "invalid JSON at line 3, column 28: Invalid control character"


FEBRUARY_31 = "'2024-02-31T09:00:00Z' is not a possible date-time (day is out of range for month)"


@pytest.mark.parametrize(
    ("name", "error", "errors"),
    [
        ("duplicate-key.json", Invalid, field("/headline", "this key appears twice in one object")),
        ("no-identity.json", Invalid, field("/uri", NO_ID)),
        ("impossible-date.json", TimestampError, field("/versioncreated", FEBRUARY_31)),
    ],
)
def test_bad_samples_are_refused(name: str, error: type[DatelineError], errors: list[Any]) -> None:
    refused = refusal(sample(f"bad/{name}"))
    assert (type(refused), refused.errors) == (error, errors)


def test_a_batch_reports_every_bad_member_and_accepts_none() -> None:
    refused = refusal(sample("bad/batch-bad-members.json"))

    assert type(refused) is Invalid
    assert refused.detail == "3 of 4 batch items are invalid; nothing was accepted"
    assert refused.errors == [
        {"index": 1, "field": "/uri", "message": "a ninjs item needs a uri or guid"},
        {"index": 2, "field": "/urgency", "message": "must be an integer from 1 to 9"},
        {"index": 3, "field": "", "message": "a batch member must be a ninjs object, not a string"},
    ]


def test_one_bad_member_is_named_in_the_detail() -> None:
    refused = refusal('[{"uri": "u"}, {"uri": "v", "versioncreated": "2024-13-01"}]')
    assert type(refused) is TimestampError
    assert refused.detail.startswith("batch item 1: /versioncreated: '2024-13-01' is not")
    assert [(e["index"], e["field"]) for e in refused.errors] == [(1, "/versioncreated")]


def test_a_nan_inside_a_batch_member_is_malformed_with_its_index() -> None:
    refused = refusal('[{"uri": "u", "urgency": 1}, {"uri": "v", "urgency": NaN}]')
    assert type(refused) is Malformed
    assert [(e["index"], e["field"]) for e in refused.errors] == [(1, "/urgency")]


def test_a_batch_holds_at_most_1000_items() -> None:
    assert len(ninjs.parse(json.dumps([{"uri": f"u{i}"} for i in range(1000)]), IN_UTC)) == 1000
    refused = refusal(json.dumps([{"uri": f"u{i}"} for i in range(1001)]))
    assert refused.errors == [{"field": "", "message": "a batch holds 1 to 1000 items, not 1001"}]


def test_nesting_of_64_is_read_and_65_is_refused_with_its_position() -> None:
    def nested(depth: int) -> str:  # the item object is level 1
        return '{"uri": "u", "extra":\n' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    assert one(json.loads(nested(64))).uri == "u"
    refused = refusal(nested(65))
    assert type(refused) is Invalid
    assert refused.errors == [
        {"line": 2, "column": 64, "message": "JSON nested deeper than 64 levels"}
    ]


def test_absurd_nesting_is_refused_before_the_decoder_recurses() -> None:
    refused = refusal("[" * 200_000 + "]" * 200_000)
    assert refused.errors[0]["message"] == "JSON nested deeper than 64 levels"


@pytest.mark.parametrize("unit", ['"\\', '"', '\\"'])
def test_the_nesting_scan_stays_linear_on_unterminated_strings(unit: str) -> None:
    started = time.perf_counter()
    assert type(refusal("[" + unit * 300_000)) is Malformed
    assert time.perf_counter() - started < 2  # a quadratic scan takes minutes here


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert one({"uri": "u", "headline": "[" * 100 + '\\"{' * 100}).headline is not None


@pytest.mark.parametrize(
    ("uri", "refused"),
    [("u" * 1024, False), ("u" * 1025, True), ("é" * 512, False), ("é" * 513, True)],
)
def test_identifiers_are_limited_to_1024_bytes(uri: str, refused: bool) -> None:
    for key in ("uri", "guid"):
        text = json.dumps({key: uri})
        if refused:
            message = "is longer than 1024 bytes"
            assert refusal(text).errors == [{"field": f"/{key}", "message": message}]
        else:
            assert ninjs.parse(text, IN_UTC)[0].uri == uri


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("versioncreated", "2024-02-30T10:00:00Z", "day is out of range for month"),
        ("firstCreated", "2024-01-07T25:00:00Z", "hour must be in 0..23"),
        ("firstcreated", "2024-01-07T10:00:00+25:00", "offset must be a timedelta"),
        ("versioncreated", "99999-01-01T00:00:00Z", "Invalid isoformat string"),
        ("versionCreated", "2016-12-31T23:59:60Z", "second must be in 0..59"),
        ("firstcreated", "yesterday at noon", "Invalid isoformat string"),
        ("firstcreated", "0001-01-01T00:30:00+01:00", "date value out of range"),
    ],
)
def test_impossible_times_are_timestamp_errors_naming_the_field(
    key: str, value: str, reason: str
) -> None:
    refused = refusal(json.dumps({"uri": "u", key: value}))
    assert type(refused) is TimestampError
    [error] = refused.errors
    assert error["field"] == f"/{key}"
    assert error["message"].startswith(f"{value!r} is not a possible date-time (")
    assert reason in error["message"]


def test_a_time_that_is_not_a_string_is_a_timestamp_error() -> None:
    refused = refusal('{"uri": "u", "versioncreated": 1704621600}')
    assert type(refused) is TimestampError
    assert refused.errors == [
        {
            "field": "/versioncreated",
            "message": "must be an RFC 3339 date-time string, not a number",
        }
    ]


# --- properties ------------------------------------------------------------------------------

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)


def keys_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        yield from value
        value = list(value.values())
    for member in value if isinstance(value, list) else []:
        yield from keys_in(member)


# Every key the samples use, at any depth: realistic names for the fuzzer to misuse.
KEYS = st.sampled_from(
    sorted({k for f in SAMPLES.glob("*.json") for k in keys_in(json.loads(f.read_text()))})
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(KEYS | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=16,
)


def parses_or_refuses(text: str) -> None:
    try:
        items = ninjs.parse(text, IN_UTC)
    except (Malformed, Invalid) as exc:
        assert exc.errors and all("message" in e for e in exc.errors)
    else:
        assert items and all(isinstance(i, ParsedItem) and i.uri for i in items)


@settings(max_examples=300, database=None, deadline=None)
@given(st.text(alphabet=st.sampled_from('{}[]",:0123456789.eE+-truefalsnNaI\\u \n')) | st.text())
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    parses_or_refuses(text)


@settings(max_examples=300, database=None, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=8), st.text(min_size=1, max_size=8))
def test_any_ninjs_shaped_json_parses_or_is_refused_cleanly(doc: dict[str, Any], uri: str) -> None:
    parses_or_refuses(json.dumps({"uri": uri, **doc}))
    parses_or_refuses(json.dumps([doc, {"guid": uri}]))
