"""shared.reading.dateline: a lead at the very start of a paragraph, never an ordinary sentence."""

from __future__ import annotations

from datetime import date

import pytest

from shared.core.errors import TimestampError
from shared.core.model import Dateline
from shared.reading.dateline import find_dateline, title_case

NEAR = date(2022, 1, 7)


@pytest.mark.parametrize(
    ("text", "dateline", "story"),
    [
        (
            "MINSK, 7 January (BelTA) – Belarus will host the forum.",
            Dateline("Minsk", date(2022, 1, 7), "BelTA", "MINSK, 7 January (BelTA)"),
            "Belarus will host the forum.",
        ),
        (
            "МИНСК, 7 января (БЕЛТА) – Беларусь примет форум.",
            Dateline("Минск", date(2022, 1, 7), "БЕЛТА", "МИНСК, 7 января (БЕЛТА)"),
            "Беларусь примет форум.",
        ),
        (
            "NEW YORK (AP) _ Stocks fell on Friday.",
            Dateline("New York", None, "AP", "NEW YORK (AP)"),
            "Stocks fell on Friday.",
        ),
        (
            "Berlin (dpa) - Die Bahn streikt.",
            Dateline("Berlin", None, "dpa", "Berlin (dpa)"),
            "Die Bahn streikt.",
        ),
        (
            "LONDON, Jan. 7 (Reuters) - Oil prices rose.",
            Dateline("London", date(2022, 1, 7), "Reuters", "LONDON, Jan. 7 (Reuters)"),
            "Oil prices rose.",
        ),
        (
            "PARIS, 7 janvier (AFP) -Le gouvernement a annoncé.",
            Dateline("Paris", date(2022, 1, 7), "AFP", "PARIS, 7 janvier (AFP)"),
            "Le gouvernement a annoncé.",
        ),
        (
            "WASHINGTON, January 6 (AP) — Congress met.",
            Dateline("Washington", date(2022, 1, 6), "AP", "WASHINGTON, January 6 (AP)"),
            "Congress met.",
        ),
        (
            "BREST, 31 December (BelTA) — The border crossing reopened.",
            Dateline("Brest", date(2021, 12, 31), "BelTA", "BREST, 31 December (BelTA)"),
            "The border crossing reopened.",
        ),
        (
            "RIO DE JANEIRO, 2 February (Reuters) -- Carnival was cancelled.",
            Dateline(
                "Rio de Janeiro",
                date(2021, 2, 2),  # read on 7 January 2022: a dateline names the past
                "Reuters",
                "RIO DE JANEIRO, 2 February (Reuters)",
            ),
            "Carnival was cancelled.",
        ),
        (
            "ROSTOV-ON-DON, 7 January – Snow closed the airport.",
            Dateline("Rostov-on-Don", date(2022, 1, 7), None, "ROSTOV-ON-DON, 7 January"),
            "Snow closed the airport.",
        ),
        (
            "ST. PETERSBURG, Dec. 30 (Reuters) - The port froze.",
            Dateline(
                "St. Petersburg", date(2021, 12, 30), "Reuters", "ST. PETERSBURG, Dec. 30 (Reuters)"
            ),
            "The port froze.",
        ),
        (
            "SPRINGFIELD, Ill. (AP) — A tornado hit the town.",
            Dateline("Springfield, Ill.", None, "AP", "SPRINGFIELD, Ill. (AP)"),
            "A tornado hit the town.",
        ),
        (
            "WASHINGTON, Jan. 7, 2021 (AP) — A year earlier.",
            Dateline("Washington", date(2021, 1, 7), "AP", "WASHINGTON, Jan. 7, 2021 (AP)"),
            "A year earlier.",
        ),
        (
            "  GOMEL, 8 January (BelTA) –The fair opened.",
            Dateline("Gomel", date(2022, 1, 8), "BelTA", "GOMEL, 8 January (BelTA)"),
            "The fair opened.",
        ),
        (
            "MINSK – Belarus will host the regional forum of young scientists in the capital this "
            "spring, the organisers said.",
            Dateline("Minsk", None, None, "MINSK"),
            "Belarus will host the regional forum of young scientists in the capital this spring, "
            "the organisers said.",
        ),
    ],
)
def test_a_lead_gives_the_dateline_and_where_the_story_begins(
    text: str, dateline: Dateline, story: str
) -> None:
    found = find_dateline(text, near=NEAR)
    assert found is not None
    assert found[0] == dateline
    assert text[found[1] :] == story


@pytest.mark.parametrize(
    "text",
    [
        "Grodno Oblast to build new rural health centres this year",
        "Vitebsk hosts the festival as planned - not in autumn.",
        "The President (pictured) - said the talks went well.",
        "Minsk Mayor Ivan Petrov (left) - spoke first.",
        "Minsk-based firms said - no more.",
        "NATO – Russia talks end without deal",
        "Speaking in Minsk, 7 January (BelTA) – the minister said.",
        "Minsk, Brest, Grodno, Gomel and Vitebsk (BelTA) – all regions.",
        "7 January (BelTA) – no place given.",
        "",
    ],
)
def test_ordinary_sentences_are_not_datelines(text: str) -> None:
    assert find_dateline(text, near=NEAR) is None


def test_without_near_the_lead_has_no_date_unless_it_writes_the_year() -> None:
    assert find_dateline("MINSK, 7 January (BelTA) – Text.", near=None) == (
        Dateline("Minsk", None, "BelTA", "MINSK, 7 January (BelTA)"),
        27,
    )
    assert find_dateline("MINSK, 7 January 2022 (BelTA) – Text.", near=None) == (
        Dateline("Minsk", date(2022, 1, 7), "BelTA", "MINSK, 7 January 2022 (BelTA)"),
        32,
    )


def test_the_year_is_the_stamps_own_across_new_year() -> None:
    first = find_dateline("MINSK, 1 January (BelTA) – Text.", near=date(2021, 12, 31))
    last = find_dateline("MINSK, 31 December (BelTA) – Text.", near=date(2022, 1, 1))
    assert first is not None and first[0].date == date(2022, 1, 1)
    assert last is not None and last[0].date == date(2021, 12, 31)


@pytest.mark.parametrize(
    ("text", "near", "expected"),
    [
        ("GENEVA, 3 May (dpa) - Talks ended.", date(2026, 12, 2), date(2026, 5, 3)),
        ("GENEVA, 5 December (dpa) - Talks ended.", date(2026, 12, 2), date(2026, 12, 5)),
        ("GENEVA, 6 December (dpa) - Talks ended.", date(2026, 12, 2), date(2025, 12, 6)),
        ("GENEVA, 3.5. (dpa) - Talks ended.", date(2026, 12, 2), date(2026, 5, 3)),
    ],
)
def test_a_yearless_dateline_is_in_the_past_or_at_most_three_days_ahead(
    text: str, near: date, expected: date
) -> None:
    patterns = [r"(?P<located>[A-Z]+), (?P<date>[\d.]+) \((?P<source>\w+)\) - "]
    found = find_dateline(text, near=near, patterns=patterns if "3.5." in text else ())
    assert found is not None and found[0].date == expected


def test_an_impossible_date_in_a_lead_raises_rather_than_guessing() -> None:
    with pytest.raises(TimestampError, match="impossible date"):
        find_dateline("MINSK, 31 February (BelTA) – Text.", near=NEAR)
    with pytest.raises(TimestampError, match="impossible date in dateline"):
        find_dateline("MINSK, 29 February 2022 (BelTA) – Text.", near=None)


def test_partner_patterns_are_tried_first_with_their_named_groups() -> None:
    patterns = [r"(?P<located>[A-Z]+)/(?P<date>[^/]+)/(?P<source>\w+):"]
    assert find_dateline("MINSK/7 January/BelTA: Text.", near=NEAR, patterns=patterns) == (
        Dateline("Minsk", date(2022, 1, 7), "BelTA", "MINSK/7 January/BelTA:"),
        23,
    )
    before_generic = [r"(?P<located>MINSK), (?P<date>7 January)"]
    assert find_dateline(
        "MINSK, 7 January (BelTA) – Text.", near=NEAR, patterns=before_generic
    ) == (Dateline("Minsk", date(2022, 1, 7), None, "MINSK, 7 January"), 17)


def test_a_partner_pattern_may_leave_the_dash_and_a_numeric_date_to_us() -> None:
    patterns = [r"(?P<located>[A-Z]+) (?P<date>\d{1,2}\.\d{1,2})"]
    assert find_dateline("MOGILEV 31.12 – Text.", near=NEAR, patterns=patterns) == (
        Dateline("Mogilev", date(2021, 12, 31), None, "MOGILEV 31.12"),
        16,
    )


def test_when_no_partner_pattern_matches_the_generic_rules_still_apply() -> None:
    found = find_dateline("NEW YORK (AP) _ Text.", near=NEAR, patterns=[r"(?P<located>XYZ)"])
    assert found == (Dateline("New York", None, "AP", "NEW YORK (AP)"), 16)


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("MINSK", "Minsk"),
        ("NEW YORK", "New York"),
        ("МИНСК", "Минск"),
        ("NUR-SULTAN", "Nur-Sultan"),
        ("FRANKFURT AM MAIN", "Frankfurt am Main"),
        ("O'HARE", "O'Hare"),
        ("Rio de Janeiro", "Rio de Janeiro"),
    ],
)
def test_places_are_title_cased_and_mixed_case_is_kept(place: str, expected: str) -> None:
    assert title_case(place) == expected
