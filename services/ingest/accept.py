"""The accept step, without HTTP: check a push (parse + normalise, the worker's own path), store
its bytes and queue it. The routes (``routes.py`` for partner keys, ``routes_push.py`` for
signed Superdesk pushes) turn requests into a ``Push`` and an ``Answer`` into a response.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from services import metrics
from services.ingest.loopdb import LoopInserts
from services.queue import Sender, Sends
from shared.core.model import NormalisedItem, SubmissionStatus
from shared.core.settings import Settings
from shared.db import submissions
from shared.db.credentials import Guard, Partner
from shared.db.engine import autocommit
from shared.reading.kept import keep
from shared.reading.prepare import prepare, warnings_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Push:
    """One push as received: who sent which bytes, how labelled, and when. The arrival time is
    the one the worker reads back, so the check here and the worker's run make the same
    repairs."""

    partner: Partner
    raw: bytes
    content_type: str | None
    received_at: datetime
    idempotency_key: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the partner is told: ``status`` 202 for a new submission, 200 for a resend."""

    body: dict[str, Any]
    status: int
    location: str


def check(push: Push, settings: Settings) -> list[NormalisedItem]:
    """Strict validation at the edge, by the worker's own parse and normalise: what is accepted
    can be processed. Raises ``InputError`` subclasses (4xx)."""
    return prepare(
        push.raw,
        push.content_type,
        namespace=push.partner.slug,
        profile=push.partner.profile,
        received_at=push.received_at,
        max_items=settings.max_batch_items,
        max_body_bytes=settings.max_item_body_bytes,
    )


def store(
    push: Push,
    prepared: list[NormalisedItem],
    engine: Engine,
    sender: Sender,
    guard: Guard | None = None,
) -> Answer:
    """Store the bytes with what ``check`` made of them (kept for the worker:
    shared/reading/kept.py), or find the submission they already are, and queue a new one
    (handed to the process's ``Sender``, which sends it right after); raises ``Changed`` if the
    ``guard`` (the partner key as it was read) no longer holds."""
    warnings = warnings_of(prepared)
    with autocommit(engine) as conn:  # one INSERT (its own transaction) for a new submission
        accepted = submissions.accept(conn, **_row(push, prepared, warnings), guard=guard)
    return answered(push, accepted, warnings, sender)


# A push whose insert made nothing (a resend, or its key changed): ``submissions.not_inserted``
# run in a thread by the caller.
Settle = Callable[[submissions.NewRow], Awaitable[submissions.Accepted]]


async def store_on_loop(
    push: Push,
    prepared: list[NormalisedItem],
    inserts: LoopInserts,
    sender: Sends,
    guard: Guard,
    settle: Settle,
) -> Answer:
    """``store`` for a guarded push, on the event loop: the same row with the same guard, sent
    by ``inserts`` (with the other pushes' rows that wait at the same time); only what is not a
    new submission goes on to ``settle``."""
    warnings = warnings_of(prepared)
    row = submissions.new_row(**_row(push, prepared, warnings))
    created = await inserts.insert(row, guard)
    if created:
        accepted = submissions.Accepted(row.id, SubmissionStatus.QUEUED, created=True)
    else:
        accepted = await settle(row)
    return answered(push, accepted, warnings, sender)


def _row(
    push: Push, prepared: list[NormalisedItem], warnings: list[dict[str, Any]]
) -> dict[str, Any]:
    """The submission row's fields for a push, with its parse kept for the worker."""
    return {
        "partner_id": push.partner.id,
        "raw": push.raw,
        "content_type": push.content_type or "",
        "idempotency_key": push.idempotency_key,
        "request_id": push.request_id,
        "warnings": warnings,
        "received_at": push.received_at,
        "prepared": keep(prepared),
    }


def answered(
    push: Push, accepted: submissions.Accepted, warnings: list[dict[str, Any]], sender: Sends
) -> Answer:
    """The partner's answer; a new submission is counted, logged and handed to the sender."""
    if accepted.created:
        metrics.record_accepted(push.partner.slug)
        sender.send(accepted.id)
        logger.info(
            "submission accepted",
            extra={
                "submission_id": accepted.id,
                "partner": push.partner.slug,
                "bytes": len(push.raw),
            },
        )
    url = f"/v1/submissions/{accepted.id}"
    body = {
        "submission_id": accepted.id,
        "status": accepted.status,
        "status_url": url,
        "warnings": warnings,
    }
    return Answer(body, 202 if accepted.created else 200, url)
