"""A small unsigned push with a partner key is checked and stored on the event loop
(services/ingest/intake.py, ``ON_LOOP_BYTES``; services/ingest/loopdb.py) rather than in a
thread: the same row, the same answer, the same refusals. A database that cannot be reached is a
``503``, and a key revoked since it was read is still refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from services.ingest import accept, intake
from services.ingest.app import create_app
from services.ingest.auth import KnownKeys
from services.ingest.state import state_of
from services.queue import make_celery
from shared.core.model import Profile
from shared.db import credentials
from shared.db.credentials import Partner, Principal
from shared.db.engine import make_engine
from shared.db.signing import Signing
from shared.db.tables import submissions
from shared.reading.kept import restore
from tests.api.served import serve
from tests.support import partner_key, push

PAGE = b"Harbour reopens after storm\n\nRIGA, 7 January (LETA) - The harbour reopened today.\n"
LONG = b"Headline\n\nRIGA, 7 January (LETA) - " + b"Words, " * 6000 + b"the end.\n"


@pytest.fixture
def on_loop(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The submission ids of the pushes stored on the event loop (the served app runs in this
    process)."""
    taken: list[str] = []
    real = accept.store_on_loop

    async def spy(*args: Any, **kwargs: Any) -> accept.Answer:
        answer = await real(*args, **kwargs)
        taken.append(answer.body["submission_id"])
        return answer

    monkeypatch.setattr(accept, "store_on_loop", spy)
    return taken


def _row(db: Engine, submission_id: str) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(select(submissions).where(submissions.c.id == submission_id)).one()
    return dict(row._mapping)


def _same(db: Engine, loop: httpx.Response, thread: httpx.Response) -> None:
    """Two answers and their rows, alike but for what differs between any two pushes."""
    assert loop.status_code == thread.status_code
    assert loop.headers["content-type"] == thread.headers["content-type"]
    mine, theirs = loop.json(), thread.json()
    assert (
        loop.headers["location"] == mine["status_url"] == f"/v1/submissions/{mine['submission_id']}"
    )
    assert {**mine, "submission_id": "", "status_url": ""} == {
        **theirs,
        "submission_id": "",
        "status_url": "",
    }
    a, b = _row(db, mine["submission_id"]), _row(db, theirs["submission_id"])
    differ = {"id", "partner_id", "received_at", "enqueued_at", "prepared", "request_id"}
    assert {k: v for k, v in a.items() if k not in differ} == {
        k: v for k, v in b.items() if k not in differ
    }
    kept, kept_too = restore(a["prepared"]), restore(b["prepared"])
    assert kept is not None and kept_too is not None
    assert [i.headline for i in kept] == [i.headline for i in kept_too]


def test_a_push_on_the_loop_stores_and_answers_as_one_in_a_thread(
    client: httpx.Client, db: Engine, on_loop: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_key, thread_key = partner_key(db, "leta"), partner_key(db, "leta-too")
    headers = {"Idempotency-Key": "harbour-1", "X-Request-ID": "req-1"}
    loop = push(client, loop_key, PAGE, **headers)
    assert loop.status_code == 202, loop.text
    assert on_loop == [loop.json()["submission_id"]]
    assert _row(db, on_loop[0])["request_id"] == "req-1"
    monkeypatch.setattr(intake, "ON_LOOP_BYTES", 0)
    thread = push(client, thread_key, PAGE, **headers)
    assert len(on_loop) == 1
    _same(db, loop, thread)
    # A resend: nothing inserted on the loop, then the submission found (in a thread).
    monkeypatch.setattr(intake, "ON_LOOP_BYTES", 32 * 1024)
    again = push(client, loop_key, PAGE, **headers)
    assert (again.status_code, again.json()) == (200, {**loop.json(), "status": "queued"})
    monkeypatch.setattr(intake, "ON_LOOP_BYTES", 0)
    _same(db, again, push(client, thread_key, PAGE, **headers))


def test_the_same_key_with_other_bytes_is_422_on_the_loop(
    client: httpx.Client, db: Engine, on_loop: list[str]
) -> None:
    key = partner_key(db, "leta")
    assert push(client, key, PAGE, **{"Idempotency-Key": "k"}).status_code == 202
    answer = push(client, key, PAGE + b"More.\n", **{"Idempotency-Key": "k"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid"


def test_large_and_signed_pushes_keep_the_thread(
    client: httpx.Client, db: Engine, on_loop: list[str]
) -> None:
    key = partner_key(db, "leta")
    assert len(LONG) > intake.ON_LOOP_BYTES
    assert push(client, key, LONG).status_code == 202
    assert on_loop == []
    answer = push(client, key, PAGE, **{"x-superdesk-signature": "sha1=" + "0" * 40})
    assert answer.status_code == 401  # the partner has no signing secret
    assert on_loop == []


def test_a_key_revoked_since_it_was_read_is_refused_on_the_loop(
    client: httpx.Client, db: Engine, on_loop: list[str]
) -> None:
    key = partner_key(db, "leta")
    assert push(client, key, PAGE).status_code == 202
    with db.begin() as conn:
        credentials.revoke(conn, key.split("_")[1], partner_slug="leta")
    for body in (PAGE + b"Later.\n", PAGE):  # a new push and a resend
        answer = push(client, key, body)
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert len(on_loop) == 1


@pytest.fixture
def without_database(settings, servers) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """An API whose database is not there, with a partner key it knows already."""
    down = settings.model_copy(update={"database_url": "postgresql://nobody@127.0.0.1:9/none"})
    engine = make_engine(down.database_url, pre_ping=False)
    app = create_app(down, engine, make_celery(down, servers.redis_url, sender=True))
    key = "dlk_abcdefghijkm_" + "s" * 43
    principal = Principal(
        kind="partner",
        key_id="abcdefghijkm",
        partner=Partner(1, "leta", Profile(), disabled=False),
        signing=Signing(secret=None, required=False),
        revision="1234",
    )
    state_of(app).one(KnownKeys, KnownKeys).put(key, principal)
    with serve(app) as url:
        yield url, key
    engine.dispose()


def test_a_database_that_cannot_be_reached_is_503(without_database: tuple[str, str]) -> None:
    url, key = without_database
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = push(client, key, PAGE)
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["code"] == "unavailable"


def test_redis_down_lets_the_push_through_on_the_loop(  # type: ignore[no-untyped-def]
    settings, db: Engine, on_loop: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    gone = "redis://127.0.0.1:9/0"
    app = create_app(settings, db, make_celery(settings, gone, sender=True))
    key = partner_key(db, "leta")
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        answers = [push(client, key, body).status_code for body in (PAGE, PAGE + b"Later.\n")]
    assert answers == [202, 202]
    assert len(on_loop) == 2
    assert "rate limit skipped: redis unavailable" in caplog.text
