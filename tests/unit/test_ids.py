"""Ids sort in the order they were made, even within one millisecond."""

from __future__ import annotations

from shared.core.ids import new_id


def test_ids_made_in_a_row_sort_in_that_order() -> None:
    made = [new_id() for _ in range(5000)]  # many share a millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(len(i) == 26 for i in made)
