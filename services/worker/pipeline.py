"""Process one submission: claim → parse → normalise → store items → done, in PostgreSQL.

Outcomes: ``done`` (verdicts recorded), ``failed`` (a permanent error, kept for replay),
``skipped`` (not ours: already done, or another worker holds a live lease). Database trouble
raises ``TransientError`` after handing the submission back, so the caller can retry.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.db import credentials, items, submissions
from shared.errors import InputError, TransientError
from shared.prepare import prepare
from shared.serialise import item_doc
from shared.settings import Settings

logger = logging.getLogger(__name__)


def process_submission(engine: Engine, settings: Settings, submission_id: str) -> str:
    try:
        with engine.begin() as conn:
            claim = submissions.claim(
                conn,
                submission_id,
                lease=settings.lease_seconds,
                max_attempts=settings.max_attempts,
            )
            if claim is None:
                return "skipped"
            partner = credentials.partner_by_id(conn, claim.partner_id)
    except OperationalError as exc:
        raise TransientError(f"database unavailable: {exc.orig}") from exc

    try:
        normalised = prepare(
            claim.raw,
            claim.content_type,
            namespace=partner.slug,
            profile=partner.profile,
            received_at=claim.received_at,
            max_items=settings.max_batch_items,
        )
    except InputError as exc:
        # Accepted bytes that no longer parse: a parser change. Keep them for replay.
        with engine.begin() as conn:
            submissions.fail(conn, claim, exc.as_dict())
        logger.warning(
            "submission failed", extra={"submission_id": submission_id, "code": exc.code}
        )
        return "failed"

    try:
        with engine.begin() as conn:
            if not submissions.fence(conn, claim):
                return "skipped"
            verdicts: list[dict[str, Any]] = []
            for item in normalised:
                stored = items.store(
                    conn,
                    partner_id=partner.id,
                    item=item,
                    doc=item_doc(item),
                    submission_id=claim.id,
                    received_at=claim.received_at,
                )
                verdicts.append(
                    {
                        "item_id": stored.item_id,
                        "uri": item.uri,
                        "version": item.version,
                        "verdict": stored.verdict.value,
                    }
                )
            submissions.finish(conn, claim, verdicts)
    except DBAPIError as exc:
        _release(engine, claim, exc)
        raise TransientError(f"storing failed: {exc.orig}") from exc
    logger.info(
        "submission done",
        extra={"submission_id": submission_id, "partner": partner.slug, "items": len(verdicts)},
    )
    return "done"


def _release(engine: Engine, claim: submissions.Claim, exc: DBAPIError) -> None:
    try:
        with engine.begin() as conn:
            submissions.release(conn, claim, {"code": "transient", "detail": str(exc.orig)})
    except DBAPIError:
        logger.warning(
            "could not release submission; the sweeper will reclaim it",
            extra={"submission_id": claim.id},
        )
