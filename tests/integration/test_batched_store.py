"""A worker stores several submissions in one transaction (services/worker/pipeline.py): the
outcome must be exactly what storing them one at a time gives (verdicts, versions, kills,
near duplicates and clusters), and one bad submission must cost only itself."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from sqlalchemy import Engine, text

from services.worker.pipeline import process_submission
from shared.core.settings import Settings
from shared.db import credentials, submissions

STORIES = [
    "The national rail operator will add forty new regional trains to its timetable from "
    "June, the transport ministry said on Tuesday. The trains will run on the busiest commuter "
    "lines around the capital and replace carriages built in the nineteen eighties.",
    "Heavy snow closed three mountain passes overnight and the weather service warned of "
    "avalanches in the northern valleys. Ski resorts asked visitors to stay off closed slopes "
    "while rescue teams checked the roads, and schools in two districts stayed shut on Monday.",
    "The central bank left its main interest rate unchanged at four percent on Thursday, "
    "saying inflation had eased for a third month but wages were still rising quickly. Two "
    "members of the board voted for a cut, according to the minutes published with the decision.",
    "Firefighters contained a forest fire that burned for two days near the southern coast, "
    "the emergency ministry said. About three hundred people were evacuated from holiday homes "
    "and allowed back on Sunday evening after the wind dropped and the rain arrived.",
]
EDITS = ["", " Officials gave no further details.", " More to follow."]


def _wire(seed: int, count: int, uris: int = 6) -> list[tuple[str, bytes, str]]:
    """A deterministic stream of (partner, body, content type): new items, newer and older
    versions, resends, kills, copies of another partner's story, and id-less pages."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        partner = rng.choice(["alpha", "beta", "gamma"])
        story = rng.choice(STORIES) + rng.choice(EDITS)
        if rng.random() < 0.15:  # a page without an id: its uri is derived, it may take over
            body = f"Headline {n % 3}\n\n{story} Ref {n}.\n".encode()
            out.append((partner, body, "text/plain; charset=utf-8"))
            continue
        doc: dict[str, Any] = {
            "uri": f"urn:test:{partner}:{rng.randrange(uris)}",
            "version": str(rng.randrange(1, 4)),
            "headline": f"Story {n % 5}",
            "body_text": story,
            "language": "en",
            "type": "text",
            "pubstatus": "canceled" if rng.random() < 0.1 else "usable",
            "versioncreated": f"2024-03-0{rng.randrange(1, 4)}T10:00:00Z",
            "description_text": f"sent {n}",  # distinct bytes: a resend is not collapsed
        }
        out.append((partner, json.dumps(doc).encode(), "application/json"))
    return out


def _accept_all(db: Engine, wire: list[tuple[str, bytes, str]]) -> list[str]:
    with db.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE deliveries, subscriptions, lsh_buckets, submission_items, "
                "item_versions, items, submissions, credentials, partners "
                "RESTART IDENTITY CASCADE"
            )
        )
        slugs = sorted({slug for slug, _, _ in wire})
        ids = {slug: credentials.create_partner(conn, slug=slug)[0].id for slug in slugs}
    accepted = []
    for slug, body, content_type in wire:
        with db.begin() as conn:  # one transaction each: received and queued in this order
            accepted.append(
                submissions.accept(
                    conn, partner_id=ids[slug], raw=body, content_type=content_type,
                    idempotency_key=None, request_id=None,
                ).id
            )  # fmt: skip
    return accepted


def _outcome(db: Engine, accepted: list[str]) -> dict[str, Any]:
    """Everything stored, with item ids replaced by (partner, uri) so two runs compare."""
    with db.begin() as conn:
        names = {
            r.id: (r.slug, r.uri)
            for r in conn.execute(
                text(
                    "SELECT i.id, p.slug, i.uri FROM items i JOIN partners p ON p.id = i.partner_id"
                )
            )
        }
        stored = {
            names[r.id]: (
                r.version, r.versions, r.pubstatus, names.get(r.duplicate_of),
                names[r.cluster], r.doc["headline"], r.doc["pubstatus"],
            )
            for r in conn.execute(text("SELECT * FROM items"))
        }  # fmt: skip
        verdicts = [
            [
                (v.uri, v.version, v.verdict, names.get(v.item_id))
                for v in conn.execute(
                    text("SELECT * FROM submission_items WHERE submission_id = :id ORDER BY idx"),
                    {"id": submission_id},
                )
            ]
            for submission_id in accepted
        ]
        status = [
            conn.execute(
                text("SELECT status FROM submissions WHERE id = :id"), {"id": submission_id}
            ).scalar_one()
            for submission_id in accepted
        ]
        versions = conn.execute(text("SELECT count(*) FROM item_versions")).scalar_one()
    # A derived uri hashes the page with its arrival: name those by first appearance instead.
    derived: dict[str, str] = {}
    for per in verdicts:
        for uri, *_ in per:
            if uri.startswith("urn:dateline:"):
                derived.setdefault(uri, f"derived-{len(derived)}")
    return _renamed(
        {"items": stored, "verdicts": verdicts, "status": status, "versions": versions}, derived
    )


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict):
        return {_renamed(k, names): _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_renamed(v, names) for v in value)
    return value


@pytest.mark.parametrize(("seed", "uris"), [(1, 6), (2, 6), (3, 60), (4, 60)])
def test_a_batch_stores_exactly_what_one_at_a_time_does(
    db: Engine, settings: Settings, seed: int, uris: int
) -> None:
    """Few uris: mostly versions and kills, each stored alone; many: mostly new items, stored
    together, with copies of each other's stories across partners."""
    wire = _wire(seed, 60, uris)
    runs = []
    for batch in (1, 16):
        accepted = _accept_all(db, wire)
        local = settings.model_copy(update={"worker_batch": batch})
        outcomes = [process_submission(db, local, submission_id) for submission_id in accepted]
        if batch == 1:
            assert outcomes == ["done"] * len(accepted)
        else:  # a message whose submission a batch took still takes the next ones
            assert outcomes[0] == "done" and set(outcomes) == {"done", "skipped"}
        runs.append(_outcome(db, accepted))
    one, batched = runs
    assert one["status"] == ["done"] * len(wire)
    verdicts = {v for per in one["verdicts"] for _, _, v, _ in per}
    assert {"new", "new_version", "stale", "killed", "near_duplicate"} <= verdicts
    for n, (a, b) in enumerate(zip(one["verdicts"], batched["verdicts"], strict=True)):
        assert a == b, (n, wire[n])
    differ = {
        k: (one["items"].get(k), batched["items"].get(k))
        for k in one["items"].keys() | batched["items"].keys()
        if one["items"].get(k) != batched["items"].get(k)
    }
    assert not differ, differ
    assert batched == one


def test_one_unreadable_submission_in_a_batch_fails_alone(db: Engine, settings: Settings) -> None:
    wire = _wire(7, 6)
    wire[2] = (wire[2][0], b'{"uri": "urn:test:broken", "headline": 5', "application/json")
    accepted = _accept_all(db, wire)
    assert process_submission(db, settings, accepted[0]) == "done"
    status = _outcome(db, accepted)["status"]
    assert status == ["done", "done", "failed", "done", "done", "done"]


def test_a_batch_that_cannot_be_stored_together_is_stored_one_by_one(
    db: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage error in the shared transaction (here: one submission's items) rolls the
    batch back; each submission is then stored alone, and only the bad one fails."""
    from shared.db import items

    wire = _wire(11, 5)
    accepted = _accept_all(db, wire)
    bad = accepted[3]
    record = items.record

    def picky(conn, incoming, **kwargs):  # type: ignore[no-untyped-def]
        if any(entry.submission_id == bad for entry in incoming):
            raise ValueError("a constraint the data breaks")
        return record(conn, incoming, **kwargs)

    monkeypatch.setattr(items, "record", picky)
    assert process_submission(db, settings, accepted[0]) == "done"
    outcome = _outcome(db, accepted)
    assert outcome["status"] == ["done", "done", "done", "failed", "done"]
    with db.begin() as conn:
        error = conn.execute(
            text("SELECT error FROM submissions WHERE id = :id"), {"id": bad}
        ).scalar_one()
    assert error["code"] == "storage_error"
    assert all(outcome["verdicts"][i] for i in (0, 1, 2, 4))
