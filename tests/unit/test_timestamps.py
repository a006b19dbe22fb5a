"""shared.timestamps: every readable stamp becomes one aware UTC instant; nothing is guessed."""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import Invalid, TimestampError
from shared.timestamps import nearest_year, parse_day_month, parse_stamp, parse_timestamp

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
        # no year: the one nearest to `near`
        ("7 January, 13:21", utc(2022, 1, 7, 10, 21)),
        ("31 December, 23:50", utc(2021, 12, 31, 20, 50)),
    ],
)
def test_known_formats_are_read_as_utc_instants(text: str, expected: datetime) -> None:
    result = parse_timestamp(text, tz=MINSK, near=NEAR)
    assert result == expected
    assert result.tzinfo is UTC


def test_dateparser_reads_what_the_cheap_parsers_cannot_with_the_nearest_year() -> None:
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
        (1, 1, date(2021, 12, 31), date(2022, 1, 1)),
        (30, 6, date(2022, 1, 1), date(2022, 6, 30)),
        (1, 1, date(2024, 7, 2), date(2024, 1, 1)),  # 183 days either way: the earlier wins
        (29, 2, date(2023, 12, 1), date(2024, 2, 29)),
        (29, 2, date(2021, 1, 1), date(2020, 2, 29)),
    ],
)
def test_nearest_year_picks_the_closest_of_three_years(
    day: int, month: int, near: date, expected: date
) -> None:
    assert nearest_year(day, month, near) == expected


@pytest.mark.parametrize(
    ("day", "month", "near"),
    [
        (31, 2, date(2022, 1, 7)),
        (0, 1, date(2022, 1, 7)),
        (7, 13, date(2022, 1, 7)),
        (29, 2, date(2022, 6, 1)),
    ],
)
def test_nearest_year_rejects_dates_that_cannot_exist_nearby(
    day: int, month: int, near: date
) -> None:
    with pytest.raises(TimestampError, match="impossible date"):
        nearest_year(day, month, near)


@pytest.mark.parametrize(
    ("text", "near", "expected"),
    [
        ("7 January", date(2022, 1, 7), date(2022, 1, 7)),
        ("7 января", date(2022, 1, 7), date(2022, 1, 7)),
        ("Jan. 7", date(2021, 12, 30), date(2022, 1, 7)),
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
def test_nearest_year_keeps_day_and_month_within_half_a_year(near: date, sample: date) -> None:
    if (sample.month, sample.day) == (2, 29):
        sample = sample.replace(day=28)
    result = nearest_year(sample.day, sample.month, near)
    assert (result.month, result.day) == (sample.month, sample.day)
    assert abs((result - near).days) <= 183
    assert abs(result.year - near.year) <= 1


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_either_parses_to_utc_or_raises_timestamp_error(text: str) -> None:
    try:
        result = parse_timestamp(text, tz=MINSK, near=NEAR)
    except TimestampError:
        return
    assert result.tzinfo is UTC


def test_a_dateparser_fallback_that_hangs_is_abandoned(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time

    import dateparser

    import shared.timestamps as timestamps

    monkeypatch.setattr(timestamps, "FALLBACK_SECONDS", 0.2)
    monkeypatch.setattr(dateparser, "parse", lambda *a, **k: time.sleep(2))
    with pytest.raises(TimestampError, match=r"not readable within 0\.2 s"):
        timestamps.parse_timestamp("le septième jour de 2022", tz=ZoneInfo("UTC"))
