"""The inbox: raw submissions and their state machine.

    queued ──claim──▶ processing ──finish──▶ done
       ▲                  │  └──fail──▶ failed (permanent error)
       └──sweep/release───┘  └──(attempts exhausted)──▶ dead

``claim`` increments ``attempts`` (reset by a replay; bounded by ``max_attempts``) and ``claims``
(never reset): ``claims`` is the fencing token, so a worker whose lease was reclaimed can no
longer finish, fail or release the submission.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import (
    Connection,
    DateTime,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from shared.core.errors import Invalid
from shared.core.ids import new_id
from shared.core.model import SubmissionStatus
from shared.db.credentials import Changed, Guard, holds, still_holds
from shared.db.tables import partners, submission_items, submissions

MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True, slots=True)
class Accepted:
    id: str
    status: str
    created: bool


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    partner_id: int
    attempts: int
    token: int
    raw: bytes
    content_type: str
    received_at: datetime


_TIMESTAMP = DateTime(timezone=True)
_COLUMNS = (
    "id", "partner_id", "status", "content_type", "raw", "sha256", "size", "idempotency_key",
    "request_id", "warnings",
)  # fmt: skip
_RECEIVED_AT = func.coalesce(bindparam("received_at", type_=_TIMESTAMP), func.now())
# Built once (every push runs it): a new row, or nothing when the bytes or key are stored.
_INSERT = (
    pg_insert(submissions)
    .values({column: bindparam(column) for column in _COLUMNS} | {"received_at": _RECEIVED_AT})
    .on_conflict_do_nothing()
    .returning(submissions.c.id)
)
# The same, made only while the partner key it is made for still holds (credentials.Guard):
# also nothing when the key was revoked or its partner changed since it was read.
_INSERT_GUARDED = (
    pg_insert(submissions)
    .from_select(
        [*_COLUMNS, "received_at"],
        select(
            *(bindparam(column, type_=submissions.c[column].type) for column in _COLUMNS),
            _RECEIVED_AT,
        ).where(holds()),
    )
    .on_conflict_do_nothing()
    .returning(submissions.c.id)
)
# Both as the driver runs them, compiled once: executing the Core statement spends more CPU on
# its cache key and parameter processing than on the round trip (the warnings go as ``Jsonb``).
_INSERT_SQL = str(_INSERT.compile(dialect=PGDialect_psycopg()))
_INSERT_GUARDED_SQL = str(_INSERT_GUARDED.compile(dialect=PGDialect_psycopg()))


def accept(
    conn: Connection,
    *,
    partner_id: int,
    raw: bytes,
    content_type: str,
    idempotency_key: str | None,
    request_id: str | None,
    warnings: list[dict[str, Any]] | None = None,
    received_at: datetime | None = None,
    guard: Guard | None = None,
) -> Accepted:
    """Store the raw bytes, or find the submission they already are (same bytes or same key).

    With a ``guard``, the insert is made only while it holds, in the same statement; raises
    ``Changed`` (nothing stored, nothing told) when it no longer does."""
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(
            "Idempotency-Key must be 1 to 255 characters",
            errors=[{"field": "Idempotency-Key", "message": "bad length"}],
        )
    digest = hashlib.sha256(raw).hexdigest()
    # Insert first: a new submission (the usual case) costs one statement, which is its own
    # transaction on an autocommit connection. A resend (same bytes or key) inserts nothing.
    new = new_id()
    values = {
        "id": new,
        "partner_id": partner_id,
        "status": SubmissionStatus.QUEUED,
        "content_type": content_type,
        "raw": raw,
        "sha256": digest,
        "size": len(raw),
        "idempotency_key": idempotency_key,
        "request_id": request_id,
        "warnings": Jsonb(warnings or []),
        "received_at": received_at,
    }
    if guard is None:
        row = conn.exec_driver_sql(_INSERT_SQL, values).first()
    else:
        row = conn.exec_driver_sql(_INSERT_GUARDED_SQL, values | guard.params()).first()
    if row is not None:
        return Accepted(new, SubmissionStatus.QUEUED, created=True)
    if guard is not None and not still_holds(conn, guard):
        raise Changed
    # A resend, or a concurrent request that stored the same bytes or key first.
    existing = _existing(conn, partner_id, digest, idempotency_key)
    assert existing is not None
    return existing


def _existing(
    conn: Connection, partner_id: int, digest: str, idempotency_key: str | None
) -> Accepted | None:
    same = submissions.c.sha256 == digest
    if idempotency_key is not None:
        same = or_(same, submissions.c.idempotency_key == idempotency_key)
    rows = conn.execute(
        select(submissions.c.id, submissions.c.status, submissions.c.sha256).where(
            submissions.c.partner_id == partner_id, same
        )
    ).all()
    for row in rows:
        if row.sha256 == digest:
            return Accepted(row.id, row.status, created=False)
    if rows:
        raise Invalid(
            "this Idempotency-Key was already used with different bytes",
            errors=[{"field": "Idempotency-Key", "message": "reused with other bytes"}],
        )
    return None


def claim(conn: Connection, submission_id: str, *, lease: float, max_attempts: int) -> Claim | None:
    """Take a queued submission (or one whose lease expired) for processing, or None."""
    row = conn.execute(
        update(submissions)
        .where(
            submissions.c.id == submission_id,
            or_(
                submissions.c.status == SubmissionStatus.QUEUED,
                and_(
                    submissions.c.status == SubmissionStatus.PROCESSING,
                    submissions.c.lease_until < func.now(),
                ),
            ),
        )
        .values(
            status=SubmissionStatus.PROCESSING,
            attempts=submissions.c.attempts + 1,
            claims=submissions.c.claims + 1,
            lease_until=func.now() + timedelta(seconds=lease),
        )
        .returning(
            submissions.c.id,
            submissions.c.partner_id,
            submissions.c.attempts,
            submissions.c.claims,
            submissions.c.raw,
            submissions.c.content_type,
            submissions.c.received_at,
            submissions.c.error,
        )
    ).first()
    if row is None:
        return None
    if row.attempts > max_attempts:
        conn.execute(
            update(submissions)
            .where(submissions.c.id == submission_id)
            .values(
                status=SubmissionStatus.DEAD,
                lease_until=None,
                finished_at=func.now(),
                error={
                    "code": "attempts_exhausted",
                    "detail": f"gave up after {max_attempts} attempts",
                    "last_error": row.error,
                },
            )
        )
        return None
    return Claim(
        row.id,
        row.partner_id,
        row.attempts,
        row.claims,
        bytes(row.raw),
        row.content_type,
        row.received_at,
    )


def fence(conn: Connection, claim_: Claim) -> bool:
    """Lock the submission row; True if this claim still owns it."""
    owner = conn.execute(
        select(submissions.c.id)
        .where(
            submissions.c.id == claim_.id,
            submissions.c.claims == claim_.token,
            submissions.c.status == SubmissionStatus.PROCESSING,
        )
        .with_for_update()
    ).first()
    return owner is not None


def finish(
    conn: Connection,
    claim_: Claim,
    verdicts: list[dict[str, Any]],
    warnings: list[dict[str, Any]] | None = None,
) -> None:
    """Record the verdicts and warnings (replacing a replayed submission's earlier ones) and
    mark it done."""
    conn.execute(delete(submission_items).where(submission_items.c.submission_id == claim_.id))
    if verdicts:
        conn.execute(
            insert(submission_items),
            [{"submission_id": claim_.id, "idx": i, **v} for i, v in enumerate(verdicts)],
        )
    conn.execute(
        update(submissions)
        .where(submissions.c.id == claim_.id)
        .values(
            status=SubmissionStatus.DONE,
            lease_until=None,
            finished_at=func.now(),
            error=None,
            warnings=warnings or [],
        )
    )


def fail(conn: Connection, claim_: Claim, error: dict[str, Any]) -> None:
    """A permanent failure: the submission will not be retried (replay it after a fix)."""
    conn.execute(
        update(submissions)
        .where(submissions.c.id == claim_.id, submissions.c.claims == claim_.token)
        .values(
            status=SubmissionStatus.FAILED, lease_until=None, finished_at=func.now(), error=error
        )
    )


def release(conn: Connection, claim_: Claim, error: dict[str, Any]) -> None:
    """A transient failure: back to queued so the retry (or the sweeper) can claim it."""
    conn.execute(
        update(submissions)
        .where(
            submissions.c.id == claim_.id,
            submissions.c.claims == claim_.token,
            submissions.c.status == SubmissionStatus.PROCESSING,
        )
        .values(
            status=SubmissionStatus.QUEUED, lease_until=None, enqueued_at=func.now(), error=error
        )
    )


def due(
    conn: Connection,
    *,
    requeue_after: float,
    lost: Callable[[list[str]], set[str]] = set,
    limit: int = 500,
) -> list[str]:
    """Submissions to send again: expired leases (a dead worker), and queued ones not picked up
    within ``requeue_after`` seconds whose message ``lost`` says is gone (the broker knows;
    a backlog may still hold the others' messages; by default every one is taken as gone).

    Each is marked sent now and not sent again for ``requeue_after`` seconds, so sweeps never
    multiply messages, and two sweepers never send the same id in one period.
    """
    stale = func.now() - timedelta(seconds=requeue_after)
    expired = and_(
        submissions.c.status == SubmissionStatus.PROCESSING,
        submissions.c.lease_until < func.now(),
    )
    waiting = submissions.c.status == SubmissionStatus.QUEUED
    candidates = (
        select(submissions.c.id, submissions.c.status)
        .where(submissions.c.enqueued_at < stale, or_(expired, waiting))
        .order_by(submissions.c.enqueued_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = conn.execute(candidates).all()
    queued = [r.id for r in rows if r.status == SubmissionStatus.QUEUED]
    gone = lost(queued) if queued else set()
    ids = [r.id for r in rows if r.status != SubmissionStatus.QUEUED or r.id in gone]
    if ids:
        conn.execute(
            update(submissions).where(submissions.c.id.in_(ids)).values(enqueued_at=func.now())
        )
    return ids


def requeue(conn: Connection, submission_id: str) -> bool:
    """Put a finished, failed or dead submission back in the queue (replay)."""
    done = conn.execute(
        update(submissions)
        .where(
            submissions.c.id == submission_id,
            submissions.c.status.in_(
                [SubmissionStatus.DONE, SubmissionStatus.FAILED, SubmissionStatus.DEAD]
            ),
        )
        .values(
            status=SubmissionStatus.QUEUED,
            attempts=0,
            lease_until=None,
            enqueued_at=func.now(),
            error=None,
        )
    )
    return done.rowcount == 1


def read(conn: Connection, submission_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(
            submissions.c.id,
            submissions.c.partner_id,
            partners.c.slug,
            submissions.c.status,
            submissions.c.received_at,
            submissions.c.attempts,
            submissions.c.error,
            submissions.c.warnings,
        )
        .join(partners, partners.c.id == submissions.c.partner_id)
        .where(submissions.c.id == submission_id)
    ).first()
    if row is None:
        return None
    verdicts = conn.execute(
        select(
            submission_items.c.item_id,
            submission_items.c.uri,
            submission_items.c.version,
            submission_items.c.verdict,
        )
        .where(submission_items.c.submission_id == submission_id)
        .order_by(submission_items.c.idx)
    ).all()
    return {
        "id": row.id,
        "partner_id": row.partner_id,
        "partner": row.slug,
        "status": row.status,
        "received_at": row.received_at,
        "attempts": row.attempts,
        "error": row.error,
        "warnings": row.warnings,
        "items": [dict(v._mapping) for v in verdicts],
    }
