"""Worker outcomes on real PostgreSQL: failed with a precise error, replay, transient errors,
stale claims fenced out."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine, text

from services.worker.pipeline import process_submission
from shared.core.errors import TransientError
from shared.db import submissions
from shared.db.engine import make_engine
from tests.support import bearer, editor_token, partner_key, push

PAGE = (
    b"Council approves the city budget\n\n"
    b"MINSK, 7 January (BelTA) - The city council approved the budget.\n"
)


def _accepted(client: httpx.Client, db: Engine) -> str:
    answer = push(client, partner_key(db, "belta", "Europe/Minsk"), PAGE)
    assert answer.status_code == 202
    return str(answer.json()["submission_id"])


def _parse_again(db: Engine) -> None:
    """Drop the API's kept parse, as a replay does: the worker parses the bytes itself."""
    with db.begin() as conn:
        conn.execute(text("UPDATE submissions SET prepared = NULL"))


def _status(client: httpx.Client, db: Engine, submission_id: str) -> dict:  # type: ignore[type-arg]
    return client.get(
        f"/v1/submissions/{submission_id}",  # type: ignore[no-any-return]
        headers=bearer(editor_token(db)),
    ).json()


def test_bytes_that_no_longer_parse_fail_with_a_precise_error_then_replay(
    client: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    submission_id = _accepted(client, db)
    with db.begin() as conn:  # as if a parser change now refused these bytes (kept parse gone)
        conn.execute(
            text("UPDATE submissions SET raw = :raw, prepared = NULL WHERE id = :id"),
            {"raw": b"   only a headline", "id": submission_id},
        )
    assert process_submission(db, settings, submission_id) == "failed"
    failed = _status(client, db, submission_id)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "invalid"
    assert failed["error"]["detail"]
    assert failed["items"] == []

    with db.begin() as conn:  # the fix: the bytes parse again
        conn.execute(
            text("UPDATE submissions SET raw = :raw WHERE id = :id"),
            {"raw": PAGE, "id": submission_id},
        )
        assert submissions.requeue(conn, submission_id)
    assert process_submission(db, settings, submission_id) == "done"
    done = _status(client, db, submission_id)
    assert (done["status"], done["error"], done["attempts"]) == ("done", None, 1)
    assert [i["verdict"] for i in done["items"]] == ["new"]


def test_the_worker_stores_the_parse_the_api_kept_and_a_replay_reads_the_bytes(
    client: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    submission_id = _accepted(client, db)
    with db.begin() as conn:  # the bytes change under it: the kept parse is what gets stored
        kept = conn.execute(
            text("SELECT prepared FROM submissions WHERE id = :id"), {"id": submission_id}
        ).scalar_one()
        conn.execute(
            text("UPDATE submissions SET raw = :raw WHERE id = :id"),
            {"raw": PAGE.replace(b"council approved", b"council rejected"), "id": submission_id},
        )
    assert kept
    assert process_submission(db, settings, submission_id) == "done"
    bodies = text("SELECT doc ->> 'body_text' FROM item_versions ORDER BY id")
    with db.begin() as conn:
        assert ["approved" in body for body in conn.execute(bodies).scalars()] == [True]
        assert (
            conn.execute(
                text("SELECT prepared FROM submissions WHERE id = :id"), {"id": submission_id}
            ).scalar_one()
            is None
        )  # done: only the raw bytes stay
        assert submissions.requeue(conn, submission_id)
    assert process_submission(db, settings, submission_id) == "done"
    with db.begin() as conn:
        assert "rejected" in list(conn.execute(bodies).scalars())[-1]


def test_a_claim_leaves_the_bytes_out_and_a_parse_kept_by_other_code_reads_them(
    client: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    submission_id = _accepted(client, db)
    with db.begin() as conn:
        (taken,) = submissions.claim_batch(conn, submission_id, lease=30, max_attempts=5)
        assert taken.claim.raw is None and taken.claim.prepared  # the kept parse only
        assert taken.claim.size == len(taken.claim.prepared)
        # Kept by code whose model had another shape: not read, the bytes are parsed instead.
        conn.execute(
            text("UPDATE submissions SET status = 'queued', prepared = :other WHERE id = :id"),
            {"other": b"\x00" * 8 + taken.claim.prepared[8:], "id": submission_id},
        )
        (again,) = submissions.claim_batch(conn, submission_id, lease=30, max_attempts=5)
        assert again.claim.raw is None and again.claim.prepared
        conn.execute(text("UPDATE submissions SET status = 'queued' WHERE id = :id"),
                     {"id": submission_id})  # fmt: skip
    assert process_submission(db, settings, submission_id) == "done"
    done = _status(client, db, submission_id)
    assert [i["verdict"] for i in done["items"]] == ["new"]
    with db.begin() as conn:
        body = conn.execute(text("SELECT doc ->> 'body_text' FROM item_versions")).scalar_one()
        assert "approved the budget" in body
        conn.execute(text("UPDATE submissions SET prepared = NULL, status = 'queued' "
                          "WHERE id = :id"), {"id": submission_id})  # fmt: skip
        (bare,) = submissions.claim_batch(conn, submission_id, lease=30, max_attempts=5)
        assert bare.claim.raw == PAGE and bare.claim.prepared is None


def test_a_large_submission_gives_the_heap_back_once_stored(
    client: httpx.Client, db: Engine, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from services.worker import pipeline

    trims: list[int] = []
    monkeypatch.setattr(pipeline, "give_back_free_memory", lambda: trims.append(1) or True)
    key = partner_key(db, "belta", "Europe/Minsk")
    small = push(client, key, PAGE).json()["submission_id"]
    assert process_submission(db, settings, small) == "done"
    assert trims == []
    sentence = b"The council said the plan would add forty regional trains this year. "
    large = push(client, key, PAGE + sentence * 4000)
    assert large.status_code == 202
    assert process_submission(db, settings, large.json()["submission_id"]) == "done"
    assert trims == [1]


def test_replaying_a_done_submission_records_fresh_verdicts(
    client: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    submission_id = _accepted(client, db)
    assert process_submission(db, settings, submission_id) == "done"
    with db.begin() as conn:
        assert submissions.requeue(conn, submission_id)
    assert process_submission(db, settings, submission_id) == "done"
    done = _status(client, db, submission_id)
    assert done["status"] == "done"
    assert [i["verdict"] for i in done["items"]] == ["duplicate"]


def test_a_parser_bug_fails_the_submission_instead_of_looping(
    client: httpx.Client, db: Engine, settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    submission_id = _accepted(client, db)
    _parse_again(db)

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("headline")

    monkeypatch.setattr("services.worker.pipeline.prepare", broken)
    assert process_submission(db, settings, submission_id) == "failed"
    error = _status(client, db, submission_id)["error"]
    assert error == {"code": "parser_error", "detail": "KeyError: 'headline'"}


def test_unreachable_database_is_transient(settings) -> None:  # type: ignore[no-untyped-def]
    nowhere = make_engine("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(TransientError):
        process_submission(nowhere, settings, "01anything")
    nowhere.dispose()


def test_a_claim_whose_lease_was_taken_over_cannot_finish(
    client: httpx.Client, db: Engine, settings
) -> None:  # type: ignore[no-untyped-def]
    submission_id = _accepted(client, db)
    with db.begin() as conn:
        stale = submissions.claim(conn, submission_id, lease=0, max_attempts=5)
    assert stale is not None
    with db.begin() as conn:
        conn.execute(text("UPDATE submissions SET lease_until = now() - interval '1 s'"))
    assert process_submission(db, settings, submission_id) == "done"  # the new owner
    with db.begin() as conn:
        assert not submissions.fence(conn, stale)
        submissions.fail(conn, stale, {"code": "late", "detail": "too late"})
    assert _status(client, db, submission_id)["status"] == "done"


@pytest.mark.parametrize("stage", ["prepare", "record"])
@pytest.mark.parametrize("count", [1, 3])
def test_a_soft_time_limit_hands_the_submissions_back_for_a_retry(
    client: httpx.Client,
    db: Engine,
    settings,
    monkeypatch: pytest.MonkeyPatch,
    stage: str,
    count: int,
) -> None:  # type: ignore[no-untyped-def]
    """Slow is not failed: a task that runs out of time is retried, its cause recorded; every
    submission claimed with it is handed back too."""
    from celery.exceptions import SoftTimeLimitExceeded

    from services.worker import pipeline
    from shared.db import items

    key = partner_key(db, "belta", "Europe/Minsk")
    ids = []
    for n in range(count):
        answer = push(client, key, PAGE + f"Paragraph {n}.\n".encode())
        assert answer.status_code == 202
        ids.append(str(answer.json()["submission_id"]))

    if stage == "prepare":
        _parse_again(db)

    def out_of_time(*_: object, **__: object) -> None:
        raise SoftTimeLimitExceeded()

    with monkeypatch.context() as patch:
        patch.setattr(pipeline if stage == "prepare" else items, stage, out_of_time)
        with pytest.raises(TransientError, match="ran out of time"):
            process_submission(db, settings, ids[0])
    for submission_id in ids:
        slow = _status(client, db, submission_id)
        assert (slow["status"], slow["error"]["code"], slow["attempts"]) == (
            "queued",
            "time_limit",
            1,
        )
    assert process_submission(db, settings, ids[0]) == "done"
    for submission_id in ids:
        done = _status(client, db, submission_id)
        assert (done["status"], done["error"], done["attempts"]) == ("done", None, 2)
