"""Every case of the agency-shaped corpus (tests/agency_corpus.py) reads exactly as expected."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from services.cli.parse import cmd_parse
from tests.agency_corpus import CORPUS, Case, cases, run, score

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_agency_case_reads_as_the_agency_means_it(case: Case) -> None:
    right, wrong = score(case)
    assert not [w for w in wrong if w], "\n".join(w for w in wrong if w)
    assert right > 0


@pytest.mark.parametrize("case", CASES[::4], ids=[c.name for c in CASES[::4]])
def test_dateline_parse_prints_the_same_items(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``dateline parse FILE --profile P`` is the partner-onboarding view of the same reading."""
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(case.spec.get("profile") or {}))
    [body] = [p for p in CORPUS.glob(f"{case.name}.*") if not p.name.endswith(".expect.json")]
    args = argparse.Namespace(
        file=body, profile=profile, partner=None, timezone=None, content_type=case.content_type
    )
    assert cmd_parse(args) == 0
    printed = json.loads(capsys.readouterr().out)
    offline, _ = run(case)
    arrival = {"firstcreated", "versioncreated", "dateline", "uri", "warnings", "partner"}
    for got, want in zip(printed, offline, strict=True):
        assert {k: v for k, v in got.items() if k not in arrival} == {
            k: v for k, v in want.items() if k not in arrival
        }
        assert {w["code"] for w in got["warnings"]} <= set(case.spec.get("warnings", []))
