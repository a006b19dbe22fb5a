"""HTTP routes: push (partners), submissions (partners and editors), items (editors)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from services.ingest import parsing, ratelimit, signatures
from services.ingest.auth import CurrentPrincipal, EditorPrincipal, pushing_principal
from services.ingest.body import read_limited
from services.ingest.filters import ItemFilters, Paging, page_url
from services.ingest.intake import PUSH_RESPONSES, accept_request
from services.ingest.state import state_of
from shared.core.errors import DatelineError, Forbidden, NotFound, Unavailable
from shared.core.model import rfc3339
from shared.core.settings import Settings
from shared.db import clusters, item_reads, submissions
from shared.db.credentials import Changed, Principal
from shared.output import ninjs as ninjs_out

logger = logging.getLogger(__name__)
router = APIRouter()


# Served by the edge itself (services/ingest/edge.py), without FastAPI's routing; declared here
# for the OpenAPI description (the docstring is its description).
@router.post("/v1/items", status_code=202, responses=PUSH_RESPONSES)
async def push(request: Request) -> JSONResponse:
    """Accept one item or a batch in any supported format. 202 once the bytes are stored."""
    principal, known = await pushing_principal(request)
    if principal.partner is None:
        raise Forbidden("only a partner key can push items")
    pool = parsing.pool_of(request.app)
    async with AsyncExitStack() as turn:
        await turn.enter_async_context(pool.before_the_body(request, principal.partner.id))
        # A body of unknown length (chunked) takes the turn once it turns out large.
        later = pool.once_large(request, principal.partner.id, turn)
        return await _push(request, principal, known, later)


async def _push(
    request: Request,
    principal: Principal,
    known: bool,
    later: tuple[int, Callable[[], Awaitable[object]]] | None = None,
) -> JSONResponse:
    settings: Settings = state_of(request).settings
    sender = f"partner:{principal.partner_id}"
    try:
        raw = await read_limited(request, settings.max_body_bytes, sender=sender, past=later)
    except DatelineError:
        if known:  # a key that is now revoked or disabled is told so first
            await pushing_principal(request, again=True)
        raise
    try:
        return await _accept_as(request, principal, raw)
    except (DatelineError, Changed) as exc:
        if not known and not isinstance(exc, Changed):
            raise
        # The key as it was known may be stale: the database's answer now is the partner's (a
        # 401 or 403 raised here), or the push is checked and made again as it says (taking a
        # second rate-limit token: only the first push after a change of settings does).
        fresh, _ = await pushing_principal(request, again=True)
        if fresh.revision == principal.revision and not isinstance(exc, Changed):
            raise
    try:
        return await _accept_as(request, fresh, raw)
    except Changed:
        error = Unavailable("the partner's key or settings changed during the push; send it again")
        raise error from None


async def _accept_as(request: Request, principal: Principal, raw: bytes) -> JSONResponse:
    partner = principal.partner
    if partner is None:
        raise Forbidden("only a partner key can push items")

    def admit() -> signatures.Claim:
        """A push that fails after its ``webhook-id`` was claimed forgets the id again (see
        intake), so the sender's retry is not taken for a replay."""
        held = signatures.verify_request(request, partner, raw, principal.signing)
        try:
            ratelimit.enforce(request, partner.id)
        except BaseException:
            held.release()
            raise
        return held

    signing = principal.signing
    if signing is None or signatures.signed(request.headers):
        return await accept_request(request, partner, raw, admit, principal.guard())

    async def admit_on_loop() -> None:
        """``admit`` for an unsigned push: nothing to claim, a signature perhaps required."""
        signatures.check(request.headers, raw, signing, partner=partner.slug, now=time.time())
        await ratelimit.enforce_on_loop(request, partner.id)

    return await accept_request(request, partner, raw, admit, principal.guard(), admit_on_loop)


@router.get("/v1/submissions/{submission_id}")
def get_submission(
    submission_id: str, request: Request, principal: CurrentPrincipal
) -> dict[str, Any]:
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        found = submissions.read(conn, submission_id)
    visible = found is not None and (
        principal.has_role("editor") or found["partner_id"] == principal.partner_id
    )
    if not visible or found is None:
        raise NotFound(f"no submission {submission_id!r}")
    found.pop("partner_id")
    found["received_at"] = rfc3339(found["received_at"])
    return found


@router.get("/v1/items")
def list_items(request: Request, _: EditorPrincipal, query: ItemFilters) -> JSONResponse:
    """Items newest first with the filters of docs/api.md (Reading items); ``next`` is the
    following page. A page stops short of ``DATELINE_MAX_PAGE_BYTES`` (always one item)."""
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        page, nxt = item_reads.search(conn, query)
    return JSONResponse({"items": page, "next": page_url(request, nxt)})


@router.get("/v1/items/{item_id}")
def get_item(
    item_id: str,
    request: Request,
    _: EditorPrincipal,
    format: Literal["json", "ninjs", "ninjs2"] | None = None,
) -> Response:
    """The normalised item; ``?format=ninjs`` (or ``Accept: application/ninjs+json``) gives
    IPTC ninjs 3.x, ``?format=ninjs2`` ninjs 2.x, both valid against IPTC's schemas."""
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        found = item_reads.get(conn, item_id)
    if found is None:
        raise NotFound(f"no item {item_id!r}")
    if format is None and ninjs_out.MEDIA_TYPE in request.headers.get("accept", ""):
        format = "ninjs"
    if format == "ninjs":
        return JSONResponse(ninjs_out.to_ninjs3(found), media_type=ninjs_out.MEDIA_TYPE)
    if format == "ninjs2":
        return JSONResponse(ninjs_out.to_ninjs2(found), media_type=ninjs_out.MEDIA_TYPE)
    return JSONResponse(found)


@router.get("/v1/items/{item_id}/versions")
def get_versions(
    item_id: str, request: Request, _: EditorPrincipal, paging: Paging
) -> JSONResponse:
    """The item's history: every version received, newest first, ``current`` marked; a page at a
    time (``limit``, ``cursor``), ``next`` the following page or null."""
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        found = item_reads.versions(
            conn, item_id, limit=paging.limit, cursor=paging.cursor, max_bytes=paging.max_bytes
        )
    if found is None:
        raise NotFound(f"no item {item_id!r}")
    page, nxt = found
    return JSONResponse({"versions": page, "next": page_url(request, nxt)})


@router.get("/v1/items/{item_id}/duplicates")
def get_duplicates(
    item_id: str, request: Request, _: EditorPrincipal, paging: Paging
) -> JSONResponse:
    """The other items of the item's cluster (the original and its copies), oldest first; a page
    at a time (``limit``, ``cursor``), ``next`` the following page or null."""
    after = None if paging.cursor is None else item_reads.decode_member_cursor(paging.cursor)
    engine: Engine = state_of(request).engine
    with engine.connect() as conn:
        members = clusters.cluster_of(conn, item_id, after=after, limit=paging.limit + 1)
        if members is None:
            raise NotFound(f"no item {item_id!r}")
        page, last = item_reads.get_many(
            conn, members, limit=paging.limit, max_bytes=paging.max_bytes
        )
    nxt = None if last is None else item_reads.encode_member_cursor(last)
    return JSONResponse({"items": page, "next": page_url(request, nxt)})
