"""Report every problem of a document, not only the first.

``FieldErrors.read`` runs one field's reader and keeps going past an ``Invalid``; ``raise_if_any``
then raises one error that names them all. A client fixing a document sees every field to fix in
one answer. ``errors[]`` holds at most ``MAX_ERRORS`` entries, the last saying how many more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from shared.core.errors import ErrorEntry, Invalid, TimestampError

MAX_ERRORS = 100

T = TypeVar("T")


class FieldErrors:
    def __init__(self) -> None:
        self.failures: list[Invalid] = []

    def read(self, reader: Callable[[], T]) -> T | None:
        """``reader()``, or None (the error kept) when it raises ``Invalid``."""
        try:
            return reader()
        except Invalid as exc:
            self.failures.append(exc)
            return None

    def raise_if_any(self) -> None:
        if len(self.failures) == 1:
            raise self.failures[0]
        if self.failures:
            raise combined(self.failures)


def combined(failures: list[Invalid]) -> Invalid:
    """One error for several: every entry (bounded), the first one's detail in the summary."""
    entries = [e for exc in failures for e in (exc.errors or [{"message": exc.detail}])]
    kind = TimestampError if all(isinstance(f, TimestampError) for f in failures) else Invalid
    return kind(
        f"{len(entries)} problems; the first: {failures[0].detail}", errors=bounded(entries)
    )


def bounded(errors: list[ErrorEntry]) -> list[ErrorEntry]:
    """At most ``MAX_ERRORS`` entries; a last one says how many were left out."""
    if len(errors) <= MAX_ERRORS:
        return errors
    left_out = len(errors) - (MAX_ERRORS - 1)
    return [*errors[: MAX_ERRORS - 1], {"message": f"and {left_out} more problems"}]
