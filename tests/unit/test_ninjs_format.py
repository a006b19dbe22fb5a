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

from shared.errors import DatelineError, Invalid, Malformed, TimestampError
from shared.formats import ninjs, parse_body
from shared.model import (
    Association,
    Dateline,
    ParseContext,
    ParsedItem,
    Place,
    Profile,
    Rendition,
    Subject,
)

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
            associations=[Association(rel="featuremedia", uri=CCP_PHOTO)],
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
                Association("mainpicture", "urn:newsml:bws.example:20240521:muuga-cranes-photo")
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
                    "illustration", "http://news.lowlands.example/items/2024/11/04/ijmuiden-ver-map"
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


# --- refusals --------------------------------------------------------------------------------

U = '{"uri": "urn:a", '  # the opening of a valid item, for one bad field
NOT_JSON = "is not valid JSON (RFC 8259 has no NaN or Infinity)"
UNSTORABLE = "contains U+0000 or a lone surrogate, which cannot be stored"
NOT_A_DOCUMENT = "a ninjs document is a JSON object, or an array of them for a batch"
NO_ID = "a ninjs item needs a uri or guid"
RANK = "must be an integer from 1 to 9"
TYPES = "audio, component, composite, event, graphic, picture, planning, text, video"
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
        ('"a story"', Invalid, field("", NOT_A_DOCUMENT)),
        ("null", Invalid, field("", NOT_A_DOCUMENT)),
        ("[]", Invalid, field("", "a batch holds 1 to 1000 items, not 0")),
        ("{}", Invalid, field("/uri", NO_ID)),
        ('{"uri": " ", "guid": ""}', Invalid, field("/uri", NO_ID)),
        ('{"uri": 42}', Invalid, field("/uri", "must be a string, not a number")),
        (U + '"headline": ["A"]}', Invalid, field("/headline", "must be a string, not an array")),
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
            U + '"type": "podcast"}',
            Invalid,
            field("/type", f"must be one of {TYPES}, not 'podcast'"),
        ),
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
        ("embargoedUntil", "2024-01-07T10:00:00+25:00", "offset must be a timedelta"),
        ("embargoed", "99999-01-01T00:00:00Z", "Invalid isoformat string"),
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
