"""Versions and kills (docs/api.md, Verdicts and versions), as pure decisions: no I/O here.

Version order: numeric versions compare as numbers; otherwise, and on ties, the later
``versioncreated``, then the later arrival. ``decide_version`` says what one incoming version
does to its item; ``shared.db.items`` applies that under the item's row lock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from shared.core.model import PubStatus, Verdict

_NUMERIC = re.compile(r"^\d{1,30}(?:\.\d{1,10})?$")


def numeric_version(version: str | None) -> Decimal | None:
    if version is None or not _NUMERIC.match(version):
        return None
    return Decimal(version)


@dataclass(frozen=True, slots=True)
class VersionStamp:
    version: str | None
    versioncreated: datetime
    received_at: datetime


_Ordered = TypeVar("_Ordered", Decimal, datetime)


def _sign(a: _Ordered, b: _Ordered) -> int:
    return (a > b) - (a < b)


def compare(new: VersionStamp, current: VersionStamp) -> int:
    """1 if ``new`` should become current, -1 if it is older, 0 if nothing tells them apart."""
    a, b = numeric_version(new.version), numeric_version(current.version)
    if a is not None and b is not None and a != b:
        return _sign(a, b)
    if new.versioncreated != current.versioncreated:
        return _sign(new.versioncreated, current.versioncreated)
    return _sign(new.received_at, current.received_at)


@dataclass(frozen=True, slots=True)
class VersionState:
    """What the decision reads of a version: its place in version order and its pubstatus."""

    stamp: VersionStamp
    pubstatus: str


@dataclass(frozen=True, slots=True)
class VersionStep:
    """What one incoming version does to its item."""

    verdict: Verdict  # NEW, NEW_VERSION, STALE, DUPLICATE or KILLED
    current: bool  # its text becomes the item's current one (a new item, or newer in order)
    latest: bool  # it becomes the item's latest change (the change feed's): current, or a kill
    pubstatus: str  # the item's pubstatus afterwards
    hand_over: bool  # a visible item is killed: its oldest live copy takes its place
    live: bool  # the item's current text takes part in dedupe afterwards

    @property
    def canceled(self) -> bool:
        """The item is canceled afterwards: its document says so and its band keys go."""
        return self.pubstatus == PubStatus.CANCELED

    @property
    def recorded(self) -> bool:
        """Whether the version is stored at all (a duplicate is not)."""
        return self.verdict != Verdict.DUPLICATE


def decide_version(
    new: VersionState, stored: VersionState | None, *, seen: bool = False
) -> VersionStep:
    """The step for ``new`` given the item as ``stored`` (None: a new (partner, uri)).

    ``seen``: a version with the same version, fingerprint and pubstatus is already recorded
    for the stored item (then ``new`` is a duplicate and nothing changes). A kill cancels the
    item whatever its version and is its latest change; a canceled item stays canceled, and a
    later version is recorded but never makes it live again.
    """
    kill = new.pubstatus == PubStatus.CANCELED
    if stored is None:
        return VersionStep(
            verdict=Verdict.KILLED if kill else Verdict.NEW,
            current=True,
            latest=True,
            pubstatus=new.pubstatus,
            hand_over=False,  # nobody has copied an item that did not exist
            live=not kill,
        )
    was_canceled = stored.pubstatus == PubStatus.CANCELED
    if seen:
        return VersionStep(
            verdict=Verdict.DUPLICATE,
            current=False,
            latest=False,
            pubstatus=stored.pubstatus,
            hand_over=False,
            live=False,
        )
    newer = compare(new.stamp, stored.stamp) > 0
    canceled = kill or was_canceled
    pubstatus: str
    if kill:
        verdict, pubstatus = Verdict.KILLED, PubStatus.CANCELED
    elif newer:  # current, but a canceled item is never made live again
        verdict = Verdict.NEW_VERSION
        pubstatus = PubStatus.CANCELED if was_canceled else new.pubstatus
    else:
        verdict, pubstatus = Verdict.STALE, stored.pubstatus
    return VersionStep(
        verdict=verdict,
        current=newer,
        latest=newer or kill,
        pubstatus=pubstatus,
        hand_over=kill and not was_canceled,
        live=newer and not canceled,
    )
