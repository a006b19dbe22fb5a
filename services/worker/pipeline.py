"""Process submissions: claim → parse → normalise → store items → done, in PostgreSQL.

A message names one submission. The worker claims it together with up to
``DATELINE_WORKER_BATCH`` - 1 of the oldest other small queued submissions, in one statement,
and stores them in one transaction: one commit and a few shared statements for the lot instead
of per submission. Their own messages, when they come, find them taken and are skipped. When
that transaction fails (a lock wait, a deadlock, a constraint), each submission is stored again
in a transaction of its own, so one bad submission never costs the others.

Outcomes, per submission: ``done`` (verdicts recorded); ``failed`` (a permanent error with its
code and detail, kept for ``dateline replay``); ``skipped`` (not ours: already finished, or
another worker holds a live lease). A database that cannot be reached raises
``TransientError`` after handing the submissions back, so the caller retries with backoff; so
does a task that ran out of time (Celery's soft time limit): slow is not failed, and only
exhausted attempts end ``dead``. Anything else is permanent.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from services import metrics
from shared.core.errors import InputError, TransientError
from shared.core.memory import give_back_free_memory
from shared.core.model import NormalisedItem
from shared.core.settings import Settings
from shared.db import credentials, items, submissions, subscriptions
from shared.db.credentials import Partner
from shared.reading.kept import restore
from shared.reading.prepare import prepare, warnings_of

logger = logging.getLogger(__name__)

UNREACHABLE = (OperationalError, InterfaceError)
# Only submissions this small join another's batch: a big one is stored on its own, so a
# batch stays well inside the task's time limit.
BATCH_SMALL_BYTES = 64 * 1024
# After a batch that brought this much, the heap's free pages go back to the system.
TRIM_AFTER_BYTES = 256 * 1024


@dataclass(slots=True)
class Parsed:
    """A claimed submission and what reading it gave: its items, or a permanent error."""

    claim: submissions.Claim
    partner: Partner
    items: list[NormalisedItem] = field(default_factory=list)
    error: dict[str, Any] | None = None


def process_submission(engine: Engine, settings: Settings, submission_id: str) -> str:
    """Process the message's submission (and the batch claimed with it); its outcome."""
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            taken = submissions.claim_batch(
                conn, submission_id, lease=settings.lease_seconds,
                max_attempts=settings.max_attempts, extra=settings.worker_batch - 1,
                small=BATCH_SMALL_BYTES,
            )  # fmt: skip
    except UNREACHABLE as exc:
        raise TransientError(f"database unavailable: {exc.orig}") from exc
    if not taken:
        return "skipped"
    parsed = _read(engine, settings, taken)
    outcomes = _store_all(engine, settings, parsed)
    if sum(t.claim.size for t in taken) >= TRIM_AFTER_BYTES:
        # What a large submission took is free now, but spread over a heap its many smaller
        # pieces fragmented: trimmed, those pages go back to the system (as in the API).
        give_back_free_memory()
    elapsed = time.perf_counter() - started
    for entry in parsed:
        if outcomes.get(entry.claim.id) == "done":
            metrics.observe_processing(elapsed)
    return outcomes.get(submission_id, "skipped")


def _read(engine: Engine, settings: Settings, taken: list[submissions.Taken]) -> list[Parsed]:
    parsed = []
    for entry in taken:
        claim = entry.claim
        partner = credentials.partner_of_row({**entry.partner._mapping, "id": claim.partner_id})
        try:
            normalised = restore(claim.prepared) or prepare(
                _raw(engine, claim), claim.content_type, namespace=partner.slug,
                profile=partner.profile, received_at=claim.received_at,
                max_items=settings.max_batch_items,
                max_body_bytes=settings.max_item_body_bytes,
            )  # fmt: skip
        except SoftTimeLimitExceeded as exc:
            error = {"code": "time_limit", "detail": "parsing ran out of time"}
            _release(engine, [t.claim for t in taken], error)
            raise TransientError("parsing ran out of time") from exc
        except InputError as exc:
            # Accepted bytes that no longer parse: a parser changed. Kept for replay.
            parsed.append(Parsed(claim, partner, error=exc.as_dict()))
        except Exception as exc:  # a parser bug must not loop: fail, fix, replay
            parsed.append(Parsed(claim, partner, error=_describe("parser_error", exc)))
        else:
            parsed.append(Parsed(claim, partner, items=normalised))
    return parsed


def _raw(engine: Engine, claim: submissions.Claim) -> bytes:
    """The bytes to parse: a claim with a kept parse left them in the database."""
    if claim.raw is not None:
        return claim.raw
    with engine.connect() as conn:
        return submissions.raw_of(conn, claim.id)


def _store_all(engine: Engine, settings: Settings, parsed: list[Parsed]) -> dict[str, str]:
    """Store the batch in one transaction; failing that, each submission in its own."""
    if len(parsed) > 1:
        try:
            return _store_together(engine, settings, parsed)
        except SoftTimeLimitExceeded as exc:
            error = {"code": "time_limit", "detail": "storing ran out of time"}
            _release(engine, [p.claim for p in parsed], error)
            raise TransientError("storing ran out of time") from exc
        except Exception as exc:  # each is tried alone below, and fails alone
            logger.info(
                "a batch could not be stored together; storing each alone",
                extra={"count": len(parsed), "error": type(exc).__name__},
            )
    outcomes = {}
    for index, entry in enumerate(parsed):
        try:
            outcomes[entry.claim.id] = _store_alone(engine, settings, entry)
        except TransientError as exc:
            rest = [p.claim for p in parsed[index + 1 :]]
            _release(engine, rest, {"code": "transient", "detail": str(exc)})
            raise
    return outcomes


def _store_together(engine: Engine, settings: Settings, parsed: list[Parsed]) -> dict[str, str]:
    """One transaction: every submission's items, versions and verdicts, the webhook
    deliveries they announce (an outbox: sent by ``dateline.deliver``), and each submission
    done, or failed when it could not be read."""
    outcomes: dict[str, str] = {}
    done: list[tuple[submissions.Claim, list[dict[str, Any]], list[dict[str, Any]]]] = []
    with engine.begin() as conn:
        owned = submissions.fence_many(conn, [p.claim for p in parsed])
        items.bound_lock_waits(conn)
        storing = []
        for entry in parsed:
            if entry.claim.id not in owned:
                outcomes[entry.claim.id] = "skipped"
            elif entry.error is not None:
                submissions.fail(conn, entry.claim, entry.error)
                outcomes[entry.claim.id] = "failed"
            else:
                storing.append(entry)
                outcomes[entry.claim.id] = "done"
        stored = items.record_in_order(
            conn, [_incoming(entry) for entry in storing], thresholds=settings.thresholds,
            window_hours=settings.dedupe_window_hours,
        )  # fmt: skip
        announced = [s for per in stored for s in per]
        subscriptions.enqueue_deliveries(conn, subscriptions.events(announced))
        for entry, mine in zip(storing, stored, strict=True):
            done.append((entry.claim, _verdicts(mine, entry.items), warnings_of(entry.items)))
        submissions.finish_many(conn, done)
    for entry, (_, verdicts, _) in zip(storing, done, strict=True):
        _done(entry, verdicts)
    for entry in parsed:
        if entry.error is not None and outcomes[entry.claim.id] == "failed":
            _log_failed(entry.claim, entry.error)
    return outcomes


def _store_alone(engine: Engine, settings: Settings, entry: Parsed) -> str:
    claim = entry.claim
    if entry.error is not None:
        return _fail(engine, claim, entry.error)
    try:
        with engine.begin() as conn:
            if not submissions.fence(conn, claim):
                return "skipped"
            items.bound_lock_waits(conn)
            stored = _record(conn, settings, entry)
            verdicts = _verdicts(stored, entry.items)
            subscriptions.enqueue_deliveries(conn, subscriptions.events(stored))
            submissions.finish(conn, claim, verdicts, warnings_of(entry.items))
    except SoftTimeLimitExceeded as exc:
        _release(engine, [claim], {"code": "time_limit", "detail": "storing ran out of time"})
        raise TransientError("storing ran out of time") from exc
    except UNREACHABLE as exc:
        _release(engine, [claim], {"code": "transient", "detail": str(exc.orig)})
        raise TransientError(f"storing failed: {exc.orig}") from exc
    except Exception as exc:  # constraint or data errors do not heal by retrying
        return _fail(engine, claim, _describe("storage_error", exc))
    _done(entry, verdicts)
    return "done"


def _incoming(entry: Parsed) -> list[items.Incoming]:
    claim = entry.claim
    return [items.Incoming(entry.partner.id, i, claim.id, claim.received_at) for i in entry.items]


def _record(conn: Connection, settings: Settings, entry: Parsed) -> list[items.Stored]:
    return items.record(
        conn, _incoming(entry), thresholds=settings.thresholds,
        window_hours=settings.dedupe_window_hours,
    )  # fmt: skip


def _verdicts(stored: list[items.Stored], normalised: list[NormalisedItem]) -> list[dict[str, Any]]:
    return [
        {"item_id": s.item_id, "uri": s.uri, "version": item.version, "verdict": s.verdict.value}
        for s, item in zip(stored, normalised, strict=True)
    ]


def _done(entry: Parsed, verdicts: list[dict[str, Any]]) -> None:
    for verdict in verdicts:
        metrics.record_processed(verdict["verdict"])
    logger.info(
        "submission done",
        extra={
            "submission_id": entry.claim.id,
            "partner": entry.partner.slug,
            "items": len(verdicts),
        },
    )


def _describe(code: str, exc: BaseException) -> dict[str, Any]:
    detail = str(getattr(exc, "orig", None) or exc)
    return {"code": code, "detail": f"{type(exc).__name__}: {detail}"[:500]}


def _fail(engine: Engine, claim: submissions.Claim, error: dict[str, Any]) -> str:
    with engine.begin() as conn:
        submissions.fail(conn, claim, error)
    _log_failed(claim, error)
    return "failed"


def _log_failed(claim: submissions.Claim, error: dict[str, Any]) -> None:
    logger.warning("submission failed", extra={"submission_id": claim.id, "code": error["code"]})


def _release(engine: Engine, claims: list[submissions.Claim], error: dict[str, Any]) -> None:
    """Hand the submissions back (queued, the cause recorded) for a retry; if even that fails,
    their leases run out and the sweeper reclaims them."""
    if not claims:
        return
    try:
        with engine.begin() as conn:
            for claim in claims:
                submissions.release(conn, claim, error)
    except DBAPIError:
        logger.warning(
            "could not release submissions; the sweeper will reclaim them",
            extra={"submission_ids": [c.id for c in claims]},
        )
