"""Every case of the agency-shaped corpus (tests/agency_corpus.py) reads exactly as expected."""

from __future__ import annotations

import pytest

from tests.agency_corpus import Case, cases, score

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_agency_case_reads_as_the_agency_means_it(case: Case) -> None:
    right, wrong = score(case)
    assert not [w for w in wrong if w], "\n".join(w for w in wrong if w)
    assert right > 0
