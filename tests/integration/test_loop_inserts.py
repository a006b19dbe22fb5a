"""Pushes' inserts grouped on the event loop (services/ingest/loopdb.py ``LoopInserts``): inserts
that wait for a statement on its way go together in the next one, and each push still gets its own
answer: made, not made (bytes already stored, key revoked), or its own error."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from services.ingest.loopdb import LoopInserts, LoopPool
from shared.db import credentials, submissions
from shared.db.credentials import Guard
from shared.db.engine import make_engine
from tests.support import partner_key


def _guard(db: Engine, key: str) -> Guard:
    with db.connect() as conn:
        guard = credentials.authenticate(conn, key).guard()
    assert guard is not None
    return guard


def _row(body: bytes, partner_id: int, **kwargs: Any) -> submissions.NewRow:
    return submissions.new_row(
        partner_id=partner_id,
        raw=body,
        content_type=kwargs.pop("content_type", "text/plain"),
        idempotency_key=kwargs.pop("idempotency_key", None),
        request_id=None,
        prepared=b"kept",
        **kwargs,
    )


def _transactions(db: Engine) -> dict[str, str]:
    """Each stored submission's id and the transaction that wrote it."""
    with db.connect() as conn:
        return dict(conn.execute(text("SELECT id, xmin::text FROM submissions")).all())


@pytest.fixture
def inserts(db: Engine) -> LoopInserts:
    """One statement on its way at a time (each test's loop closes its connections)."""
    return LoopInserts(LoopPool(db, 4), flushes=1)


async def _all(inserts: LoopInserts, rows: list[tuple[submissions.NewRow, Guard]]) -> list[Any]:
    try:
        return await asyncio.gather(
            *(inserts.insert(row, guard) for row, guard in rows), return_exceptions=True
        )
    finally:
        await inserts._pool.close()


def test_inserts_that_wait_go_together_and_each_gets_its_answer(
    db: Engine, inserts: LoopInserts
) -> None:
    key = partner_key(db, "leta")
    guard = _guard(db, key)
    rows = [(_row(f"story {n}".encode(), guard.partner_id), guard) for n in range(20)]
    answers = asyncio.run(_all(inserts, rows))
    assert answers == [True] * 20
    stored = _transactions(db)
    assert set(stored) == {row.id for row, _ in rows}
    # The first insert starts a statement; the other 19 wait for it and go as one more (or as
    # part of the first, when they were queued before it left).
    assert len(set(stored.values())) <= 2


def test_resent_bytes_and_a_revoked_key_are_not_made_and_the_others_are(
    db: Engine, inserts: LoopInserts
) -> None:
    leta, bta = partner_key(db, "leta"), partner_key(db, "bta")
    leta_guard, bta_guard = _guard(db, leta), _guard(db, bta)
    with db.begin() as conn:
        credentials.revoke(conn, leta_guard.key_id, partner_slug="leta")
    rows = [
        (_row(b"first", bta_guard.partner_id), bta_guard),
        (_row(b"first", bta_guard.partner_id), bta_guard),  # the same bytes in the same group
        (_row(b"revoked", leta_guard.partner_id), leta_guard),
        (_row(b"second", bta_guard.partner_id), bta_guard),
    ]
    answers = asyncio.run(_all(inserts, rows))
    assert answers == [True, False, False, True]
    assert set(_transactions(db)) == {rows[0][0].id, rows[3][0].id}


def test_a_row_the_database_refuses_fails_alone(db: Engine, inserts: LoopInserts) -> None:
    guard = _guard(db, partner_key(db, "leta"))
    bad = _row(b"bad", guard.partner_id, content_type="text/plain\x00")  # NUL: not a text value
    rows = [
        (_row(b"one", guard.partner_id), guard),
        (bad, guard),
        (_row(b"two", guard.partner_id), guard),
    ]
    answers = asyncio.run(_all(inserts, rows))
    assert answers[0] is True and answers[2] is True
    assert isinstance(answers[1], psycopg.DataError)
    assert set(_transactions(db)) == {rows[0][0].id, rows[2][0].id}


def test_a_push_that_went_away_before_its_statement_is_not_stored(
    db: Engine, inserts: LoopInserts
) -> None:
    guard = _guard(db, partner_key(db, "leta"))
    first, gone = _row(b"first", guard.partner_id), _row(b"gone", guard.partner_id)

    async def scenario() -> bool:
        try:
            kept = asyncio.ensure_future(inserts.insert(first, guard))
            left = asyncio.ensure_future(inserts.insert(gone, guard))
            await asyncio.sleep(0)  # both are waiting, neither statement has left
            left.cancel()
            return await kept
        finally:
            await inserts._pool.close()

    assert asyncio.run(scenario()) is True
    assert set(_transactions(db)) == {first.id}


def test_an_unreachable_database_is_every_waiting_push_s_error(db: Engine) -> None:
    down = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", pre_ping=False)
    guard = Guard("k", 1, "1")
    inserts = LoopInserts(LoopPool(down, 2), flushes=1)
    rows = [(_row(f"{n}".encode(), 1), guard) for n in range(5)]
    answers = asyncio.run(_all(inserts, rows))
    assert all(isinstance(answer, psycopg.OperationalError) for answer in answers)
    down.dispose()
