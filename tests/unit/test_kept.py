"""The API's parse kept for the worker (shared/reading/kept.py): read back as it was made, and
never from bytes kept by a model of another shape."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

from shared.core.model import ParseContext, Profile
from shared.reading.kept import SHAPE, keep, restore
from shared.reading.prepare import prepare

PAGE = b"Council approves the city budget\n\nMINSK, 7 January (BelTA) - The budget passed.\n"
WHEN = datetime(2022, 1, 7, 10, 21, tzinfo=UTC)


def _items():  # type: ignore[no-untyped-def]
    return prepare(
        PAGE, "text/plain; charset=utf-8", namespace="belta", profile=Profile(), received_at=WHEN
    )


def test_a_kept_parse_reads_back_equal() -> None:
    items = _items()
    assert restore(keep(items)) == items


def test_nothing_kept_or_another_shape_or_damage_means_parse_again() -> None:
    items = _items()
    assert restore(None) is None
    assert restore(b"") is None
    other = bytes(b ^ 0xFF for b in SHAPE) + pickle.dumps(items)
    assert restore(other) is None
    assert restore(keep(items)[:-7]) is None  # cut short
    assert restore(SHAPE + pickle.dumps(["not", "items"])) is None
    assert restore(SHAPE + pickle.dumps(ParseContext(received_at=WHEN))) is None
