"""Shapes a hostile partner could send to the lenient readers (found by review): each costs time
in proportion to its size, and none smuggles an altered identifier or a wrong number through.

The scaling checks compare the best of three CPU times at sizes N and 2N: a ratio, never a
wall-clock limit, so a busy machine does not fail them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from shared.core.errors import Invalid
from shared.core.model import Profile
from shared.reading.formats import iptc7901
from shared.reading.formats.newsml_g2_meta import pseudo_markup
from shared.reading.normalise import clean_identifier
from shared.reading.prepare import prepare

RECEIVED = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def cpu(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return max(best, 1e-4)


def doubling_ratio(make: Callable[[int], Callable[[], object]], n: int) -> float:
    """The lowest of three measurements: noise only ever raises a ratio; quadratic work makes
    every one of them about 4."""
    return min(cpu(make(2 * n)) / cpu(make(n)) for _ in range(3))


def rbnews(content: str) -> bytes:
    return (
        "<RBNews><NewsID>x</NewsID><headline>H</headline>"
        f"<PublishDate>2026-05-04T11:00:00</PublishDate><content>{content}</content></RBNews>"
    ).encode()


def g2_with_header(children: int) -> bytes:
    junk = "<Foo/>" * children
    items = "".join(
        f'<newsItem guid="urn:x:{n}" version="1" standard="NewsML-G2" standardversion="2.29">'
        '<itemMeta><itemClass qcode="ninat:text"/><versionCreated>2026-05-04T10:00:00Z'
        "</versionCreated></itemMeta><contentMeta><headline>H</headline></contentMeta>"
        "</newsItem>"
        for n in range(20)
    )
    return (
        '<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header>'
        f"<sent>2026-05-04T10:00:00Z</sent>{junk}</header><itemSet>{items}</itemSet></newsMessage>"
    ).encode()


def parse(raw: bytes, content_type: str = "application/xml") -> object:
    return prepare(raw, content_type, namespace="x", profile=Profile(), received_at=RECEIVED)


@pytest.mark.parametrize(
    ("name", "make", "n"),
    [
        ("STT dash over a run of spaces",
         lambda n: lambda: pseudo_markup("&lt;endash&gt;" + " " * n + "x"), 500_000),
        ("7901 notice with spaces after Eds",
         lambda n: lambda: iptc7901._NOTICE.fullmatch("(Eds" + " " * n + "x"), 500_000),
        ("RBNews paragraphs of lines",
         lambda n: lambda: parse(rbnews("&lt;p&gt;a&lt;br&gt;b&lt;/p&gt;" * n)), 2_000),
        ("G2 header with many unknown children",
         lambda n: lambda: parse(g2_with_header(n)), 2_000),
    ],
)  # fmt: skip
def test_hostile_shapes_cost_time_in_proportion_to_their_size(
    name: str, make: Callable[[int], Callable[[], object]], n: int
) -> None:
    assert doubling_ratio(make, n) < 3, name


def test_an_embargo_notice_names_a_time_and_a_headline_that_starts_with_embargo_stays() -> None:
    assert iptc7901._STATUS.fullmatch("Embargo: 1200 GMT")
    assert iptc7901._STATUS.fullmatch("Sperrfrist: 3. Mai, 12.00 Uhr")
    assert not iptc7901._STATUS.fullmatch("Embargo: EU extends sanctions on Russian oil")


@pytest.mark.parametrize("value", ["u\u200ex", "u\u00a0x", "u\u2028x", "u\u00adx", "u\u2060x"])
def test_identifiers_with_invisible_or_odd_spaces_are_refused_not_rewritten(value: str) -> None:
    with pytest.raises(Invalid) as refused:
        clean_identifier(value, field="uri", limit=100)
    assert refused.value.errors[0]["field"] == "/uri"


def test_an_identifier_is_trimmed_but_never_folded() -> None:
    assert clean_identifier("  urn:x:a  b ", field="uri", limit=100) == "urn:x:a  b"


@pytest.mark.parametrize(
    ("label", "number"), [("3", 3), ("²", None), ("99", None), ("9" * 5000, None)]
)
def test_only_numbers_from_0_to_9_are_priorities(label: str, number: int | None) -> None:
    assert Profile().label_number("priority", label) == number


def test_word_count_is_linear_on_runs_of_punctuation() -> None:
    from shared.reading.normalise import word_count

    assert word_count("a & b && c-d") == 3
    assert doubling_ratio(lambda n: lambda: word_count("&" * n), 200_000) < 3
