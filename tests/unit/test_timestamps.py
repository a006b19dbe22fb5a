"""shared.reading.timestamps: every readable stamp becomes one aware UTC instant; nothing is
guessed."""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.errors import Invalid, TimestampError
from shared.core.model import NormalisedItem, Profile
from shared.reading.prepare import prepare
from shared.reading.repairs import collecting
from shared.reading.timestamps import (
    AHEAD,
    local_date,
    optional_timestamp,
    parse_day_month,
    parse_stamp,
    parse_timestamp,
    recent_date,
)

MINSK = ZoneInfo("Europe/Minsk")
NEW_YORK = ZoneInfo("America/New_York")
NEAR = datetime(2022, 1, 7, 14, 0, tzinfo=UTC)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # RFC 3339 / ISO 8601, NewsML-G2 and ninjs
        ("2022-01-07T13:21:00+03:00", utc(2022, 1, 7, 10, 21)),
        ("2022-01-07T10:21:00Z", utc(2022, 1, 7, 10, 21)),
        ("2022-01-07t10:21:00.25z", datetime(2022, 1, 7, 10, 21, 0, 250000, tzinfo=UTC)),
        ("20220107T132100+0300", utc(2022, 1, 7, 10, 21)),
        # ISO 8601 basic-form offsets (no colon), as ANSA sends them
        ("2022-01-07T13:21:00+0300", utc(2022, 1, 7, 10, 21)),
        ("2022-01-07T13:21+0300", utc(2022, 1, 7, 10, 21)),
        ("2022-01-07T11:21:00+0100", utc(2022, 1, 7, 10, 21)),
        ("2022-01-07T13+03:00", utc(2022, 1, 7, 10, 0)),
        ("2022-01-07 13:21", utc(2022, 1, 7, 10, 21)),
        ("2022-01-07", utc(2022, 1, 6, 21, 0)),
        # RFC 2822
        ("Fri, 07 Jan 2022 13:21:00 +0300", utc(2022, 1, 7, 10, 21)),
        ("Fri, 07 Jan 2022 10:21:00 GMT", utc(2022, 1, 7, 10, 21)),
        ("Fri, 07 Jan 2022 10:21:00 -0000", utc(2022, 1, 7, 10, 21)),
        ("07 Jan 2022 11:21 CET", utc(2022, 1, 7, 10, 21)),
        ("Fri, 07 Jan 2022 13:21:00", utc(2022, 1, 7, 10, 21)),
        # English, Russian and French human formats, read in the partner's zone
        ("07 January 2022, 13:21", utc(2022, 1, 7, 10, 21)),
        ("7 Jan. 2022 13:21", utc(2022, 1, 7, 10, 21)),
        ("Friday, 7 January 2022", utc(2022, 1, 6, 21, 0)),
        ("January 7, 2022 1:21 p.m.", utc(2022, 1, 7, 10, 21)),
        ("Jan. 7, 2022 1:21 p.m. EST", utc(2022, 1, 7, 18, 21)),
        ("Jan 7, 2022 12:05 a.m.", utc(2022, 1, 6, 21, 5)),
        ("7 January 2022 13:21 +03:00", utc(2022, 1, 7, 10, 21)),
        ("7 January 2022 10:21 GMT+0", utc(2022, 1, 7, 10, 21)),
        ("7 января 2022, 13:21", utc(2022, 1, 7, 10, 21)),
        ("7 января 2022 г., 13:21", utc(2022, 1, 7, 10, 21)),
        ("Пятница, 7 января 2022 года в 13:21", utc(2022, 1, 7, 10, 21)),
        ("7 янв. 2022 13:21 МСК", utc(2022, 1, 7, 10, 21)),
        ("7 январь 2022", utc(2022, 1, 6, 21, 0)),
        ("07.01.2022 13:21", utc(2022, 1, 7, 10, 21)),
        ("7 janvier 2022 13:21", utc(2022, 1, 7, 10, 21)),
        # no year: the latest one at most three days after `near`
        ("7 January, 13:21", utc(2022, 1, 7, 10, 21)),
        ("31 December, 23:50", utc(2021, 12, 31, 20, 50)),
        ("10 January, 09:00", utc(2022, 1, 10, 6, 0)),
        ("11 January, 09:00", utc(2021, 1, 11, 6, 0)),
    ],
)
def test_known_formats_are_read_as_utc_instants(text: str, expected: datetime) -> None:
    result = parse_timestamp(text, tz=MINSK, near=NEAR)
    assert result == expected
    assert result.tzinfo is UTC


def test_dateparser_reads_what_the_cheap_parsers_cannot_with_the_recent_year() -> None:
    assert parse_timestamp("the 7th of January 2022 at 1.21pm", tz=MINSK) == utc(2022, 1, 7, 10, 21)
    assert parse_timestamp("the 31st of December at 1.21pm", tz=MINSK, near=NEAR) == utc(
        2021, 12, 31, 10, 21
    )


def test_a_local_time_in_a_dst_gap_resolves_as_zoneinfo_fold_0() -> None:
    # 02:30 does not exist on 13 March 2022 in New York; fold=0 reads it with the EST offset.
    assert parse_timestamp("2022-03-13 02:30", tz=NEW_YORK) == utc(2022, 3, 13, 7, 30)
    assert parse_timestamp("13 March 2022, 02:30", tz=NEW_YORK) == utc(2022, 3, 13, 7, 30)


def test_a_local_time_in_a_dst_overlap_takes_the_first_occurrence() -> None:
    assert parse_timestamp("6 November 2022, 01:30", tz=NEW_YORK) == utc(2022, 11, 6, 5, 30)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("31 February 2022, 13:21", "day 31 does not exist in 2022-02"),
        ("2022-02-30", "day 30 does not exist in 2022-02"),
        ("2022-13-01", "month 13 is out of range 1..12"),
        ("2022-01-07T25:00:00Z", "hour 25 is out of range 0..23"),
        ("7 January 2022, 25:10", "hour 25 is out of range 0..23"),
        ("2022-01-07T13:61:00Z", "minute 61 is out of range 0..59"),
        ("2022-01-07T13:21:00+25:00", "offset +25:00 is out of range"),
        ("Fri, 07 Jan 2022 13:21:00 +2500", "offset +2500 is out of range"),
        ("Fri, 31 Feb 2022 13:21:00 +0300", "day 31 does not exist in 2022-02"),
        ("99999-01-01", "year 99999 is out of range 1..9999"),
        ("7 January 99999", "year 99999 is out of range 1..9999"),
        ("January 7, 2022 13:21 p.m.", "hour 13 is out of range for a 12-hour clock"),
        ("07/01/2022", "day and month order is ambiguous"),
        ("7 January, 13:21", "no year given and no reference date"),
        ("hello world", "no known date format matches"),
        ("May", "no known date format matches"),
        ("   ", "it is empty"),
        ("7 January 2022 " + "x" * 100, "no known date format matches"),
    ],
)
def test_impossible_or_unreadable_text_raises_a_timestamp_error_saying_why(
    text: str, problem: str
) -> None:
    with pytest.raises(TimestampError, match="cannot use timestamp") as caught:
        parse_timestamp(text, tz=MINSK)
    assert problem in caught.value.detail
    assert isinstance(caught.value, Invalid) and caught.value.status == 422


def test_a_stamp_line_is_only_a_date_with_a_time() -> None:
    assert parse_stamp("07 January 2022, 13:21", tz=MINSK) == utc(2022, 1, 7, 10, 21)
    assert parse_stamp("2022-01-07T13:21:00+03:00", tz=MINSK) == utc(2022, 1, 7, 10, 21)
    assert parse_stamp("07 января 2022, 13:21", tz=MINSK) == utc(2022, 1, 7, 10, 21)
    for not_a_stamp in (
        "Flag Tuesday, 16 April 2024",
        "Tuesday, 16 April 2024",
        "2022-01-07",
        "President",
        "Talks at 13:21 went on late",
        "All news",
    ):
        assert parse_stamp(not_a_stamp, tz=MINSK) is None, not_a_stamp


def test_an_impossible_stamp_line_raises_rather_than_being_skipped() -> None:
    with pytest.raises(TimestampError, match="day 31 does not exist in 2022-02"):
        parse_stamp("31 February 2022, 13:21", tz=MINSK)


@pytest.mark.parametrize(
    ("day", "month", "near", "expected"),
    [
        (7, 1, date(2022, 1, 7), date(2022, 1, 7)),
        (31, 12, date(2022, 1, 1), date(2021, 12, 31)),
        (1, 1, date(2021, 12, 31), date(2022, 1, 1)),  # a day ahead (time zones)
        (30, 6, date(2022, 1, 1), date(2021, 6, 30)),  # never half a year ahead
        (1, 1, date(2024, 7, 2), date(2024, 1, 1)),
        (3, 5, date(2026, 12, 2), date(2026, 5, 3)),  # "GENEVA, 3 May (dpa)" read in December
        (5, 12, date(2026, 12, 2), date(2026, 12, 5)),  # three days ahead: an embargoed preview
        (6, 12, date(2026, 12, 2), date(2025, 12, 6)),  # four days ahead: last year's
        (29, 2, date(2024, 12, 1), date(2024, 2, 29)),
        (29, 2, date(2021, 1, 1), date(2020, 2, 29)),
        (3, 1, date(9999, 12, 31), date(9999, 1, 3)),  # no year 10000 is tried
        (1, 1, date(1, 1, 1), date(1, 1, 1)),  # nor year 0
    ],
)
def test_recent_date_is_the_latest_at_most_three_days_ahead(
    day: int, month: int, near: date, expected: date
) -> None:
    assert recent_date(day, month, near) == expected


@pytest.mark.parametrize(
    ("day", "month", "near"),
    [
        (31, 2, date(2022, 1, 7)),
        (0, 1, date(2022, 1, 7)),
        (7, 13, date(2022, 1, 7)),
        (29, 2, date(2022, 6, 1)),
        (29, 2, date(2023, 12, 1)),  # 2024's is ahead, 2020's too far back
        (31, 12, date(1, 1, 1)),  # year 0 does not exist
    ],
)
def test_recent_date_rejects_dates_that_cannot_exist_nearby(
    day: int, month: int, near: date
) -> None:
    with pytest.raises(TimestampError, match="impossible date"):
        recent_date(day, month, near)


@pytest.mark.parametrize(
    ("text", "near", "expected"),
    [
        ("7 January", date(2022, 1, 7), date(2022, 1, 7)),
        ("7 января", date(2022, 1, 7), date(2022, 1, 7)),
        ("Jan. 7", date(2022, 1, 5), date(2022, 1, 7)),
        ("Jan. 7", date(2021, 12, 30), date(2021, 1, 7)),
        ("January 7", date(2022, 1, 7), date(2022, 1, 7)),
        ("31 December", date(2022, 1, 1), date(2021, 12, 31)),
        ("1 января", date(2021, 12, 31), date(2022, 1, 1)),
    ],
)
def test_parse_day_month_reads_english_and_russian_leads(
    text: str, near: date, expected: date
) -> None:
    assert parse_day_month(text, near=near) == expected


def test_parse_day_month_rejects_unreadable_and_impossible_text() -> None:
    with pytest.raises(TimestampError, match="unreadable day and month"):
        parse_day_month("Christmas", near=date(2022, 1, 7))
    with pytest.raises(TimestampError, match="impossible date"):
        parse_day_month("31 February", near=date(2022, 1, 7))


# ---- properties -------------------------------------------------------------------------------

offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware = st.datetimes(
    min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30), timezones=offsets
)


def _offset_text(value: datetime, colon: bool) -> str:
    minutes = int(value.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    return f"{sign}{minutes // 60:02d}{':' if colon else ''}{minutes % 60:02d}"


@given(aware)
def test_any_instant_written_as_rfc3339_reads_back_as_the_same_instant(value: datetime) -> None:
    text = value.isoformat().replace("+00:00", "Z")
    result = parse_timestamp(text, tz=MINSK)
    assert result == value and result.tzinfo is UTC


@given(aware)
def test_any_instant_written_as_rfc2822_reads_back_to_the_second(value: datetime) -> None:
    result = parse_timestamp(email.utils.format_datetime(value), tz=MINSK)
    assert result == value.replace(microsecond=0) and result.tzinfo is UTC


@given(aware)
def test_any_instant_written_as_compact_iso_reads_back_to_the_second(value: datetime) -> None:
    text = (
        f"{value.year:04d}{value.month:02d}{value.day:02d}T"
        f"{value.hour:02d}{value.minute:02d}{value.second:02d}{_offset_text(value, False)}"
    )
    assert parse_timestamp(text, tz=MINSK) == value.replace(microsecond=0)


@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30)))
def test_any_naive_minsk_time_written_as_a_belta_stamp_is_read_in_minsk(value: datetime) -> None:
    text = f"{value.day:02d} {value:%B} {value.year:04d}, {value:%H:%M}"
    expected = value.replace(second=0, microsecond=0, tzinfo=MINSK).astimezone(UTC)
    assert parse_timestamp(text, tz=MINSK) == expected
    assert parse_stamp(text, tz=MINSK) == expected


@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)), st.dates())
def test_recent_date_is_within_the_year_before_near_plus_three_days(
    near: date, sample: date
) -> None:
    if (sample.month, sample.day) == (2, 29):
        sample = sample.replace(day=28)
    result = recent_date(sample.day, sample.month, near)
    assert (result.month, result.day) == (sample.month, sample.day)
    assert timedelta(0) <= near + AHEAD - result < timedelta(days=366)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_either_parses_to_utc_or_raises_timestamp_error(text: str) -> None:
    try:
        result = parse_timestamp(text, tz=MINSK, near=NEAR)
    except TimestampError:
        return
    assert result.tzinfo is UTC


def test_an_unreadable_optional_date_is_dropped_with_a_warning_naming_it() -> None:
    def placeholder() -> datetime:
        return parse_timestamp("YYYYMMDDTHHMMSS+0000", tz=MINSK)

    with collecting() as warnings:
        assert optional_timestamp(placeholder, field="docdata/date.release") is None
    assert warnings == [
        {
            "code": "date_dropped",
            "field": "docdata/date.release",
            "message": "cannot use timestamp 'YYYYMMDDTHHMMSS+0000': no known date format matches;"
            " the optional date was left out",
        }
    ]


def test_an_optional_date_keeps_the_pointer_and_line_its_reader_names() -> None:
    def pointed() -> datetime:
        raise TimestampError("bad", errors=[{"field": "/embargoedUntil", "message": "bad"}])

    def lined() -> datetime:
        raise TimestampError("bad", errors=[{"line": 7, "message": "bad"}])

    with collecting() as warnings:
        optional_timestamp(pointed, field="/embargoed")
        optional_timestamp(lined, field="itemMeta/embargoed")
    assert [(w.get("field"), w.get("line")) for w in warnings] == [
        ("/embargoedUntil", None),
        ("itemMeta/embargoed", 7),
    ]


def test_a_readable_optional_date_is_returned_without_a_warning() -> None:
    with collecting() as warnings:
        stamp = optional_timestamp(
            lambda: parse_timestamp("2026-05-04T12:30:00+0200", tz=MINSK), field="/embargoed"
        )
    assert stamp == utc(2026, 5, 4, 10, 30)
    assert warnings == []


def test_an_instant_beyond_year_9999_in_local_time_is_a_timestamp_error() -> None:
    assert local_date(utc(9999, 12, 31, 20, 30), ZoneInfo("Europe/Moscow")) == date(9999, 12, 31)
    with pytest.raises(TimestampError, match="outside the representable range"):
        local_date(utc(9999, 12, 31, 23, 30), ZoneInfo("Europe/Moscow"))
    with pytest.raises(TimestampError, match="outside the representable range"):
        local_date(utc(1, 1, 1, 0, 30), NEW_YORK)
    with pytest.raises(TimestampError, match="outside the representable range"):
        parse_timestamp("9999-12-31T23:30:00", tz=NEW_YORK)  # 10000-01-01 in UTC


def test_a_dateparser_fallback_that_hangs_is_abandoned(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time

    import dateparser

    import shared.reading.timestamps as timestamps

    monkeypatch.setattr(timestamps, "FALLBACK_SECONDS", 0.2)
    monkeypatch.setattr(dateparser, "parse", lambda *a, **k: time.sleep(2))
    with pytest.raises(TimestampError, match=r"not readable within 0\.2 s"):
        timestamps.parse_timestamp("le septième jour de 2022", tz=ZoneInfo("UTC"))


# ---- optional dates in each format reader, through prepare -------------------------------------

RECEIVED = datetime(2026, 5, 4, 10, 45, tzinfo=UTC)
G2 = (
    '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:g2:1" version="1"'
    ' standard="NewsML-G2" standardversion="2.25">\n'
    '<itemMeta><itemClass qcode="ninat:text"/>\n'
    "<versionCreated>{created}</versionCreated>\n"
    "<embargoed>{embargo}</embargoed>\n"
    "</itemMeta><contentMeta><headline>Porto di Genova in crescita</headline></contentMeta>\n"
    "</newsItem>"
)
NITF = (
    "<nitf><head><docdata>\n"
    '<doc-id id-string="n1"/>\n'
    '<date.issue norm="{created}"/>\n'
    '<date.release norm="{embargo}"/>\n'
    '<date.expire norm="{{{{expiry}}}}"/>\n'
    "</docdata></head><body><body.head><hedline><hl1>Ferries</hl1></hedline></body.head>"
    "</body></nitf>"
)
NEWSML1 = (
    "<NewsML><NewsEnvelope><DateAndTime>20260504T102200Z</DateAndTime></NewsEnvelope>\n"
    "<NewsItem><Identification><NewsIdentifier><ProviderId>afp.example</ProviderId>"
    "<DateId>20260504</DateId><NewsItemId>X1</NewsItemId><RevisionId>1</RevisionId>"
    "<PublicIdentifier>urn:newsml:afp.example:20260504:X1:1</PublicIdentifier>"
    "</NewsIdentifier></Identification>\n"
    '<NewsManagement><NewsItemType FormalName="News"/>\n'
    "<FirstCreated>{created}</FirstCreated>\n"
    '<Status FormalName="Embargoed"/>\n'
    '<StatusWillChange><FutureStatus FormalName="Usable"/>\n'
    "<DateAndTime>{embargo}</DateAndTime></StatusWillChange>\n"
    "</NewsManagement><NewsComponent><NewsLines><HeadLine>Grève</HeadLine></NewsLines>"
    "</NewsComponent></NewsItem></NewsML>"
)


def _prepared(template: str, content_type: str, created: str, embargo: str) -> NormalisedItem:
    raw = template.format(created=created, embargo=embargo).encode()
    profile = Profile(timezone="Europe/Rome")
    [item] = prepare(raw, content_type, namespace="p", profile=profile, received_at=RECEIVED)
    return item


@pytest.mark.parametrize(
    ("template", "content_type", "created", "dropped"),
    [
        (G2, "application/xml", "2026-05-04T12:30:00+0200", [("itemMeta/embargoed", 4)]),
        (G2, "application/xml", "20260504T123000+0200", [("itemMeta/embargoed", 4)]),
        (
            NITF,
            "application/xml",
            "20260504T123000+0200",
            [("docdata/date.release", 4), ("docdata/date.expire", 5)],
        ),
        (NEWSML1, "application/xml", "20260504T123000+0200", [("StatusWillChange/DateAndTime", 7)]),
    ],
    ids=["newsml-g2", "newsml-g2-basic", "nitf", "newsml1"],
)
def test_an_unfilled_embargo_template_is_dropped_and_the_story_kept(
    template: str, content_type: str, created: str, dropped: list[tuple[str, int]]
) -> None:
    item = _prepared(template, content_type, created, "YYYYMMDDTHHMMSS+0000")
    assert item.versioncreated == utc(2026, 5, 4, 10, 30)
    assert item.embargoed is None
    assert [(w["code"], w["field"], w["line"]) for w in item.warnings] == [
        ("date_dropped", field, line) for field, line in dropped
    ]
    assert all("the optional date was left out" in w["message"] for w in item.warnings)


def test_an_unfilled_ninjs_embargo_is_dropped_naming_its_pointer() -> None:
    doc = {
        "uri": "urn:x:1",
        "headline": "Ny bru",
        "versioncreated": "2026-05-04T11:30:00+0200",
        "embargoedUntil": "{{embargo}}",
    }
    profile = Profile(timezone="Europe/Oslo")
    raw = json.dumps(doc).encode()
    [item] = prepare(raw, "application/json", namespace="p", profile=profile, received_at=RECEIVED)
    assert item.versioncreated == utc(2026, 5, 4, 9, 30)
    assert item.embargoed is None
    assert [(w["code"], w["field"]) for w in item.warnings] == [("date_dropped", "/embargoedUntil")]


def test_a_readable_embargo_is_kept_and_a_creation_placeholder_stays_a_422() -> None:
    item = _prepared(G2, "application/xml", "2026-05-04T12:30:00+0200", "2026-05-04T14:00:00+0200")
    assert item.embargoed == utc(2026, 5, 4, 12, 0)
    assert item.warnings == []
    with pytest.raises(TimestampError) as caught:
        _prepared(NITF, "application/xml", "YYYYMMDDTHHMMSS+0000", "20260504T140000+0200")
    assert caught.value.errors[0]["line"] == 3
