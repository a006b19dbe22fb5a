"""Feeds for publishing systems: ``GET /v1/feed.atom`` (Atom 1.0, the item list's filters) and
``GET /v1/stream`` (Server-Sent Events of new and updated items, resumable by ``Last-Event-ID``)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from services.ingest.filters import ItemFilters, page_url
from services.ingest.routes import EditorPrincipal
from shared import atom_out
from shared.db import changes, credentials, items
from shared.errors import InputError, Invalid

logger = logging.getLogger(__name__)
router = APIRouter()

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
GAP_SECONDS = 10.0
_MAX_EVENT_ID = 2**63 - 1
_open_streams = 0


@router.get("/v1/feed.atom", response_class=Response)
def feed_atom(request: Request, _: EditorPrincipal, query: ItemFilters) -> Response:
    """The items ``GET /v1/items`` would list, newest first, as an Atom feed; ``link rel=next``
    names the next page when there is one."""
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        page, nxt = items.search(conn, query)
    self_href = f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path
    body = atom_out.feed(
        page,
        feed_id=str(request.url.remove_query_params("cursor")),
        title=_title(request),
        self_href=self_href,
        next_href=page_url(request, nxt),
        now=datetime.now(UTC),
    )
    return Response(body, media_type=atom_out.MEDIA_TYPE)


def _title(request: Request) -> str:
    shown = [f"{k}={v}" for k, v in request.query_params.items() if k not in ("cursor", "limit")]
    return "Dateline items" + (f" ({', '.join(shown)})" if shown else "")


@router.get("/v1/stream", response_class=StreamingResponse)
async def stream(
    request: Request,
    _: EditorPrincipal,
    partner: str | None = None,
    language: str | None = None,
    include_duplicates: bool = False,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """``event: item`` per new or updated item (``id`` its current version id, ``data`` the
    contract item), in id order, from now on or after ``Last-Event-ID``; a comment line when
    nothing else was sent for the heartbeat interval. Ends when the client goes away, or when
    its token, checked again every ``DATELINE_STREAM_RECHECK_SECONDS``, is no longer good."""
    engine: Engine = request.app.state.engine
    mark = _resume_from(last_event_id)
    if mark is None:
        mark = await anyio.to_thread.run_sync(_newest, engine)
    feed = changes.ChangeFeed(
        engine,
        changes.Filters(partner, language, include_duplicates),
        mark,
        gap_seconds=_setting(request, "stream_gap_seconds", GAP_SECONDS),
    )
    return StreamingResponse(
        _events(request, feed),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _resume_from(header: str | None) -> int | None:
    if header is None or not header.strip():
        return None
    value = header.strip()
    if not value.isascii() or not value.isdigit() or int(value) > _MAX_EVENT_ID:
        raise Invalid(
            "Last-Event-ID must be an event id this stream sent",
            errors=[{"field": "last-event-id", "message": "not a non-negative integer"}],
        )
    return int(value)


def _newest(engine: Engine) -> int:
    with engine.connect() as conn:
        return changes.newest_version_id(conn)


def _setting(request: Request, name: str, default: float) -> float:
    return float(getattr(request.app.state.settings, name, default))


def _still_an_editor(engine: Engine, bearer: str | None) -> bool:
    """Whether the stream's credential still grants reading (not revoked, still an editor)."""
    try:
        with engine.connect() as conn:
            return credentials.authenticate(conn, bearer).has_role("editor")
    except InputError:
        return False
    except OperationalError:
        return True  # the database is away: the next check decides


async def _events(request: Request, feed: changes.ChangeFeed) -> AsyncIterator[str]:
    global _open_streams
    poll = _setting(request, "stream_poll_seconds", POLL_SECONDS)
    heartbeat = _setting(request, "stream_heartbeat_seconds", HEARTBEAT_SECONDS)
    recheck = _setting(request, "stream_recheck_seconds", 30.0)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    _open_streams += 1
    try:
        yield f"retry: {int(poll * 1000) + 1000}\n\n"
        quiet_since = checked_at = time.monotonic()
        while not await request.is_disconnected():
            if time.monotonic() - checked_at >= recheck:
                checked_at = time.monotonic()
                engine = request.app.state.engine
                if not await anyio.to_thread.run_sync(_still_an_editor, engine, bearer):
                    yield ": credential revoked\n\n"
                    return
            found = await _poll(feed)
            for change in found:
                yield _event(change)
            if found:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= heartbeat:
                yield ": heartbeat\n\n"
                quiet_since = time.monotonic()
            if not feed.behind:
                await anyio.sleep(poll)
    finally:
        _open_streams -= 1


async def _poll(feed: changes.ChangeFeed) -> list[changes.Change]:
    try:
        return await anyio.to_thread.run_sync(feed.poll)
    except OperationalError:
        # The database is away: keep the stream (heartbeats go on) and try again next poll.
        logger.warning("stream poll failed: database unavailable")
        return []


def _event(change: changes.Change) -> str:
    data = json.dumps(change.item, ensure_ascii=False, separators=(",", ":"))
    return f"event: item\nid: {change.version_id}\ndata: {data}\n\n"


def open_streams() -> int:
    """How many streams this process is serving now."""
    return _open_streams
