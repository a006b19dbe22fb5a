"""Process one submission: claim → parse → normalise → store items → done, in PostgreSQL.

Outcomes: ``done`` (verdicts recorded); ``failed`` (a permanent error with its code and detail,
kept for ``dateline replay``); ``skipped`` (not ours: already finished, or another worker holds
a live lease). A database that cannot be reached raises ``TransientError`` after handing the
submission back, so the caller retries with backoff; so does a task that ran out of time
(Celery's soft time limit): slow is not failed, and only exhausted attempts end ``dead``.
Anything else is permanent.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from services import metrics
from shared.core.errors import InputError, TransientError
from shared.core.model import NormalisedItem
from shared.core.settings import Settings
from shared.db import credentials, items, submissions, subscriptions
from shared.db.credentials import Partner
from shared.reading.prepare import prepare, warnings_of

logger = logging.getLogger(__name__)

UNREACHABLE = (OperationalError, InterfaceError)


def process_submission(engine: Engine, settings: Settings, submission_id: str) -> str:
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            claim = submissions.claim(
                conn, submission_id, lease=settings.lease_seconds,
                max_attempts=settings.max_attempts,
            )  # fmt: skip
            if claim is None:
                return "skipped"
            partner = credentials.partner_by_id(conn, claim.partner_id)
    except UNREACHABLE as exc:
        raise TransientError(f"database unavailable: {exc.orig}") from exc

    try:
        normalised = prepare(
            claim.raw, claim.content_type, namespace=partner.slug, profile=partner.profile,
            received_at=claim.received_at, max_items=settings.max_batch_items,
            max_body_bytes=settings.max_item_body_bytes,
        )  # fmt: skip
    except SoftTimeLimitExceeded as exc:
        _release(engine, claim, {"code": "time_limit", "detail": "parsing ran out of time"})
        raise TransientError("parsing ran out of time") from exc
    except InputError as exc:
        # Accepted bytes that no longer parse: a parser changed. Kept for replay.
        return _fail(engine, claim, exc.as_dict())
    except Exception as exc:  # a parser bug must not loop: fail, fix, replay
        return _fail(engine, claim, _describe("parser_error", exc))

    try:
        verdicts = _store(engine, claim, partner, normalised, settings)
    except SoftTimeLimitExceeded as exc:
        _release(engine, claim, {"code": "time_limit", "detail": "storing ran out of time"})
        raise TransientError("storing ran out of time") from exc
    except UNREACHABLE as exc:
        _release(engine, claim, {"code": "transient", "detail": str(exc.orig)})
        raise TransientError(f"storing failed: {exc.orig}") from exc
    except Exception as exc:  # constraint or data errors do not heal by retrying
        return _fail(engine, claim, _describe("storage_error", exc))
    if verdicts is None:
        return "skipped"
    for verdict in verdicts:
        metrics.record_processed(verdict["verdict"])
    metrics.observe_processing(time.perf_counter() - started)
    logger.info(
        "submission done",
        extra={"submission_id": submission_id, "partner": partner.slug, "items": len(verdicts)},
    )
    return "done"


def _store(
    engine: Engine,
    claim: submissions.Claim,
    partner: Partner,
    normalised: list[NormalisedItem],
    settings: Settings,
) -> list[dict[str, Any]] | None:
    """One transaction: every item, its version and verdict, the webhook deliveries it
    announces (an outbox: sent by ``dateline.deliver``), and the submission done."""
    with engine.begin() as conn:
        if not submissions.fence(conn, claim):
            return None
        stored = items.store_batch(
            conn, partner_id=partner.id, batch=normalised, submission_id=claim.id,
            received_at=claim.received_at, thresholds=settings.thresholds,
            window_hours=settings.dedupe_window_hours,
        )  # fmt: skip
        verdicts = [
            {
                "item_id": s.item_id,
                "uri": s.uri,
                "version": item.version,
                "verdict": s.verdict.value,
            }
            for s, item in zip(stored, normalised, strict=True)
        ]
        subscriptions.enqueue_deliveries(conn, subscriptions.events(stored))
        submissions.finish(conn, claim, verdicts, warnings_of(normalised))
    return verdicts


def _describe(code: str, exc: BaseException) -> dict[str, Any]:
    detail = str(getattr(exc, "orig", None) or exc)
    return {"code": code, "detail": f"{type(exc).__name__}: {detail}"[:500]}


def _fail(engine: Engine, claim: submissions.Claim, error: dict[str, Any]) -> str:
    with engine.begin() as conn:
        submissions.fail(conn, claim, error)
    logger.warning("submission failed", extra={"submission_id": claim.id, "code": error["code"]})
    return "failed"


def _release(engine: Engine, claim: submissions.Claim, error: dict[str, Any]) -> None:
    """Hand the submission back (queued, the cause recorded) for a retry; if even that fails,
    its lease runs out and the sweeper reclaims it."""
    try:
        with engine.begin() as conn:
            submissions.release(conn, claim, error)
    except DBAPIError:
        logger.warning(
            "could not release submission; the sweeper will reclaim it",
            extra={"submission_id": claim.id},
        )
