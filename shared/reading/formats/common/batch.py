"""All-or-nothing batches (docs/api.md, Batches): every member is read; if any fails, one error
names each failing member's ``index`` and nothing is accepted. A repair made while reading a
member is recorded with that member's ``index`` (shared.reading.repairs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from shared.core.errors import DatelineError, Invalid, Malformed, TimestampError
from shared.core.model import ParsedItem
from shared.reading.collect import bounded
from shared.reading.repairs import collecting, warn

Member = TypeVar("Member")


def read_members(
    members: Sequence[Member],
    read: Callable[[Member], ParsedItem],
    *,
    noun: str,
    bare_single: bool = False,
) -> list[ParsedItem]:
    """Every member read by ``read``, or the combined error. ``noun`` names a member in the
    message ("feed item"); with ``bare_single`` a lone member's error keeps its own detail."""
    items: list[ParsedItem] = []
    failures: list[tuple[int, DatelineError]] = []
    for index, member in enumerate(members):
        try:
            items.append(_read_one(read, member, index))
        except (Malformed, Invalid) as exc:
            failures.append((index, exc))
    if failures:
        raise batch_error(failures, len(members), noun=noun, bare_single=bare_single)
    return items


def _read_one(read: Callable[[Member], ParsedItem], member: Member, index: int) -> ParsedItem:
    """``read(member)``, its repairs passed on to the body's collector with the member's index
    (a reader that already named an index keeps its own)."""
    with collecting() as repairs:
        item = read(member)
    for repair in repairs:
        warn(**{"index": index, **repair})
    return item


def batch_error(
    failures: list[tuple[int, DatelineError]], total: int, *, noun: str, bare_single: bool = False
) -> DatelineError:
    errors = bounded(
        [
            {"index": i, **entry}
            for i, exc in failures
            for entry in exc.errors or [{"message": exc.detail}]
        ]
    )
    kinds = {type(exc) for _, exc in failures}
    error: type[DatelineError] = TimestampError if kinds == {TimestampError} else Invalid
    error = Malformed if Malformed in kinds else error
    if bare_single and total == 1:
        return error(failures[0][1].detail, errors=errors)
    summary = f"{len(failures)} of {total} {noun}s are invalid"
    if len(failures) == 1:
        summary = f"{noun} {failures[0][0]}: {failures[0][1].detail}"
    return error(f"{summary}; nothing was accepted", errors=errors)
