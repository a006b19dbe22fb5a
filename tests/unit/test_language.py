"""shared.reading.language: the whole story decides its language, not its first 80 characters."""

from __future__ import annotations

import pytest

from shared.reading.language import SAMPLE_CHARS, detect_language, normalise_tag

GERMAN = (
    "Die Deutsche Bahn will die Strecke zwischen Hamburg und Berlin bis zum Herbst vollständig "
    "sanieren. Während der Bauarbeiten fahren die Fernzüge über Umleitungen, die Fahrzeit "
    "verlängert sich um etwa 45 Minuten. Nach Angaben des Unternehmens werden auf rund 280 "
    "Kilometern Gleise, Weichen und Oberleitungen erneuert."
)
ENGLISH_NOTE = (
    "Editor's note: This story replaces the version sent at 10:12 with a corrected figure."
)


def test_a_german_story_with_an_english_first_line_is_german() -> None:
    assert detect_language(f"{ENGLISH_NOTE}\n\n{GERMAN}") == "de"


def test_the_english_first_line_alone_is_english() -> None:
    assert detect_language(ENGLISH_NOTE) == "en"


def test_line_breaks_do_not_cut_the_sample() -> None:
    lines = "\n".join(GERMAN.split(". "))
    assert detect_language(f"Breaking news from the wire\n{lines}") == "de"


def test_a_long_story_is_read_from_a_bounded_sample() -> None:
    story = "Le gouvernement a présenté mercredi son projet de budget pour l'année prochaine. "
    assert len(story * 100) > SAMPLE_CHARS
    assert detect_language(story * 100) == "fr"


@pytest.mark.parametrize(
    ("text", "hints", "expected"),
    [
        ("Kort.", ("nb",), "nb"),  # too short to guess: the partner's first language
        ("Kort.", (), None),
        ("", ("be", "ru"), "be"),
        ("Навіны", ("be",), "be"),
    ],
)
def test_short_text_falls_back_to_the_partner_language(
    text: str, hints: tuple[str, ...], expected: str | None
) -> None:
    assert detect_language(text, hints=hints) == expected


def test_a_confident_guess_wins_over_the_partner_hint() -> None:
    assert detect_language(GERMAN, hints=("en",)) == "de"


def test_an_all_capitals_story_is_still_recognised() -> None:
    assert detect_language(GERMAN.upper()) == "de"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en-gb", "en-GB"), ("EN", "en"), ("zh_hant_tw", "zh-Hant-TW"), ("", None), ("1x", None)],
)
def test_tags_are_put_in_bcp47_case(tag: str, expected: str | None) -> None:
    assert normalise_tag(tag) == expected
