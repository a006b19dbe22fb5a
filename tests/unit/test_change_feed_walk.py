"""The stream's position past missing version ids (rolled back, or not yet committed)."""

from __future__ import annotations

from shared.db.changes import ChangeFeed, Filters


def feed(now: list[float]) -> ChangeFeed:
    return ChangeFeed(
        engine=None,
        filters=Filters(),
        mark=3,
        gap_seconds=10.0,  # type: ignore[arg-type]
        clock=lambda: now[0],
    )


def test_committed_ids_in_a_row_move_the_mark_at_once() -> None:
    now = [0.0]
    assert feed(now)._settled(3, [4, 5, 6]) == 6


def test_a_run_of_missing_ids_costs_one_wait_not_one_each() -> None:
    now = [0.0]
    stream = feed(now)
    seen = [104]  # ids 4..103 were rolled back
    assert stream._settled(3, seen) == 3
    now[0] = 10.5
    assert stream._settled(3, seen) == 104


def test_the_mark_stops_before_a_missing_id_still_waited_for() -> None:
    now = [0.0]
    stream = feed(now)
    assert stream._settled(3, [4, 6, 7]) == 4
    now[0] = 5.0
    assert stream._settled(4, [6, 7, 9]) == 4
    now[0] = 10.1  # 5 has waited long enough; 8 appeared at 5.0 and has not
    assert stream._settled(4, [6, 7, 9]) == 7
