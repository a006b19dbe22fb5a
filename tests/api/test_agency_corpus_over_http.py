"""The agency-shaped corpus through the real API and the worker's pipeline: every document is
accepted, its repairs are answered at once and recorded on the submission, and the stored items
carry the fields ``dateline parse`` gives (tests/agency_corpus.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from services.worker.pipeline import process_submission
from shared.db import credentials
from tests.agency_corpus import Case, cases, pick, run
from tests.support import bearer, editor_token, partner_key, push

CASES = cases()
# Fields that depend on when the item arrives (the corpus fixes an arrival time, the API takes
# the real one): a yearless date's year, a stamp replaced by the arrival time.
ARRIVAL = {"firstcreated", "versioncreated", "dateline.date", "uri"}


def _repairs(warnings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(w["code"], w.get("index"), w.get("field"), w.get("line")) for w in warnings]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_agency_document_is_accepted_with_its_repairs_and_stored_as_parsed(
    client: httpx.Client, db: Engine, settings, case: Case
) -> None:  # type: ignore[no-untyped-def]
    key = partner_key(db, "agency")
    with db.begin() as conn:
        credentials.set_profile(conn, "agency", case.spec.get("profile") or {})
    answer = push(client, key, case.body, case.content_type)
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    codes = sorted({w["code"] for w in accepted["warnings"]})
    assert codes == sorted(set(case.spec.get("warnings", []))), accepted["warnings"]

    assert process_submission(db, settings, accepted["submission_id"]) == "done"
    token = editor_token(db)
    submission = client.get(accepted["status_url"], headers=bearer(token)).json()
    assert submission["status"] == "done"
    # The same repairs (a message may word a cause differently: a bounded parser can time out
    # on a busy machine where it failed outright on a quiet one).
    assert _repairs(submission["warnings"]) == _repairs(accepted["warnings"])
    offline, _ = run(case)
    assert len(submission["items"]) == len(offline)
    for entry, expected, parsed in zip(
        submission["items"], case.spec["items"], offline, strict=False
    ):
        item = client.get(f"/v1/items/{entry['item_id']}", headers=bearer(token)).json()
        for path in expected:
            if path.split(".")[0] not in ARRIVAL:
                assert pick(item, path) == pick(parsed, path), path
        assert {w["code"] for w in item["warnings"]} <= set(codes)
