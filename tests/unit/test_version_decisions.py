"""Version order and what one incoming version does to its item (docs/api.md, Verdicts and
versions), as pure decisions: no database here (tests/integration and tests/e2e apply them)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.core.model import PubStatus, Verdict
from shared.matching.versions import (
    VersionStamp,
    VersionState,
    VersionStep,
    compare,
    decide_version,
    numeric_version,
)

T0 = datetime(2022, 1, 7, 10, 0, tzinfo=UTC)
USABLE, WITHHELD, CANCELED = PubStatus.USABLE, PubStatus.WITHHELD, PubStatus.CANCELED


def stamp(version: str | None, minutes: int = 0, arrived: int = 0) -> VersionStamp:
    return VersionStamp(version, T0 + timedelta(minutes=minutes), T0 + timedelta(hours=arrived))


def state(version: str | None, pubstatus: str = USABLE, minutes: int = 0) -> VersionState:
    return VersionState(stamp(version, minutes), pubstatus)


OLD, NEW = state("1"), state("2")  # the stored item's version, and a newer one


# Version order.


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2", "2"),
        ("1.10", "1.1"),
        ("007", "7"),
        ("v2", None),
        ("1.", None),
        ("", None),
        (None, None),
    ],
)
def test_numeric_versions(text: str | None, number: str | None) -> None:
    assert numeric_version(text) == (None if number is None else Decimal(number))


@pytest.mark.parametrize(
    ("new", "current", "sign"),
    [
        (stamp("10", 0), stamp("9", 60), 1),  # numbers compare as numbers, before any time
        (stamp("1.5", 60), stamp("2", 0), -1),
        (stamp("1.10", 60), stamp("1.1", 0), 1),  # the same number: the later versioncreated
        (stamp("b", 60), stamp("a", 0), 1),  # not numbers: the later versioncreated
        (stamp("2", 60), stamp(None, 0), 1),  # only one a number: the later versioncreated
        (stamp(None, 0), stamp(None, 60), -1),
        (stamp("1", 0, arrived=1), stamp("1", 0), 1),  # all else equal: the later arrival
        (stamp("1", 0), stamp("1", 0), 0),
    ],
)
def test_version_order(new: VersionStamp, current: VersionStamp, sign: int) -> None:
    assert compare(new, current) == sign
    assert compare(current, new) == -sign


# What a version does.


def step(
    verdict: Verdict,
    *,
    current: bool = False,
    latest: bool = False,
    pubstatus: str = USABLE,
    hand_over: bool = False,
    live: bool = False,
) -> VersionStep:
    return VersionStep(verdict, current, latest, pubstatus, hand_over, live)


@pytest.mark.parametrize("pubstatus", [USABLE, WITHHELD])
def test_a_new_uri_is_a_new_live_item(pubstatus: PubStatus) -> None:
    assert decide_version(state("1", pubstatus), None) == step(
        Verdict.NEW, current=True, latest=True, pubstatus=pubstatus, live=True
    )


def test_a_new_uri_sent_canceled_is_a_kill_with_nobody_to_hand_over_to() -> None:
    assert decide_version(state("1", CANCELED), None) == step(
        Verdict.KILLED, current=True, latest=True, pubstatus=CANCELED
    )


def test_seen_means_nothing_for_a_new_uri() -> None:
    assert decide_version(NEW, None, seen=True).verdict == Verdict.NEW


@pytest.mark.parametrize("stored", [OLD, state("1", WITHHELD), state("1", CANCELED)])
def test_a_version_already_recorded_is_a_duplicate_that_changes_nothing(
    stored: VersionState,
) -> None:
    decided = decide_version(NEW, stored, seen=True)
    assert decided == step(Verdict.DUPLICATE, pubstatus=stored.pubstatus)
    assert not decided.recorded


def test_a_newer_version_becomes_current() -> None:
    decided = decide_version(NEW, OLD)
    assert decided == step(Verdict.NEW_VERSION, current=True, latest=True, live=True)
    assert decided.recorded


def test_a_newer_version_brings_its_pubstatus() -> None:
    assert decide_version(state("2", WITHHELD), OLD) == step(
        Verdict.NEW_VERSION, current=True, latest=True, pubstatus=WITHHELD, live=True
    )
    assert decide_version(NEW, state("1", WITHHELD)).pubstatus == USABLE


@pytest.mark.parametrize(
    "incoming",
    [state("1"), state("0.9", minutes=60)],
    ids=["indistinguishable", "older"],
)
def test_a_version_not_newer_is_stale_and_changes_nothing_current(
    incoming: VersionState,
) -> None:
    decided = decide_version(incoming, state("1", WITHHELD))
    assert decided == step(Verdict.STALE, pubstatus=WITHHELD)
    assert decided.recorded


def test_a_kill_of_an_older_version_cancels_the_item_and_is_its_latest_change() -> None:
    assert decide_version(state("0", CANCELED), OLD) == step(
        Verdict.KILLED, latest=True, pubstatus=CANCELED, hand_over=True
    )


def test_a_kill_of_a_newer_version_also_becomes_current() -> None:
    assert decide_version(state("2", CANCELED), OLD) == step(
        Verdict.KILLED, current=True, latest=True, pubstatus=CANCELED, hand_over=True
    )


def test_killing_a_withheld_item_hands_its_place_over_too() -> None:
    assert decide_version(state("2", CANCELED), state("1", WITHHELD)).hand_over


def test_a_second_kill_has_no_place_left_to_hand_over() -> None:
    assert decide_version(state("2", CANCELED), state("1", CANCELED)) == step(
        Verdict.KILLED, current=True, latest=True, pubstatus=CANCELED
    )


def test_a_newer_version_after_a_kill_becomes_current_but_the_item_stays_canceled() -> None:
    decided = decide_version(state("2"), state("1", CANCELED))
    assert decided == step(Verdict.NEW_VERSION, current=True, latest=True, pubstatus=CANCELED)
    assert decided.canceled


def test_an_older_version_after_a_kill_is_stale_and_the_item_stays_canceled() -> None:
    assert decide_version(state("0"), state("1", CANCELED)) == step(
        Verdict.STALE, pubstatus=CANCELED
    )


# Every combination keeps the rules that hold whatever the case.

STATUSES = (USABLE, WITHHELD, CANCELED)
CASES = list(
    itertools.product(
        STATUSES,  # the incoming version's pubstatus
        (None, *STATUSES),  # the stored item's pubstatus (None: a new uri)
        ("0", "1", "2"),  # the incoming version against the stored "1"
        (False, True),  # seen
    )
)


@pytest.mark.parametrize(("pubstatus", "stored", "version", "seen"), CASES)
def test_rules_that_always_hold(
    pubstatus: PubStatus, stored: PubStatus | None, version: str, seen: bool
) -> None:
    before = None if stored is None else state("1", stored)
    decided = decide_version(state(version, pubstatus), before, seen=seen)
    kill = pubstatus == CANCELED
    if before is not None and seen:
        assert decided.verdict == Verdict.DUPLICATE
        assert not (decided.current or decided.latest or decided.hand_over or decided.live)
        assert decided.pubstatus == stored
        return
    assert decided.recorded
    assert (decided.verdict == Verdict.KILLED) == kill  # a kill is a kill whatever its version
    assert decided.canceled == (kill or stored == CANCELED)  # and a canceled item stays so
    assert decided.canceled == (decided.pubstatus == CANCELED)
    assert decided.current == (before is None or version == "2")
    assert decided.latest == (decided.current or kill)
    assert decided.live == (decided.current and not decided.canceled)
    assert decided.hand_over == (kill and stored not in (None, CANCELED))
