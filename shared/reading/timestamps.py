"""Reading timestamps from wire copy (docs/api.md, Items: ``firstcreated``, ``versioncreated``).

Guarantees: every function returns an aware UTC ``datetime`` (or a ``date``) or raises
``TimestampError`` with a message naming the text and the impossible part; nothing guesses, and
only ``optional_timestamp`` returns None on failure (an optional date is dropped with a warning).
An instant outside ``datetime``'s range (year 9999 moved across an offset) is a ``TimestampError``
too, never an ``OverflowError``. Naive times are read in the partner's ``tz`` with zoneinfo
semantics (``fold=0`` in DST gaps and overlaps). Cheap parsers run first (ISO 8601 / RFC 3339 in
extended or basic form, RFC 2822, English/Russian/French human formats); dateparser is a capped
last resort. A date written without a year is in the past, or at most ``AHEAD`` after its
reference (see ``recent_date``).
"""

from __future__ import annotations

import email.utils
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from shared.core.errors import TimestampError
from shared.reading.repairs import warn

MAX_FALLBACK_CHARS = 80
# How far after its reference (the item's stamp, else its arrival) a yearless date may fall: a day
# for time zones, two more for previews sent ahead under embargo.
AHEAD = timedelta(days=3)
FALLBACK_SECONDS = 1.0
# dateparser runs here so a slow parse can be abandoned; a few threads so one stuck parse
# does not stall the others.
_FALLBACK = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dateparser")


def _fresh_pool() -> None:  # a forked child (Celery prefork) cannot use its parent's threads
    global _FALLBACK
    _FALLBACK = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dateparser")


os.register_at_fork(after_in_child=_fresh_pool)
FALLBACK_LANGUAGES: tuple[str, ...] = ("en", "ru")

_MONTH_NAMES = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "янв фев мар апр май июн июл авг сен окт ноя дек",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "janv févr mars avr mai juin juil août sept oct nov déc",
)
MONTHS: dict[str, int] = {
    name: number for row in _MONTH_NAMES for number, name in enumerate(row.split(), start=1)
} | {"sept": 9, "февр": 2, "сент": 9, "нояб": 11, "fevrier": 2, "aout": 8, "decembre": 12}

# Fixed offsets (hours) for the zone abbreviations wire copy uses; ambiguous ones (IST) are absent.
# fmt: off
ZONES: dict[str, int] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "WEST": 1, "CET": 1, "CEST": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "МСК": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}
# fmt: on

ZONE_PATTERN = "|".join(sorted(ZONES, key=len, reverse=True))
MONTH_PATTERN = "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True))
# "7 January", "7 января", "Jan. 7", "January 7" (named groups d1/m1 or m2/d2); no year.
DAY_MONTH_PATTERN = (
    rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th|-?го|-?е)?\s+(?P<m1>{MONTH_PATTERN})\.?"
    rf"|(?P<m2>{MONTH_PATTERN})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?)(?![\w])"
)
_WEEKDAY = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?"
    r"|fri|sat|sun|понедельник|вторник|среда|четверг|пятница|суббота|воскресенье"
    r"|пн|вт|ср|чт|пт|сб|вс|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\.?,?\s+)?"
)
_LIMITS = ((1, 9999), (1, 12), (0, 23), (0, 59), (0, 59))
_TIME = (
    r"(?:\s*(?:,|\bat\b|\bв\b|\||-|–|—)?\s*(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?\s?m\b\.?)?)?"
)
_ZONE = rf"(?:\s*\(?(?P<zone>(?:UTC|GMT)?\s*[+−-]\d{{1,2}}(?::?\d{{2}})?|(?:{ZONE_PATTERN})\b)\)?)?"
_HUMAN = re.compile(
    rf"^{_WEEKDAY}{DAY_MONTH_PATTERN}(?:,?\s+(?P<y>\d{{4,6}}))?(?:\s*г(?:\.|ода\b)?)?,?"
    rf"{_TIME}{_ZONE}\s*$",
    re.IGNORECASE,
)
_DOTTED = re.compile(
    rf"^(?P<d>\d{{1,2}})\.(?P<mo>\d{{1,2}})\.(?P<y>\d{{4,6}})\.?,?{_TIME}{_ZONE}\s*$"
)
_ISO = re.compile(
    r"^(?P<y>\d{4,6})-?(?P<mo>\d{2})-?(?P<d>\d{2})(?:[Tt ](?P<h>\d{2})(?::?(?P<mi>\d{2})"
    r"(?::?(?P<s>\d{2})(?:[.,]\d+)?)?)?)?\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_RFC2822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+(?P<y>\d{2,4})\s+\d{1,2}:\d{2}(?::\d{2})?"
    rf"(?:\s+(?P<zone>[+-]\d{{4}}|{ZONE_PATTERN}))?$",
    re.IGNORECASE,
)

_AMBIGUOUS = re.compile(r"^(0?[1-9]|1[0-2])[/-](0?[1-9]|1[0-2])[/-]\d{2,4}\b")


def _fail(text: str, problem: str) -> TimestampError:
    return TimestampError(f"cannot use timestamp {text!r}: {problem}")


def _offset(text: str, zone: str) -> tzinfo:
    """A fixed offset for ``Z``, ``EST``, ``+0300``, ``GMT+3``; rejects |offset| >= 24 h."""
    key = zone.strip().upper()
    if key in ZONES:
        return timezone(timedelta(hours=ZONES[key]))
    m = re.fullmatch(r"(?:UTC|GMT)?\s*([+−-])(\d{1,2}):?(\d{2})?", key)
    if not m:
        raise _fail(text, f"unknown time zone {zone!r}")
    hours, minutes = int(m[2]), int(m[3] or 0)
    if hours > 23 or minutes > 59:
        raise _fail(text, f"offset {zone.strip()} is out of range")
    sign = -1 if m[1] in "-−" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(
    text: str,
    y: int,
    mo: int,
    d: int,
    h: int = 0,
    mi: int = 0,
    s: int = 0,
    zone: tzinfo | None = None,
    *,
    tz: tzinfo,
) -> datetime:
    """Validate each field with a clear message, then localise (zoneinfo, fold=0) and go UTC."""
    names, values, limits = (
        ("year", "month", "hour", "minute", "second"),
        (y, mo, h, mi, s),
        _LIMITS,
    )
    for name, value, (low, high) in zip(names, values, limits, strict=True):
        if not low <= value <= high:
            raise _fail(text, f"{name} {value} is out of range {low}..{high}")
    try:
        local = datetime(y, mo, d, h, mi, s, tzinfo=tz if zone is None else zone, fold=0)
        return local.astimezone(UTC)
    except ValueError:
        raise _fail(text, f"day {d} does not exist in {y:04d}-{mo:02d}") from None
    except OverflowError:
        raise _fail(text, "the instant is outside the representable range") from None


def _to_utc(text: str, value: datetime, tz: tzinfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz, fold=0)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise _fail(text, "the instant is outside the representable range") from None


def _hour24(text: str, hour: int, ampm: str | None) -> int:
    if not ampm:
        return hour
    if not 1 <= hour <= 12:
        raise _fail(text, f"hour {hour} is out of range for a 12-hour clock")
    return hour % 12 + (12 if ampm.lower().startswith("p") else 0)


def _year(
    text: str, raw: str | None, day: int, month: int, near: datetime | None, tz: tzinfo
) -> int:
    if raw:
        return int(raw)
    if near is None:
        raise _fail(text, "no year given and no reference date to choose one")
    reference = local_date(near, tz) if near.tzinfo else near.date()
    return recent_date(day, month, reference).year


def _iso(text: str, tz: tzinfo) -> datetime | None:
    try:
        return _to_utc(text, datetime.fromisoformat(text.upper()), tz)
    except ValueError:
        pass
    m = _ISO.match(text)
    if m is None:
        return None
    zone = _offset(text, m["zone"]) if m["zone"] else None
    y, mo, d, h, mi, s = (int(m[k] or 0) for k in ("y", "mo", "d", "h", "mi", "s"))
    return _build(text, y, mo, d, h, mi, s, zone, tz=tz)  # an out-of-range field: a clear error


def _rfc2822(text: str, tz: tzinfo) -> datetime | None:
    m = _RFC2822.match(text)
    # email.utils._parsedate_tz is private, so typeshed does not declare it.
    parsed = email.utils._parsedate_tz(text) if m else None  # type: ignore[attr-defined]
    if m is None or parsed is None:
        return None
    year = int(m["y"]) if len(m["y"]) == 4 else parsed[0]  # email.utils shifts "0050" to 2050
    zone = _offset(text, m["zone"]) if m["zone"] else None  # "-0000" (zone unknown) is UTC too
    mo, d, h, mi, s = parsed[1:6]
    return _build(text, year, mo, d, h, mi, s, zone, tz=tz)


def _human(text: str, tz: tzinfo, near: datetime | None, need_time: bool) -> datetime | None:
    m = _HUMAN.match(text) or _DOTTED.match(text)
    if m is None or (need_time and m["h"] is None):
        return None
    if "mo" in m.re.groupindex:
        day, month = int(m["d"]), int(m["mo"])
    else:
        day, month = int(m["d1"] or m["d2"]), MONTHS[(m["m1"] or m["m2"]).lower()]
    year = _year(text, m["y"], day, month, near, tz)
    zone = _offset(text, m["zone"]) if m["zone"] else None
    hour = _hour24(text, int(m["h"] or 0), m["ampm"])
    return _build(text, year, month, day, hour, int(m["mi"] or 0), int(m["s"] or 0), zone, tz=tz)


def _dateparser(
    text: str, tz: tzinfo, near: datetime | None, languages: Sequence[str]
) -> datetime | None:
    import dateparser  # 50 ms to import: only for the rare fallback

    settings: dict[str, object] = {"PARSERS": ["absolute-time"]}
    if near is not None:
        settings["RELATIVE_BASE"] = (near.astimezone(tz) if near.tzinfo else near).replace(
            tzinfo=None
        )
    future = _FALLBACK.submit(dateparser.parse, text, languages=list(languages), settings=settings)
    try:
        value = future.result(timeout=FALLBACK_SECONDS)
    except FutureTimeout:  # dateparser #1185: some inputs take minutes; never wait for them
        raise _fail(text, f"not readable within {FALLBACK_SECONDS} s") from None
    except (ValueError, OverflowError) as exc:  # dateparser's own range checks
        raise _fail(text, str(exc)) from None
    if value is None:
        return None
    if near is not None and not re.search(r"\d{4}", text):  # dateparser takes near's year
        value = value.replace(year=_year(text, None, value.day, value.month, near, tz))
    return _to_utc(text, value, tz)


def warm_up() -> None:
    """Load dateparser and its language data now, in a server process: a cold first fallback
    costs several times the usual, which on a busy machine can exceed the fallback's bound and
    make a readable date look unreadable."""
    import dateparser

    for text in ("7 January 2022 13:21", "7 января 2022 13:21"):
        dateparser.parse(
            text, languages=list(FALLBACK_LANGUAGES), settings={"PARSERS": ["absolute-time"]}
        )


def parse_stamp(text: str, *, tz: ZoneInfo, near: datetime | None = None) -> datetime | None:
    """Read a line that is only a date with a time (ISO, RFC 2822 or a human format).

    Returns None when the line is not shaped like a date+time (dateparser is never used);
    raises ``TimestampError`` when it is shaped like one but impossible (31 February).
    """
    text = " ".join(text.split())
    iso = _ISO.match(text)
    if iso is not None and iso["h"] is not None:
        return _iso(text, tz)
    return _rfc2822(text, tz) or _human(text, tz, near, need_time=True)


def parse_timestamp(
    text: str,
    *,
    tz: ZoneInfo,
    near: datetime | None = None,
    languages: Sequence[str] = FALLBACK_LANGUAGES,
) -> datetime:
    """Return the aware UTC instant ``text`` names, or raise ``TimestampError``.

    ``near`` supplies a missing year (``recent_date``) and dateparser's relative base. Input longer
    than ``MAX_FALLBACK_CHARS`` is not given to dateparser.
    """
    text = " ".join(text.split())
    if not text:
        raise _fail(text, "it is empty")
    value = _iso(text, tz) or _rfc2822(text, tz) or _human(text, tz, near, need_time=False)
    if value is not None:
        return value
    ambiguous = _AMBIGUOUS.match(text)
    if ambiguous and int(ambiguous[1]) != int(ambiguous[2]):
        raise _fail(text, "day and month order is ambiguous")
    if len(text) <= MAX_FALLBACK_CHARS and re.search(r"\d", text):
        value = _dateparser(text, tz, near, languages)
        if value is not None:
            return value
    raise _fail(text, "no known date format matches")


def optional_timestamp(read: Callable[[], datetime | None], *, field: str) -> datetime | None:
    """``read()`` for an optional date (embargo, expiry, release), or None with a ``date_dropped``
    warning when it raises ``TimestampError``.

    Agencies send optional dates as unfilled templates (``YYYYMMDDTHHMMSS+0000``, ``{{embargo}}``);
    such a date must not cost the story. ``read`` is the format's own strict reader, so the warning
    names the JSON Pointer or line its error names (``field`` otherwise). Creation dates are read
    directly: an impossible one stays a 422.
    """
    try:
        return read()
    except TimestampError as exc:
        where = exc.errors[0] if exc.errors else {}
        warn(
            "date_dropped",
            f"{exc.detail}; the optional date was left out",
            field=where.get("field", field),
            line=where.get("line"),
        )
        return None


def local_date(stamp: datetime, tz: tzinfo) -> date:
    """The calendar date of the aware ``stamp`` in ``tz``; ``TimestampError`` when that lies
    outside ``datetime``'s range (9999-12-31T23:30Z is already year 10000 at +03:00)."""
    try:
        return stamp.astimezone(tz).date()
    except OverflowError:
        raise TimestampError(
            f"cannot use timestamp {stamp.isoformat()}: in {tz} it falls outside the "
            "representable range"
        ) from None


def recent_date(day: int, month: int, reference: date) -> date:
    """The latest date ``day``/``month`` no later than ``reference`` + ``AHEAD``.

    Datelines and yearless stamps name the past (a dateline is written when the story is), or a
    day or two ahead across time zones or under embargo: "3 May" read on 2 December is this
    year's, not next year's. Only the year before the reference, its own year and the next are
    tried, so 29 February three years back is not reached for: ``TimestampError`` then, as for
    an impossible day/month.
    """
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise TimestampError(f"impossible date: day {day} of month {month}")
    for year in (reference.year + 1, reference.year, reference.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # no 29 February that year, or beyond year 1..9999
            continue
        if candidate - reference <= AHEAD:  # a difference: no overflow at 9999-12-31
            return candidate
    raise TimestampError(f"impossible date: day {day} of month {month} near {reference}")


def parse_day_month(text: str, *, near: date) -> date:
    """Read "7 January", "7 января", "Jan. 7", "January 7" with its year from ``recent_date``."""
    m = re.fullmatch(DAY_MONTH_PATTERN, " ".join(text.split()), re.IGNORECASE)
    if m is None:
        raise TimestampError(f"unreadable day and month {text!r}")
    day, month = int(m["d1"] or m["d2"]), MONTHS[(m["m1"] or m["m2"]).lower()]
    return recent_date(day, month, near)
