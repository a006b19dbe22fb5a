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
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from sqlalchemy import (
    Connection,
    DateTime,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
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
    raw: bytes | None  # None when the API's parse came instead: ``raw_of`` reads it if needed
    content_type: str
    received_at: datetime
    prepared: bytes | None = None  # the API's parse (shared/reading/kept.py)

    @property
    def size(self) -> int:
        """The bytes the claim brought into the worker."""
        return len(self.raw or b"") + len(self.prepared or b"")


_TIMESTAMP = DateTime(timezone=True)
_COLUMNS = (
    "id", "partner_id", "status", "content_type", "raw", "sha256", "size", "idempotency_key",
    "request_id", "warnings", "prepared",
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
_DIALECT = PGDialect_psycopg()  # type: ignore[no-untyped-call]
_INSERT_SQL = str(_INSERT.compile(dialect=_DIALECT))
_INSERT_GUARDED_SQL = str(_INSERT_GUARDED.compile(dialect=_DIALECT))
# Many guarded rows in one statement (``insert_guarded_many``): each column as an array, each
# row with its own guard; the rows the statement made are the ids it returns.
_ARRAYS = {
    "id": "text", "partner_id": "int4", "status": "text", "content_type": "text", "raw": "bytea",
    "sha256": "text", "size": "int4", "idempotency_key": "text", "request_id": "text",
    "warnings": "jsonb", "prepared": "bytea", "received_at": "timestamptz",
    "guard_key_id": "text", "guard_partner_id": "int4", "guard_revision": "text",
}  # fmt: skip
_ROW_GUARD = holds(
    *(literal_column(f"u.guard_{name}") for name in ("key_id", "partner_id", "revision"))
)
_INSERT_MANY_SQL = (
    f"INSERT INTO submissions ({', '.join(_COLUMNS)}, received_at) "
    f"SELECT {', '.join(f'u.{column}' for column in _COLUMNS)}, coalesce(u.received_at, now()) "
    f"FROM unnest({', '.join(f'%({name})s::{kind}[]' for name, kind in _ARRAYS.items())}) "
    f"AS u({', '.join(_ARRAYS)}) "
    f"WHERE {_ROW_GUARD.compile(dialect=_DIALECT)} "
    "ON CONFLICT DO NOTHING RETURNING id"
)


@dataclass(frozen=True, slots=True)
class NewRow:
    """A push's submission row as the insert takes it (``values``: the statement's parameters)."""

    id: str
    digest: str
    idempotency_key: str | None
    values: dict[str, Any]


def new_row(
    *,
    partner_id: int,
    raw: bytes,
    content_type: str,
    idempotency_key: str | None,
    request_id: str | None,
    warnings: list[dict[str, Any]] | None = None,
    received_at: datetime | None = None,
    prepared: bytes | None = None,
) -> NewRow:
    """The row to insert for a push; raises ``Invalid`` for an unusable ``Idempotency-Key``."""
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise Invalid(
            "Idempotency-Key must be 1 to 255 characters",
            errors=[{"field": "Idempotency-Key", "message": "bad length"}],
        )
    digest = hashlib.sha256(raw).hexdigest()
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
        "prepared": prepared,
    }
    return NewRow(new, digest, idempotency_key, values)


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
    prepared: bytes | None = None,
) -> Accepted:
    """Store the raw bytes, or find the submission they already are (same bytes or same key).

    With a ``guard``, the insert is made only while it holds, in the same statement; raises
    ``Changed`` (nothing stored, nothing told) when it no longer does."""
    row = new_row(
        partner_id=partner_id,
        raw=raw,
        content_type=content_type,
        idempotency_key=idempotency_key,
        request_id=request_id,
        warnings=warnings,
        received_at=received_at,
        prepared=prepared,
    )
    # Insert first: a new submission (the usual case) costs one statement, which is its own
    # transaction on an autocommit connection. A resend (same bytes or key) inserts nothing.
    if guard is None:
        found = conn.exec_driver_sql(_INSERT_SQL, row.values).first()
    else:
        found = conn.exec_driver_sql(_INSERT_GUARDED_SQL, row.values | guard.params()).first()
    if found is not None:
        return Accepted(row.id, SubmissionStatus.QUEUED, created=True)
    return not_inserted(conn, row, guard)


async def insert_guarded_many(
    conn: AsyncConnection[Any], rows: list[tuple[NewRow, Guard]]
) -> set[str]:
    """``accept``'s guarded insert for many rows in one statement on an asynchronous connection
    (autocommit: one round trip, one commit): the ids of the rows it made; ``not_inserted`` says
    why another was not. A row whose guard no longer holds, or whose bytes or key are stored
    (by an earlier statement or an earlier row of this one), is not made."""
    params: dict[str, list[Any]] = {name: [] for name in _ARRAYS}
    for row, guard in rows:
        for name, value in (row.values | guard.params()).items():
            params[name].append(value)
    cursor = await conn.execute(_INSERT_MANY_SQL, params)
    return {made for (made,) in await cursor.fetchall()}


def not_inserted(conn: Connection, row: NewRow, guard: Guard | None) -> Accepted:
    """What a push whose insert made nothing is: ``Changed`` if the guard no longer holds, else
    the submission stored first with the same bytes (or ``Invalid``: the key with others)."""
    if guard is not None and not still_holds(conn, guard):
        raise Changed
    # A resend, or a concurrent request that stored the same bytes or key first.
    existing = _existing(conn, row.values["partner_id"], row.digest, row.idempotency_key)
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
    taken = claim_batch(conn, submission_id, lease=lease, max_attempts=max_attempts)
    return taken[0].claim if taken else None


@dataclass(frozen=True, slots=True)
class Taken:
    """A claimed submission and its partner's row (slug, profile, timezone, languages)."""

    claim: Claim
    partner: Any


# One statement takes the message's submission, when it is still to do, and up to :extra of
# the oldest other queued submissions no bigger than :small, skipping rows another worker is
# claiming. The outer WHERE repeats the state test: the UPDATE re-reads each row once it holds
# its lock, so a submission another worker took in the meantime is left alone. The raw bytes
# come only when the API kept no parse: a kept parse is what the worker reads.
_CLAIM_BATCH = text(
    """
    WITH extra AS (
        SELECT id FROM submissions
        WHERE status = 'queued' AND size <= :small AND id <> :first
        ORDER BY enqueued_at
        LIMIT :extra
        FOR UPDATE SKIP LOCKED
    )
    UPDATE submissions AS s
    SET status = 'processing', attempts = s.attempts + 1, claims = s.claims + 1,
        lease_until = now() + make_interval(secs => :lease)
    FROM partners AS p
    WHERE s.id = ANY(ARRAY(SELECT CAST(:first AS text) UNION ALL SELECT id FROM extra))
      AND p.id = s.partner_id
      AND (s.status = 'queued' OR (s.status = 'processing' AND s.lease_until < now()))
    RETURNING s.id, s.partner_id, s.attempts, s.claims, s.content_type, s.received_at,
              s.prepared, CASE WHEN s.prepared IS NULL THEN s.raw END AS raw, s.error,
              p.slug, p.profile, p.timezone, p.languages, p.disabled
    """
)
_BURY = text(
    "UPDATE submissions SET status = 'dead', lease_until = NULL, finished_at = now(), "
    "error = CAST(:error AS jsonb) WHERE id = :id"
)


def claim_batch(
    conn: Connection,
    submission_id: str,
    *,
    lease: float,
    max_attempts: int,
    extra: int = 0,
    small: int = 0,
) -> list[Taken]:
    """Claim the submission, if it is queued or its lease expired, and up to ``extra`` of the
    oldest other queued submissions of at most ``small`` bytes, in one statement: the worker
    then stores them in one transaction (services/worker/pipeline.py). Their own messages,
    when they come, find them taken and are skipped. A claim past ``max_attempts`` makes the
    submission ``dead`` instead. Returned oldest first, the message's own submission first."""
    rows = conn.execute(
        _CLAIM_BATCH,
        {"first": submission_id, "extra": extra, "small": small, "lease": float(lease)},
    ).all()
    taken: list[Taken] = []
    for row in sorted(rows, key=lambda r: (r.id != submission_id, r.received_at, r.id)):
        if row.attempts > max_attempts:
            error = {
                "code": "attempts_exhausted",
                "detail": f"gave up after {max_attempts} attempts",
                "last_error": row.error,
            }
            conn.execute(_BURY, {"id": row.id, "error": json.dumps(error)})
            continue
        claim_ = Claim(
            row.id, row.partner_id, row.attempts, row.claims,
            bytes(row.raw) if row.raw is not None else None,
            row.content_type, row.received_at,
            bytes(row.prepared) if row.prepared is not None else None,
        )  # fmt: skip
        taken.append(Taken(claim_, row))
    return taken


def raw_of(conn: Connection, submission_id: str) -> bytes:
    """A submission's raw bytes (a claim leaves them out when the API's parse came instead)."""
    raw = conn.execute(select(submissions.c.raw).where(submissions.c.id == submission_id)).scalar()
    return bytes(raw) if raw is not None else b""


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
            prepared=None,  # read; the raw bytes stay for a replay
        )
    )


_FENCE_MANY = text(
    "SELECT id, claims FROM submissions "
    "WHERE id = ANY(CAST(:ids AS text[])) AND status = 'processing' ORDER BY id FOR UPDATE"
)
_FORGET_VERDICTS = text(
    "DELETE FROM submission_items WHERE submission_id = ANY(CAST(:ids AS text[]))"
)
_VERDICTS = text(
    "INSERT INTO submission_items (submission_id, idx, item_id, uri, version, verdict) "
    "SELECT * FROM unnest(CAST(:sid AS text[]), CAST(:idx AS int[]), CAST(:item AS text[]), "
    "CAST(:uri AS text[]), CAST(:ver AS text[]), CAST(:verdict AS text[]))"
)
_DONE_MANY = text(
    "UPDATE submissions AS s SET status = 'done', lease_until = NULL, finished_at = now(), "
    "error = NULL, prepared = NULL, warnings = CAST(w.warnings AS jsonb) "
    "FROM unnest(CAST(:ids AS text[]), CAST(:warnings AS text[])) AS w(id, warnings) "
    "WHERE s.id = w.id"
)


def fence_many(conn: Connection, claims_: list[Claim]) -> set[str]:
    """Lock the submissions' rows (in id order); the ids these claims still own."""
    tokens = {c.id: c.token for c in claims_}
    rows = conn.execute(_FENCE_MANY, {"ids": sorted(tokens)}).all()
    return {row.id for row in rows if tokens[row.id] == row.claims}


def finish_many(
    conn: Connection, done: list[tuple[Claim, list[dict[str, Any]], list[dict[str, Any]]]]
) -> None:
    """``finish`` for several fenced submissions at once: (claim, verdicts, warnings) each,
    in three statements whatever their number."""
    if not done:
        return
    ids = [claim_.id for claim_, _, _ in done]
    conn.execute(_FORGET_VERDICTS, {"ids": ids})
    rows = [(c.id, i, v) for c, verdicts, _ in done for i, v in enumerate(verdicts)]
    if rows:
        conn.execute(
            _VERDICTS,
            {
                "sid": [sid for sid, _, _ in rows],
                "idx": [i for _, i, _ in rows],
                "item": [v["item_id"] for _, _, v in rows],
                "uri": [v["uri"] for _, _, v in rows],
                "ver": [v["version"] for _, _, v in rows],
                "verdict": [v["verdict"] for _, _, v in rows],
            },
        )
    conn.execute(_DONE_MANY, {"ids": ids, "warnings": [json.dumps(w or []) for _, _, w in done]})


def fail(conn: Connection, claim_: Claim, error: dict[str, Any]) -> None:
    """A permanent failure: the submission will not be retried (replay it after a fix)."""
    conn.execute(
        update(submissions)
        .where(submissions.c.id == claim_.id, submissions.c.claims == claim_.token)
        .values(
            status=SubmissionStatus.FAILED,
            lease_until=None,
            finished_at=func.now(),
            error=error,
            prepared=None,
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
            prepared=None,  # a replay reads the bytes again
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
