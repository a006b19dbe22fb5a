"""Contract items as IPTC ninjs 3.3 and 2.4: every sample validates against IPTC's own schemas and
reads back through the ninjs parser, one full item maps field by field, and what the schemas
reject is refused with every error named."""

from __future__ import annotations

import json
import socket
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.model import Association, ParseContext, Place, Profile, Rendition, Subject, rfc3339
from shared.output.ninjs import (
    NinjsInvalid,
    to_ninjs2,
    to_ninjs3,
    validate_ninjs2,
    validate_ninjs3,
)
from shared.output.serialise import contract_item, item_doc
from shared.reading.formats import ninjs
from shared.reading.prepare import prepare

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CONTENT_TYPES = {  # as tests/api/test_formats_over_http.py sends them, plus the e2e page
    "ninjs": "application/ninjs+json",
    "nitf": "application/xml",
    "newsml-g2": "application/vnd.iptc.g2.newsmessage+xml",
    "newsml1": "text/xml",
    "feed": "application/rss+xml",
    "html": "text/html; charset=utf-8",
    "email": "message/rfc822",
    "anpa": "text/plain",
    "iptc7901": "text/plain",
    "text": "text/plain; charset=utf-8",
    "e2e": "text/plain",
}
RECEIVED = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
SERVER = {
    "id": "x1",
    "partner": "test",
    "received_at": "2024-03-14T09:00:00Z",
    "processed_at": "2024-03-14T09:00:02Z",
    "cluster": "x1",
    "versions": 1,
    "submission_id": "s1",
}
SAMPLE_PATHS = [
    pytest.param(path, CONTENT_TYPES[folder], id=f"{folder}/{path.name}")
    for folder in CONTENT_TYPES
    for path in sorted((SAMPLES / folder).glob("*"))
    if path.is_file()
]
STANDARD3 = {
    "name": "ninjs",
    "version": "3.3",
    "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.3.json#",
}
STANDARD2 = {
    "name": "ninjs",
    "version": "2.4",
    "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_2.4.json#",
}
VERSIONS = [
    pytest.param(to_ninjs3, validate_ninjs3, id="ninjs3"),
    pytest.param(to_ninjs2, validate_ninjs2, id="ninjs2"),
]


def sample_items(path: Path, content_type: str) -> list[dict[str, Any]]:
    """The contract items ``GET /v1/items/{id}`` would return for one sample file."""
    raw = path.read_bytes()
    if content_type == "text/plain":  # legacy wires: UTF-8 where it decodes, else latin-1
        content_type += "; charset=" + ("utf-8" if _is_utf8(raw) else "latin-1")
    profile = Profile(timezone="Europe/Berlin")
    items = prepare(raw, content_type, namespace="test", profile=profile, received_at=RECEIVED)
    return [contract_item(item_doc(n), SERVER) for n in items]


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_back(doc: dict[str, Any]) -> ninjs.ParsedItem:
    [item] = ninjs.parse(json.dumps(doc), ParseContext(profile=Profile(timezone="UTC")))
    return item


def item(**fields: Any) -> dict[str, Any]:
    """A contract item holding only ``fields`` (everything else null or empty)."""
    empty = {"subjects": [], "keywords": [], "places": [], "renditions": [], "associations": []}
    return contract_item({**empty, **fields}, {})


# --- every sample -------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "content_type"), SAMPLE_PATHS)
@pytest.mark.parametrize(("convert", "validate"), VERSIONS)
def test_every_sample_item_validates_against_the_iptc_schema(
    path: Path, content_type: str, convert: Any, validate: Any
) -> None:
    items = sample_items(path, content_type)
    assert items
    for contract in items:
        validate(convert(contract))


@pytest.mark.parametrize(("path", "content_type"), SAMPLE_PATHS)
@pytest.mark.parametrize(("convert", "validate"), VERSIONS)
def test_every_sample_item_reads_back_through_the_ninjs_parser(
    path: Path, content_type: str, convert: Any, validate: Any
) -> None:
    for contract in sample_items(path, content_type):
        doc = convert(contract)
        back = read_back(doc)
        alt_ids = {a["role"]: a["value"] for a in doc.get("altIds", doc.get("altids", []))}
        assert contract["uri"] in (back.uri, alt_ids.get("provider-uri"))
        assert alt_ids["dateline-id"] == "x1"
        text_fields = ("version", "type", "pubstatus", "headline", "slugline", "byline", "ednote")
        text_fields += ("body_html", "body_text", "language", "genre", "source")
        text_fields += ("copyrightholder", "usageterms", "urgency")
        assert {f: getattr(back, f) for f in text_fields} == {f: contract[f] for f in text_fields}
        times = ("firstcreated", "versioncreated", "embargoed")
        assert {f: rfc3339(getattr(back, f)) for f in times} == {f: contract[f] for f in times}
        if contract["abstract"]:
            assert back.abstract == contract["abstract"]
        located = (contract["dateline"] or {}).get("located")
        assert (back.dateline.located if back.dateline else None) == located
        iptc = [Subject(**s) for s in contract["subjects"] if s["scheme"].startswith("iptc-")]
        assert [s for s in back.subjects if s.scheme.startswith("iptc-")] == iptc
        assert back.places == [Place(**p) for p in contract["places"]]
        assert back.renditions == [Rendition(**r) for r in contract["renditions"]]
        assert back.associations == [association(a) for a in contract["associations"]]


def association(stored: dict[str, Any]) -> Association:
    """The stored association (``item_id`` aside) as the parser reads it back."""
    fields = {k: v for k, v in stored.items() if k not in ("item_id", "renditions")}
    return Association(**fields, renditions=tuple(Rendition(**r) for r in stored["renditions"]))


# --- one full item, field by field ----------------------------------------------------------

BODY_TEXT = (
    "TALLINN, May 21 (BWS) - Dockers at Muuga stopped work on Tuesday, demanding a 12% rise."
)
FULL = contract_item(
    {
        "uri": "urn:newsml:bws.example:20240521:tallinn-port-strike",
        "version": "2",
        "format": "nitf",
        "type": "text",
        "pubstatus": "usable",
        "headline": "Tallinn dockers strike over pay",
        "slugline": "ESTONIA-PORT-STRIKE",
        "byline": "Kadri Tamm",
        "abstract": "Dockers at Muuga stopped work on Tuesday.",
        "ednote": "Corrects port name in par 2.",
        "body_html": "<p>TALLINN, May 21 (BWS) - Dockers at <b>Muuga</b> stopped work.</p>",
        "body_text": BODY_TEXT,
        "word_count": 16,
        "language": "en",
        "dateline": {
            "located": "Tallinn",
            "date": "2024-05-21",
            "source": "BWS",
            "text": "TALLINN, May 21 (BWS)",
        },
        "firstcreated": "2024-05-21T06:40:00Z",
        "versioncreated": "2024-05-21T07:15:30.5Z",
        "embargoed": "2024-05-21T09:00:00Z",
        "urgency": 3,
        "priority": 2,
        "subjects": [
            {"scheme": "iptc-subject", "code": "09004001", "name": "strike"},
            {"scheme": "iptc-mediatopic", "code": "20000523", "name": "labour market"},
            {"scheme": "https://vocab.bws.example/topics/", "code": "ports", "name": "ports"},
            {"scheme": "bws-desk", "code": "ECO", "name": "Economy desk"},
            {"scheme": "category", "code": None, "name": "Business"},
        ],
        "keywords": ["strike", "ports"],
        "places": [
            {"name": "Tallinn", "code": "https://sws.geonames.org/588409/"},
            {"name": "Estonia", "code": "EE"},
        ],
        "genre": "Current",
        "source": "Baltic Wire Service",
        "copyrightholder": "Baltic Wire Service",
        "usageterms": "For BWS subscribers only.",
        "renditions": [
            {
                "name": "print",
                "href": "https://files.bws.example/2024/05/21/strike.pdf",
                "mimetype": "application/pdf",
                "width": None,
                "height": None,
                "size": 48211,
            },
            {
                "name": None,
                "href": "https://media.bws.example/muuga kräne.jpg",
                "mimetype": "image/jpeg",
                "width": 1200,
                "height": 800,
                "size": None,
            },
        ],
        "associations": [
            {
                "rel": "mainpicture",
                "uri": "urn:newsml:bws.example:20240521:muuga-photo",
                "item_id": "0b7c1f",
            },
            {"rel": None, "uri": "BWS-0521-0042", "item_id": None},
        ],
        "fingerprint": "4f1c2a",
    },
    {
        "id": "0b7c1e",
        "partner": "bws",
        "received_at": "2024-05-21T07:16:00Z",
        "processed_at": "2024-05-21T07:16:01Z",
        "duplicate_of": None,
        "cluster": "0b7c1e",
        "versions": 2,
        "submission_id": "s9",
    },
)
FULL_NINJS3 = {
    "uri": "urn:newsml:bws.example:20240521:tallinn-port-strike",
    "standard": STANDARD3,
    "representationType": "full",
    "type": "text",
    "version": "2",
    "firstCreated": "2024-05-21T06:40:00Z",
    "versionCreated": "2024-05-21T07:15:30.5Z",
    "embargoedUntil": "2024-05-21T09:00:00Z",
    "pubStatus": "usable",
    "urgency": 3,
    "copyrightHolder": "Baltic Wire Service",
    "usageTerms": "For BWS subscribers only.",
    "edNote": "Corrects port name in par 2.",
    "language": "en",
    "headlines": [
        {"role": "main", "contentType": "text/plain", "value": "Tallinn dockers strike over pay"}
    ],
    "descriptions": [
        {
            "role": "summary",
            "contentType": "text/plain",
            "value": "Dockers at Muuga stopped work on Tuesday.",
        },
        {"role": "dateline", "contentType": "text/plain", "value": "TALLINN, May 21 (BWS)"},
    ],
    "bodies": [
        {
            "role": "main",
            "contentType": "text/html",
            "value": "<p>TALLINN, May 21 (BWS) - Dockers at <b>Muuga</b> stopped work.</p>",
        },
        {
            "role": "main",
            "contentType": "text/plain",
            "charCount": 87,
            "wordCount": 16,
            "value": BODY_TEXT,
        },
    ],
    "by": "Kadri Tamm",
    "slugline": "ESTONIA-PORT-STRIKE",
    "located": "Tallinn",
    "subjects": [
        {"name": "strike", "uri": "http://cv.iptc.org/newscodes/subjectcode/09004001"},
        {"name": "labour market", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000523"},
        {"name": "ports", "uri": "https://vocab.bws.example/topics/ports"},
        {"name": "Economy desk", "literal": "bws-desk:ECO"},
        {"name": "Business"},
    ],
    "places": [
        {"name": "Tallinn", "uri": "https://sws.geonames.org/588409/"},
        {"name": "Estonia", "literal": "EE"},
    ],
    "genres": [{"name": "Current"}],
    "infoSources": [{"name": "Baltic Wire Service"}],
    "renditions": [
        {
            "name": "print",
            "href": "https://files.bws.example/2024/05/21/strike.pdf",
            "contentType": "application/pdf",
            "sizeInBytes": 48211,
        },
        {
            "name": "rendition-2",
            "href": "https://media.bws.example/muuga%20kr%C3%A4ne.jpg",
            "contentType": "image/jpeg",
            "width": 1200,
            "height": 800,
        },
    ],
    "associations": [
        {
            "name": "mainpicture",
            "rel": "mainpicture",
            "uri": "urn:newsml:bws.example:20240521:muuga-photo",
        },
        {"name": "association", "uri": "urn:dateline:bws:BWS-0521-0042"},
    ],
    "altIds": [{"role": "dateline-id", "value": "0b7c1e"}],
}


def test_full_item_maps_every_field_ninjs_3_has_a_place_for() -> None:
    assert to_ninjs3(FULL) == FULL_NINJS3
    validate_ninjs3(FULL_NINJS3)


def test_full_item_in_ninjs_2_uses_lower_case_keys_and_names_associations_by_relation() -> None:
    expected = {
        "uri": "urn:newsml:bws.example:20240521:tallinn-port-strike",
        "standard": STANDARD2,
        "representationtype": "full",
        "type": "text",
        "version": "2",
        "firstcreated": "2024-05-21T06:40:00Z",
        "versioncreated": "2024-05-21T07:15:30.5Z",
        "embargoed": "2024-05-21T09:00:00Z",
        "pubstatus": "usable",
        "urgency": 3,
        "copyrightholder": "Baltic Wire Service",
        "usageterms": "For BWS subscribers only.",
        "ednote": "Corrects port name in par 2.",
        "language": "en",
        "headlines": [
            {
                "role": "main",
                "contenttype": "text/plain",
                "value": "Tallinn dockers strike over pay",
            }
        ],
        "descriptions": [
            {
                "role": "summary",
                "contenttype": "text/plain",
                "value": "Dockers at Muuga stopped work on Tuesday.",
            },
            {"role": "dateline", "contenttype": "text/plain", "value": "TALLINN, May 21 (BWS)"},
        ],
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/html",
                "value": "<p>TALLINN, May 21 (BWS) - Dockers at <b>Muuga</b> stopped work.</p>",
            },
            {
                "role": "main",
                "contenttype": "text/plain",
                "charcount": 87,
                "wordcount": 16,
                "value": BODY_TEXT,
            },
        ],
        "by": "Kadri Tamm",
        "slugline": "ESTONIA-PORT-STRIKE",
        "located": "Tallinn",
        "subjects": FULL_NINJS3["subjects"],
        "places": FULL_NINJS3["places"],
        "genres": [{"name": "Current"}],
        "infosources": [{"name": "Baltic Wire Service"}],
        "renditions": [
            {
                "name": "print",
                "href": "https://files.bws.example/2024/05/21/strike.pdf",
                "contenttype": "application/pdf",
                "sizeinbytes": 48211,
            },
            {
                "name": "rendition-2",
                "href": "https://media.bws.example/muuga%20kr%C3%A4ne.jpg",
                "contenttype": "image/jpeg",
                "width": 1200,
                "height": 800,
            },
        ],
        "associations": [
            {"name": "mainpicture", "uri": "urn:newsml:bws.example:20240521:muuga-photo"},
            {"name": "association", "uri": "urn:dateline:bws:BWS-0521-0042"},
        ],
        "altids": [{"role": "dateline-id", "value": "0b7c1e"}],
    }
    assert to_ninjs2(FULL) == expected
    validate_ninjs2(expected)


def test_conversion_leaves_the_item_untouched() -> None:
    before = json.dumps(FULL, sort_keys=True)
    to_ninjs3(FULL)
    to_ninjs2(FULL)
    assert json.dumps(FULL, sort_keys=True) == before


# --- what is left out, and identifiers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("convert", "expected"),
    [
        pytest.param(
            to_ninjs3,
            {
                "uri": "tag:wire.example,2024:a1",
                "standard": STANDARD3,
                "representationType": "full",
                "type": "text",
                "versionCreated": "2024-03-14T09:00:00Z",
                "pubStatus": "usable",
                "altIds": [{"role": "dateline-id", "value": "a1"}],
            },
            id="ninjs3",
        ),
        pytest.param(
            to_ninjs2,
            {
                "uri": "tag:wire.example,2024:a1",
                "standard": STANDARD2,
                "representationtype": "full",
                "type": "text",
                "versioncreated": "2024-03-14T09:00:00Z",
                "pubstatus": "usable",
                "altids": [{"role": "dateline-id", "value": "a1"}],
            },
            id="ninjs2",
        ),
    ],
)
def test_null_and_empty_fields_are_left_out_rather_than_written_as_null(
    convert: Any, expected: dict[str, Any]
) -> None:
    sparse = item(
        id="a1",
        uri="tag:wire.example,2024:a1",
        type="text",
        pubstatus="usable",
        headline="",
        versioncreated="2024-03-14T09:00:00Z",
        dateline={"located": None, "date": None, "source": None, "text": None},
        subjects=[{"scheme": "category", "code": None, "name": None}],
    )
    assert convert(sparse) == expected


def test_identifier_that_is_no_uri_becomes_a_partner_urn_and_is_kept_as_an_alt_id() -> None:
    doc = to_ninjs3(item(id="a2", partner="efe", uri="EFE 20220107/MAD #0412"))
    assert (doc["uri"], doc["altIds"]) == (
        "urn:dateline:efe:EFE%2020220107%2FMAD%20%230412",
        [
            {"role": "dateline-id", "value": "a2"},
            {"role": "provider-uri", "value": "EFE 20220107/MAD #0412"},
        ],
    )
    validate_ninjs3(doc)


def test_internationalised_uri_is_percent_encoded_as_utf8() -> None:
    doc = to_ninjs3(item(uri="https://belta.example/президент/ukaz?q=a b"))
    assert doc["uri"] == (
        "https://belta.example/%D0%BF%D1%80%D0%B5%D0%B7%D0%B8%D0%B4%D0%B5%D0%BD%D1%82/ukaz?q=a%20b"
    )


def test_rendition_href_that_cannot_be_a_uri_is_left_out_but_the_rendition_kept() -> None:
    renditions = [{"name": "scan", "href": "scans/page 1.tif", "mimetype": "image/tiff"}]
    doc = to_ninjs3(item(uri="urn:x:1", renditions=renditions))
    assert doc["renditions"] == [{"name": "scan", "contentType": "image/tiff"}]


def test_event_type_is_kept_in_ninjs_3_and_left_out_of_ninjs_2_which_has_no_such_type() -> None:
    event = item(uri="urn:x:event", type="event")
    assert (to_ninjs3(event)["type"], "type" in to_ninjs2(event)) == ("event", False)


def test_association_without_a_uri_is_dropped() -> None:
    links = [{"rel": "sidebar", "uri": None, "item_id": None}]
    assert "associations" not in to_ninjs3(item(uri="urn:x:1", associations=links))


PHOTO_LINK = {
    "rel": "featuremedia",
    "uri": "urn:lw:photo:7",
    "type": "picture",
    "headline": "Rosslare tide gauge",
    "caption": "The broken tide gauge at Rosslare Europort on Monday.",
    "renditions": [
        {
            "name": "baseImage",
            "href": "https://pix.lw.example/7-base.jpg",
            "mimetype": "image/jpeg",
            "width": 1400,
            "height": 933,
            "size": None,
        },
        {"name": None, "href": "7-thumb.jpg", "mimetype": None, "width": 120, "height": None},
    ],
    "item_id": None,
}


def test_an_embedded_picture_keeps_headline_caption_and_renditions_in_ninjs_3() -> None:
    doc = to_ninjs3(item(uri="urn:x:1", associations=[PHOTO_LINK]))
    assert doc["associations"] == [
        {
            "name": "featuremedia",
            "rel": "featuremedia",
            "uri": "urn:lw:photo:7",
            "type": "picture",
            "headlines": [
                {"role": "main", "contentType": "text/plain", "value": "Rosslare tide gauge"}
            ],
            "descriptions": [
                {
                    "role": "caption",
                    "contentType": "text/plain",
                    "value": "The broken tide gauge at Rosslare Europort on Monday.",
                }
            ],
            "renditions": [
                {
                    "name": "baseImage",
                    "href": "https://pix.lw.example/7-base.jpg",
                    "contentType": "image/jpeg",
                    "width": 1400,
                    "height": 933,
                },
                {"name": "rendition-2", "width": 120},
            ],
        }
    ]
    validate_ninjs3(doc)


def test_an_embedded_picture_in_ninjs_2_is_respelled_and_keeps_no_event_type() -> None:
    links = [PHOTO_LINK, {"rel": "agenda", "uri": "urn:lw:event:1", "type": "event"}]
    doc = to_ninjs2(item(uri="urn:x:1", associations=links))
    photo, event = doc["associations"]
    assert (photo["type"], photo["renditions"][0]["contenttype"], "rel" in photo) == (
        "picture",
        "image/jpeg",
        False,
    )
    assert event == {"name": "agenda", "uri": "urn:lw:event:1"}
    validate_ninjs2(doc)


def test_an_embedded_picture_reads_back_through_the_ninjs_parser() -> None:
    [link] = read_back(to_ninjs3(item(uri="urn:x:1", associations=[PHOTO_LINK]))).associations
    assert (link.type, link.headline, link.caption, [r.name for r in link.renditions]) == (
        "picture",
        "Rosslare tide gauge",
        "The broken tide gauge at Rosslare Europort on Monday.",
        ["baseImage", "rendition-2"],
    )


def test_keywords_and_priority_are_not_written_because_neither_schema_has_them() -> None:
    doc = to_ninjs3(item(uri="urn:x:1", keywords=["port"], priority=2))
    assert {"keywords", "priority"} & set(doc) == set()


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validate", "doc", "errors"),
    [
        pytest.param(
            validate_ninjs3,
            {"uri": "urn:x:1", "versionCreated": "07 January 2022, 13:21"},
            [
                {
                    "field": "/versionCreated",
                    "message": "'07 January 2022, 13:21' is not a 'date-time'",
                }
            ],
            id="3-date-time-as-written-on-a-page",
        ),
        pytest.param(
            validate_ninjs2,
            {"uri": "urn:x:1", "embargoed": "2022-02-30T10:00:00Z"},
            [{"field": "/embargoed", "message": "'2022-02-30T10:00:00Z' is not a 'date-time'"}],
            id="2-impossible-date",
        ),
        pytest.param(
            validate_ninjs3,
            {"uri": "not a uri", "urgency": 10},
            [
                {"field": "/urgency", "message": "10 is greater than the maximum of 9"},
                {"field": "/uri", "message": "'not a uri' is not a 'uri'"},
            ],
            id="3-uri-and-urgency",
        ),
        pytest.param(
            validate_ninjs3,
            {"uri": "urn:x:1", "by": None},
            [{"field": "/by", "message": "None is not of type 'string'"}],
            id="3-null",
        ),
        pytest.param(
            validate_ninjs3,
            {"uri": "urn:x:1", "versioncreated": "2024-03-14T09:00:00Z"},
            [
                {
                    "field": "",
                    "message": "Unevaluated properties are not allowed "
                    "('versioncreated' was unexpected)",
                }
            ],
            id="3-given-2x-spelling",
        ),
        pytest.param(
            validate_ninjs2,
            {"type": "text"},
            [{"field": "", "message": "'uri' is a required property"}],
            id="2-without-uri",
        ),
    ],
)
def test_validation_names_every_error_by_json_pointer(
    validate: Any, doc: dict[str, Any], errors: list[dict[str, str]]
) -> None:
    with pytest.raises(NinjsInvalid) as caught:
        validate(doc)
    assert caught.value.errors == errors
    assert caught.value.detail.startswith("not valid ninjs ")


def test_geojson_reference_resolves_to_the_local_stub_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def offline(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validation tried the network")

    monkeypatch.setattr(socket, "create_connection", offline)
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    point = {"type": "Point", "coordinates": [24.75, 59.44]}
    validate_ninjs3({"uri": "urn:x:1", "places": [{"name": "Tallinn", "geoJSON": point}]})
    validate_ninjs2({"uri": "urn:x:1", "places": [{"name": "Tallinn", "geojson": point}]})
    with pytest.raises(NinjsInvalid) as caught:
        validate_ninjs3({"uri": "urn:x:1", "places": [{"geoJSON": {"type": "Circle"}}]})
    assert [e["field"] for e in caught.value.errors] == ["/places/0/geoJSON/type"]


# --- property: whatever the item holds, the output validates ----------------------------------

TEXT = st.none() | st.text(max_size=40)
TIMES = st.none() | st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(rfc3339)
SCHEMES = st.sampled_from(
    ["iptc-subject", "iptc-mediatopic", "category", "https://vocab.example/t/", "ccp"]
) | st.text(max_size=12)
ITEMS = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=12),
        "partner": st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
        "uri": st.text(min_size=1, max_size=60) | st.just("https://wire.example/a b/ü"),
        "version": TEXT,
        "type": st.sampled_from(["text", "picture", "composite", "event", "planning"]),
        "pubstatus": st.sampled_from(["usable", "withheld", "canceled"]),
        "headline": TEXT,
        "byline": TEXT,
        "abstract": TEXT,
        "body_html": TEXT,
        "body_text": TEXT,
        "word_count": st.integers(0, 500),
        "dateline": st.none() | st.fixed_dictionaries({"located": TEXT, "text": TEXT}),
        "firstcreated": TIMES,
        "versioncreated": TIMES,
        "embargoed": TIMES,
        "urgency": st.none() | st.integers(1, 9),
        "subjects": st.lists(
            st.fixed_dictionaries({"scheme": SCHEMES, "code": TEXT, "name": TEXT})
        ),
        "places": st.lists(st.fixed_dictionaries({"name": TEXT, "code": TEXT})),
        "genre": TEXT,
        "source": TEXT,
        "renditions": st.lists(
            st.fixed_dictionaries(
                {"name": TEXT, "href": TEXT, "width": st.none() | st.integers(0, 10_000)}
            )
        ),
        "associations": st.lists(
            st.fixed_dictionaries(
                {
                    "rel": TEXT,
                    "uri": TEXT,
                    "type": st.none() | st.sampled_from(["picture", "event", "podcast"]),
                    "headline": TEXT,
                    "caption": TEXT,
                    "renditions": st.lists(
                        st.fixed_dictionaries({"name": TEXT, "href": TEXT}), max_size=2
                    ),
                }
            )
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(ITEMS)
def test_any_contract_item_converts_to_valid_ninjs_3_and_2(fields: dict[str, Any]) -> None:
    contract = item(**fields)
    validate_ninjs3(to_ninjs3(contract))
    validate_ninjs2(to_ninjs2(contract))
