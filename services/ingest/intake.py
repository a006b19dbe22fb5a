"""From a request with a known partner and its body to the partner's answer: admit it
(signature, rate limit), check it (parse + normalise, in the request's thread or the parser
pool, services/ingest/parsing.py), store and queue it (services/ingest/accept.py). Shared by
both push endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from services.ingest import accept, parsing
from services.ingest.accept import Answer, Push
from services.ingest.loopdb import LoopInserts, LoopPool
from services.ingest.signatures import Claim
from services.ingest.state import ApiState, state_of
from services.ingest.threads import in_thread
from services.queue import LoopSender, Sender
from shared.core.settings import Settings
from shared.db import submissions
from shared.db.credentials import Guard, Partner
from shared.db.engine import autocommit

# The OpenAPI description of both push endpoints' refusals.
PUSH_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"description": d, "content": {"application/problem+json": {}}}
    for s, d in [
        (400, "Malformed body"),
        (401, "Unauthorized"),
        (403, "Forbidden"),
        (413, "Payload too large"),
        (415, "Unsupported media type"),
        (422, "Invalid content"),
    ]
}

# Blocking, run in a thread: check the signature and the rate limit (raising a 4xx), and return
# the claimed webhook-id to forget again if the push then fails.
Admit = Callable[[], Claim]
# The same on the event loop, for a push that claims no webhook-id (given only then).
AdmitOnLoop = Callable[[], Awaitable[None]]

# A guarded push this small is checked and stored on the event loop (services/ingest/loopdb.py):
# its parse + normalise costs less than a thread trip's hand-offs under load. Most wire items
# are a few KiB.
ON_LOOP_BYTES = 32 * 1024


async def accept_request(
    request: Request,
    partner: Partner,
    raw: bytes,
    admit: Admit,
    guard: Guard | None = None,
    admit_on_loop: AdmitOnLoop | None = None,
) -> JSONResponse:
    """``guard``: the partner key as it was read, which the insert checks again
    (``credentials.Changed`` if it no longer holds). With it and ``admit_on_loop``, a small
    push never leaves the event loop unless its insert made nothing."""
    state = state_of(request)
    settings: Settings = state.settings
    push = Push(
        partner=partner,
        raw=raw,
        content_type=request.headers.get("content-type"),
        received_at=datetime.now(UTC),
        idempotency_key=request.headers.get("idempotency-key"),
        request_id=getattr(request.state, "request_id", None),
    )
    pool = parsing.pool_of(request.app)
    small = len(raw) <= ON_LOOP_BYTES and pool.inline(raw)  # never what the parser pool takes
    if guard is not None and admit_on_loop is not None and small:
        await admit_on_loop()
        prepared = accept.check(push, settings)

        def settle(row: submissions.NewRow) -> Awaitable[submissions.Accepted]:
            return in_thread(request, _not_inserted, state.engine, row, guard)

        loop_pool = state.one(LoopPool, lambda: LoopPool(state.engine, settings.api_threads))
        inserts = state.one(LoopInserts, lambda: LoopInserts(loop_pool))
        answer = await accept.store_on_loop(
            push, prepared, inserts, loop_sender_of(state), guard, settle
        )
    elif pool.inline(raw):  # one trip to the thread pool for everything
        answer = await in_thread(request, _inline, push, admit, request, guard)
    else:
        claim = await in_thread(request, admit)
        try:
            job = parsing.Job(
                raw=raw,
                content_type=push.content_type,
                namespace=partner.slug,
                profile=partner.profile,
                received_at=push.received_at,
                max_items=settings.max_batch_items,
                max_body_bytes=settings.max_item_body_bytes,
                cpu_seconds=settings.parse_cpu_seconds,
            )
            prepared = await pool.prepare(job, partner.id)
            answer = await in_thread(
                request, accept.store, push, prepared, state.engine, sender_of(state), guard
            )
        except BaseException:
            await in_thread(request, claim.release)
            raise
    return JSONResponse(
        answer.body, status_code=answer.status, headers={"Location": answer.location}
    )


def sender_of(state: ApiState) -> Sender:
    """The process's one sender of submissions' messages (services/queue.py)."""
    return state.one(Sender, lambda: Sender(state.celery))


def loop_sender_of(state: ApiState) -> LoopSender:
    """The same, for pushes served on the event loop: no thread to hand over to."""
    return state.one(LoopSender, lambda: LoopSender(state.celery))


def _not_inserted(engine: Engine, row: submissions.NewRow, guard: Guard) -> submissions.Accepted:
    with autocommit(engine) as conn:
        return submissions.not_inserted(conn, row, guard)


def _inline(push: Push, admit: Admit, request: Request, guard: Guard | None) -> Answer:
    state = state_of(request)
    claim = admit()
    try:
        prepared = accept.check(push, state.settings)
        return accept.store(push, prepared, state.engine, sender_of(state), guard)
    except BaseException:
        claim.release()
        raise
